// Benchmark of the login history in the SQL stores (issue 14, item 10): 1,000,000 events of one
// user, in SQLite (tegata/server/sqlite) and PostgreSQL (tegata/server/postgres); whether a page
// costs more the deeper it is. The store's own listLoginEvents is timed (the query GET
// /auth/history runs, without HTTP): the first page against the deepest full page (its `before`
// is the 101st oldest event), alternated in one process (bench/ab.mjs).
//
// The events are seeded straight into tegata_login_events (src/server/store/sql/schema.ts) with
// multi-row INSERTs in one transaction, one every 30 s over about a year, with ids that sort as
// loginEventId makes them (`att_` + 9 base36 digits of the time + 6 base36 digits), then the table
// is analysed (as autovacuum or `PRAGMA optimize` would). PostgreSQL: TEGATA_BENCH_POSTGRES_URL
// (bench/run.mjs starts a throwaway cluster when PostgreSQL is installed), else those rows are
// skipped. Run alone: `npm run bench -- history-sql`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alternate, flush, fmt, goal, ratio, row, stats, title } from "./ab.mjs";

const N = Number(process.env.TEGATA_BENCH_HISTORY_EVENTS ?? 1_000_000);
const LIMIT = 100;
const ROUNDS = 7;
const INNER = 5;
const CALLS = 20;
const USER = "usr_history_bench";
const EMAIL = "history@example.com";
const T0 = Date.UTC(2025, 10, 25, 0, 0, 0);
const PG_URL = process.env.TEGATA_BENCH_POSTGRES_URL;
const COLUMNS = "id, user_id, email, email_key, at, ip, user_agent, method, result, session_id, location";

/** Event `i` (0 = oldest): its id sorts by time, then by arrival, like loginEventId's. */
function event(i) {
  const at = T0 + i * 30_000;
  const id = `att_${at.toString(36).padStart(9, "0")}${i.toString(36).padStart(6, "0")}`;
  const failed = i % 10 === 9;
  return [
    id,
    USER,
    EMAIL,
    EMAIL,
    at,
    `203.0.113.${i % 250}`,
    "Mozilla/5.0 (X11; Linux x86_64) bench",
    "password",
    failed ? "failure" : "success",
    null,
    null,
  ];
}

/** Seeds N events in one transaction, `batch` rows per INSERT, through `exec(sql, params)`. */
async function seed(exec, batch, placeholder) {
  const statement = (rows) => {
    let p = 0;
    const values = Array.from(
      { length: rows },
      () => `(${Array.from({ length: 11 }, () => placeholder(++p)).join(", ")})`,
    );
    return `INSERT INTO tegata_login_events (${COLUMNS}) VALUES ${values.join(", ")}`;
  };
  const full = statement(batch);
  for (let start = 0; start < N; start += batch) {
    const rows = Math.min(batch, N - start);
    const params = [];
    for (let i = start; i < start + rows; i++) params.push(...event(i));
    await exec(rows === batch ? full : statement(rows), params);
  }
}

/** Times the first and the deepest full page of `store`, prints them, judges the goal. */
async function measure(name, store, seedMs) {
  const deepBefore = event(LIMIT)[0];
  const first = await store.listLoginEvents(USER, { limit: LIMIT });
  const deep = await store.listLoginEvents(USER, { limit: LIMIT, before: deepBefore });
  if (first.items.length !== LIMIT || first.items[0].id !== event(N - 1)[0] || first.next === null)
    throw new Error(`${name}: the first page is not the newest ${LIMIT} events`);
  if (deep.items.length !== LIMIT || deep.items.at(-1).id !== event(0)[0] || deep.next !== null)
    throw new Error(`${name}: the deepest page is not the oldest ${LIMIT} events`);
  const page = (arm, before) => ({
    name: arm,
    ops: CALLS,
    run: async () => {
      for (let i = 0; i < CALLS; i++)
        await store.listLoginEvents(USER, { limit: LIMIT, ...(before ? { before } : {}) });
    },
  });
  const times = await alternate([page("first"), page("deep", deepBefore)], {
    rounds: ROUNDS,
    warmup: 1,
    inner: INNER,
  });
  title(
    `${name}: ${fmt(N)} events of one user (seeded in ${fmt(seedMs / 1000, 1)} s), limit ${LIMIT}; ms per page, median (min–max) of ${ROUNDS} rounds, each the median of ${INNER} alternated batches of ${CALLS} calls`,
  );
  row(`${name}: first page`, stats(times.first), { unit: "ms", f: (x) => fmt(x, 3) });
  row(`${name}: deepest full page (page ${fmt(N / LIMIT)})`, stats(times.deep), {
    unit: "ms",
    f: (x) => fmt(x, 3),
  });
  const growth = ratio(times, "deep", "first");
  row(`${name}: deepest / first`, growth);
  goal(`${name}: deepest page at most 1.5x the first (${fmt(N)} events)`, growth, (x) => x <= 1.5);
}

console.log("tegata/server login history in SQL, %s events (Node %s)", fmt(N), process.version);

// SQLite
{
  const dir = mkdtempSync(join(tmpdir(), "tegata-bench-history-"));
  try {
    const path = join(dir, "history.sqlite");
    const { sqliteStore } = await import("tegata/server/sqlite");
    const store = await sqliteStore({ path });
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(path);
    db.exec("PRAGMA busy_timeout = 5000");
    const t = performance.now();
    const statements = new Map();
    db.exec("BEGIN IMMEDIATE");
    // 500 rows × 11 parameters per statement: within SQLite's 32,766 variables.
    await seed(
      (sql, params) => {
        let stmt = statements.get(sql);
        if (!stmt) {
          stmt = db.prepare(sql);
          statements.set(sql, stmt);
        }
        stmt.run(...params);
      },
      500,
      () => "?",
    );
    db.exec("COMMIT");
    db.exec("ANALYZE");
    const seedMs = performance.now() - t;
    db.close();
    await measure("SQLite", store, seedMs);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// PostgreSQL
if (!PG_URL) {
  console.log(
    "\n   PostgreSQL rows skipped: TEGATA_BENCH_POSTGRES_URL is not set and no PostgreSQL was started (bench/run.mjs starts one when PostgreSQL is installed: bash .ci/postgres.sh install)",
  );
} else {
  const pg = (await import("pg")).default;
  const database = `tegata_bench_${process.pid}_history`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  try {
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    const { postgresStore } = await import("tegata/server/postgres");
    const store = await postgresStore({ connectionString: url.href });
    const client = new pg.Client({ connectionString: url.href });
    await client.connect();
    const t = performance.now();
    await client.query("BEGIN");
    // 1,000 rows × 11 parameters per statement: within PostgreSQL's 65,535.
    await seed(
      (sql, params) => client.query(sql, params),
      1000,
      (n) => `$${n}`,
    );
    await client.query("COMMIT");
    await client.query("VACUUM ANALYZE tegata_login_events");
    const seedMs = performance.now() - t;
    await client.end();
    await measure("PostgreSQL", store, seedMs);
    await store.close();
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

flush();
