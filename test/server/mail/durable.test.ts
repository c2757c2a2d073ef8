/**
 * The outbox is durable and shared: a restart (a new server over the same SQLite file) delivers
 * what the old one queued; a mail claimed by a process that died is sent after its lease; two
 * server instances over one store deliver each mail once (SQLite; PostgreSQL when
 * TEGATA_TEST_POSTGRES_URL is set: skipped locally without it, a failure under CI=true).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { requestPasswordReset } from "../../../src/credentials/index";
import { postgresStore } from "../../../src/server/postgres/index";
import { smtpMailer } from "../../../src/server/smtp/index";
import { sqliteStore } from "../../../src/server/sqlite/index";
import type { AuthStore } from "../../../src/server/store/types";
import { addUser, FROM, type MailServer, startMailServer, type TestClock, testClock } from "./mail-server";
import { type SmtpHarness, startSmtp } from "./smtp-harness";

const dir = mkdtempSync(join(tmpdir(), "tegata-mail-"));
let files = 0;
const freshPath = () => join(dir, `outbox-${++files}.db`);
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function smtpServer(): Promise<SmtpHarness> {
  const smtp = await startSmtp();
  cleanup.push(() => smtp.close());
  return smtp;
}

async function serverOver(
  store: AuthStore,
  smtp: SmtpHarness,
  clock: TestClock,
  mailDelivery: { intervalMs?: number; leaseMs?: number } | false = false,
): Promise<MailServer> {
  const mailer = smtpMailer({ url: smtp.url, from: FROM });
  const app = await startMailServer({ store, mailer, clock, mailDelivery });
  cleanup.push(async () => {
    await app.close();
    await mailer.close();
  });
  return app;
}

/** Every message arrived once: distinct Message-IDs, one per expected recipient. */
function expectOnceEach(smtp: SmtpHarness, recipients: string[]) {
  const ids = smtp.messages.map((m) => m.parsed.messageId);
  expect(new Set(ids).size).toBe(ids.length);
  expect(smtp.messages.map((m) => m.envelope.to[0]).sort()).toEqual([...recipients].sort());
}

describe("a restart", () => {
  it("a new server over the same SQLite file delivers what the old one queued, on its own timer", async () => {
    const path = freshPath();
    const smtp = await smtpServer();
    const clock = testClock();
    const first = await sqliteStore({ path });
    const recipients = ["a@example.jp", "b@example.jp", "c@example.jp"];
    for (const email of recipients) await addUser(first, email, "correct horse battery");
    const old = await startMailServer({
      store: first,
      mailer: smtpMailer({ url: smtp.url, from: FROM }),
      clock,
      mailDelivery: false,
    });
    for (const email of recipients) await requestPasswordReset(old.client(), { email });
    await old.close(); // closes the store too: the process is gone
    expect(smtp.messages).toHaveLength(0);

    const again = await sqliteStore({ path });
    await serverOver(again, smtp, clock, { intervalMs: 50 });
    await smtp.waitFor(3, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expectOnceEach(smtp, recipients);
  });

  it("a mail claimed by a process that died is sent again once its lease runs out, once", async () => {
    const path = freshPath();
    const smtp = await smtpServer();
    const clock = testClock();
    const store = await sqliteStore({ path });
    await addUser(store, "a@example.jp", "correct horse battery");
    const app = await serverOver(store, smtp, clock, false);
    await requestPasswordReset(app.client(), { email: "a@example.jp" });
    // The dead process: it claimed the mail (lease 2 min) and was never heard of again.
    const [claimed] = await store.claimMail(clock.now(), 10, 120_000);
    expect(claimed).toMatchObject({ status: "sending", attempts: 1 });
    expect(await app.server.deliverMail()).toEqual({ sent: 0, retried: 0, failed: 0 });
    clock.advance(119_999);
    expect(await app.server.deliverMail()).toEqual({ sent: 0, retried: 0, failed: 0 });
    clock.advance(1);
    expect(await app.server.deliverMail()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(await store.getMail(claimed?.id ?? "")).toMatchObject({
      status: "sent",
      attempts: 2,
      bodySealed: null,
    });
    // The dead process's claim can mark nothing.
    expect(await store.markMailFailed(claimed?.id ?? "", 1, clock.now(), false)).toBe(false);
    clock.advance(3_600_000);
    expect(await app.server.deliverMail()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expectOnceEach(smtp, ["a@example.jp"]);
  });
});

/** Two servers over one store deliver each of 30 mails once, whether passes race or kicks do. */
function describeTwoInstances(name: string, openStores: () => Promise<[AuthStore, AuthStore]>) {
  describe(`two server instances over one ${name} store`, () => {
    it("concurrent passes of both deliver each mail once", async () => {
      const smtp = await smtpServer();
      const clock = testClock();
      const [storeA, storeB] = await openStores();
      const recipients = Array.from({ length: 30 }, (_, i) => `user${i}@example.jp`);
      for (const email of recipients) await addUser(storeA, email, "correct horse battery");
      const a = await serverOver(storeA, smtp, clock, false);
      const b = await serverOver(storeB, smtp, clock, false);
      await Promise.all(
        recipients.map((email, i) => requestPasswordReset((i % 2 ? a : b).client(), { email })),
      );
      const reports = await Promise.all([
        a.server.deliverMail(),
        b.server.deliverMail(),
        a.server.deliverMail(),
        b.server.deliverMail(),
      ]);
      expect(reports.reduce((n, r) => n + r.sent, 0)).toBe(30);
      expect(reports.every((r) => r.retried === 0 && r.failed === 0)).toBe(true);
      expectOnceEach(smtp, recipients);
    });

    it("with delivery on, requests to both kick both senders: each mail once", async () => {
      const smtp = await smtpServer();
      const clock = testClock();
      const [storeA, storeB] = await openStores();
      const recipients = Array.from({ length: 30 }, (_, i) => `kick${i}@example.jp`);
      for (const email of recipients) await addUser(storeA, email, "correct horse battery");
      const a = await serverOver(storeA, smtp, clock, { intervalMs: 20 });
      const b = await serverOver(storeB, smtp, clock, { intervalMs: 20 });
      await Promise.all(
        recipients.map((email, i) => requestPasswordReset((i % 2 ? a : b).client(), { email })),
      );
      await smtp.waitFor(30, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expectOnceEach(smtp, recipients);
    });
  });
}

describeTwoInstances("SQLite", async () => {
  const path = freshPath();
  const first = await sqliteStore({ path });
  return [first, await sqliteStore({ path })];
});

const pgUrl = process.env.TEGATA_TEST_POSTGRES_URL;
if (pgUrl === undefined || pgUrl === "") {
  describe("two server instances over one PostgreSQL store", () => {
    if (process.env.CI === "true") {
      it("runs under CI: TEGATA_TEST_POSTGRES_URL must be set", () => {
        expect.fail("TEGATA_TEST_POSTGRES_URL is not set: .ci/run starts PostgreSQL and sets it");
      });
    } else {
      it.skip("needs TEGATA_TEST_POSTGRES_URL (a PostgreSQL to test on; see .ci/postgres.sh)", () => {});
    }
  });
} else {
  const database = `tegata_mail_${process.pid}_${Date.now().toString(36)}`;
  let made = 0;
  const admin = async (query: string) => {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      await client.query(query);
    } finally {
      await client.end();
    }
  };
  afterAll(async () => {
    for (let i = 1; i <= made; i++) await admin(`DROP DATABASE IF EXISTS ${database}_${i} WITH (FORCE)`);
  });
  describeTwoInstances("PostgreSQL", async () => {
    const name = `${database}_${++made}`;
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(pgUrl);
    url.pathname = `/${name}`;
    const first = await postgresStore({ connectionString: url.toString() });
    return [first, await postgresStore({ connectionString: url.toString() })];
  });
}
