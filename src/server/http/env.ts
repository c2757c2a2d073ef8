/**
 * What a route handler gets: the domain context, the per-request facts and the server's services.
 *
 * @module
 */
import type { PasswordChecker } from "../../core/password-checker";
import type { DomainContext, RequestMeta } from "../domain/context";
import type { Credentials } from "../domain/credentials";
import type { IdTokenProvider } from "../domain/identities";
import { activeTotpFactor } from "../domain/mfa";
import type { PasskeySettings } from "../domain/passkeys";
import type { StoredUser } from "../store/types";
import type { MailSettings } from "./notices";

/** A mail the server sends (verification, reset, email change, notices). */
export interface MailMessage {
  to: string;
  /** What the mail is for: `password_reset`, `email_change`, … */
  kind: string;
  locale: "ja" | "en";
  subject: string;
  text: string;
  html?: string;
  /** The one-time link it carries, if any (a secret: never log it). */
  link?: string;
  /**
   * The id of the mail in the server's outbox: the same on every attempt (`smtpMailer` makes the
   * Message-ID of it, so a receiver can drop a second copy).
   */
  id?: string;
}

/**
 * Sends mail: `smtpMailer` of `tegata/server/smtp`, `consoleMailer` for development, or your own.
 * The server calls it from its durable outbox (a rejection is retried with a backoff), never from
 * a request. The default keeps messages in memory and logs one line per mail (never its link).
 */
export interface Mailer {
  /** Sends one mail; resolves once it is handed over (to the SMTP server), rejects when it was not. */
  send(message: MailMessage): Promise<void>;
}

/** An audit event of the server (sign-ins, lockouts, sign-outs…); never carries a secret. */
export interface AuthServerEvent {
  type: string;
  at: number;
  userId?: string;
  ip?: string;
  detail?: Record<string, unknown>;
}

/** @internal what every handler receives. */
export interface RouteEnv {
  ctx: DomainContext;
  credentials: Credentials;
  meta: RequestMeta;
  policy: PasswordChecker;
  /** Says that the request queued mail in the outbox (committed): the sender takes it from there. */
  mailQueued(): void;
  /** Origins that links in mails and `redirect_to` may point to. */
  appOrigins: readonly string[];
  /** What every mail shares: the service name, the app origins, the issuer. */
  mail: MailSettings;
  /** Whether a password sign-in needs a verified address (`requireVerifiedEmail`). */
  requireVerifiedEmail: boolean;
  /** The language of the request (`Accept-Language`): mails to users who never chose one. */
  requestLocale: "ja" | "en";
  /** Seconds the address of a deleted account stays blocked from registering again. */
  deletedEmailBlockSeconds: number;
  /** The relying party of passkeys: RP ID, name, allowed origins. */
  passkeys: PasskeySettings;
  /** The OpenID Connect providers whose ID tokens sign users in, by id. */
  providers: Readonly<Record<string, IdTokenProvider>>;
  emit(event: Omit<AuthServerEvent, "at">): void;
}

/** @internal one endpoint. */
export interface Route {
  method: "GET" | "POST" | "PATCH";
  path: string;
  handle(request: Request, env: RouteEnv): Promise<Response>;
}

/** @internal the user as the wire describes it (`UserSchema` of src/wire). */
export async function wireUser(ctx: DomainContext, user: StoredUser) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    email_verified: user.emailVerified,
    mfa_enabled: (await activeTotpFactor(ctx, user.id)) !== null,
    created_at: new Date(user.createdAt).toISOString(),
  };
}
