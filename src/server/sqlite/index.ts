/**
 * `tegata/server/sqlite`: the auth server's store in an SQLite file, on `node:sqlite` (built into
 * Node.js: nothing to install). The embedded default: one machine, any number of server
 * processes on one file (WAL; writers wait for each other up to `busyTimeoutMs`).
 *
 * Importing this module loads nothing: Kysely and `node:sqlite` load when `sqliteStore` is called.
 *
 * @module
 */

import type { SqliteStoreOptions, SqlStore } from "../store/sql/types";

export type { SqliteStoreOptions, SqlStore } from "../store/sql/types";

/**
 * Opens the SQLite store in `path` (created when missing), in WAL mode with `busy_timeout` set
 * first and foreign keys on, and applies the schema migrations it lacks (unless
 * `migrate: false`).
 *
 * A file that holds other tables and none of tegata's, or that is not an SQLite database, is
 * refused with an error: tegata never starts over a database it did not make.
 *
 * @param options - `path` of the database file; `busyTimeoutMs` (default 5000); `migrate` (default true).
 * @returns The store; `close()` closes the database.
 *
 * @example
 * ```ts
 * import { createAuthServer } from "tegata/server";
 * import { sqliteStore } from "tegata/server/sqlite";
 *
 * const store = await sqliteStore({ path: "./auth.sqlite" });
 * const server = createAuthServer({ store, secret: process.env.TEGATA_SECRET ?? "", issuer: "https://auth.example.jp" });
 * ```
 */
export async function sqliteStore(options: SqliteStoreOptions): Promise<SqlStore> {
  const { openSqliteStore } = await import("../store/sql/open");
  return openSqliteStore(options);
}
