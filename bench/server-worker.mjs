// One server process of bench/server.bench.mjs: tegata's auth server or better-auth, over the
// store named in argv[2] (JSON: { arm, store, path?, url? }), served by @hono/node-server on
// 127.0.0.1 (a free port, sent to the parent over IPC). Both arms use the same HTTP layer, the
// same argon2id hasher (tegata/server's defaultPasswordHasher) and, on SQLite, the same node:sqlite
// driver and pragmas, so that what differs is the auth code. Ends on SIGTERM or when the parent goes.
import { serve } from "@hono/node-server";

const { arm, store, path, url } = JSON.parse(process.argv[2]);
const SECRET = "bench secret, bench secret, bench secret!";

let fetchHandler;

if (arm === "tegata") {
  const { createAuthServer } = await import("tegata/server");
  let s;
  if (store === "sqlite") s = await (await import("tegata/server/sqlite")).sqliteStore({ path });
  else if (store === "postgres")
    s = await (await import("tegata/server/postgres")).postgresStore({ connectionString: url });
  else s = (await import("tegata/server")).memoryStore();
  const server = createAuthServer({
    issuer: "http://127.0.0.1",
    secret: SECRET,
    store: s,
    rateLimits: false, // one client address sends every request: the per-IP limits would answer 429
    onError: (error) => console.error("tegata:", error),
  });
  fetchHandler = (request, env) =>
    server.fetch(request, { remoteAddress: env.incoming.socket.remoteAddress });
} else {
  const { betterAuth } = await import("better-auth");
  const { defaultPasswordHasher } = await import("tegata/server");
  const hasher = defaultPasswordHasher();
  let database;
  if (store === "sqlite") {
    const { NodeSqliteDialect, openSqlite } = await import("./node-sqlite-dialect.mjs");
    database = { dialect: new NodeSqliteDialect(await openSqlite(path)), type: "sqlite" };
  } else if (store === "postgres") {
    const { Pool } = await import("pg");
    // The same pool size as tegata's postgresStore (10).
    database = new Pool({ connectionString: url, max: 10 });
    database.on("error", () => {});
  } else {
    const { memoryAdapter } = await import("better-auth/adapters/memory");
    database = memoryAdapter({ user: [], session: [], account: [], verification: [] });
  }
  const auth = betterAuth({
    baseURL: "http://127.0.0.1",
    secret: SECRET,
    database,
    emailAndPassword: {
      enabled: true,
      password: {
        hash: (password) => hasher.hash(password),
        verify: async ({ hash, password }) => (await hasher.verify(password, hash)).valid,
      },
    },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
  });
  fetchHandler = (request) => auth.handler(request);
}

serve({ fetch: fetchHandler, hostname: "127.0.0.1", port: 0 }, (info) => {
  process.send?.({ port: info.port });
});

// Straight out: a request autocannon abandoned at the end of a run may still be running, and
// closing the store under it would only print its failure. The database is left as after a crash.
function shutdown() {
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("disconnect", shutdown);
