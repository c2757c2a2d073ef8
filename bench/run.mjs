// `npm run bench`: runs each benchmark of bench/ in its own Node process (one after the other,
// with --expose-gc so bench/ab.mjs can collect garbage between runs), then prints every goal with
// its verdict. A goal holds only when its whole min–max range does. A missed goal is reported,
// not turned into a failing exit code: on a shared machine the figures are evidence, not a gate.
// A benchmark that crashes does fail the run.
//
// The benchmarks of the SQL stores (server, history-sql) use PostgreSQL at
// TEGATA_BENCH_POSTGRES_URL; when it is not set and PostgreSQL is installed, a throwaway cluster
// is started here (.ci/postgres.sh, with a state file of its own) and stopped at the end; when
// neither, those benchmarks skip their PostgreSQL rows and say so.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const all = ["session", "history", "totp", "password", "server", "history-sql"];
const needsPostgres = ["server", "history-sql"];
const only = process.argv.slice(2);
const names = only.length ? all.filter((n) => only.includes(n)) : all;
const dir = mkdtempSync(join(tmpdir(), "tegata-bench-"));
const results = join(dir, "results.jsonl");
let crashed = 0;
const env = { ...process.env, BENCH_RESULTS: results };
const pgState = join(dir, "postgres.state");
let pgStarted = false;
if (names.some((n) => needsPostgres.includes(n)) && !env.TEGATA_BENCH_POSTGRES_URL) {
  try {
    const out = execFileSync("bash", [join(here, "..", ".ci", "postgres.sh"), "start"], {
      env: { ...process.env, TEGATA_PG_STATE: pgState },
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
    });
    env.TEGATA_BENCH_POSTGRES_URL = out.trim().split("\n").at(-1);
    pgStarted = true;
    console.log(`PostgreSQL for the benchmarks: a throwaway cluster at ${env.TEGATA_BENCH_POSTGRES_URL}`);
  } catch (error) {
    const why = String(error.stderr ?? error.message)
      .trim()
      .split("\n")
      .at(-1);
    console.log(
      `PostgreSQL rows will be skipped: no TEGATA_BENCH_POSTGRES_URL, and no cluster could be started (${why})`,
    );
  }
}
try {
  for (const name of names) {
    console.log(`\n=== bench/${name}.bench.mjs`);
    const r = spawnSync(process.execPath, ["--expose-gc", join(here, `${name}.bench.mjs`)], {
      stdio: "inherit",
      env,
    });
    if (r.status !== 0) {
      crashed++;
      console.log(
        `bench/${name}.bench.mjs failed (${r.error?.message ?? r.signal ?? `exit code ${r.status}`})`,
      );
    }
  }
  let lines = [];
  try {
    lines = readFileSync(results, "utf8").trim().split("\n").filter(Boolean).map(JSON.parse);
  } catch {}
  const goals = lines.filter((l) => l.kind === "goal");
  const passed = goals.filter((g) => g.pass).length;
  console.log(`\n=== goals (a goal holds only when its whole range does), Node ${process.version}`);
  for (const g of goals) console.log(`${g.pass ? "PASS" : "FAIL"}  ${g.label}: ${g.shown}`);
  console.log(
    `\n${passed} of ${goals.length} goals hold.${
      passed < goals.length ? " Missed goals are reported above; they do not change the exit code." : ""
    }`,
  );
} finally {
  if (pgStarted) {
    spawnSync("bash", [join(here, "..", ".ci", "postgres.sh"), "stop"], {
      env: { ...process.env, TEGATA_PG_STATE: pgState },
      stdio: "ignore",
    });
  }
  rmSync(dir, { recursive: true, force: true });
}
process.exit(crashed ? 1 : 0);
