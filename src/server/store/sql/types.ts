/**
 * Public types of the SQL stores (`tegata/server/sqlite`, `tegata/server/postgres`). Type-only:
 * nothing here loads Kysely or a database driver.
 *
 * @module
 */

import type { AuthStore } from "../types";

/** An {@link AuthStore} kept in SQLite or PostgreSQL. */
export interface SqlStore extends AuthStore {
  /** Which database it runs on. */
  readonly dialect: "sqlite" | "postgres";
  /**
   * Applies the schema migrations the database lacks, in one transaction that also serialises
   * instances starting at once. Idempotent. The factories run it unless `migrate: false`.
   *
   * @returns The versions applied by this call (empty when the schema was current).
   */
  migrate(): Promise<number[]>;
}

/** Options of `sqliteStore`. */
export interface SqliteStoreOptions {
  /** The database file; created when missing (its folder must exist). */
  path: string;
  /**
   * How long a statement waits for another process's write lock before failing, in ms
   * (`PRAGMA busy_timeout`). Default 5000.
   */
  busyTimeoutMs?: number;
  /** Apply the schema migrations on open (default `true`); with `false`, call `store.migrate()`. */
  migrate?: boolean;
}

/**
 * The part of a `pg` `Pool` the store uses (so that these types need no `pg` installed): pass a
 * `new Pool(…)` from `pg`.
 */
export interface PostgresPoolLike {
  connect(): Promise<{
    query(...args: never[]): Promise<unknown>;
    release(): void;
  }>;
  end(): Promise<void>;
  options: object;
}

/** Options of `postgresStore`: a connection string (the store makes and owns a pool) or a pool of yours. */
export type PostgresStoreOptions = (
  | {
      /** `postgres://user:password@host:5432/database`. */
      connectionString: string;
      /** Pool size (default 10). */
      max?: number;
      pool?: never;
    }
  | {
      /**
       * A `pg` pool of yours: `close()` leaves it open (end it yourself). Its connections must
       * see tegata's tables first on their `search_path`.
       */
      pool: PostgresPoolLike;
      connectionString?: never;
    }
) & {
  /** Apply the schema migrations on open (default `true`); with `false`, call `store.migrate()`. */
  migrate?: boolean;
};
