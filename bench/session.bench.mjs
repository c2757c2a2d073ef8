// Benchmarks of tegata/session (issue 3). Run with `npm run bench` (builds first).
// Prints figures and ratios measured in this run; nothing here is asserted.
import { setupServer } from "msw/node";
import { createAuthClient } from "tegata";
import { signIn } from "tegata/credentials";
import { createMockAuth } from "tegata/mock";
import { authFetch, getAccessToken, refreshDelay } from "tegata/session";

const HOUR = 3_600_000;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const fmt = (n, digits = 2) => n.toLocaleString("en-US", { maximumFractionDigits: digits });

const mock = createMockAuth({ users: [{ email: "bench@example.com", password: "bench passphrase" }] });
await mock.ready();
const server = setupServer(...mock.handlers);
server.listen({ onUnhandledFrame: "error" });
const url = `${mock.baseUrl}/auth/user`;

async function signedInClient() {
  const auth = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
  await signIn(auth, { email: "bench@example.com", password: "bench passphrase" });
  return auth;
}

console.log("tegata/session benchmarks\n");

// 1. 1,000 concurrent authFetch calls with an expired token vs 1,000 plain fetch calls.
{
  const N = 1000;
  const rounds = 5;
  const plain = [];
  const authed = [];
  const refreshes = [];
  for (let round = 0; round < rounds + 1; round++) {
    // plain fetch with a valid token
    const auth = await signedInClient();
    const token = await getAccessToken(auth);
    let t = performance.now();
    await Promise.all(
      Array.from({ length: N }, () =>
        fetch(url, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.arrayBuffer()),
      ),
    );
    const plainMs = performance.now() - t;
    // authFetch with an expired token
    const expired = await signedInClient();
    mock.clock.advance(2 * HOUR);
    const before = mock.count("/oauth/token");
    t = performance.now();
    await Promise.all(Array.from({ length: N }, () => authFetch(expired, url).then((r) => r.arrayBuffer())));
    const authMs = performance.now() - t;
    if (round === 0) continue; // warm-up
    plain.push(plainMs);
    authed.push(authMs);
    refreshes.push(mock.count("/oauth/token") - before);
  }
  const p = median(plain);
  const a = median(authed);
  console.log("1. 1,000 concurrent authFetch calls, access token expired (median of 5 rounds)");
  console.log(`   refresh requests per round:  ${refreshes.join(", ")} (goal: exactly 1)`);
  console.log(`   1,000 plain fetch:           ${fmt(p, 1)} ms`);
  console.log(`   1,000 authFetch:             ${fmt(a, 1)} ms`);
  console.log(`   ratio authFetch / fetch:     ${fmt(a / p)} (goal <= 1.2)\n`);
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
  const none = peak(0);
  const jittered = peak(undefined);
  console.log("2. Fleet simulation: 10,000 clients, tokens issued in the same second, TTL 1 h, leeway 60 s");
  console.log(`   peak refresh requests/s without jitter:        ${fmt(none)}`);
  console.log(
    `   peak refresh requests/s with default jitter:   ${fmt(jittered)} (window: 10 % of lifetime, max 5 min)`,
  );
  console.log(`   reduction:                                     ${fmt(none / jittered, 1)}x\n`);
}

// 3. getAccessToken on a cached, valid token.
{
  const auth = await signedInClient();
  await getAccessToken(auth);
  const batches = [];
  const per = 10_000;
  for (let b = 0; b < 50; b++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < per; i++) await getAccessToken(auth);
    batches.push(Number(process.hrtime.bigint() - t) / per);
  }
  console.log("3. getAccessToken on a cached, valid token");
  console.log(
    `   median: ${fmt(median(batches.slice(5)), 0)} ns per call (50 batches of 10,000, first 5 dropped)`,
  );
}

server.close();
