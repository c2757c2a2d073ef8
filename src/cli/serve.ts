/**
 * `tegata serve`: the auth server over `node:http`.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import type { AuthServer, Mailer } from "tegata/server";
import {
  CliError,
  DATABASE_OPTIONS,
  databaseChoice,
  describeDatabase,
  messageOf,
  migrateStore,
  openStore,
  readSecret,
  SECRET_HINT,
  UsageError,
} from "./common";
import { SERVE_HELP } from "./help";
import type { CliIo } from "./io";
import { type Listener, listen } from "./node-http";
import { checkSigningKeys, makeServer } from "./server";
import { VERSION } from "./version";

/** How long requests in flight may take to finish after SIGTERM / SIGINT. */
export const SHUTDOWN_GRACE_MS = 10_000;

const OPTIONS = {
  ...DATABASE_OPTIONS,
  port: { type: "string" },
  host: { type: "string" },
  issuer: { type: "string" },
  "trust-proxy": { type: "boolean" },
  "cors-origin": { type: "string", multiple: true },
  "app-origin": { type: "string", multiple: true },
  "no-migrate": { type: "boolean" },
  quiet: { type: "boolean" },
  dev: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new UsageError(`--port must be a number from 0 to 65535, not ${JSON.stringify(value)}`, "serve");
  }
  return Number(value);
}

function checkOrigins(origins: string[] | undefined, flag: string): string[] {
  return (origins ?? []).map((origin) => {
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new UsageError(
        `${flag} must be an origin such as https://app.example.com, not ${origin}`,
        "serve",
      );
    }
    if (parsed.origin === "null" || parsed.origin !== origin.replace(/\/+$/, "")) {
      throw new UsageError(`${flag} must be an origin (scheme, host and port only), not ${origin}`, "serve");
    }
    return parsed.origin;
  });
}

/** Runs the server until SIGTERM / SIGINT; resolves with the exit code. */
export async function serve(args: string[], io: CliIo): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>["values"];
  try {
    ({ values } = parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (error) {
    throw new UsageError(messageOf(error), "serve");
  }
  if (values.help) {
    io.out(SERVE_HELP);
    return 0;
  }
  const dev = values.dev === true;
  const notices: string[] = [];

  let secret = readSecret(io.env);
  if (secret === undefined) {
    if (!dev) {
      throw new CliError(
        "tegata serve: TEGATA_SECRET is not set. It is the server's secret (at least 32 bytes): it seals the signing keys and TOTP secrets in the database, and every restart and instance needs the same one.\n" +
          `${SECRET_HINT}\nTo try the server out, run tegata serve --dev (a random secret for this run).`,
      );
    }
    secret = randomBytes(32).toString("base64url");
    notices.push(
      "dev mode: TEGATA_SECRET is not set, so this run uses a random secret; what it seals (signing keys, TOTP secrets) opens with no other",
    );
  }
  const database = databaseChoice(values, io.env, "serve", dev ? { kind: "memory" } : undefined);
  if (dev && database.kind === "memory" && values.db === undefined) {
    notices.push("dev mode: memory store, nothing survives a restart (give --db FILE to keep the data)");
  }
  const port = parsePort(values.port ?? io.env.PORT ?? "8787");
  const host = values.host ?? "127.0.0.1";
  const corsOrigins = checkOrigins(values["cors-origin"], "--cors-origin");
  const appOrigins = checkOrigins(values["app-origin"], "--app-origin");
  const issuerOption = values.issuer ?? io.env.TEGATA_ISSUER;
  if (issuerOption !== undefined && !/^https?:\/\/[^/]/i.test(issuerOption)) {
    throw new UsageError(`--issuer must be an absolute http(s) URL, not ${issuerOption}`, "serve");
  }

  const store = await openStore(database);
  let listener: Listener | undefined;
  try {
    const applied = values["no-migrate"] ? [] : await migrateStore(store, database);

    // The server needs its issuer, which defaults to the address bound (port 0: known only after
    // listening): requests that arrive before it is made wait for it.
    let resolveReady!: (server: AuthServer) => void;
    let rejectReady!: (error: unknown) => void;
    const ready = new Promise<AuthServer>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    ready.catch(() => {});
    const log = values.quiet ? undefined : (line: string) => io.out(line);
    try {
      listener = await listen({
        host,
        port,
        handle: async (request, info) => (await ready).fetch(request, info),
        ...(log ? { log } : {}),
        onError: (error) => io.err(`tegata: request failed: ${messageOf(error)}`),
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CliError(
        code === "EADDRINUSE"
          ? `tegata serve: port ${port} of ${host} is in use (give another with --port)`
          : `tegata serve: cannot listen on ${host}:${port}: ${messageOf(error)}`,
      );
    }
    const wildcard = host === "0.0.0.0" || host === "::" || host === "[::]";
    const issuer = (issuerOption ?? (wildcard ? `http://localhost:${listener.port}` : listener.url)).replace(
      /\/+$/,
      "",
    );

    let probing = true;
    const probeFailures: unknown[] = [];
    const mailer: Mailer = {
      async send(message) {
        io.out(`tegata: a ${message.kind} mail was not sent (tegata serve sends no mail)`);
      },
    };
    let server: AuthServer;
    try {
      server = makeServer({
        issuer,
        secret,
        store,
        trustProxy: values["trust-proxy"] === true,
        ...(corsOrigins.length > 0 ? { cors: { origins: corsOrigins } } : {}),
        appOrigins,
        mailer,
        onError(error) {
          if (probing) probeFailures.push(error);
          else
            io.err(
              `tegata: request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
            );
        },
      });
      await checkSigningKeys(server, issuer, probeFailures);
    } catch (error) {
      rejectReady(error);
      throw error;
    }
    probing = false;
    resolveReady(server);

    for (const notice of notices) io.out(notice);
    io.out(`tegata ${VERSION}: auth server listening on ${listener.url}`);
    io.out(
      `  issuer:   ${issuer}${issuerOption === undefined && !dev ? " (give --issuer the URL clients use)" : ""}`,
    );
    io.out(
      `  database: ${describeDatabase(database)}${applied.length > 0 ? ` (schema migrations applied: ${applied.join(", ")})` : ""}`,
    );
    if (values["trust-proxy"]) io.out("  client IPs from X-Forwarded-For (--trust-proxy)");
    if (corsOrigins.length > 0) io.out(`  CORS: ${corsOrigins.join(", ")}`);

    return await waitForSignal(io, listener, server);
  } catch (error) {
    await listener?.close(0).catch(() => {});
    await store.close().catch(() => {});
    throw error;
  }
}

/** Serves until SIGTERM / SIGINT, then shuts down gracefully; a second signal exits at once. */
function waitForSignal(io: CliIo, listener: Listener, server: AuthServer): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const removals: Array<() => void> = [];
    const stop = async (signal: string) => {
      if (stopping) {
        io.err(`tegata: ${signal} again: stopping now`);
        process.exit(1);
      }
      stopping = true;
      const inFlight = listener.inFlight();
      // Closed first (no new connection from here on), then said.
      const closed = listener.close(SHUTDOWN_GRACE_MS);
      io.out(
        `tegata: ${signal}: shutting down${inFlight > 0 ? `, finishing ${inFlight} request${inFlight === 1 ? "" : "s"} in flight` : ""}`,
      );
      let code = 0;
      const { forced } = await closed;
      if (forced) {
        io.err(`tegata: requests still in flight after ${SHUTDOWN_GRACE_MS / 1000} s were cut`);
        code = 1;
      }
      try {
        await server.close();
      } catch (error) {
        io.err(`tegata: closing the database failed: ${messageOf(error)}`);
        code = 1;
      }
      for (const remove of removals) remove();
      io.out("tegata: stopped");
      resolve(code);
    };
    removals.push(io.onSignal("SIGTERM", () => void stop("SIGTERM")));
    removals.push(io.onSignal("SIGINT", () => void stop("SIGINT")));
  });
}
