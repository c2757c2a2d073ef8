// Shared helper of the benchmarks in bench/: alternates the arms of a comparison (A B A B …, or
// A B C A B C … with three), reports each figure as the median of its rounds with the min–max
// range, and judges a goal by the whole range: it holds only when every round holds it.
//
// A run of an arm = its (untimed) setup, then its timed work. A round interleaves several runs of
// every arm; a ratio is taken round by round (arm X of round r against arm Y of the same round), so
// slow drift of a shared, noisy machine mostly cancels out; the spread that remains is printed as
// the min–max over the rounds, not hidden.
//
// Results are printed as they come. When BENCH_RESULTS names a file (bench/run.mjs sets it), the
// rows and goals are also appended to it as JSON lines for the final summary.
import { appendFileSync } from "node:fs";

const rows = [];
const goals = [];
let section = "";

/** Median, min and max of a list of numbers. */
export function stats(samples) {
  if (samples.length === 0) throw new Error("stats of an empty list");
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], samples: [...samples] };
}

/**
 * Runs `arms` alternately: `warmup` rounds that are thrown away, then `rounds` measured rounds.
 * A round runs every arm once in the order given, `inner` times over (A B A B … within the round),
 * and an arm's figure for the round is the median of its `inner` runs, so that a burst of load
 * from elsewhere on the machine moves one run, not the round. An arm is
 * `{ name, ops = 1, setup?: (round) => ctx, run: (ctx, round) => Promise|void }`; a run's figure is
 * its elapsed time (setup excluded) divided by `ops` (ms per op; `ops` > 1 for tight loops).
 * Returns `{ [name]: number[] }`, one figure per measured round; its `runs` property keeps every
 * run (`runs[name][round][i]`) for {@link ratio}.
 */
export async function alternate(arms, { rounds = 7, warmup = 1, inner = 1 } = {}) {
  if (rounds < 5) throw new Error("at least 5 measured rounds");
  const out = Object.fromEntries(arms.map((a) => [a.name, []]));
  const all = Object.fromEntries(arms.map((a) => [a.name, []]));
  for (let r = 0; r < warmup + rounds; r++) {
    const runs = Object.fromEntries(arms.map((a) => [a.name, []]));
    for (let i = 0; i < inner; i++) {
      for (const arm of arms) {
        const ctx = arm.setup ? await arm.setup(r) : undefined;
        await settle();
        const start = process.hrtime.bigint();
        await arm.run(ctx, r);
        runs[arm.name].push(Number(process.hrtime.bigint() - start) / 1e6 / (arm.ops ?? 1));
      }
    }
    if (r < warmup) continue;
    for (const arm of arms) {
      out[arm.name].push(stats(runs[arm.name]).median);
      all[arm.name].push(runs[arm.name]);
    }
  }
  return Object.defineProperty(out, "runs", { value: all });
}

/**
 * Puts every run on the same footing: the previous run's leftovers (pending socket events, timers,
 * garbage) are dealt with before the clock starts, not billed to whichever arm comes next. With
 * `node --expose-gc` (bench/run.mjs passes it) a full collection runs too.
 */
async function settle() {
  await new Promise((resolve) => setTimeout(resolve, 10));
  globalThis.gc?.();
  await new Promise((resolve) => setImmediate(resolve));
}

/**
 * The ratio of arm `a` to arm `b` (time of a / time of b), round by round: a round's ratio is the
 * median of the ratios of its runs taken pairwise (run i of a against run i of b, which ran next to
 * each other). Returns stats over the rounds.
 */
export function ratio(times, a, b) {
  const ra = times.runs[a];
  const rb = times.runs[b];
  return stats(ra.map((runs, r) => stats(runs.map((x, i) => x / rb[r][i])).median));
}

/** Formats a number with `digits` fraction digits at most, with thousands separators. */
export const fmt = (n, digits = 2) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });

/** `median (min–max)` of a stats object, each value formatted by `f`. */
export const range = (s, f = (x) => fmt(x)) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;

/** Starts a titled section of the output. */
export function title(text) {
  section = text;
  console.log(`\n${text}`);
}

/** Prints and records one figure: a stats object (median with range) or a plain value. */
export function row(label, value, { unit = "", f = (x) => fmt(x) } = {}) {
  const text = typeof value === "object" ? range(value, f) : String(value);
  console.log(`   ${label.padEnd(52)} ${text}${unit ? ` ${unit}` : ""}`);
  rows.push({ section, label, text: `${text}${unit ? ` ${unit}` : ""}` });
}

/**
 * Prints and records a goal. `samples` is a stats object or a list of values; `holds(x)` says
 * whether one value meets the goal. PASS only when every sample does (the whole range).
 */
export function goal(label, samples, holds, { f = (x) => fmt(x), text } = {}) {
  const list = Array.isArray(samples) ? samples : samples.samples;
  const s = stats(list);
  const pass = list.every(holds);
  const shown = text ?? range(s, f);
  console.log(`   ${pass ? "PASS" : "FAIL"} ${label}: ${shown}`);
  goals.push({ section, label, shown, pass });
  return pass;
}

/** Writes the recorded rows and goals for bench/run.mjs (when it asked for them). */
export function flush() {
  const file = process.env.BENCH_RESULTS;
  if (!file) return;
  const lines = [...rows.map((r) => ({ kind: "row", ...r })), ...goals.map((g) => ({ kind: "goal", ...g }))];
  appendFileSync(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
}
