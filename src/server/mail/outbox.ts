/**
 * The durable outbox's records: a {@link MailMessage} becomes a {@link StoredMail} whose body
 * (subject, text, HTML and the one-time link) is sealed with the server secret, and back.
 *
 * The sealed body also names the mail's id, recipient and kind: a row whose recipient was changed
 * in the database (to catch someone's reset link) no longer opens, and is never sent.
 *
 * @module
 */
import type { Sealer } from "../crypto/seal";
import { randomToken } from "../crypto/tokens";
import type { MailMessage } from "../http/env";
import type { AuthStore, StoredMail } from "../store/types";

/** The purpose the bodies are sealed for (HKDF-bound: a body opens as nothing else). */
export const MAIL_SEAL_PURPOSE = "mail";

let sequence = 0;

/** What is sealed: the body, bound to the row's id, recipient and kind. */
interface SealedBody {
  id: string;
  to: string;
  kind: string;
  subject: string;
  text: string;
  html?: string;
  link?: string;
}

/**
 * Makes the outbox record of `message`, due at once, its body sealed.
 *
 * @example
 * ```ts
 * const mail = await sealMail(ctx.sealer, message, ctx.now());
 * await ctx.store.transaction(async (store) => { await store.issueOneTimeToken(token); await store.enqueueMail(mail); });
 * ```
 */
export async function sealMail(
  sealer: Pick<Sealer, "seal">,
  message: MailMessage,
  now: number,
): Promise<StoredMail> {
  // Sorts by time, then by the order of this process's calls (the mails of one request keep their
  // order), then by chance.
  sequence = (sequence + 1) % 36 ** 4;
  const id = `mail_${now.toString(36).padStart(9, "0")}${sequence.toString(36).padStart(4, "0")}_${randomToken(12)}`;
  const body: SealedBody = {
    id,
    to: message.to,
    kind: message.kind,
    subject: message.subject,
    text: message.text,
    ...(message.html === undefined ? {} : { html: message.html }),
    ...(message.link === undefined ? {} : { link: message.link }),
  };
  return {
    id,
    to: message.to,
    kind: message.kind,
    locale: message.locale,
    bodySealed: await sealer.seal(JSON.stringify(body), MAIL_SEAL_PURPOSE),
    createdAt: now,
    status: "queued",
    attempts: 0,
    nextAttemptAt: now,
    sentAt: null,
  };
}

/** A stored mail that cannot be sent: no body, a body that does not open, or one of another row. */
export class UnreadableMailError extends Error {
  /** Permanent: sending again cannot help. */
  readonly permanent = true;
  constructor(reason: string) {
    super(`tegata: the queued mail cannot be read (${reason})`);
    this.name = "UnreadableMailError";
  }
}

/**
 * Opens the body of a stored mail into the message the mailer gets.
 *
 * @throws UnreadableMailError when there is no body, it does not open with the server secret (or a
 *   previous one), or it was sealed for another row, recipient or kind.
 */
export async function openMail(sealer: Pick<Sealer, "open">, mail: StoredMail): Promise<MailMessage> {
  if (mail.bodySealed === null) throw new UnreadableMailError("no body");
  let body: SealedBody;
  try {
    body = JSON.parse(await sealer.open(mail.bodySealed, MAIL_SEAL_PURPOSE)) as SealedBody;
  } catch {
    throw new UnreadableMailError("the body does not open with the server secret");
  }
  if (body.id !== mail.id || body.to !== mail.to || body.kind !== mail.kind) {
    throw new UnreadableMailError("the body belongs to another mail");
  }
  return {
    id: mail.id,
    to: body.to,
    kind: body.kind,
    locale: mail.locale === "ja" ? "ja" : "en",
    subject: body.subject,
    text: body.text,
    ...(body.html === undefined ? {} : { html: body.html }),
    ...(body.link === undefined ? {} : { link: body.link }),
  };
}

/** Queues mails already sealed by {@link sealMail}, with `store` (a transaction's, typically). */
export async function enqueueMails(store: AuthStore, mails: readonly StoredMail[]): Promise<void> {
  for (const mail of mails) await store.enqueueMail(mail);
}
