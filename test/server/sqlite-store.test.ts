import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { sqliteStore } from "../../src/server/sqlite/index";
import { MIGRATIONS } from "../../src/server/store/sql/schema";
import { describeStoreConformance, eventId, newEvent, newUser, T0 } from "./store-conformance";

const dir = mkdtempSync(join(tmpdir(), "tegata-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `store-${++n}.sqlite`);

describeStoreConformance("sqliteStore (a fresh file per test)", () => sqliteStore({ path: freshPath() }));

describe("sqliteStore", () => {
  it("creates the file in WAL mode with foreign keys on and a busy timeout", async () => {
    const path = freshPath();
    const store = await sqliteStore({ path, busyTimeoutMs: 1234 });
    expect(store.dialect).toBe("sqlite");
    expect(existsSync(path)).toBe(true);
    await store.close();
    const raw = new DatabaseSync(path);
    expect(raw.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(raw.prepare("SELECT version, name FROM tegata_migrations ORDER BY version").all()).toEqual(
      [...MIGRATIONS].sort((x, y) => x.version - y.version).map(({ version, name }) => ({ version, name })),
    );
    raw.close();
  });

  it("keeps everything across a reopen; migrating again applies nothing", async () => {
    const path = freshPath();
    const first = await sqliteStore({ path });
    await first.createUser(newUser(1), T0);
    await first.appendLoginEvent(newEvent(1, "usr_1"));
    await first.close();
    const again = await sqliteStore({ path });
    expect(await again.migrate()).toEqual([]);
    expect((await again.getUserById("usr_1"))?.emailKey).toBe("user1@example.jp");
    expect((await again.listLoginEvents("usr_1", { limit: 10 })).items.map((e) => e.id)).toEqual([
      eventId(1),
    ]);
    await again.close();
  });

  it("upgrades a database of schema version 1, keeping its rows (a challenge made before gets amr [pwd])", async () => {
    const path = freshPath();
    const first = await sqliteStore({ path });
    await first.createUser(newUser(1), T0);
    await first.close();
    // Back to version 1, with a challenge stored as version 1 stored it.
    const raw = new DatabaseSync(path);
    raw.exec(
      "ALTER TABLE tegata_challenges DROP COLUMN amr; DELETE FROM tegata_migrations WHERE version = 2",
    );
    raw
      .prepare(
        "INSERT INTO tegata_challenges (id_hash, user_id, remember, methods, attempts, expires_at, completed_at, created_at) VALUES (?, ?, 0, ?, 0, ?, NULL, ?)",
      )
      .run("h_old", "usr_1", JSON.stringify(["totp"]), T0 + 300_000, T0);
    raw.close();
    const again = await sqliteStore({ path, migrate: false });
    expect(await again.migrate()).toEqual([2]);
    const claim = await again.claimChallengeAttempt("h_old", 5, T0);
    expect(claim.kind === "ok" && claim.challenge.amr).toEqual(["pwd"]);
    expect((await again.getUserById("usr_1"))?.id).toBe("usr_1");
    await again.close();
  });

  it("with migrate: false, migrate() applies the schema", async () => {
    const store = await sqliteStore({ path: freshPath(), migrate: false });
    expect(await store.migrate()).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await store.migrate()).toEqual([]);
    await store.close();
  });

  it("refuses a database of something else, a newer schema and a file that is no database", async () => {
    const foreign = freshPath();
    const raw = new DatabaseSync(foreign);
    raw.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY)");
    raw.close();
    await expect(sqliteStore({ path: foreign })).rejects.toThrow(/something else \(tables invoices\)/);

    const newer = freshPath();
    await (await sqliteStore({ path: newer })).close();
    const bump = new DatabaseSync(newer);
    bump.exec("INSERT INTO tegata_migrations (version, name, applied_at) VALUES (99, 'future', 0)");
    bump.close();
    await expect(sqliteStore({ path: newer })).rejects.toThrow(/schema version 99, newer than this tegata/);

    const garbage = freshPath();
    writeFileSync(
      garbage,
      "this is not an SQLite database, but it is long enough to have a header.".repeat(20),
    );
    await expect(sqliteStore({ path: garbage })).rejects.toThrow(
      /cannot open the SQLite database .*not a database/,
    );
  });

  it("a call outside a transaction waits for it, so a rollback never undoes it", async () => {
    const store = await sqliteStore({ path: freshPath() });
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tx = store.transaction(async (inner) => {
      await inner.createUser(newUser(1), T0);
      await gate;
      throw new Error("rolled back");
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const outside = store.createUser(newUser(2), T0);
    release();
    await expect(tx).rejects.toThrow("rolled back");
    expect(await outside).not.toBe("email_taken");
    expect(await store.getUserById("usr_1")).toBeNull();
    expect(await store.getUserById("usr_2")).not.toBeNull();
    await store.close();
    await expect(store.getUserById("usr_2")).rejects.toThrow(/closed/);
  });

  it("a page of the history is one index range scan, at any depth", async () => {
    const path = freshPath();
    await (await sqliteStore({ path })).close();
    const raw = new DatabaseSync(path);
    const plan = raw
      .prepare(
        "EXPLAIN QUERY PLAN SELECT * FROM tegata_login_events WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT 11",
      )
      .all("usr_1", eventId(5))
      .map((r) => String(r.detail));
    raw.close();
    expect(plan.join("\n")).toMatch(
      /SEARCH tegata_login_events USING INDEX tegata_login_events_user \(user_id=\? AND id<\?\)/,
    );
    expect(plan.join("\n")).not.toMatch(/TEMP B-TREE/);
  });
});
