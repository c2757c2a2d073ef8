/**
 * The outbox through an SMTP outage: the server refuses (a 421 greeting, a 451 to MAIL FROM, a
 * connection closed without a word) for a while, then comes back: every queued mail is delivered
 * once, after the backoff; a mail refused to the end is given up with a `mail_failed` event.
 */
import { afterEach, describe, expect, it } from "vitest";
import { requestPasswordReset } from "../../../src/credentials/index";
import type { AuthServerEvent } from "../../../src/server/http/env";
import { smtpMailer } from "../../../src/server/smtp/index";
import { memoryStore } from "../../../src/server/store/memory";
import { addUser, FROM, startMailServer, testClock } from "./mail-server";
import { startSmtp } from "./smtp-harness";

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function setup(mailDelivery: { maxAttempts?: number; backoffMs?: number[] } = {}) {
  const smtp = await startSmtp();
  cleanup.push(() => smtp.close());
  const store = memoryStore();
  const mailer = smtpMailer({ url: smtp.url, from: FROM, timeoutMs: 5_000 });
  cleanup.push(() => mailer.close());
  const events: AuthServerEvent[] = [];
  const clock = testClock();
  const app = await startMailServer({ store, mailer, clock, mailDelivery, onEvent: (e) => events.push(e) });
  cleanup.push(() => app.close());
  const users = ["a", "b", "c", "d", "e"].map((n) => `${n}@example.jp`);
  for (const email of users) await addUser(store, email, "correct horse battery");
  return { smtp, store, app, events, clock, users };
}

describe("an SMTP outage", () => {
  it("421, then 451, then closed connections; back again: every mail delivered exactly once", async () => {
    const { smtp, app, events, clock, users } = await setup();
    smtp.refuse("421");
    for (const email of users) await requestPasswordReset(app.client(), { email });
    // Each request kicked the sender: each mail had its first attempt, refused.
    await expect.poll(() => events.filter((e) => e.type === "mail_failed").length).toBe(users.length);
    expect(events.filter((e) => e.type === "mail_failed").map((e) => e.detail)).toEqual(
      users.map(() =>
        expect.objectContaining({ kind: "password_reset", attempt: 1, retryAt: clock.now() + 30_000 }),
      ),
    );
    // Not due before the backoff: a pass now sends nothing and counts no attempt.
    expect(await app.server.deliverMail()).toEqual({ sent: 0, retried: 0, failed: 0 });

    smtp.refuse("451");
    clock.advance(30_000);
    expect(await app.server.deliverMail()).toEqual({ sent: 0, retried: 5, failed: 0 });
    smtp.refuse("close");
    clock.advance(120_000);
    expect(await app.server.deliverMail()).toEqual({ sent: 0, retried: 5, failed: 0 });
    expect(smtp.refusals()).toBeGreaterThanOrEqual(15);
    expect(smtp.messages).toHaveLength(0);

    smtp.refuse(null);
    clock.advance(599_999);
    expect(await app.server.deliverMail()).toEqual({ sent: 0, retried: 0, failed: 0 }); // 1 ms early
    clock.advance(1);
    expect(await app.server.deliverMail()).toEqual({ sent: 5, retried: 0, failed: 0 });
    // Later passes find nothing: each mail went out once.
    clock.advance(24 * 3_600_000);
    expect(await app.server.deliverMail()).toEqual({ sent: 0, retried: 0, failed: 0 });
    const ids = smtp.messages.map((m) => m.parsed.messageId);
    expect(new Set(ids).size).toBe(5);
    expect(smtp.messages.map((m) => m.envelope.to[0]).sort()).toEqual([...users].sort());
    const failures = events.filter((e) => e.type === "mail_failed").map((e) => e.detail);
    expect(failures).toHaveLength(15);
    expect(failures.filter((d) => d?.attempt === 2)).toEqual(
      users.map(() => expect.objectContaining({ responseCode: 451 })),
    );
    expect(failures.some((d) => d?.gaveUp)).toBe(false);
  });

  it("a mail refused to the end is given up after maxAttempts: status failed, no body, mail_failed gaveUp", async () => {
    const { smtp, app, events, clock, store } = await setup({ maxAttempts: 3, backoffMs: [1_000, 5_000] });
    smtp.refuse("421");
    await requestPasswordReset(app.client(), { email: "a@example.jp" });
    await expect.poll(() => events.filter((e) => e.type === "mail_failed").length).toBe(1);
    clock.advance(1_000);
    expect(await app.server.deliverMail()).toEqual({ sent: 0, retried: 1, failed: 0 });
    clock.advance(4_999);
    expect(await app.server.deliverMail()).toEqual({ sent: 0, retried: 0, failed: 0 });
    clock.advance(1);
    expect(await app.server.deliverMail()).toEqual({ sent: 0, retried: 0, failed: 1 });
    const last = events.filter((e) => e.type === "mail_failed").at(-1);
    expect(last?.detail).toMatchObject({
      kind: "password_reset",
      attempt: 3,
      gaveUp: true,
      responseCode: 421,
    });
    const id = String(last?.detail?.mailId);
    expect(await store.getMail(id)).toMatchObject({ status: "failed", attempts: 3, bodySealed: null });
    smtp.refuse(null);
    clock.advance(24 * 3_600_000);
    expect(await app.server.deliverMail()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(smtp.messages).toHaveLength(0);
  });

  it("the server's own timer retries without being asked (intervalMs)", async () => {
    const smtp = await startSmtp();
    cleanup.push(() => smtp.close());
    const store = memoryStore();
    const mailer = smtpMailer({ url: smtp.url, from: FROM });
    cleanup.push(() => mailer.close());
    const app = await startMailServer({ store, mailer, mailDelivery: { intervalMs: 50, backoffMs: [100] } });
    cleanup.push(() => app.close());
    await addUser(store, "a@example.jp", "correct horse battery", Date.now());
    smtp.refuse("451");
    await requestPasswordReset(app.client(), { email: "a@example.jp" });
    await expect.poll(() => smtp.refusals()).toBeGreaterThanOrEqual(1);
    smtp.refuse(null);
    await smtp.waitFor(1, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.messages).toHaveLength(1);
  });
});
