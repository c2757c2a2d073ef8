/**
 * `tegata user add | suspend | unsuspend | unlock`: what operators do to accounts, through the
 * server itself (its `server.admin`), on the database the server uses.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import type { AdminActor, AdminUserView, AuthServer } from "tegata/server";
import {
  CliError,
  DATABASE_OPTIONS,
  type DatabaseChoice,
  databaseChoice,
  describeDatabase,
  messageOf,
  openStore,
  requireSecret,
  UsageError,
} from "./common";
import { USER_HELP } from "./help";
import { askHidden, type CliIo, readStdin } from "./io";
import { checkSigningKeys, makeServer } from "./server";

const OPTIONS = {
  ...DATABASE_OPTIONS,
  name: { type: "string" },
  "password-stdin": { type: "boolean" },
  verified: { type: "boolean" },
  reason: { type: "string" },
  actor: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>["values"];

const ACTIONS = ["add", "suspend", "unsuspend", "unlock"] as const;
type Action = (typeof ACTIONS)[number];

function usage(message: string): UsageError {
  return new UsageError(message, "user");
}

/** The operator: `--actor`, else the OS user name. */
function actorOf(values: Values, env: NodeJS.ProcessEnv): string {
  if (values.actor !== undefined) {
    if (values.actor.trim() === "") throw usage("--actor needs a name");
    return values.actor.trim();
  }
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    name = env.USER ?? env.USERNAME;
  }
  if (!name) throw usage("Cannot tell who you are: give --actor NAME");
  return name;
}

/** Parses a problem body (RFC 9457) into a message. */
async function _problemMessage(response: Response): Promise<string> {
  let body: { code?: string; title?: string; issues?: Array<{ message?: string }>; retry_after?: number } =
    {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // not JSON
  }
  switch (body.code) {
    case "email_taken":
      return "an account with this address exists";
    case "password_policy":
      return `the password policy refuses this password:\n${(body.issues ?? []).map((i) => `  - ${i.message}`).join("\n")}`;
    default:
      return `${body.title ?? `status ${response.status}`}${body.code ? ` (${body.code})` : ""}`;
  }
}

async function readPassword(values: Values, io: CliIo): Promise<string> {
  if (values["password-stdin"]) {
    const password = await readStdin(io.stdin);
    if (password === "") throw new CliError("tegata user add: standard input held no password");
    return password;
  }
  const first = await askHidden(io, "Password: ");
  if (first === "") throw new CliError("tegata user add: no password given");
  const again = await askHidden(io, "Again: ");
  if (again !== first) throw new CliError("tegata user add: the two passwords differ");
  return first;
}

/** Creates the user with `server.admin.createUser` (policy and hash of the server, audited). */
async function addUser(
  server: AuthServer,
  input: { email: string; password: string; name?: string; emailVerified: boolean },
  by: AdminActor,
) {
  try {
    return await server.admin.createUser(input, by);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === "email_taken") throw new CliError("tegata user add: an account with this address exists");
    if (code === "email_blocked") {
      throw new CliError(
        "tegata user add: this address belonged to an account deleted recently: it is blocked",
      );
    }
    if (code === "password_policy") {
      const issues = (error as { issues?: Array<{ message?: string }> }).issues ?? [];
      throw new CliError(
        `tegata user add: the password policy refuses this password:\n${issues.map((i) => `  - ${i.message}`).join("\n")}`,
      );
    }
    if (code === "invalid_request") throw new CliError(`tegata user add: ${messageOf(error)}`);
    throw error;
  }
}

/** The user named by address or id, as `server.admin` sees it. */
async function findUser(server: AuthServer, target: string, by: AdminActor): Promise<AdminUserView> {
  const query = target.includes("@") ? { email: target } : { id: target };
  const user = await server.admin.findUser(query, by);
  if (user === null) throw new CliError(`tegata user: no user ${target}`);
  return user;
}

function describeUser(user: { id: string; email: string }): string {
  return `${user.email} (${user.id})`;
}

export async function user(args: string[], io: CliIo): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (error) {
    throw usage(messageOf(error));
  }
  if (values.help) {
    io.out(USER_HELP);
    return 0;
  }
  const [action, target, ...extra] = positionals;
  if (action === undefined) throw usage("Say what to do: tegata user add | suspend | unsuspend | unlock");
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw usage(`Unknown action ${JSON.stringify(action)}: add, suspend, unsuspend or unlock`);
  }
  const act = action as Action;
  if (target === undefined || target.trim() === "") {
    throw usage(act === "add" ? "Give the new user's address" : "Give the user's address or id");
  }
  if (extra.length > 0) throw usage(`Unexpected argument ${JSON.stringify(extra[0])}`);
  if (act !== "add" && (values.name !== undefined || values["password-stdin"] || values.verified)) {
    throw usage("--name, --verified and --password-stdin are options of user add");
  }
  if (act === "suspend" && (values.reason === undefined || values.reason.trim() === "")) {
    throw usage("user suspend needs --reason TEXT (it goes to the audit trail)");
  }

  const database: DatabaseChoice = databaseChoice(values, io.env, "user");
  if (database.kind === "memory") throw usage("The memory store keeps nothing: give --db or --database-url");
  if (database.kind === "sqlite" && !existsSync(database.path)) {
    throw new CliError(
      `tegata user: there is no database at ${describeDatabase(database).slice("SQLite ".length)} (give --db, or create it with tegata migrate or tegata serve)`,
    );
  }
  const secret = requireSecret(io.env, "tegata user");
  const by: AdminActor = {
    actor: actorOf(values, io.env),
    ...(values.reason ? { reason: values.reason } : {}),
  };
  const password = act === "add" ? await readPassword(values, io) : "";

  const store = await openStore(database);
  const failures: unknown[] = [];
  const issuer = (io.env.TEGATA_ISSUER ?? "http://localhost").replace(/\/+$/, "");
  const server = makeServer({
    issuer,
    secret,
    store,
    rateLimits: false,
    mailer: { send: async () => {} },
    onError: (error) => failures.push(error),
  });
  try {
    await checkSigningKeys(server, issuer, failures);
    switch (act) {
      case "add": {
        const created = await addUser(
          server,
          {
            email: target.trim(),
            password,
            ...(values.name === undefined ? {} : { name: values.name }),
            emailVerified: values.verified === true,
          },
          by,
        );
        io.out(
          `tegata: created ${describeUser(created)}; its address is ${created.emailVerified ? "" : "not "}verified`,
        );
        break;
      }
      case "suspend": {
        const found = await findUser(server, target, by);
        const view = await server.admin.suspend(found.id, by);
        io.out(
          `tegata: suspended ${describeUser(view)}: sign-in answers account_suspended; ${found.activeSessions} session${found.activeSessions === 1 ? "" : "s"} ended`,
        );
        break;
      }
      case "unsuspend": {
        const found = await findUser(server, target, by);
        const view = await server.admin.unsuspend(found.id, by);
        io.out(
          `tegata: ${found.suspended ? "lifted the suspension of" : "not suspended, nothing to lift:"} ${describeUser(view)}`,
        );
        break;
      }
      case "unlock": {
        const found = await findUser(server, target, by);
        const view = await server.admin.unlock(found.id, by);
        io.out(
          found.lockedUntil
            ? `tegata: unlocked ${describeUser(view)} (it was locked until ${found.lockedUntil.toISOString()})`
            : `tegata: ${describeUser(view)} was not locked`,
        );
        break;
      }
    }
    if (failures.length > 0) throw new CliError(`tegata user: the server failed: ${messageOf(failures[0])}`);
    return 0;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === "user_not_found")
      throw new CliError(`tegata user: no user ${target}`);
    throw error;
  } finally {
    await server.close();
  }
}
