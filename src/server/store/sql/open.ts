/**
 * Opening the SQL stores: loaded lazily by `tegata/server/sqlite` and `tegata/server/postgres`,
 * so that importing those subpaths loads neither Kysely nor a database driver.
 *
 * @module
 */

import { Kysely, PostgresDialect, type PostgresPool } from "kysely";
import { MIGRATIONS_TABLE, migrate } from "./schema";
import { NodeSqliteDialect } from "./sqlite-dialect";
import { createSqlStore } from "./store";
import type { PostgresStoreOptions, SqliteStoreOptions, SqlStore } from "./types";

/**
 * Imports a module by a name the bundler must not resolve: `node:sqlite` (tsup would strip its
 * `node:` prefix, and `sqlite` alone is no built-in) and the optional peer `pg`.
 */
async function load<T>(name: string): Promise<T> {
  const module = (await import(/* @vite-ignore */ name)) as T & { default?: T };
  return module.default ?? module;
}

/** Opens (creating when missing) an SQLite store; see `sqliteStore`. */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqlStore> {
  let sqlite: typeof import("node:sqlite");
  try {
    sqlite = await import(/* @vite-ignore */ ["node", "sqlite"].join(":"));
  } catch (cause) {
    throw new Error("tegata: sqliteStore needs node:sqlite (Node.js 22.13 or later)", { cause });
  }
  const path = options.path;
  let database: import("node:sqlite").DatabaseSync;
  try {
    database = new sqlite.DatabaseSync(path);
    // busy_timeout first: switching to WAL itself needs a lock another process may hold.
    database.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    database.exec("PRAGMA journal_mode = WAL");
    database.exec("PRAGMA synchronous = NORMAL");
    database.exec("PRAGMA foreign_keys = ON");
    checkForeign(database, path);
  } catch (cause) {
    // biome-ignore lint/suspicious/noExplicitAny: closing what may be half open.
    (database! as any)?.close?.();
    if (cause instanceof Error && cause.message.startsWith("tegata:")) throw cause;
    throw new Error(`tegata: cannot open the SQLite database ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const db = new Kysely({ dialect: new NodeSqliteDialect(database) });
  if (options.migrate !== false) {
    try {
      await migrate(db, "sqlite", Date.now());
    } catch (error) {
      await db.destroy();
      throw error;
    }
  }
  return createSqlStore(db, { dialect: "sqlite" });
}

/** Refuses a database that holds other tables and none of tegata's: never write into a stranger. */
function checkForeign(database: import("node:sqlite").DatabaseSync, path: string): void {
  const tables = database
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .all()
    .map((r) => String(r.name));
  if (tables.length > 0 && !tables.includes(MIGRATIONS_TABLE)) {
    throw new Error(
      `tegata: ${path} is an SQLite database of something else (tables ${tables.slice(0, 5).join(", ")}); give tegata a file of its own`,
    );
  }
}

interface PgModule {
  Pool: new (config: {
    connectionString: string;
    max?: number;
  }) => PostgresPool & { on(event: "error", listener: (error: Error) => void): unknown };
}

/** Clients that already have the listener of {@link quiet}. */
const quieted = new WeakSet<object>();

/**
 * Gives a pg client a listener for its `error` event, once. A connection that ends while the
 * client is checked out (the database stopped between two statements of a transaction) is
 * emitted as `error` on the client; with no listener, Node throws it and the process ends. The
 * statement in progress gets the error anyway (the request answers 503), and the pool discards
 * the client.
 */
function quiet<C>(client: C): C {
  const emitter = client as unknown as { on?: (event: "error", listener: () => void) => unknown };
  if (typeof emitter.on === "function" && !quieted.has(emitter)) {
    emitter.on("error", () => {});
    quieted.add(emitter);
  }
  return client;
}

/** Opens a PostgreSQL store; see `postgresStore`. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<SqlStore> {
  let pool: PostgresPool;
  if (options.pool !== undefined) {
    const given = options.pool as unknown as PostgresPool;
    // Kysely ends the pool it was given on destroy: a pool of the caller's stays open.
    pool = { connect: async () => quiet(await given.connect()), end: async () => {}, options: given.options };
  } else {
    let pg: PgModule;
    try {
      pg = await load<PgModule>("pg");
    } catch (cause) {
      throw new Error("tegata: postgresStore needs the pg package: npm install pg", { cause });
    }
    const created = new pg.Pool({ connectionString: options.connectionString, max: options.max ?? 10 });
    // An idle connection lost (the database restarted, a proxy cut it) is no request's failure:
    // the pool drops it and connects anew. Without a listener, pg's pool would throw the event
    // and end the process.
    created.on("error", () => {});
    pool = {
      connect: async () => quiet(await created.connect()),
      end: () => created.end(),
      options: created.options,
    };
  }
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  if (options.migrate !== false) {
    try {
      await migrate(db, "postgres", Date.now());
    } catch (error) {
      await db.destroy();
      throw error;
    }
  }
  return createSqlStore(db, { dialect: "postgres" });
}
