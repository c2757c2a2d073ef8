/**
 * Four auth-server processes on one SQLite file (WAL): the many-instance suite (suite.ts). The
 * processes run the built package (dist/): without it the suite is skipped locally and fails
 * under `CI=true` (CI builds before testing).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { missingBuild } from "./cluster";
import { describeManyInstances } from "./suite";

const missing = missingBuild();

if (missing !== null) {
  describe("4 instances on one SQLite file", () => {
    if (process.env.CI === "true") {
      it("runs under CI: the package must be built", () => {
        expect.fail(missing);
      });
    } else {
      it.skip(`needs the build: ${missing}`, () => {});
    }
  });
} else {
  const dir = mkdtempSync(join(tmpdir(), "tegata-instances-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  describeManyInstances("4 instances on one SQLite file", async () => ({
    kind: "sqlite",
    target: join(dir, "auth.sqlite"),
  }));
}
