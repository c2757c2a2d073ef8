/**
 * The `tegata` commands run in this process (`main` with a fake process): help, usage errors and
 * exit codes, the secret's checks, `migrate`, and the operators' `user` commands against an
 * SQLite file, checked through the server itself (sign-in answers, the audit trail).
 */
import { userInfo } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, it } from "vitest";
import pkg from "../../package.json" with { type: "json" };
import { main } from "../../src/cli/main";
import { loggedPath } from "../../src/cli/node-http";
import { createAuthServer } from "../../src/server/auth-server";
import { sqliteStore } from "../../src/server/sqlite/index";
import { ALL_MIGRATIONS, cleanup, fakeIo, ISSUER, PASSWORD, SECRET, tempDir } from "./support";

afterAll(cleanup);

async function run(args: string[], options: Parameters<typeof fakeIo>[0] = {}) {
  const fake = fakeIo(options);
  const code = await main(args, fake.io);
  return { code, stdout: fake.stdout(), stderr: fake.stderr(), prompted: fake.prompted() };
}

/** A database made by `tegata migrate`. */
async function newDatabase(): Promise<string> {
  const db = join(tempDir(), "auth.sqlite");
  expect((await run(["migrate", "--db", db])).code).toBe(0);
  return db;
}

/** The server on `db`, for checking what the commands did. */
async function serverOn(db: string) {
  return createAuthServer({ issuer: ISSUER, secret: SECRET, store: await sqliteStore({ path: db }) });
}

async function signIn(server: ReturnType<typeof createAuthServer>, email: string, password = PASSWORD) {
  const response = await server.fetch(
    new Request(`${ISSUER}/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("tegata: help, version, usage", () => {
  it("prints the help of every command with exit code 0, and the version", async () => {
    for (const [args, first] of [
      [["--help"], "tegata: the tegata auth server from the command line"],
      [["help", "serve"], "Usage: tegata serve [options]"],
      [["serve", "--help"], "Usage: tegata serve [options]"],
      [["migrate", "-h"], "Usage: tegata migrate [options]"],
      [["user", "--help"], "Usage:"],
    ] as const) {
      const result = await run([...args]);
      expect(result.code).toBe(0);
      expect(result.stdout.split("\n")[0]).toBe(first);
    }
    expect(await run(["--version"])).toMatchObject({ code: 0, stdout: pkg.version });
  });

  it("answers a command line that does not parse with exit code 2 and a pointer to --help", async () => {
    expect(await run([])).toMatchObject({ code: 2, stderr: expect.stringContaining("Usage:") });
    expect(await run(["frobnicate"])).toMatchObject({
      code: 2,
      stderr: 'tegata: unknown command "frobnicate"\nSee: tegata --help',
    });
    for (const [args, message] of [
      [["serve", "--bogus"], /Unknown option '--bogus'/],
      [["serve", "--port", "70000"], /--port must be a number from 0 to 65535/],
      [["serve", "--db", "a.sqlite", "--database-url", "postgres://x/y"], /not both/],
      [["serve", "--database-url", "mysql://x/y"], /postgres:\/\//],
      [["serve", "--issuer", "/relative"], /absolute http\(s\) URL/],
      [["serve", "--cors-origin", "https://app.example.com/path"], /an origin/],
      [["migrate", "--db", ":memory:"], /no schema to migrate/],
      [["user"], /Say what to do/],
      [["user", "remove", "a@example.jp"], /Unknown action "remove"/],
      [["user", "add"], /Give the new user's address/],
      [["user", "suspend", "a@example.jp"], /needs --reason TEXT/],
      [["user", "unlock", "a@example.jp", "--name", "x"], /options of user add/],
      [["user", "unlock", "a@example.jp", "--verified"], /options of user add/],
    ] as const) {
      const result = await run([...args]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/\nSee: tegata \w+ --help$/);
    }
  });
});

describe("tegata serve: the secret", () => {
  it("refuses to start without TEGATA_SECRET outside --dev, or with one under 32 bytes", async () => {
    const missing = await run(["serve", "--port", "0"], { env: { TEGATA_SECRET: "" } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^tegata serve: TEGATA_SECRET is not set\./);
    expect(missing.stderr).toContain("tegata serve --dev");
    const short = await run(["serve", "--port", "0"], { env: { TEGATA_SECRET: "too short" } });
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/TEGATA_SECRET must be at least 32 bytes long/);
  });

  it("refuses a database whose signing keys another secret sealed, without serving", async () => {
    const db = await newDatabase();
    expect(
      (await run(["user", "add", "hanako@example.jp", "--db", db, "--password-stdin"], { input: PASSWORD }))
        .code,
    ).toBe(0);
    const other = await run(["serve", "--port", "0", "--db", db], {
      env: { TEGATA_SECRET: "another secret of at least thirty-two bytes" },
    });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /^tegata: TEGATA_SECRET does not open the signing keys stored in this database/,
    );
    expect(other.stdout).toBe("");
  });
});

describe("tegata migrate", () => {
  it("applies the migrations once, then says the schema is current", async () => {
    const db = join(tempDir(), "auth.sqlite");
    expect(await run(["migrate", "--db", db])).toMatchObject({
      code: 0,
      stdout: `tegata: applied schema migrations ${ALL_MIGRATIONS} to SQLite ${db}`,
    });
    expect(await run(["migrate", "--db", db])).toMatchObject({
      code: 0,
      stdout: `tegata: the schema of SQLite ${db} is current, nothing to apply`,
    });
  });

  it("refuses an SQLite file of something else", async () => {
    const db = join(tempDir(), "shop.sqlite");
    const raw = new DatabaseSync(db);
    raw.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY)");
    raw.close();
    const result = await run(["migrate", "--db", db]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot open the database .*an SQLite database of something else/);
  });
});

describe("tegata user", () => {
  it("add: creates the user through server.admin.createUser (policy, hash), no session, audited", async () => {
    const db = await newDatabase();
    const added = await run(
      ["user", "add", "Hanako@Example.jp", "--name", "Hanako", "--db", db, "--password-stdin"],
      {
        input: `${PASSWORD}\n`,
      },
    );
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(
      /^tegata: created Hanako@Example\.jp \(usr_[\w-]+\); its address is not verified$/,
    );

    const refused = await run(["user", "add", "b@example.jp", "--db", db, "--password-stdin"], {
      input: "short",
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "tegata user add: the password policy refuses this password:\n  - Use at least 8 characters",
    );
    const taken = await run(["user", "add", "hanako@example.jp", "--db", db, "--password-stdin"], {
      input: PASSWORD,
    });
    expect(taken).toMatchObject({ code: 1, stderr: "tegata user add: an account with this address exists" });

    const server = await serverOn(db);
    try {
      const view = await server.admin.findUser({ email: "hanako@example.jp" }, { actor: "test" });
      expect(view).toMatchObject({ name: "Hanako", emailVerified: false, activeSessions: 0 });
      expect((await signIn(server, "hanako@example.jp")).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("add: asks for the password twice on a terminal, without echo; refuses two different ones", async () => {
    const db = await newDatabase();
    const asked = await run(["user", "add", "taro@example.jp", "--db", db], {
      tty: true,
      input: `${PASSWORD}\r${PASSWORD}\r`,
    });
    expect(asked.code).toBe(0);
    expect(asked.prompted).toBe("Password: \nAgain: \n");
    const differ = await run(["user", "add", "jiro@example.jp", "--db", db], {
      tty: true,
      input: `${PASSWORD}\rsomething else entirely\r`,
    });
    expect(differ).toMatchObject({ code: 1, stderr: "tegata user add: the two passwords differ" });
    const noTerminal = await run(["user", "add", "jiro@example.jp", "--db", db]);
    expect(noTerminal.code).toBe(1);
    expect(noTerminal.stderr).toMatch(/no terminal to ask for the password on: .*--password-stdin/);
  });

  it("suspend, unsuspend and unlock go through server.admin, recorded as operator:<actor> with the reason", async () => {
    const db = await newDatabase();
    await run(["user", "add", "hanako@example.jp", "--db", db, "--password-stdin"], { input: PASSWORD });
    const server = await serverOn(db);
    try {
      const suspended = await run([
        "user",
        "suspend",
        "hanako@example.jp",
        "--reason",
        "fraud report #12",
        "--actor",
        "sato",
        "--db",
        db,
      ]);
      expect(suspended.code).toBe(0);
      expect(suspended.stdout).toMatch(
        /^tegata: suspended hanako@example\.jp \(usr_[\w-]+\): sign-in answers account_suspended; 0 sessions ended$/,
      );
      expect((await signIn(server, "hanako@example.jp")).body.code).toBe("account_suspended");
      const id = /\((usr_[\w-]+)\)/.exec(suspended.stdout)?.[1] as string;
      expect((await run(["user", "unsuspend", id, "--actor", "sato", "--db", db])).stdout).toBe(
        `tegata: lifted the suspension of hanako@example.jp (${id})`,
      );
      expect((await signIn(server, "hanako@example.jp")).status).toBe(200);

      for (let i = 0; i < 5; i++) await signIn(server, "hanako@example.jp", "wrong password!");
      expect((await signIn(server, "hanako@example.jp")).status).toBe(423);
      const unlocked = await run(["user", "unlock", "hanako@example.jp", "--db", db]);
      expect(unlocked.code).toBe(0);
      expect(unlocked.stdout).toMatch(
        /^tegata: unlocked hanako@example\.jp \(usr_[\w-]+\) \(it was locked until \S+Z\)$/,
      );
      expect((await signIn(server, "hanako@example.jp")).status).toBe(200);

      const trail = await server.admin.auditTrail({ userId: id });
      expect(trail.items.map((e) => [e.actor, e.action, e.reason]).reverse()).toEqual([
        [`operator:${userInfo().username}`, "create", null],
        ["operator:sato", "lookup", "fraud report #12"],
        ["operator:sato", "suspend", "fraud report #12"],
        ["operator:sato", "lookup", null],
        ["operator:sato", "unsuspend", null],
        [`operator:${userInfo().username}`, "lookup", null],
        [`operator:${userInfo().username}`, "unlock", null],
      ]);

      expect(await run(["user", "unlock", "nobody@example.jp", "--db", db])).toMatchObject({
        code: 1,
        stderr: "tegata user: no user nobody@example.jp",
      });
      expect(await run(["user", "unlock", "usr_nobody", "--db", db])).toMatchObject({
        code: 1,
        stderr: "tegata user: no user usr_nobody",
      });
    } finally {
      await server.close();
    }
  });

  it("needs TEGATA_SECRET and an existing database", async () => {
    const db = await newDatabase();
    const noSecret = await run(["user", "unlock", "a@example.jp", "--db", db], {
      env: { TEGATA_SECRET: "" },
    });
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr).toMatch(/^tegata: tegata user needs TEGATA_SECRET/);
    const missing = join(tempDir(), "typo.sqlite");
    const noFile = await run(["user", "unlock", "a@example.jp", "--db", missing]);
    expect(noFile).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`there is no database at ${missing}`),
    });
  });
});

describe("the request log's path", () => {
  it("drops the query and the fragment, keeps one line, and caps the length", () => {
    expect(loggedPath("/auth/email/confirm?token=abc")).toBe("/auth/email/confirm");
    expect(loggedPath("/a#frag")).toBe("/a");
    expect(loggedPath("http://example.com/x?y=1")).toBe("/x");
    expect(loggedPath(`/${"a".repeat(300)}`)).toHaveLength(201);
  });
});
