/**
 * The outbox sender without SMTP: a row whose recipient was changed in the database does not
 * open (never sent), a send that outlasts the lease is abandoned and retried, `close()` waits for
 * a pass in progress, the options are checked; and `consoleMailer`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { requestPasswordReset } from "../../../src/credentials/index";
import { createAuthServer } from "../../../src/server/auth-server";
import type { AuthServerEvent, Mailer, MailMessage } from "../../../src/server/http/env";
import { consoleMailer } from "../../../src/server/index";
import { memoryStore, memoryStoreState } from "../../../src/server/store/memory";
import { addUser, SECRET, startMailServer, testClock } from "./mail-server";

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function recording(): Mailer & { sent: MailMessage[] } {
  const sent: MailMessage[] = [];
  return {
    sent,
    async send(message) {
      sent.push(message);
    },
  };
}

async function setup(
  mailer: Mailer,
  mailDelivery: { leaseMs?: number; intervalMs?: number } | false = false,
) {
  const store = memoryStore();
  const events: AuthServerEvent[] = [];
  const clock = testClock();
  const app = await startMailServer({ store, mailer, clock, mailDelivery, onEvent: (e) => events.push(e) });
  cleanup.push(() => app.close());
  await addUser(store, "hanako@example.jp", "correct horse battery");
  return { store, app, events, clock };
}

describe("the outbox sender", () => {
  it("a row whose recipient was changed in the database does not open: given up, never sent", async () => {
    const mailer = recording();
    const { store, app, events } = await setup(mailer);
    await requestPasswordReset(app.client(), { email: "hanako@example.jp" });
    const [row] = memoryStoreState(store)?.mails.values() ?? [];
    if (row) row.to = "attacker@evil.example"; // someone with write access to the table
    expect(await app.server.deliverMail()).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect(mailer.sent).toEqual([]);
    expect(events.find((e) => e.type === "mail_failed")?.detail).toMatchObject({
      reason: "UnreadableMailError",
      gaveUp: true,
    });
  });

  it("the message the mailer gets: the rendered mail, its link, and the outbox id", async () => {
    const mailer = recording();
    const { app, store } = await setup(mailer);
    await requestPasswordReset(app.client(), { email: "hanako@example.jp" });
    await app.server.deliverMail();
    const [message] = mailer.sent;
    expect(message).toMatchObject({ to: "hanako@example.jp", kind: "password_reset", locale: "en" });
    expect(message?.link).toMatch(/token=/);
    expect(message?.text).toContain(message?.link);
    expect(await store.getMail(message?.id ?? "")).toMatchObject({ status: "sent", bodySealed: null });
  });

  it("a send that outlasts the lease is abandoned as failed and retried later", async () => {
    const hanging: Mailer = { send: () => new Promise(() => {}) };
    const { app, events, store } = await setup(hanging, { leaseMs: 50 });
    await requestPasswordReset(app.client(), { email: "hanako@example.jp" });
    await expect.poll(() => events.filter((e) => e.type === "mail_failed")).toHaveLength(1);
    const detail = events.find((e) => e.type === "mail_failed")?.detail;
    expect(detail).toMatchObject({ kind: "password_reset", attempt: 1, reason: "ETIMEDOUT" });
    expect(await store.getMail(String(detail?.mailId))).toMatchObject({ status: "queued", attempts: 1 });
  });

  it("close() stops the loop and waits for the pass in progress", async () => {
    let release: () => void = () => {};
    const started: string[] = [];
    const slow: Mailer = {
      send: (message) =>
        new Promise<void>((resolve) => {
          started.push(message.to);
          release = resolve;
        }),
    };
    const store = memoryStore();
    await addUser(store, "hanako@example.jp", "correct horse battery");
    const server = createAuthServer({
      issuer: "http://127.0.0.1",
      secret: SECRET,
      store,
      mailer: slow,
      mailDelivery: false,
    });
    const response = await server.fetch(
      new Request("http://127.0.0.1/auth/password/reset-request", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "hanako@example.jp" }),
      }),
    );
    expect(response.status).toBe(202);
    const pass = server.deliverMail();
    await expect.poll(() => started).toHaveLength(1);
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(await pass).toEqual({ sent: 1, retried: 0, failed: 0 });
    await expect(store.getUserById("x")).rejects.toThrow(); // the store is closed
  });

  it("refuses bad mailDelivery options", () => {
    const make = (mailDelivery: unknown) => () =>
      createAuthServer({ issuer: "http://127.0.0.1", secret: SECRET, mailDelivery: mailDelivery as never });
    expect(make({ intervalMs: 0 })).toThrow(/intervalMs/);
    expect(make({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(make({ backoffMs: [] })).toThrow(/backoffMs/);
    expect(make({ leaseMs: -1 })).toThrow(/leaseMs/);
    expect(make({ batchSize: 1.5 })).toThrow(/batchSize/);
  });
});

describe("consoleMailer", () => {
  it("one line per mail with its kind and recipient; the link only with showLinks", async () => {
    const lines: string[] = [];
    const mail: MailMessage = {
      to: "hanako@example.jp",
      kind: "password_reset",
      locale: "ja",
      subject: "s",
      text: "t",
      link: "https://app.example.com/reset-password?token=abc",
    };
    await consoleMailer({ log: (l) => lines.push(l) }).send(mail);
    await consoleMailer({ log: (l) => lines.push(l), showLinks: true }).send(mail);
    await consoleMailer({ log: (l) => lines.push(l), showLinks: true }).send({
      ...mail,
      to: "a@b.example\nfake line",
    });
    expect(lines).toEqual([
      "tegata: mail password_reset to hanako@example.jp",
      "tegata: mail password_reset to hanako@example.jp link https://app.example.com/reset-password?token=abc",
      "tegata: mail password_reset to a@b.example fake line link https://app.example.com/reset-password?token=abc",
    ]);
  });
});
