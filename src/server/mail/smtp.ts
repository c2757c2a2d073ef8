/**
 * `smtpMailer`: the auth server's mail over SMTP, on nodemailer (an optional peer dependency:
 * `npm install nodemailer`), loaded on the first send, so importing `tegata/server/smtp` needs
 * nothing.
 *
 * Nothing a user typed reaches a header unchecked: the recipient must be one plain address
 * ({@link plainAddress}: no display name, quotes, list or CR/LF; an internationalised domain goes
 * out in IDNA form), and the subject and the sender's name lose their control characters; then
 * nodemailer encodes non-ASCII text (RFC 2047) and folds long headers. The envelope is given
 * explicitly, so nodemailer never derives recipients from header text.
 *
 * @module
 */
import type { Mailer, MailMessage } from "../http/env";
import { headerText, MailAddressError, plainAddress } from "./address";

/** The part of a nodemailer `Transporter` the mailer uses. */
export interface SmtpTransportLike {
  sendMail(mail: Record<string, unknown>): Promise<unknown>;
  close?(): void;
}

/** Options of {@link smtpMailer}: `url` or `transport`, and `from`. */
export interface SmtpMailerOptions {
  /**
   * The SMTP server: `smtp://user:password@host:587` (STARTTLS when offered), `smtps://…:465`
   * (TLS). Query parameters are nodemailer's options (`?pool=true`).
   */
  url?: string;
  /**
   * A nodemailer transporter (`nodemailer.createTransport(…)`), or the options to make one with,
   * instead of `url`.
   */
  transport?: SmtpTransportLike | Record<string, unknown>;
  /** The sender: a plain address, or an address with a display name (the service name, say). */
  from: string | { name?: string; address: string };
  /**
   * Timeouts of a transport made from `url` or options, in ms (connection, greeting, socket),
   * kept below the outbox's lease (`mailDelivery.leaseMs`, default 120 000). Default 30 000.
   */
  timeoutMs?: number;
}

/** The mailer of {@link smtpMailer}: a {@link Mailer} whose transport can be closed. */
export interface SmtpMailer extends Mailer {
  /** Closes the transport (its pooled connections). */
  close(): Promise<void>;
}

/** Whether `value` is a transporter rather than options. */
function isTransporter(value: unknown): value is SmtpTransportLike {
  return typeof (value as { sendMail?: unknown }).sendMail === "function";
}

/**
 * Makes a mailer that sends through an SMTP server with nodemailer. nodemailer loads on the
 * first send; a send rejects when the server refuses or cannot be reached (the outbox retries),
 * and rejects with a permanent {@link MailAddressError} for a recipient it will not write into a
 * mail (the outbox gives that mail up).
 *
 * @throws TypeError for neither or both of `url` and `transport`, or a `from` that is not one
 *   plain address.
 * @example
 * ```ts
 * import { createAuthServer } from "tegata/server";
 * import { smtpMailer } from "tegata/server/smtp";
 * const server = createAuthServer({
 *   issuer, secret, store,
 *   mailer: smtpMailer({ url: process.env.SMTP_URL ?? "", from: { name: "Example", address: "no-reply@example.com" } }),
 * });
 * ```
 */
export function smtpMailer(options: SmtpMailerOptions): SmtpMailer {
  if (typeof options !== "object" || options === null)
    throw new TypeError("tegata: smtpMailer needs options");
  if ((options.url === undefined) === (options.transport === undefined)) {
    throw new TypeError('tegata: smtpMailer needs exactly one of "url" and "transport"');
  }
  const fromInput = typeof options.from === "string" ? { address: options.from } : options.from;
  let fromAddress: string;
  try {
    fromAddress = plainAddress(fromInput?.address);
  } catch (error) {
    throw new TypeError(`tegata: smtpMailer "from" must be one plain address (${(error as Error).message})`);
  }
  const fromName = fromInput.name === undefined ? "" : headerText(fromInput.name);
  const fromDomain = fromAddress.slice(fromAddress.lastIndexOf("@") + 1);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let transport: Promise<SmtpTransportLike> | undefined;

  async function open(): Promise<SmtpTransportLike> {
    if (options.transport !== undefined && isTransporter(options.transport)) return options.transport;
    let nodemailer: { createTransport(options: unknown): SmtpTransportLike };
    try {
      const loaded = (await import("nodemailer")) as unknown as {
        createTransport?: unknown;
        default?: { createTransport: unknown };
      };
      nodemailer = (
        typeof loaded.createTransport === "function" ? loaded : loaded.default
      ) as typeof nodemailer;
    } catch (error) {
      throw new Error("tegata: smtpMailer needs nodemailer: npm install nodemailer", { cause: error });
    }
    const timeouts = { connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs };
    return nodemailer.createTransport(
      options.url !== undefined ? { ...timeouts, url: options.url } : { ...timeouts, ...options.transport },
    );
  }

  return {
    async send(message: MailMessage) {
      const to = plainAddress(message.to);
      if (transport === undefined) {
        const opening = open();
        transport = opening;
        opening.catch(() => {
          if (transport === opening) transport = undefined; // tried again on the next send
        });
      }
      const smtp = await transport;
      await smtp.sendMail({
        from: fromName === "" ? fromAddress : { name: fromName, address: fromAddress },
        to,
        envelope: { from: fromAddress, to: [to] },
        subject: headerText(message.subject),
        text: message.text,
        ...(message.html === undefined ? {} : { html: message.html }),
        // The outbox id: the same on every attempt, so a receiver can drop a second copy.
        ...(message.id === undefined ? {} : { messageId: `<${message.id}@${fromDomain}>` }),
        headers: { "Auto-Submitted": "auto-generated" },
        disableFileAccess: true,
        disableUrlAccess: true,
      });
    },
    async close() {
      const current = transport;
      transport = undefined;
      if (current !== undefined) (await current.catch(() => null))?.close?.();
    },
  };
}

export { MailAddressError };
