/**
 * `tegata` on PostgreSQL (`TEGATA_TEST_POSTGRES_URL`, as the store's tests: skipped without it,
 * except under `CI=true`, where that is a failure): migrate, serve with the URL from
 * `TEGATA_DATABASE_URL` (never in the process list), SIGTERM ends the pool (the process exits by
 * itself, with 0), a restart keeps the session, and an operator's unlock from another process.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ALL_MIGRATIONS, call, cleanup, ISSUER, PASSWORD, runCli, startServe } from "./support";

// Child processes: generous under a loaded CI machine (nothing here waits on the clock).
vi.setConfig({ testTimeout: 60_000 });

const url = process.env.TEGATA_TEST_POSTGRES_URL;
const database = `tegata_cli_${process.pid}_${Date.now().toString(36)}`;

if (url === undefined || url === "") {
  describe("tegata on PostgreSQL", () => {
    if (process.env.CI === "true") {
      it("runs under CI: TEGATA_TEST_POSTGRES_URL must be set", () => {
        expect.fail("TEGATA_TEST_POSTGRES_URL is not set: .ci/run starts PostgreSQL and sets it");
      });
    } else {
      it.skip("needs TEGATA_TEST_POSTGRES_URL (a PostgreSQL to test on; see .ci/postgres.sh)", () => {});
    }
  });
} else {
  const databaseUrl = () => {
    const u = new URL(url);
    u.pathname = `/${database}`;
    return u.toString();
  };
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  beforeAll(() => admin(`CREATE DATABASE ${database}`));
  afterAll(async () => {
    await cleanup();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  describe("tegata on PostgreSQL", () => {
    it("migrates, serves, stops (pool ended, exit 0), serves again with the session kept", async () => {
      const env = { TEGATA_DATABASE_URL: databaseUrl() };
      const migrated = await runCli(["migrate"], { env });
      expect(migrated.stderr).toBe("");
      expect(migrated.stdout).toMatch(
        new RegExp(`^tegata: applied schema migrations ${ALL_MIGRATIONS} to PostgreSQL postgres://`),
      );

      const first = await startServe(["--issuer", ISSUER], env);
      expect(first.lines()).toContainEqual(
        expect.stringMatching(/^ {2}database: PostgreSQL postgres:\/\/\S+$/),
      );
      const signUp = await call(first.url, "/auth/sign-up", {
        json: { email: "hanako@example.jp", password: PASSWORD },
      });
      expect(signUp.status).toBe(201);
      for (let i = 0; i < 5; i++) {
        await call(first.url, "/auth/sign-in", {
          json: { email: "hanako@example.jp", password: "wrong password!" },
        });
      }
      expect(await first.stop()).toEqual({ code: 0, signal: null });

      const second = await startServe(["--issuer", ISSUER], env);
      const refreshed = await call(second.url, "/oauth/token", {
        form: { grant_type: "refresh_token", refresh_token: signUp.body.refresh_token as string },
      });
      expect(refreshed.status).toBe(200);
      const locked = await call(second.url, "/auth/sign-in", {
        json: { email: "hanako@example.jp", password: PASSWORD },
      });
      expect(locked.status).toBe(423);
      const unlock = await runCli(["user", "unlock", "hanako@example.jp", "--actor", "sato"], { env });
      expect(unlock.code).toBe(0);
      const signedIn = await call(second.url, "/auth/sign-in", {
        json: { email: "hanako@example.jp", password: PASSWORD },
      });
      expect(signedIn.status).toBe(200);
      expect(await second.stop()).toEqual({ code: 0, signal: null });
      expect(first.stderr() + second.stderr()).toBe("");
    });
  });
}
