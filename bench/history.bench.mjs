// Benchmark of tegata/history paging (issue 6): whether a page costs more the deeper it is.
// Both arms call the same mock endpoint with the same client (request + mock + validation); they
// differ only in the cursor: the first page against the deepest full page, alternated in the same
// process (bench/ab.mjs). Run with `npm run bench` (builds first).
import { setupServer } from "msw/node";
import { createAuthClient } from "tegata";
import { signIn } from "tegata/credentials";
import { listLoginHistory, loginHistory } from "tegata/history";
import { createMockAuth } from "tegata/mock";
import { alternate, flush, fmt, goal, ratio, row, stats, title } from "./ab.mjs";

const N = 100_000;
const LIMIT = 100;
const ROUNDS = 7;
const INNER = 5;
const CALLS = 5;

const mock = createMockAuth({ users: [{ email: "history@example.com", password: "history passphrase" }] });
await mock.ready();
const server = setupServer(...mock.handlers);
server.listen({ onUnhandledFrame: "error" });
const auth = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
await signIn(auth, { email: "history@example.com", password: "history passphrase" });
let t = performance.now();
mock.seedHistory("history@example.com", N, { seed: 42 });
const seedMs = performance.now() - t;

// One pass over every page with the iterator (a figure, measured once).
t = performance.now();
let count = 0;
for await (const _ of loginHistory(auth, { limit: LIMIT })) count++;
const totalMs = performance.now() - t;
// The cursor of every page, for the comparison below.
const cursors = [];
let cursor;
do {
  const page = await listLoginHistory(auth, { limit: LIMIT, ...(cursor ? { cursor } : {}) });
  cursors.push(cursor);
  cursor = page.nextCursor ?? undefined;
} while (cursor);

// The deepest full page (the very last one holds the remainder only).
const deepest = cursors.length - 2;
const page = (c) => ({
  name: c ? "deep" : "first",
  ops: CALLS,
  run: async () => {
    for (let i = 0; i < CALLS; i++)
      await listLoginHistory(auth, { limit: LIMIT, ...(c ? { cursor: c } : {}) });
  },
});
const times = await alternate([page(cursors[0]), page(cursors[deepest])], {
  rounds: ROUNDS,
  warmup: 1,
  inner: INNER,
});

console.log("tegata/history benchmark (Node %s)", process.version);
title(`${fmt(N)} seeded entries (seeded in ${fmt(seedMs, 0)} ms), limit ${LIMIT}`);
row(
  "loginHistory over every page, one pass",
  `${fmt(count)} items, ${fmt(cursors.length)} pages, ${fmt(totalMs, 0)} ms (${fmt(totalMs / cursors.length)} ms per page)`,
);
title(
  `time per page: median (min–max) of ${ROUNDS} rounds, each the median of ${INNER} alternated batches of ${CALLS} calls per arm`,
);
row("first page", stats(times.first), { unit: "ms" });
row(`deepest full page (page ${fmt(deepest + 1)})`, stats(times.deep), { unit: "ms" });
const growth = ratio(times, "deep", "first");
row("deepest / first", growth);
goal("no growth with depth: deepest page at most 1.5x the first", growth, (x) => x <= 1.5);
server.close();
flush();
