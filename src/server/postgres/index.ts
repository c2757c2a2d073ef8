/**
 * `tegata/server/postgres`: the auth server's store in PostgreSQL, on `pg` (an optional peer
 * dependency: `npm install pg`). For any number of server instances on any number of machines.
 *
 * Importing this module loads nothing: Kysely and `pg` load when `postgresStore` is called.
 *
 * @module
 */

import type { PostgresStoreOptions, SqlStore } from "../store/sql/types";

export type { PostgresPoolLike, PostgresStoreOptions, SqlStore } from "../store/sql/types";

/**
 * Opens the PostgreSQL store and applies the schema migrations it lacks (unless
 * `migrate: false`); instances starting at once migrate one after another (an advisory lock).
 *
 * @param options - `connectionString` (the store makes a pool of `max` connections, default 10,
 *   and ends it on `close()`), or `pool`, a `pg` `Pool` of yours (left open on `close()`);
 *   `migrate` (default true).
 * @returns The store.
 *
 * @example
 * ```ts
 * import { postgresStore } from "tegata/server/postgres";
 *
 * const store = await postgresStore({ connectionString: process.env.DATABASE_URL ?? "" });
 * ```
 */
export async function postgresStore(options: PostgresStoreOptions): Promise<SqlStore> {
  const { openPostgresStore } = await import("../store/sql/open");
  return openPostgresStore(options);
}
