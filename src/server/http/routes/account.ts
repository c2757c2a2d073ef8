/**
 * The account endpoints of the contract (docs/api.md): sign-up, the password reset (request and
 * reset), the password change, and the email change (request and confirmation).
 *
 * **Links in mails** go only where the server's `appOrigins` allow. A `redirect_to` is either an
 * absolute http(s) URL whose origin is one of them, or a path (`/…`) resolved against the first
 * of them (the issuer's origin when none is configured); anything else, `javascript:` URLs,
 * protocol-relative `//host` references and URLs with user info included, is refused with
 * `invalid_request` before any account is looked up, so the refusal says nothing about who is
 * registered. Without `redirect_to` the link leads to `/reset-password` or `/confirm-email` of the
 * first app origin (else of the issuer). The one-time token goes into the link's `token` query
 * parameter.
 *
 * **A reset request answers the same for every address**: `202 {}`, whether the account exists
 * or not. The mail is queued in the durable outbox in the transaction that issues its token and
 * sent by the server's mail sender after the answer, so neither a slow mailer nor a failing one
 * changes the answer (a failed attempt is retried, and reported as a `mail_failed` audit event).
 * The email-change mails (the link to the new address, the notice to the old one) are queued the
 * same way.
 *
 * @module
 */
import {
  AccountDeleteSchema,
  EmailChangeConfirmSchema,
  EmailChangeRequestSchema,
  PasswordChangeSchema,
  PasswordResetRequestSchema,
  PasswordResetSchema,
  SignUpRequestSchema,
} from "../../../wire";
import { audit } from "../../admin";
import { deleteAccount } from "../../domain/account-life";
import { DomainError } from "../../domain/errors";
import { activeTotpFactor, recordLoginAttempt } from "../../domain/mfa";
import { startSession } from "../../domain/sessions";
import type { MailMessage, Route, RouteEnv } from "../env";
import { wireUser } from "../env";
import { type MailKind, type MailLocale, mailLocale, renderMail } from "../mail";
import { readJson } from "../request";
import { json, noContent } from "../responses";
import { requireUser } from "./session";

/** Success statuses of the contract that `responses.ts` has no helper for. */
const CREATED = 201;
const ACCEPTED = 202;

/** How recent a session must be to delete an account that has no password nor second factor. */
const RECENT_SIGN_IN_MS = 5 * 60_000;

/** The page a link leads to when the request names none. */
type DefaultPage = "reset-password" | "confirm-email";

/** The configured app origins, normalised (`https://app.example.com`); unusable entries skipped. */
function appOrigins(env: RouteEnv): string[] {
  const origins: string[] = [];
  for (const entry of env.appOrigins) {
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
 * @throws DomainError `invalid_request` for a `redirectTo` that is neither a path nor an http(s)
 *   URL on an allowed origin.
 */
function linkTarget(env: RouteEnv, redirectTo: string | undefined, page: DefaultPage): URL {
  const origins = appOrigins(env);
  const base = origins[0] ?? new URL(env.ctx.config.issuer).origin;
  if (redirectTo === undefined) {
    return new URL(origins[0] === undefined ? `${env.ctx.config.issuer}/${page}` : `${base}/${page}`);
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
function withToken(target: URL, token: string): string {
  const url = new URL(target);
  url.searchParams.set("token", token);
  return url.href;
}

/** A mail of `kind`, rendered in `locale`. */
function message(
  env: RouteEnv,
  kind: MailKind,
  to: string,
  locale: MailLocale,
  extra: { link?: string; newEmail?: string },
): MailMessage {
  const rendered = renderMail(kind, {
    locale,
    ...extra,
    validSeconds: env.ctx.config.lifetimes.oneTimeToken,
  });
  return { to, kind, locale, ...rendered, ...(extra.link === undefined ? {} : { link: extra.link }) };
}

/** @internal */
export const accountRoutes: Route[] = [
  {
    method: "POST",
    path: "/auth/sign-up",
    async handle(request, env) {
      const body = await readJson(request, SignUpRequestSchema);
      const user = await env.credentials.signUp(
        {
          email: body.email,
          password: body.password,
          ...(body.name === undefined ? {} : { name: body.name }),
        },
        env.policy,
      );
      // The contract records a sign-up as a password sign-in.
      const attemptId = await recordLoginAttempt(
        env.ctx,
        { userId: user.id, email: user.email, method: "password", result: "success" },
        env.meta,
      );
      const { session, tokens } = await startSession(
        env.ctx,
        { user, remember: true, amr: ["pwd"] },
        env.meta,
      );
      await env.ctx.store.linkLoginEvent(user.id, attemptId, session.id);
      env.emit({ type: "sign_up", userId: user.id, ip: env.meta.ip, detail: { amr: ["pwd"] } });
      return json({ status: "signed_in", ...tokens, user: await wireUser(env.ctx, user) }, CREATED);
    },
  },
  {
    method: "POST",
    path: "/auth/password/reset-request",
    async handle(request, env) {
      const body = await readJson(request, PasswordResetRequestSchema);
      // Checked before the lookup: a refused redirect_to answers alike for every address.
      const target = linkTarget(env, body.redirect_to, "reset-password");
      const locale = mailLocale(request);
      const issued = await env.credentials.requestPasswordReset(body.email, ({ user, token }) => [
        message(env, "password_reset", user.email, locale, { link: withToken(target, token) }),
      ]);
      if (issued !== null) {
        env.mailQueued();
        env.emit({ type: "password_reset_requested", userId: issued.user.id, ip: env.meta.ip });
      }
      return json({}, ACCEPTED);
    },
  },
  {
    method: "POST",
    path: "/auth/password/reset",
    async handle(request, env) {
      const body = await readJson(request, PasswordResetSchema);
      const user = await env.credentials.resetPassword(
        { token: body.token, password: body.password },
        env.policy,
      );
      env.emit({ type: "password_reset", userId: user.id, ip: env.meta.ip });
      return noContent();
    },
  },
  {
    method: "POST",
    path: "/auth/password/change",
    async handle(request, env) {
      const auth = await requireUser(request, env);
      const body = await readJson(request, PasswordChangeSchema);
      await env.credentials.changePassword(
        auth.user,
        {
          currentPassword: body.current_password,
          newPassword: body.new_password,
          currentSessionId: auth.session.id,
        },
        env.policy,
      );
      env.emit({ type: "password_changed", userId: auth.user.id, ip: env.meta.ip });
      return noContent();
    },
  },
  {
    method: "POST",
    path: "/auth/email/change-request",
    async handle(request, env) {
      const auth = await requireUser(request, env);
      const body = await readJson(request, EmailChangeRequestSchema);
      // Checked before the password, so a bad redirect_to costs no lockout attempt.
      const target = linkTarget(env, body.redirect_to, "confirm-email");
      const locale = mailLocale(request);
      const issued = await env.credentials.requestEmailChange(
        auth.user,
        { newEmail: body.new_email, password: body.password },
        ({ user, token, newEmail }) => [
          message(env, "email_change", newEmail, locale, { link: withToken(target, token) }),
          message(env, "email_change_notice", user.email, locale, { newEmail }),
        ],
      );
      env.mailQueued();
      env.emit({ type: "email_change_requested", userId: issued.user.id, ip: env.meta.ip });
      return json({}, ACCEPTED);
    },
  },
  {
    method: "POST",
    path: "/auth/email/confirm",
    async handle(request, env) {
      const body = await readJson(request, EmailChangeConfirmSchema);
      const user = await env.credentials.confirmEmailChange(body.token);
      env.emit({ type: "email_changed", userId: user.id, ip: env.meta.ip });
      return json({ user: await wireUser(env.ctx, user) });
    },
  },
  {
    method: "POST",
    path: "/auth/account/delete",
    async handle(request, env) {
      const auth = await requireUser(request, env);
      const body = await readJson(request, AccountDeleteSchema);
      const { user, session } = auth;
      if (body.password === undefined && body.code === undefined) {
        // An account with neither a password nor a second factor (social sign-in only) proves
        // itself by a session begun in the last few minutes, as other providers ask for.
        const proofless = user.passwordHash === null && (await activeTotpFactor(env.ctx, user.id)) === null;
        if (!proofless || env.ctx.now() - session.createdAt > RECENT_SIGN_IN_MS) {
          throw new DomainError(
            "invalid_request",
            proofless
              ? "Sign in again, then delete the account"
              : "Send the password or a second-factor code",
          );
        }
      } else {
        await env.credentials.reauthenticate(user, {
          ...(body.password === undefined ? {} : { password: body.password }),
          ...(body.code === undefined ? {} : { code: body.code }),
        });
      }
      await deleteAccount(env.ctx, user, "user", env.deletedEmailBlockSeconds);
      await audit(env.ctx, { actor: "user", action: "delete", userId: user.id, reason: null });
      env.emit({ type: "account_deleted", userId: user.id, ip: env.meta.ip, detail: { by: "user" } });
      return noContent();
    },
  },
];
