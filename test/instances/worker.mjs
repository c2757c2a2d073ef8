/**
 * One auth-server instance of the many-instance tests (test/instances/cluster.ts forks four).
 *
 * It runs the BUILT package (dist/, `npm run build`): `createAuthServer` over `sqliteStore` or
 * `postgresStore` on the database all instances share, listening on a free port of 127.0.0.1
 * through @hono/node-server. It talks to the test over the IPC channel of `child_process.fork`:
 *
 * - to the test: `{ type: "ready", port }` once listening; `{ type: "arrived" }` when a request
 *   has reached the handler (its body may still be on the way: the test releases the bodies
 *   once every request has arrived); `{ type: "mail", message }` for every mail the server sends
 *   (the one-time links are only there); `{ type: "error", message }` for anything answered 500;
 *   `{ type: "reply", id, … }` to a command.
 * - from the test: `{ id, op: "stats" }` → `{ verified }`, how many passwords this process
 *   evaluated (a counting wrapper around the fast test hasher); `{ id, op: "clock", offset }`
 *   sets the shared clock (now = base + offset, the same base in every instance);
 *   `{ id, op: "close" }` closes the listener and the store, then the process exits.
 *
 * argv[2] is JSON: `{ name, store: "sqlite" | "postgres", target (path or URL), base, secret,
 * issuer }`.
 */
import { serve } from "@hono/node-server";

const config = JSON.parse(process.argv[2] ?? "{}");
const dist = new URL("../../dist/server/", import.meta.url);
const server$ = await import(new URL("index.js", dist).href);

let offset = 0;
const now = () => config.base + offset;

const inner = server$.createTestPasswordHasher();
let verified = 0;
const hasher = {
  hash: (password) => inner.hash(password),
  async verify(password, phc) {
    verified++;
    return inner.verify(password, phc);
  },
};

const send = (message) => {
  if (process.connected) process.send(message);
};

const store =
  config.store === "postgres"
    ? await (await import(new URL("postgres/index.js", dist).href)).postgresStore({
        connectionString: config.target,
      })
    : await (await import(new URL("sqlite/index.js", dist).href)).sqliteStore({ path: config.target });

const server = server$.createAuthServer({
  issuer: config.issuer,
  secret: config.secret,
  store,
  hasher,
  now,
  rateLimits: false,
  appOrigins: ["http://app.test"],
  mailer: {
    async send(message) {
      send({ type: "mail", instance: config.name, message });
    },
  },
  onError(error) {
    send({ type: "error", instance: config.name, message: String(error?.stack ?? error) });
  },
});

const http = serve(
  {
    fetch(request, env) {
      send({ type: "arrived" });
      return server.fetch(request, { remoteAddress: env.incoming?.socket?.remoteAddress ?? "127.0.0.1" });
    },
    port: 0,
    hostname: "127.0.0.1",
  },
  (info) => send({ type: "ready", port: info.port }),
);

process.on("message", async (command) => {
  try {
    if (command.op === "stats") {
      send({ type: "reply", id: command.id, verified });
    } else if (command.op === "clock") {
      offset = command.offset;
      send({ type: "reply", id: command.id, now: now() });
    } else if (command.op === "close") {
      http.closeAllConnections?.();
      await new Promise((resolve) => http.close(() => resolve()));
      await server.close();
      send({ type: "reply", id: command.id });
      process.disconnect();
    }
  } catch (error) {
    send({ type: "reply", id: command.id, error: String(error?.stack ?? error) });
  }
});
// The test went away without closing us: do not linger.
process.on("disconnect", () => setTimeout(() => process.exit(0), 1000).unref());
