import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { sqliteStore } from "../../src/server/sqlite/index";
import { describeStoreConformance } from "./store-conformance";

const dir = mkdtempSync(join(tmpdir(), "tegata-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describeStoreConformance("sqliteStore (a fresh file per test)", () =>
  sqliteStore({ path: join(dir, `store-${++n}.sqlite`) }),
);
