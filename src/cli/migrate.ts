/**
 * `tegata migrate`: applies the schema migrations the database lacks.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  DATABASE_OPTIONS,
  databaseChoice,
  describeDatabase,
  messageOf,
  migrateStore,
  openStore,
  UsageError,
} from "./common";
import { MIGRATE_HELP } from "./help";
import type { CliIo } from "./io";

const OPTIONS = { ...DATABASE_OPTIONS, help: { type: "boolean", short: "h" } } as const;

export async function migrate(args: string[], io: CliIo): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>["values"];
  try {
    ({ values } = parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (error) {
    throw new UsageError(messageOf(error), "migrate");
  }
  if (values.help) {
    io.out(MIGRATE_HELP);
    return 0;
  }
  const database = databaseChoice(values, io.env, "migrate");
  if (database.kind === "memory")
    throw new UsageError("The memory store has no schema to migrate", "migrate");
  const store = await openStore(database);
  try {
    const applied = await migrateStore(store, database);
    io.out(
      applied.length > 0
        ? `tegata: applied schema migration${applied.length === 1 ? "" : "s"} ${applied.join(", ")} to ${describeDatabase(database)}`
        : `tegata: the schema of ${describeDatabase(database)} is current, nothing to apply`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
