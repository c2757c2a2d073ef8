/**
 * Four auth-server processes on one PostgreSQL database: the many-instance suite (suite.ts). The
 * server is `TEGATA_TEST_POSTGRES_URL` (`.ci/run` starts a throwaway cluster and sets it;
 * locally: `URL=$(bash .ci/postgres.sh start | tail -1)`); this file makes a database of its own
 * and drops it at the end. The processes run the built package (dist/). Without the variable or
 * the build the suite is skipped, except under `CI=true`, where that is a failure: CI must run it.
 */
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { missingBuild } from "./cluster";
import { describeManyInstances } from "./suite";

const url = process.env.TEGATA_TEST_POSTGRES_URL;
const database = `tegata_instances_${process.pid}_${Date.now().toString(36)}`;
const missing =
  url === undefined || url === ""
    ? "TEGATA_TEST_POSTGRES_URL (a PostgreSQL to test on; see .ci/postgres.sh)"
    : missingBuild();

if (missing !== null) {
  describe("4 instances on one PostgreSQL", () => {
    if (process.env.CI === "true") {
      it("runs under CI: PostgreSQL and the build must be there", () => {
        expect.fail(`missing: ${missing}`);
      });
    } else {
      it.skip(`needs ${missing}`, () => {});
    }
  });
} else {
  let created = false;
  afterAll(async () => {
    if (!created) return;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });
  describeManyInstances("4 instances on one PostgreSQL", async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    created = true;
    const u = new URL(url ?? "");
    u.pathname = `/${database}`;
    return { kind: "postgres", target: u.toString() };
  });
}
