/**
 * `consoleMailer`: a mailer for development that sends nothing and prints one line per mail.
 *
 * @module
 */
import type { Mailer, MailMessage } from "../http/env";

/** Options of {@link consoleMailer}. */
export interface ConsoleMailerOptions {
  /**
   * Print the one-time link of a mail too, so that a developer can follow it. Development only:
   * the link is a secret (it resets a password), and logs are kept and shared. Default false.
   */
  showLinks?: boolean;
  /** Where the lines go. Default `console.info`. */
  log?: (line: string) => void;
}

/**
 * A mailer that sends nothing: each mail becomes one line with its kind and recipient (and its
 * link with `showLinks`, in development only). The server's outbox marks the mail sent.
 *
 * @example
 * ```ts
 * import { consoleMailer, createAuthServer } from "tegata/server";
 * const server = createAuthServer({ issuer, secret, mailer: consoleMailer({ showLinks: true }) });
 * // tegata: mail password_reset to hanako@example.jp link http://localhost:5173/reset-password?token=…
 * ```
 */
export function consoleMailer(options: ConsoleMailerOptions = {}): Mailer {
  const log = options.log ?? ((line: string) => console.info(line));
  const oneLine = (s: string) => s.replace(/[\p{Cc}\u2028\u2029]+/gu, " ");
  return {
    async send(message: MailMessage) {
      const link =
        options.showLinks === true && message.link !== undefined ? ` link ${oneLine(message.link)}` : "";
      log(`tegata: mail ${oneLine(message.kind)} to ${oneLine(message.to)}${link}`);
    },
  };
}
