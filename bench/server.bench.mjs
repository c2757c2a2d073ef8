// Benchmark of tegata/server over real HTTP (issue 14, item 9), against better-auth in the same run.
//
// Each server runs in a process of its own (bench/server-worker.mjs): tegata's createAuthServer or
// better-auth, both served by @hono/node-server on 127.0.0.1, both hashing passwords with
// tegata/server's defaultPasswordHasher() (argon2id m=19456 KiB, t=2, p=1: the same work per
// sign-in), both over the same database: a memory store each, one SQLite file (on better-auth's
// side through a copy of tegata's node:sqlite Kysely dialect, bench/node-sqlite-dialect.mjs, same
// pragmas), or one PostgreSQL database (a pg pool of 10 each). autocannon, in this process, drives
// 50 connections in all:
//
// - 1 process: one autocannon instance, 50 connections, on the one server of the arm;
// - 2 processes: two servers of the arm on two ports over the same SQLite file or PostgreSQL
//   database (memory: two servers with a store each, a client of one never calls the other), and
//   two autocannon instances at once, 25 connections each, one per port; requests per second are
//   summed, p50/p99 taken over every response of both.
//
// Paths: sign-in (tegata POST /auth/sign-in; better-auth POST /api/auth/sign-in/email), refresh
// (tegata POST /oauth/token, grant_type=refresh_token: rotation, each connection presenting the
// token its previous response gave; better-auth has nothing comparable: its sessions slide on a
// cookie, without refresh tokens), and the signed-in user (tegata GET /auth/user with a bearer
// token; better-auth GET /api/auth/get-session with its session cookie). Each connection signs in
// as a user of its own (50 users: concurrent sign-ins of one account beyond its lockout limit, 5,
// would meet tegata's attempt reservations and answer 423) and holds a session of its own. Per-IP
// rate limits are off on both (one client address sends everything).
//
// A sign-in run is a fixed number of sign-ins per connection (SIGN_INS), timed to its last answer:
// at about 50 argon2id sign-ins/s, a 50-connection closed loop answers in waves about a second
// apart, so a run cut at a fixed duration would count whole waves or none. The other paths run for
// SECONDS each.
//
// A round runs every (path, arm) once, the arms of a path next to each other (tegata, better-auth);
// a warm-up round of 1 s runs are thrown away, then 5 measured rounds of SECONDS each. A figure is
// the median of the rounds with its min–max; a ratio is taken round by round. Every server and
// database is new for each (store, process count). Run alone: `npm run bench -- server`.
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { flush, fmt, goal, range, row, stats, title } from "./ab.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const SECONDS = Number(process.env.TEGATA_BENCH_SECONDS ?? 2);
const WARMUP_SECONDS = 1;
/** Sign-ins per connection in a sign-in run (the warm-up round: 1). */
const SIGN_INS = Number(process.env.TEGATA_BENCH_SIGN_INS ?? 2);
const ROUNDS = Number(process.env.TEGATA_BENCH_ROUNDS ?? 5);
const CONNECTIONS = 50;
/** One user per connection: concurrent sign-ins of one account would meet its lockout reservations. */
const USERS = CONNECTIONS;
const PASSWORD = "bench passphrase for both servers";
const ORIGIN = "http://127.0.0.1";
const PG_URL = process.env.TEGATA_BENCH_POSTGRES_URL;
const only = process.env.TEGATA_BENCH_STORES?.split(",");
const counts = (process.env.TEGATA_BENCH_PROCESSES ?? "1,2").split(",").map(Number);

const dir = mkdtempSync(join(tmpdir(), "tegata-bench-server-"));
const email = (i) => `bench${i % USERS}@example.com`;

// --- servers ------------------------------------------------------------------------------

/** Starts one server process; resolves with its base URL once it listens. */
async function startWorker(arm, store, db) {
  const child = fork(join(here, "server-worker.mjs"), [JSON.stringify({ arm, store, ...db })], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise((resolve, reject) => {
    child.once("message", (m) => resolve(m.port));
    child.once("exit", (code) => reject(new Error(`${arm} server (${store}) exited with ${code}`)));
  });
  return { arm, child, port, base: `http://127.0.0.1:${port}`, harvest: [] };
}

async function stopWorker(w) {
  const exited = new Promise((resolve) => w.child.once("exit", resolve));
  w.child.kill("SIGTERM");
  await exited;
}

const paths = {
  tegata: { signUp: "/auth/sign-up", signIn: "/auth/sign-in" },
  "better-auth": { signUp: "/api/auth/sign-up/email", signIn: "/api/auth/sign-in/email" },
};
const jsonHeaders = { "content-type": "application/json", origin: ORIGIN };

/** What a successful sign-in leaves a client with: tegata's tokens, better-auth's cookie. */
function credentialsOf(arm, body, cookies) {
  if (arm === "tegata") {
    const { access_token, refresh_token } = JSON.parse(body);
    return { access: access_token, refresh: refresh_token };
  }
  const list = [cookies ?? []].flat();
  return { cookie: list.map((c) => c.split(";")[0]).join("; ") };
}

async function signUpAll(w) {
  await Promise.all(
    Array.from({ length: USERS }, async (_, i) => {
      const r = await fetch(w.base + paths[w.arm].signUp, {
        method: "POST",
        headers: jsonHeaders,
        body: JSON.stringify({ email: email(i), password: PASSWORD, name: `Bench ${i}` }),
      });
      if (!r.ok) throw new Error(`${w.arm} sign-up: ${r.status} ${await r.text()}`);
    }),
  );
}

/** A session of the worker's: one left over from a sign-in run, else a sign-in now (untimed). */
async function session(w, i) {
  const kept = w.harvest.pop();
  if (kept) return kept;
  const r = await fetch(w.base + paths[w.arm].signIn, {
    method: "POST",
    headers: jsonHeaders,
    body: JSON.stringify({ email: email(w.first + i), password: PASSWORD }),
  });
  if (!r.ok) throw new Error(`${w.arm} sign-in: ${r.status} ${await r.text()}`);
  return credentialsOf(w.arm, await r.text(), r.headers.getSetCookie());
}

// --- load ---------------------------------------------------------------------------------

/**
 * Runs autocannon on every worker at once (CONNECTIONS split between them) for `length.seconds`,
 * or until each connection has had `length.each` answers.
 * `requestFor(w, slot)` gives connection `slot` of worker `w` its request (autocannon's request
 * object: method, path, headers, body, setupRequest, onResponse). Returns requests/s of 2xx
 * answers (summed), p50 and p99 in ms over every response, and the count of other outcomes.
 */
async function load(workers, length, requestFor) {
  const per = CONNECTIONS / workers.length;
  const latencies = [];
  let ok = 0;
  let other = 0;
  let last = 0n;
  const statuses = {};
  const start = process.hrtime.bigint();
  const results = await Promise.all(
    workers.map((w) => {
      let slot = 0;
      const instance = autocannon({
        url: w.base,
        connections: per,
        ...(length.each ? { amount: per * length.each } : { duration: length.seconds }),
        timeout: 30,
        setupClient: (client) => client.setRequests([requestFor(w, slot++)]),
      });
      instance.on("response", (_client, status, _bytes, ms) => {
        last = process.hrtime.bigint();
        latencies.push(ms);
        if (status >= 200 && status < 300) ok++;
        else {
          other++;
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      });
      return instance;
    }),
  );
  // With a fixed number of answers, the run ends at its last answer (autocannon itself notices
  // on its next 1-second tick); with a duration, at the duration.
  const elapsed = Number((length.each ? last : process.hrtime.bigint()) - start) / 1e9;
  for (const r of results) other += r.errors + r.timeouts;
  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return { rate: ok / elapsed, p50: pct(50), p99: pct(99), failed: other, statuses };
}

async function settle() {
  await new Promise((resolve) => setTimeout(resolve, 200));
  globalThis.gc?.();
}

/** The runs of one round, in order: each path's arms next to each other. */
function runsOf(t, b) {
  return [
    {
      path: "sign-in",
      arm: "tegata",
      workers: t,
      request: (w, slot) => signInRequest(w, slot),
    },
    {
      path: "sign-in",
      arm: "better-auth",
      workers: b,
      request: (w, slot) => signInRequest(w, slot),
    },
    {
      path: "refresh",
      arm: "tegata",
      workers: t,
      prepare: prepareRefresh,
      request: (w, slot) => refreshRequest(w, slot),
    },
    {
      path: "user",
      arm: "tegata",
      workers: t,
      request: (w, slot) => ({
        method: "GET",
        path: "/auth/user",
        headers: { authorization: `Bearer ${w.users[slot].access}` },
      }),
    },
    {
      path: "user",
      arm: "better-auth",
      workers: b,
      request: (w, slot) => ({
        method: "GET",
        path: "/api/auth/get-session",
        headers: { cookie: w.users[slot].cookie },
      }),
    },
  ];
}

/** Sign-in as the connection's user; each success kept for the refresh and user paths. */
function signInRequest(w, slot) {
  return {
    method: "POST",
    path: paths[w.arm].signIn,
    headers: jsonHeaders,
    body: JSON.stringify({ email: email(w.first + slot), password: PASSWORD }),
    onResponse: (status, body, _context, headers) => {
      if (status !== 200) {
        if (process.env.TEGATA_BENCH_DEBUG) console.log(w.arm, status, body.slice(0, 300));
        return;
      }
      w.harvest.push(credentialsOf(w.arm, body, headers["set-cookie"]));
      if (w.harvest.length > 4 * CONNECTIONS) w.harvest.shift();
    },
  };
}

/**
 * Refresh: each connection holds a session and presents the refresh token its previous answer
 * gave. A token in flight when the run stops may have been spent without the client seeing its
 * successor: that connection gets a new session before the next run (presenting the old token
 * would be reuse, which ends the session).
 */
function refreshRequest(w, slot) {
  const held = w.refresh[slot];
  return {
    method: "POST",
    path: "/oauth/token",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
    setupRequest: (req) => {
      held.pending = true;
      return { ...req, body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(held.token)}` };
    },
    onResponse: (status, body) => {
      held.pending = false;
      if (status === 200) held.token = JSON.parse(body).refresh_token;
      else held.dead = true;
    },
  };
}

async function prepareRefresh(workers) {
  for (const w of workers) {
    w.refresh ??= [];
    const renew = [];
    for (let slot = 0; slot < CONNECTIONS / workers.length; slot++) {
      const held = w.refresh[slot];
      if (held && !held.pending && !held.dead) continue;
      renew.push(
        session(w, slot).then((s) => {
          w.refresh[slot] = { token: s.refresh, pending: false, dead: false };
        }),
      );
    }
    await Promise.all(renew);
  }
}

// --- databases ----------------------------------------------------------------------------

/** A new, empty database for one (store, process count), with both schemas migrated. */
async function freshDatabase(store, name) {
  if (store === "memory") return {};
  if (store === "sqlite") {
    const path = join(dir, `${name}.sqlite`);
    // tegata first: its store refuses a file that already holds other tables.
    const { sqliteStore } = await import("tegata/server/sqlite");
    await (await sqliteStore({ path })).close();
    const { NodeSqliteDialect, openSqlite } = await import("./node-sqlite-dialect.mjs");
    const db = await openSqlite(path);
    await migrateBetterAuth({ dialect: new NodeSqliteDialect(db), type: "sqlite" });
    db.close();
    return { path };
  }
  const pg = (await import("pg")).default;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const database = `tegata_bench_${process.pid}_${name}`;
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  const { postgresStore } = await import("tegata/server/postgres");
  await (await postgresStore({ connectionString: url.href })).close();
  const pool = new pg.Pool({ connectionString: url.href, max: 2 });
  await migrateBetterAuth(pool);
  await pool.end();
  return { url: url.href, database };
}

async function migrateBetterAuth(database) {
  const { getMigrations } = await import("better-auth/db/migration");
  const { runMigrations } = await getMigrations({ database, emailAndPassword: { enabled: true } });
  await runMigrations();
}

async function dropDatabase(db) {
  if (!db.database) return;
  const pg = (await import("pg")).default;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${db.database} WITH (FORCE)`);
  await admin.end();
}

// --- the run ------------------------------------------------------------------------------

console.log(
  "tegata/server over HTTP against better-auth (Node %s, autocannon, %d connections, %d s runs, %d rounds)",
  process.version,
  CONNECTIONS,
  SECONDS,
  ROUNDS,
);
const stores = ["memory", "sqlite", "postgres"].filter((s) => !only || only.includes(s));
if (stores.includes("postgres") && !PG_URL) {
  console.log(
    "   PostgreSQL rows skipped: TEGATA_BENCH_POSTGRES_URL is not set and no PostgreSQL was started (bench/run.mjs starts one when PostgreSQL is installed: bash .ci/postgres.sh install)",
  );
}
const label = (store, n) => `${store} ×${n}`;

try {
  for (const store of stores) {
    if (store === "postgres" && !PG_URL) continue;
    for (const processes of counts) {
      const db = await freshDatabase(store, `${store}_${processes}`);
      const t = [];
      const b = [];
      try {
        const started = await Promise.allSettled(
          Array.from({ length: 2 * processes }, (_, i) =>
            startWorker(i % 2 ? "better-auth" : "tegata", store, db),
          ),
        );
        for (const s of started)
          if (s.status === "fulfilled") (s.value.arm === "tegata" ? t : b).push(s.value);
        for (const s of started) if (s.status === "rejected") throw s.reason;
        for (const arm of [t, b]) {
          for (const [i, w] of arm.entries()) w.first = (i * CONNECTIONS) / processes;
        }
        // Users: once per database (memory: once per server).
        await Promise.all(
          [...t, ...b].filter((w) => store === "memory" || w === t[0] || w === b[0]).map(signUpAll),
        );
        const runs = runsOf(t, b);
        const figures = new Map(runs.map((r) => [`${r.path}/${r.arm}`, []]));
        for (let round = 0; round < 1 + ROUNDS; round++) {
          for (const run of runs) {
            if (run.path === "user" && !run.workers[0].users) {
              for (const w of run.workers) {
                const n = CONNECTIONS / processes;
                w.users = await Promise.all(Array.from({ length: n }, (_, slot) => session(w, slot)));
              }
            }
            await run.prepare?.(run.workers);
            await settle();
            const warm = round === 0;
            const length =
              run.path === "sign-in"
                ? { each: warm ? 1 : SIGN_INS }
                : { seconds: warm ? WARMUP_SECONDS : SECONDS };
            const result = await load(run.workers, length, run.request);
            if (round > 0) figures.get(`${run.path}/${run.arm}`).push(result);
          }
        }
        report(store, processes, figures);
      } finally {
        await Promise.all([...t, ...b].map(stopWorker));
        await dropDatabase(db);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Prints one (store, process count): every path and arm, the ratios and the goals. */
function report(store, processes, figures) {
  const name = label(store, processes);
  title(
    `${name}: requests/s median (min–max) of ${ROUNDS} rounds; p50 / p99 latency (ms), medians of the rounds`,
  );
  const line = (key, text) => {
    const list = figures.get(key);
    const rate = stats(list.map((r) => r.rate));
    const p50 = stats(list.map((r) => r.p50)).median;
    const p99 = stats(list.map((r) => r.p99)).median;
    const statuses = {};
    for (const r of list)
      for (const [s, n] of Object.entries(r.statuses)) statuses[s] = (statuses[s] ?? 0) + n;
    const errors =
      list.reduce((n, r) => n + r.failed, 0) - Object.values(statuses).reduce((a, b) => a + b, 0);
    const failures = [
      ...Object.entries(statuses).map(([s, n]) => `${fmt(n)} × ${s}`),
      ...(errors ? [`${fmt(errors)} socket errors/timeouts`] : []),
    ];
    row(
      `${name}  ${text}`,
      `${range(rate, (x) => fmt(x, 0))} req/s, p50 ${fmt(p50, 1)} ms, p99 ${fmt(p99, 1)} ms${
        failures.length ? `; not 2xx: ${failures.join(", ")}` : ""
      }`,
    );
  };
  const ratio = (a, b) => {
    const x = figures.get(a);
    const y = figures.get(b);
    return stats(x.map((r, i) => r.rate / y[i].rate));
  };
  line("sign-in/tegata", "sign-in       tegata");
  line("sign-in/better-auth", "sign-in       better-auth");
  const signIn = ratio("sign-in/tegata", "sign-in/better-auth");
  row(`${name}  sign-in       tegata / better-auth`, signIn, { unit: "x" });
  line("refresh/tegata", "refresh       tegata (better-auth: nothing comparable)");
  line("user/tegata", "GET /auth/user tegata");
  line("user/better-auth", "get-session   better-auth");
  const user = ratio("user/tegata", "user/better-auth");
  row(`${name}  user          tegata / better-auth`, user, { unit: "x" });
  goal(
    `${name}: ahead of better-auth on every comparable path (sign-in, user)`,
    [...signIn.samples, ...user.samples],
    (x) => x > 1,
    { text: `sign-in ${fmt(signIn.min)}–${fmt(signIn.max)}x, user ${fmt(user.min)}–${fmt(user.max)}x` },
  );
  goal(`${name}: GET /auth/user >= 1.5x better-auth's get-session`, user, (x) => x >= 1.5, {
    f: (x) => `${fmt(x)}x`,
  });
}

flush();
