/**
 * `tegata/server/smtp`: the auth server's mail over SMTP, on nodemailer (an optional peer
 * dependency: `npm install nodemailer`).
 *
 * Importing this module loads nothing: nodemailer loads on the first send.
 *
 * @example
 * ```ts
 * import { createAuthServer } from "tegata/server";
 * import { smtpMailer } from "tegata/server/smtp";
 * const server = createAuthServer({ issuer, secret, store, mailer: smtpMailer({ url: "smtp://mail.example.com:587", from: "no-reply@example.com" }) });
 * ```
 * @module
 */

export { MailAddressError, plainAddress } from "../mail/address";
export type { SmtpMailer, SmtpMailerOptions, SmtpTransportLike } from "../mail/smtp";
export { smtpMailer } from "../mail/smtp";
