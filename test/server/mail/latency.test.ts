/**
 * How long a mail takes from the request to the SMTP server: 100 password-reset requests one
 * after another over real HTTP, each timed from the moment the request leaves to the moment the
 * SMTP server has the message's data; the median is printed, never asserted (timings are evidence,
 * not a gate). With an hour-long interval, every mail arriving shows the sender is kicked as the
 * request is answered, not on its timer.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { smtpMailer } from "../../../src/server/smtp/index";
import { sqliteStore } from "../../../src/server/sqlite/index";
import { memoryStore } from "../../../src/server/store/memory";
import type { AuthStore } from "../../../src/server/store/types";
import { addUser, FROM, postJson, startMailServer } from "./mail-server";
import { startSmtp } from "./smtp-harness";

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe("delivery latency", () => {
  const stores: Record<string, () => Promise<AuthStore>> = {
    memory: async () => memoryStore(),
    SQLite: async () => {
      const dir = mkdtempSync(join(tmpdir(), "tegata-latency-"));
      cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
      return sqliteStore({ path: join(dir, "latency.db") });
    },
  };

  it.each(Object.keys(stores))("request → SMTP: the median of 100 (%s store)", async (name) => {
    const smtp = await startSmtp();
    cleanup.push(() => smtp.close());
    const store = await (stores[name] as () => Promise<AuthStore>)();
    // A pooled transport, as a production deployment would use.
    const mailer = smtpMailer({ url: `${smtp.url}?pool=true`, from: FROM });
    cleanup.push(() => mailer.close());
    // The interval is long: every delivery here comes from the kick after the request.
    const app = await startMailServer({ store, mailer, mailDelivery: { intervalMs: 3_600_000 } });
    cleanup.push(() => app.close());
    await addUser(store, "hanako@example.jp", "correct horse battery", Date.now());
    const samples: number[] = [];
    for (let i = 0; i < 100; i++) {
      const start = performance.now();
      expect(
        await postJson(app.baseUrl, "/auth/password/reset-request", { email: "hanako@example.jp" }),
      ).toBe(202);
      const [mail] = (await smtp.waitFor(i + 1, 5_000)).slice(i);
      samples.push((mail?.at ?? Number.NaN) - start);
    }
    samples.sort((a, b) => a - b);
    const median = ((samples[49] ?? 0) + (samples[50] ?? 0)) / 2;
    const p90 = samples[89] ?? 0;
    console.log(
      `tegata mail latency, request → SMTP (100 resets, ${name} store): median ${median.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, max ${(samples[99] ?? 0).toFixed(1)} ms`,
    );
    expect(new Set(smtp.messages.map((m) => m.parsed.messageId)).size).toBe(100);
  });
});
