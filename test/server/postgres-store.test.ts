/**
 * The store conformance suite on a real PostgreSQL, from `TEGATA_TEST_POSTGRES_URL` (`.ci/run`
 * starts a throwaway cluster and sets it; locally: `URL=$(.ci/postgres.sh start)`). This file
 * makes a database of its own and a fresh schema in it for every test, and drops the database
 * at the end. Without the variable the tests are skipped, except under `CI=true`, where that is a
 * failure: CI must run them.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresStore } from "../../src/server/postgres/index";
import { MIGRATIONS } from "../../src/server/store/sql/schema";
import type { SqlStore } from "../../src/server/store/sql/types";
import { describeStoreConformance, newUser, T0 } from "./store-conformance";

const url = process.env.TEGATA_TEST_POSTGRES_URL;
const database = `tegata_test_${process.pid}_${Date.now().toString(36)}`;

/** The URL of this file's database. */
function databaseUrl(): string {
  const u = new URL(url ?? "");
  u.pathname = `/${database}`;
  return u.toString();
}

if (url === undefined || url === "") {
  describe("postgresStore", () => {
    if (process.env.CI === "true") {
      it("runs under CI: TEGATA_TEST_POSTGRES_URL must be set", () => {
        expect.fail("TEGATA_TEST_POSTGRES_URL is not set: .ci/run starts PostgreSQL and sets it");
      });
    } else {
      it.skip("needs TEGATA_TEST_POSTGRES_URL (a PostgreSQL to test on; see .ci/postgres.sh)", () => {});
    }
  });
} else {
  const pools: pg.Pool[] = [];
  let schemas = 0;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
  });

  afterAll(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.end()));
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  /** A pool whose connections see only a new, empty schema. */
  async function freshPool(): Promise<pg.Pool> {
    const schema = `s${++schemas}`;
    const setup = new pg.Client({ connectionString: databaseUrl() });
    await setup.connect();
    await setup.query(`CREATE SCHEMA ${schema}`);
    await setup.end();
    const pool = new pg.Pool({
      connectionString: databaseUrl(),
      max: 10,
      options: `-c search_path=${schema}`,
    });
    pools.push(pool);
    return pool;
  }

  // Each test's pool ends with its store: idle connections of finished tests would otherwise
  // pile up until afterAll and exhaust the server's max_connections (the race cases use 10 each).
  describeStoreConformance("postgresStore (a fresh schema per test)", async () => {
    const pool = await freshPool();
    const store = await postgresStore({ pool });
    const close = store.close;
    store.close = async () => {
      await close();
      pools.splice(pools.indexOf(pool), 1);
      await pool.end();
    };
    return store;
  });

  describe("postgresStore", () => {
    it("migrations are idempotent, also when instances start at once", async () => {
      const pool = await freshPool();
      const stores: SqlStore[] = await Promise.all(
        Array.from({ length: 4 }, () => postgresStore({ pool, migrate: false })),
      );
      const applied = await Promise.all(stores.map((store) => store.migrate()));
      expect(applied.filter((versions) => versions.length > 0)).toEqual([MIGRATIONS.map((m) => m.version)]);
      expect(await stores[0]?.migrate()).toEqual([]);
      await stores[1]?.createUser(newUser(1), T0);
      expect((await stores[2]?.getUserById("usr_1"))?.id).toBe("usr_1");
      for (const store of stores) await store.close();
      // The caller's pool stays open.
      expect((await pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    });

    it("opens from a connection string and ends its own pool on close", async () => {
      const store = await postgresStore({ connectionString: databaseUrl() });
      expect(store.dialect).toBe("postgres");
      await store.createUser(newUser("cs", { emailKey: `cs-${Date.now()}@example.jp` }), T0);
      expect((await store.getUserById("usr_cs"))?.id).toBe("usr_cs");
      await store.close();
      await expect(store.getUserById("usr_cs")).rejects.toThrow(/closed/);
    });
  });
}
