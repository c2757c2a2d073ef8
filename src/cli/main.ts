/**
 * `tegata <command>`: dispatch, help and exit codes.
 *
 * @module
 */
import { CliError } from "./common";
import { MAIN_HELP } from "./help";
import type { CliIo } from "./io";
import { migrate } from "./migrate";
import { serve } from "./serve";
import { user } from "./user";
import { VERSION } from "./version";

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = { serve, migrate, user };

/**
 * Runs one command line (without `node` and the script); resolves with the exit code: 0 done,
 * 1 failed, 2 a command line that does not parse. Messages go to `io`; nothing throws.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    const topic = command === "help" ? rest[0] : undefined;
    if (topic !== undefined && COMMANDS[topic]) return main([topic, "--help"], io);
    if (command === undefined) {
      io.err(MAIN_HELP);
      return 2;
    }
    io.out(MAIN_HELP);
    return 0;
  }
  if (command === "--version" || command === "-v") {
    io.out(VERSION);
    return 0;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    io.err(`tegata: unknown command ${JSON.stringify(command)}\nSee: tegata --help`);
    return 2;
  }
  try {
    return await run(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.err(error.message);
      return error.exitCode;
    }
    io.err(`tegata ${command}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}
