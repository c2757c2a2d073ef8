/**
 * Where the server's mails are composed and queued: the links (only on an allowed app origin),
 * the language of each mail (the user's setting, else the request's), and the durable outbox
 * (a notice is queued on its own; a mail that carries a token is queued by the domain in the
 * token's transaction, see `ComposeMails`).
 *
 * @module
 */
import type { DomainContext } from "../domain/context";
import type { IssuedToken } from "../domain/credentials";
import { DomainError } from "../domain/errors";
import { enqueueMails, sealMail } from "../mail/outbox";
import type { AuthStore, StoredUser } from "../store/types";
import type { MailMessage, RouteEnv } from "./env";
import { type MailKind, type MailLocale, type MailParams, mailLocale, renderMail } from "./mail";

/** What every mail of a server shares. */
export interface MailSettings {
  /** The product name of the mails (`serviceName`), one line. */
  serviceName: string;
  /** Origins that links in mails and `redirect_to` may point to. */
  appOrigins: readonly string[];
  /** The server's public URL: links lead under it when no app origin is configured. */
  issuer: string;
}

/** The page a link leads to when the request names none. */
export type DefaultPage =
  | "reset-password"
  | "confirm-email"
  | "verify-email"
  | "cancel-email-change"
  | "unlock-account";

/** The configured app origins, normalised (`https://app.example.com`); unusable entries skipped. */
function allowedOrigins(settings: MailSettings): string[] {
  const origins: string[] = [];
  for (const entry of settings.appOrigins) {
    try {
      const url = new URL(entry);
      if (url.protocol === "https:" || url.protocol === "http:") origins.push(url.origin);
    } catch {
      // not a URL: nothing may point there
    }
  }
  return origins;
}

const badRedirect = () =>
  new DomainError("invalid_request", "redirect_to must be a path or an http(s) URL on an allowed app origin");

/**
 * Where a mail's link leads: `redirectTo` checked against the app origins, or the default page.
 *
 * A `redirectTo` is either an absolute http(s) URL whose origin is one of the app origins, or a
 * path (`/…`) resolved against the first of them (the issuer's origin when none is configured);
 * anything else, `javascript:` URLs, protocol-relative `//host` references and URLs with user
 * info included, is refused. Without it the link leads to `/<page>` of the first app origin (else
 * of the issuer).
 *
 * @throws DomainError `invalid_request` for a `redirectTo` that is neither a path nor an http(s)
 *   URL on an allowed origin.
 */
export function linkTarget(settings: MailSettings, redirectTo: string | undefined, page: DefaultPage): URL {
  const origins = allowedOrigins(settings);
  const base = origins[0] ?? new URL(settings.issuer).origin;
  if (redirectTo === undefined) {
    return new URL(origins[0] === undefined ? `${settings.issuer}/${page}` : `${base}/${page}`);
  }
  let url: URL;
  try {
    // A path stays on the base origin; `//host` and `/\host` resolve elsewhere and are refused below.
    url = redirectTo.startsWith("/") ? new URL(redirectTo, `${base}/`) : new URL(redirectTo);
  } catch {
    throw badRedirect();
  }
  const allowed = redirectTo.startsWith("/") ? url.origin === base : origins.includes(url.origin);
  if (!allowed || (url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password) {
    throw badRedirect();
  }
  return url;
}

/** `target` with the one-time token added as `?token=…` (a secret: never log the result). */
export function withToken(target: URL, token: string): string {
  const url = new URL(target);
  url.searchParams.set("token", token);
  return url.href;
}

/**
 * The language of a mail to `user`: their setting; else, for a mail sent during a request, the
 * request's `Accept-Language` (see {@link mailLocale}); else English.
 */
export function userMailLocale(
  user: Pick<StoredUser, "mailLocale"> | null,
  request?: Request | MailLocale,
): MailLocale {
  if (user?.mailLocale === "ja" || user?.mailLocale === "en") return user.mailLocale;
  if (request === undefined) return "en";
  return typeof request === "string" ? request : mailLocale(request);
}

/** The verification mail of an issued `email_verify` token, its link on `target`. */
export function verificationMail(
  env: Pick<RouteEnv, "mail" | "ctx">,
  target: URL,
  locale: MailLocale,
): (issued: IssuedToken) => MailMessage[] {
  return ({ user, token }) => [
    composeMail(env.mail, "email_verify", user.email, locale, {
      link: withToken(target, token),
      validSeconds: env.ctx.config.lifetimes.oneTimeToken,
    }),
  ];
}

/**
 * Mails `user` an unlock link (the `account_locked` mail), its token issued in the mail's
 * transaction: called by the sign-in that locked the account.
 */
export async function mailUnlockLink(env: RouteEnv, user: StoredUser): Promise<void> {
  const target = linkTarget(env.mail, undefined, "unlock-account");
  const locale = userMailLocale(user, env.requestLocale);
  await env.credentials.issueUnlock(user, ({ token }) => [
    composeMail(env.mail, "account_locked", user.email, locale, {
      link: withToken(target, token),
      validSeconds: env.ctx.config.lockout.lockSeconds,
      at: env.ctx.now(),
    }),
  ]);
  env.mailQueued();
  env.emit({ type: "unlock_mail_queued", userId: user.id, ip: env.meta.ip });
}

/** Mails `user` a new verification link (a refused sign-in of an unverified address). */
export async function mailVerificationLink(env: RouteEnv, user: StoredUser): Promise<void> {
  const target = linkTarget(env.mail, undefined, "verify-email");
  const issued = await env.credentials.issueEmailVerification(
    user,
    verificationMail(env, target, userMailLocale(user, env.requestLocale)),
  );
  if (issued !== null) env.mailQueued();
}

/** A mail of `kind` to `to`, rendered in `locale` with the server's service name. */
export function composeMail(
  settings: MailSettings,
  kind: MailKind,
  to: string,
  locale: MailLocale,
  params: Omit<MailParams, "locale" | "serviceName"> = {},
): MailMessage {
  const rendered = renderMail(kind, { ...params, locale, serviceName: settings.serviceName });
  return { to, kind, locale, ...rendered, ...(params.link === undefined ? {} : { link: params.link }) };
}

/**
 * Queues mails that carry no token (notices) in the durable outbox, in one transaction of
 * `store` (the outer store, or a transaction's).
 */
export async function queueNotices(
  ctx: DomainContext,
  messages: readonly MailMessage[],
  store: AuthStore = ctx.store,
): Promise<void> {
  if (messages.length === 0) return;
  const now = ctx.now();
  const mails = await Promise.all(messages.map((m) => sealMail(ctx.sealer, m, now)));
  await store.transaction((tx) => enqueueMails(tx, mails));
}

/**
 * Runs `step` with a context whose store reports the account key whose lockout counter a
 * reservation locked (`lockedNow`) during it: how the second-factor step (`completeMfa`), which
 * knows nothing of mail, tells the route that its failure locked the account.
 *
 * @example
 * ```ts
 * const watch = watchLocks(env.ctx);
 * try { await completeMfa(watch.ctx, input, meta); }
 * finally { const key = watch.lockedKey(); if (key) await mailUnlock(key); }
 * ```
 */
export function watchLocks(ctx: DomainContext): { ctx: DomainContext; lockedKey(): string | null } {
  let locked: string | null = null;
  const target = ctx.store;
  const reserveAttempt: AuthStore["reserveAttempt"] = async (key, policy, now) => {
    const reservation = await target.reserveAttempt(key, policy, now);
    if (reservation.kind === "reserved" && reservation.lockedNow) locked = key;
    return reservation;
  };
  const store = new Proxy(target, {
    get(t, property) {
      if (property === "reserveAttempt") return reserveAttempt;
      const value = Reflect.get(t, property, t);
      return typeof value === "function" ? value.bind(t) : value;
    },
  });
  return { ctx: { ...ctx, store }, lockedKey: () => locked };
}
