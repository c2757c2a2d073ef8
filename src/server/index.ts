/**
 * `tegata/server`: the auth server (`createAuthServer`, a web-standard `fetch` handler over a
 * store) and the verifier that protects an API with its access tokens.
 *
 * @example
 * ```ts
 * import { createAccessTokenVerifier, createAuthServer } from "tegata/server";
 * const server = createAuthServer({ issuer: "https://auth.example.com", secret: process.env.AUTH_SECRET ?? "" });
 * const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience: "tegata" });
 * const { userId } = await verify(req.headers.authorization);
 * ```
 * @module
 */

export type { AdminActor, AdminUserView, AuditEntry, AuthServerAdmin } from "./admin";
export type { AuthServer, AuthServerOptions, AuthServerRequestInfo } from "./auth-server";
export { createAuthServer, DEFAULT_RATE_LIMITS } from "./auth-server";
export type { PasswordHasher, PasswordHasherOptions } from "./crypto/password";
export { createTestPasswordHasher, defaultPasswordHasher } from "./crypto/password";
export type { LoginLocation, TokenLifetimes } from "./domain/context";
export type { IdTokenProvider } from "./domain/identities";
export type { PasskeyOptions } from "./domain/passkeys";
export type { AuthServerEvent, Mailer, MailMessage } from "./http/env";
export type { ConsoleMailerOptions } from "./mail/console";
export { consoleMailer } from "./mail/console";
export type { MailDeliveryOptions, MailDeliveryReport } from "./mail/sender";
export { DEFAULT_MAIL_DELIVERY } from "./mail/sender";
export * from "./store/index";

export type { AccessTokenVerifierOptions, VerifiedAccessToken } from "./verify";
export { createAccessTokenVerifier, verifyAccessToken } from "./verify";
