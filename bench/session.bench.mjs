// Benchmarks of tegata/session (issue 3). Run with `npm run bench` (builds first).
//
// authFetch against plain fetch: both arms call the same trivial handler (200 "ok", no token
// check) of the same in-process HTTP server on 127.0.0.1, over real sockets, so the server costs
// both arms the same and what differs is the client's own work. (msw is not in the path: its
// interception costs about 1 ms per request and its jitter would hide the client's cost.) The
// tegata mock answers the other routes (sign-in, refresh) of that server. The arms alternate round
// by round (bench/ab.mjs) after a warm-up round of each; a ratio is taken within a round and
// reported as the median with its min–max.
import { createServer } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { getResponse } from "msw";
import { createAuthClient } from "tegata";
import { signIn } from "tegata/credentials";
import { createMockAuth } from "tegata/mock";
import { authFetch, getAccessToken, refreshDelay } from "tegata/session";
import { alternate, flush, fmt, goal, ratio, row, stats, title } from "./ab.mjs";

const HOUR = 3_600_000;
const ROUNDS = 7;
const INNER = 3;

let mock;
const mockListener = getRequestListener(
  async (request) => (await getResponse(mock.handlers, request)) ?? new Response(null, { status: 404 }),
);
const server = createServer((req, res) => {
  if (req.url === "/bench/ok") {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    return;
  }
  mockListener(req, res);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const baseUrl = `http://127.0.0.1:${server.address().port}`;
mock = createMockAuth({ baseUrl, users: [{ email: "bench@example.com", password: "bench passphrase" }] });
await mock.ready();
const url = `${baseUrl}/bench/ok`;

async function signedInClient() {
  const auth = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
  await signIn(auth, { email: "bench@example.com", password: "bench passphrase" });
  return auth;
}

console.log("tegata/session benchmarks (Node %s)", process.version);

// 1. 1,000 concurrent calls: plain fetch with a bearer header, authFetch with a valid token, and
//    authFetch with an expired token (one refresh, shared by all 1,000, then the calls).
{
  const N = 1000;
  const refreshes = [];
  const token = await getAccessToken(await signedInClient());
  const all = (fn) => Promise.all(Array.from({ length: N }, () => fn().then((r) => r.arrayBuffer())));
  const times = await alternate(
    [
      {
        name: "fetch",
        run: () => all(() => fetch(url, { headers: { authorization: `Bearer ${token}` } })),
      },
      {
        name: "authFetch, valid token",
        setup: () => signedInClient(),
        run: (auth) => all(() => authFetch(auth, url)),
      },
      {
        name: "authFetch, expired token",
        setup: async () => {
          const auth = await signedInClient();
          mock.clock.advance(2 * HOUR);
          return { auth, before: mock.count("/oauth/token") };
        },
        run: async ({ auth, before }, round) => {
          await all(() => authFetch(auth, url));
          if (round >= 1) refreshes.push(mock.count("/oauth/token") - before);
        },
      },
    ],
    { rounds: ROUNDS, warmup: 1, inner: INNER },
  );
  title(
    `1. 1,000 concurrent calls to the same trivial handler, ms per 1,000: median (min–max) of ${ROUNDS} rounds, each the median of ${INNER} alternated runs per arm`,
  );
  row("plain fetch", stats(times.fetch), { unit: "ms", f: (x) => fmt(x, 1) });
  row("authFetch, valid token", stats(times["authFetch, valid token"]), { unit: "ms", f: (x) => fmt(x, 1) });
  row("authFetch, expired token", stats(times["authFetch, expired token"]), {
    unit: "ms",
    f: (x) => fmt(x, 1),
  });
  const valid = ratio(times, "authFetch, valid token", "fetch");
  const expired = ratio(times, "authFetch, expired token", "fetch");
  row("ratio authFetch (valid) / fetch", valid);
  row("ratio authFetch (expired) / fetch", expired);
  goal(
    "refresh requests per 1,000 concurrent authFetch with an expired token = 1",
    refreshes,
    (n) => n === 1,
    {
      text: refreshes.every((n) => n === 1)
        ? `exactly 1 in each of ${refreshes.length} runs`
        : `per run: ${refreshes.join(", ")}`,
    },
  );
  goal("authFetch (expired) / fetch <= 1.2", expired, (x) => x <= 1.2);
}

// 2. Fleet simulation: 10,000 clients whose tokens were issued in the same second.
{
  const N = 10_000;
  const issued = Date.UTC(2026, 10, 25, 9, 0, 0);
  const expiresAt = issued + HOUR;
  const peak = (jitterMs) => {
    const perSecond = new Map();
    for (let i = 0; i < N; i++) {
      const now = issued + Math.floor(Math.random() * 1000); // received within the same second
      const at = now + refreshDelay(now, expiresAt, 60_000, jitterMs, Math.random);
      const second = Math.floor(at / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    return Math.max(...perSecond.values());
  };
  const none = [];
  const jittered = [];
  for (let r = 0; r < ROUNDS; r++) {
    none.push(peak(0));
    jittered.push(peak(undefined));
  }
  title(
    `2. Fleet simulation: 10,000 clients, tokens issued in the same second, TTL 1 h, leeway 60 s (${ROUNDS} runs)`,
  );
  row("peak refresh requests/s without jitter", stats(none), { f: (x) => fmt(x, 0) });
  row("peak refresh requests/s, default jitter", stats(jittered), { f: (x) => fmt(x, 0) });
  row("reduction", stats(none.map((n, i) => n / jittered[i])), { unit: "x", f: (x) => fmt(x, 0) });
}

// 3. getAccessToken on a cached, valid token (no comparison arm: a figure, not a goal).
{
  const auth = await signedInClient();
  const per = 10_000;
  const times = await alternate(
    [
      {
        name: "getAccessToken",
        ops: per,
        run: async () => {
          for (let i = 0; i < per; i++) await getAccessToken(auth);
        },
      },
    ],
    { rounds: 9, warmup: 2, inner: 3 },
  );
  title("3. getAccessToken on a cached, valid token (9 rounds, each the median of 3 batches of 10,000)");
  row("time per call", stats(times.getAccessToken.map((ms) => ms * 1e6)), {
    unit: "ns",
    f: (x) => fmt(x, 0),
  });
}

server.close();
server.closeAllConnections();
flush();
