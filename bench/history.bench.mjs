// Benchmark of tegata/history paging (issue 6). Run with `npm run bench` (builds first).
import { setupServer } from "msw/node";
import { createAuthClient } from "tegata";
import { signIn } from "tegata/credentials";
import { listLoginHistory, loginHistory } from "tegata/history";
import { createMockAuth } from "tegata/mock";

const N = 100_000;
const LIMIT = 100;
const fmt = (n, d = 2) => n.toLocaleString("en-US", { maximumFractionDigits: d });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const mock = createMockAuth({ users: [{ email: "history@example.com", password: "history passphrase" }] });
await mock.ready();
const server = setupServer(...mock.handlers);
server.listen({ onUnhandledFrame: "error" });
const auth = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
await signIn(auth, { email: "history@example.com", password: "history passphrase" });
let t = performance.now();
mock.seedHistory("history@example.com", N, { seed: 42 });
const seedMs = performance.now() - t;

// Whole iteration.
t = performance.now();
let count = 0;
for await (const _ of loginHistory(auth, { limit: LIMIT })) count++;
const totalMs = performance.now() - t;

// Time per page at the first and the last page (request + mock + validation), median of 20.
const cursors = [];
let cursor;
do {
  const page = await listLoginHistory(auth, { limit: LIMIT, ...(cursor ? { cursor } : {}) });
  cursors.push(cursor);
  cursor = page.nextCursor ?? undefined;
} while (cursor);
const timePage = async (c) => {
  const xs = [];
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    await listLoginHistory(auth, { limit: LIMIT, ...(c ? { cursor: c } : {}) });
    xs.push(performance.now() - s);
  }
  return median(xs);
};
const first = await timePage(cursors[0]);
// The deepest full page (the very last one holds the remainder only).
const last = await timePage(cursors[cursors.length - 2]);

console.log("tegata/history benchmark\n");
console.log(`seeded ${fmt(N)} entries in ${fmt(seedMs, 0)} ms`);
console.log(
  `loginHistory over every page (limit ${LIMIT}): ${fmt(count)} items, ${cursors.length} pages, ${fmt(totalMs, 0)} ms total (${fmt(totalMs / cursors.length)} ms per page)`,
);
console.log(
  `time per page, first page: ${fmt(first)} ms; deepest full page (page ${cursors.length - 1}): ${fmt(last)} ms; last/first = ${fmt(last / first)} (goal: no growth with depth)`,
);
server.close();
