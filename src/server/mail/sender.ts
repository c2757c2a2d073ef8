/**
 * The sender of the durable outbox: claims due mails from the store, hands each to the mailer,
 * marks it sent, or queues it again after a backoff, and gives up after `maxAttempts`.
 *
 * **At least once, and once in normal operation.** A mail is claimed under a lease
 * (`claimMail(now, limit, leaseMs)`): while the lease runs no other sender (of this process or of
 * another instance over the same store) takes it. A sender that dies mid-send leaves it `sending`;
 * once the lease runs out another sender claims it again (a second copy only when the first one
 * had in fact gone out). Marks are fenced by the claim's attempt number, so a sender that was only
 * slow cannot undo a newer claim. A send that outlasts the lease is abandoned as failed (and
 * retried): keep the mailer's own timeouts well below `leaseMs`.
 *
 * Within a process one pass runs at a time; a kick during a pass runs another one after it.
 *
 * @module
 */
import type { Sealer } from "../crypto/seal";
import type { AuthServerEvent, Mailer, MailMessage } from "../http/env";
import type { AuthStore, StoredMail } from "../store/types";
import { openMail } from "./outbox";

/** How the sender retries: the `mailDelivery` option of `createAuthServer`. */
export interface MailDeliveryOptions {
  /**
   * How often the server looks for due mails (retries, mails queued by another instance or before
   * a restart), in ms. Mails are also sent right after they are queued. Default 10 000.
   */
  intervalMs?: number;
  /** Attempts before a mail is given up (`failed`, a `mail_failed` event with `gaveUp`). Default 8. */
  maxAttempts?: number;
  /**
   * The wait after the 1st, 2nd, … failed attempt, in ms; the last entry repeats. Default 30 s,
   * 2 min, 10 min, 1 h, 6 h (8 attempts span about 25 hours).
   */
  backoffMs?: number[];
  /**
   * How long a claimed mail is a sender's, in ms: a mail whose sender died is sent again after it.
   * A send still running then is abandoned as failed. Default 120 000.
   */
  leaseMs?: number;
  /** Mails claimed (and sent concurrently) at a time. Default 10. */
  batchSize?: number;
}

/** The defaults of {@link MailDeliveryOptions}. */
export const DEFAULT_MAIL_DELIVERY: Readonly<Required<MailDeliveryOptions>> = Object.freeze({
  intervalMs: 10_000,
  maxAttempts: 8,
  backoffMs: [30_000, 120_000, 600_000, 3_600_000, 6 * 3_600_000],
  leaseMs: 120_000,
  batchSize: 10,
});

/** What one delivery pass did. */
export interface MailDeliveryReport {
  /** Mails handed to the mailer and marked sent. */
  sent: number;
  /** Failed attempts that will be retried. */
  retried: number;
  /** Mails given up (`failed`). */
  failed: number;
}

/** @internal what the sender works with. */
export interface MailSenderDeps {
  store: AuthStore;
  sealer: Pick<Sealer, "open">;
  mailer: Mailer;
  now: () => number;
  emit: (event: Omit<AuthServerEvent, "at">) => void;
  options: Required<MailDeliveryOptions>;
}

/** @internal the sender of one server. */
export interface MailSender {
  /** Runs a pass that starts after this call (joins a pending one); resolves with what it did. */
  deliver(): Promise<MailDeliveryReport>;
  /** Whether a pass is running or pending. */
  busy(): boolean;
  /** Stops taking new passes and waits for the running one. */
  close(): Promise<void>;
}

/** Most batches in one pass, so a pass always ends (mails keep arriving under heavy load). */
const MAX_BATCHES_PER_PASS = 100;

/** Validates and fills in the options. @throws TypeError for a bad value. */
export function resolveMailDelivery(options: MailDeliveryOptions | undefined): Required<MailDeliveryOptions> {
  const o = { ...DEFAULT_MAIL_DELIVERY, ...options };
  const positive = (name: string, value: number) => {
    if (!Number.isFinite(value) || value <= 0) {
      throw new TypeError(`tegata: mailDelivery.${name} must be a positive number`);
    }
  };
  positive("intervalMs", o.intervalMs);
  positive("leaseMs", o.leaseMs);
  if (!Number.isInteger(o.maxAttempts) || o.maxAttempts < 1) {
    throw new TypeError("tegata: mailDelivery.maxAttempts must be a whole number, 1 or more");
  }
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) {
    throw new TypeError("tegata: mailDelivery.batchSize must be a whole number, 1 or more");
  }
  if (!Array.isArray(o.backoffMs) || o.backoffMs.length === 0 || o.backoffMs.some((ms) => !(ms >= 0))) {
    throw new TypeError("tegata: mailDelivery.backoffMs must be a non-empty list of ms, 0 or more");
  }
  return { ...o, backoffMs: [...o.backoffMs] };
}

/** Why a send failed, for the event: an error code, never a message (it may quote the mail). */
function failureReason(error: unknown): Record<string, unknown> {
  const e = (typeof error === "object" && error !== null ? error : {}) as {
    code?: unknown;
    responseCode?: unknown;
    name?: unknown;
  };
  return {
    reason: typeof e.code === "string" ? e.code : typeof e.name === "string" ? e.name : "error",
    ...(typeof e.responseCode === "number" ? { responseCode: e.responseCode } : {}),
  };
}

const isPermanent = (error: unknown) =>
  typeof error === "object" && error !== null && (error as { permanent?: unknown }).permanent === true;

/** @internal Makes the sender. */
export function createMailSender(deps: MailSenderDeps): MailSender {
  const { store, sealer, mailer, now, emit, options } = deps;
  let running: Promise<MailDeliveryReport> | null = null;
  let pending: Promise<MailDeliveryReport> | null = null;
  let closed = false;

  /** Sends one opened mail (`message`), or records why it could not be (`opened` rejected). */
  async function sendOne(
    mail: StoredMail,
    opened: { message: MailMessage } | { error: unknown },
    report: MailDeliveryReport,
  ): Promise<void> {
    let error: unknown;
    try {
      if ("error" in opened) throw opened.error;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          mailer.send(opened.message),
          new Promise<never>((_, reject) => {
            // Past the lease another sender may take the mail: stop counting on this send.
            timer = setTimeout(
              () => reject(Object.assign(new Error("the send outlasted the lease"), { code: "ETIMEDOUT" })),
              options.leaseMs,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
      if (await store.markMailSent(mail.id, mail.attempts, now())) report.sent++;
      return;
    } catch (caught) {
      error = caught;
    }
    const giveUp = isPermanent(error) || mail.attempts >= options.maxAttempts;
    const wait = options.backoffMs[Math.min(mail.attempts, options.backoffMs.length) - 1] ?? 0;
    const retryAt = now() + wait;
    if (!(await store.markMailFailed(mail.id, mail.attempts, retryAt, giveUp))) return;
    if (giveUp) report.failed++;
    else report.retried++;
    emit({
      type: "mail_failed",
      detail: {
        kind: mail.kind,
        mailId: mail.id,
        attempt: mail.attempts,
        ...failureReason(error),
        ...(giveUp ? { gaveUp: true } : { retryAt }),
      },
    });
  }

  async function pass(): Promise<MailDeliveryReport> {
    const report: MailDeliveryReport = { sent: 0, retried: 0, failed: 0 };
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS && !closed; batch++) {
      const claimed = await store.claimMail(now(), options.batchSize, options.leaseMs);
      if (claimed.length === 0) break;
      // Opened first, then handed to the mailer in the queue's order (the mails of one request
      // reach an in-memory outbox in the order they were queued), sent concurrently.
      const opened = await Promise.all(
        claimed.map((mail) =>
          openMail(sealer, mail).then(
            (message) => ({ message }),
            (error: unknown) => ({ error }),
          ),
        ),
      );
      await Promise.all(
        claimed.map((mail, i) => sendOne(mail, opened[i] as { message: MailMessage }, report)),
      );
    }
    return report;
  }

  function start(): Promise<MailDeliveryReport> {
    const run = pass().finally(() => {
      if (running === run) running = null;
    });
    running = run;
    return run;
  }

  return {
    deliver() {
      if (closed) return Promise.resolve({ sent: 0, retried: 0, failed: 0 });
      if (running === null) return start();
      // A pass is running: what was queued just now may have been missed; one more after it.
      if (pending === null) {
        const after = running.then(
          () => undefined,
          () => undefined,
        );
        pending = after.then(() => {
          pending = null;
          return closed ? { sent: 0, retried: 0, failed: 0 } : start();
        });
      }
      return pending;
    },
    busy: () => running !== null || pending !== null,
    async close() {
      closed = true;
      await Promise.allSettled([running, pending]);
    },
  };
}
