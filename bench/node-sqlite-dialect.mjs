// A Kysely dialect over node:sqlite for better-auth in bench/server.bench.mjs: the same driver as
// tegata's SQLite store (a copy of src/server/store/sql/sqlite-dialect.ts, which the package does
// not export), so that on SQLite both servers reach the same file through the same driver: one
// connection per database handle, one query or one whole transaction at a time (a mutex),
// transactions begun with BEGIN IMMEDIATE, prepared statements cached by SQL text.
import { CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from "kysely";

const CACHE_LIMIT = 200;

class NodeSqliteConnection {
  #db;
  #statements = new Map();

  constructor(db) {
    this.#db = db;
  }

  #prepare(sql) {
    let entry = this.#statements.get(sql);
    if (entry === undefined) {
      const stmt = this.#db.prepare(sql);
      const reader =
        typeof stmt.columns === "function"
          ? stmt.columns().length > 0
          : /^\s*(select|with|pragma|values)\b|\breturning\b/i.test(sql);
      entry = { stmt, reader };
      if (this.#statements.size >= CACHE_LIMIT) this.#statements.clear();
      this.#statements.set(sql, entry);
    }
    return entry;
  }

  async executeQuery(compiled) {
    const { stmt, reader } = this.#prepare(compiled.sql);
    const params = compiled.parameters.map(toSqlite);
    if (reader) return { rows: stmt.all(...params) };
    const { changes, lastInsertRowid } = stmt.run(...params);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered.
  async *streamQuery() {
    throw new Error("the node:sqlite driver does not stream");
  }
}

/** JavaScript values as node:sqlite binds them (it refuses booleans, undefined and Dates). */
function toSqlite(value) {
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" || typeof value === "string" || typeof value === "bigint") return value;
  if (value instanceof Uint8Array) return value;
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

class Mutex {
  #tail = Promise.resolve();
  #release = null;

  async lock() {
    const previous = this.#tail;
    let release = () => {};
    this.#tail = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    this.#release = release;
  }

  unlock() {
    const release = this.#release;
    this.#release = null;
    release?.();
  }
}

class NodeSqliteDriver {
  #db;
  #connection;
  #mutex = new Mutex();

  constructor(db) {
    this.#db = db;
    this.#connection = new NodeSqliteConnection(db);
  }

  async init() {}

  async acquireConnection() {
    await this.#mutex.lock();
    return this.#connection;
  }

  async beginTransaction(connection) {
    await connection.executeQuery(CompiledQuery.raw("BEGIN IMMEDIATE"));
  }

  async commitTransaction(connection) {
    await connection.executeQuery(CompiledQuery.raw("COMMIT"));
  }

  async rollbackTransaction(connection) {
    await connection.executeQuery(CompiledQuery.raw("ROLLBACK"));
  }

  async releaseConnection() {
    this.#mutex.unlock();
  }

  async destroy() {
    await this.#mutex.lock();
    try {
      if (this.#db.isOpen) this.#db.close();
    } finally {
      this.#mutex.unlock();
    }
  }
}

/** Kysely's SQLite adapter, compiler and introspector over the node:sqlite driver. */
export class NodeSqliteDialect {
  #db;

  constructor(db) {
    this.#db = db;
  }

  createDriver() {
    return new NodeSqliteDriver(this.#db);
  }

  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }

  createAdapter() {
    return new SqliteAdapter();
  }

  createIntrospector(db) {
    return new SqliteIntrospector(db);
  }
}

/** Opens `path` with the pragmas of tegata's SQLite store (busy_timeout first, WAL, NORMAL, FKs). */
export async function openSqlite(path) {
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path);
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  return db;
}
