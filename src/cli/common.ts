/**
 * What the commands share: errors with an exit code, the database options and opening the store,
 * the secret.
 *
 * @module
 */
import { resolve } from "node:path";
import type { AuthStore } from "tegata/server";

/** A failure the user can act on: its message is printed as it is, then the process exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** A command line that does not parse: exit code 2, with a pointer to `--help`. */
export class UsageError extends CliError {
  constructor(message: string, command: string) {
    super(`tegata ${command}: ${message}\nSee: tegata ${command} --help`, 2);
    this.name = "UsageError";
  }
}

/** The default SQLite file, in the working folder. */
export const DEFAULT_DB = "./auth.sqlite";

/** The options every command that opens the database takes (for `parseArgs`). */
export const DATABASE_OPTIONS = {
  db: { type: "string" },
  "database-url": { type: "string" },
} as const;

/** Where the data is. */
export type DatabaseChoice =
  | { kind: "sqlite"; path: string }
  | { kind: "postgres"; url: string }
  | { kind: "memory" };

/**
 * The database named by `--db` / `--database-url` (or `TEGATA_DATABASE_URL`); `fallback` when
 * neither is given. `--db :memory:` is the memory store.
 */
export function databaseChoice(
  values: { db?: string | undefined; "database-url"?: string | undefined },
  env: NodeJS.ProcessEnv,
  command: string,
  fallback: DatabaseChoice = { kind: "sqlite", path: DEFAULT_DB },
): DatabaseChoice {
  const url = values["database-url"] ?? (values.db === undefined ? env.TEGATA_DATABASE_URL : undefined);
  if (values.db !== undefined && values["database-url"] !== undefined) {
    throw new UsageError("Give --db or --database-url, not both", command);
  }
  if (url !== undefined && url !== "") {
    if (!/^postgres(ql)?:\/\//i.test(url)) {
      throw new UsageError("--database-url must be a postgres:// (or postgresql://) URL", command);
    }
    return { kind: "postgres", url };
  }
  if (values.db === ":memory:") return { kind: "memory" };
  if (values.db !== undefined) {
    if (values.db === "") throw new UsageError("--db needs a file path", command);
    return { kind: "sqlite", path: values.db };
  }
  return fallback;
}

/** A database URL without its password, for printing. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.href;
  } catch {
    return "postgres://…";
  }
}

/** The database as the commands describe it. */
export function describeDatabase(choice: DatabaseChoice): string {
  switch (choice.kind) {
    case "sqlite":
      return `SQLite ${resolve(choice.path)}`;
    case "postgres":
      return `PostgreSQL ${redactUrl(choice.url)}`;
    case "memory":
      return "memory (nothing survives a restart)";
  }
}

/** An opened store; `migrate` for the SQL ones. */
export type OpenedStore = AuthStore & { migrate?: () => Promise<number[]> };

/**
 * Opens the store without migrating (the caller decides); the store modules load only here, so
 * the PostgreSQL driver is needed only with `--database-url`.
 *
 * @throws CliError with the store's own message (a foreign SQLite file, a database that cannot
 *   be reached, `pg` not installed…).
 */
export async function openStore(choice: DatabaseChoice): Promise<OpenedStore> {
  try {
    switch (choice.kind) {
      case "sqlite": {
        const { sqliteStore } = await import("tegata/server/sqlite");
        return await sqliteStore({ path: choice.path, migrate: false });
      }
      case "postgres": {
        const { postgresStore } = await import("tegata/server/postgres");
        return await postgresStore({ connectionString: choice.url, migrate: false });
      }
      case "memory": {
        const { memoryStore } = await import("tegata/server");
        return memoryStore();
      }
    }
  } catch (error) {
    throw new CliError(`tegata: cannot open the database (${describeDatabase(choice)}): ${messageOf(error)}`);
  }
}

/** Applies the migrations the database lacks; the versions applied. */
export async function migrateStore(store: OpenedStore, choice: DatabaseChoice): Promise<number[]> {
  if (!store.migrate) return [];
  try {
    return await store.migrate();
  } catch (error) {
    throw new CliError(
      `tegata: cannot migrate the database (${describeDatabase(choice)}): ${messageOf(error)}`,
    );
  }
}

/** An error's message without the "tegata: " its own source may have put first. */
export function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^tegata: /, "");
}

/** How to make a secret, for the messages that ask for one. */
export const SECRET_HINT =
  "Make one with: node -e \"console.log(require('node:crypto').randomBytes(32).toString('base64url'))\"";

/**
 * `TEGATA_SECRET`, at least 32 bytes; `undefined` when unset.
 *
 * @throws CliError when it is set but too short.
 */
export function readSecret(env: NodeJS.ProcessEnv): string | undefined {
  const secret = env.TEGATA_SECRET;
  if (secret === undefined || secret === "") return undefined;
  if (new TextEncoder().encode(secret).length < 32) {
    throw new CliError(`tegata: TEGATA_SECRET must be at least 32 bytes long.\n${SECRET_HINT}`);
  }
  return secret;
}

/** `TEGATA_SECRET`, required. */
export function requireSecret(env: NodeJS.ProcessEnv, what: string): string {
  const secret = readSecret(env);
  if (secret === undefined) {
    throw new CliError(
      `tegata: ${what} needs TEGATA_SECRET, the server's secret (at least 32 bytes; it seals the signing keys and TOTP secrets in the database).\n${SECRET_HINT}`,
    );
  }
  return secret;
}
