import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signIn } from "../../src/credentials/index";
import { getSession, onAuthStateChange } from "../../src/index";
import {
  refreshDelay,
  startAutoRefresh,
  stopAutoRefresh,
  type VisibilitySource,
} from "../../src/session/index";
import { alice, useMockServer } from "../support";
import { fakeTimers, settle } from "./timers";

const ctx = useMockServer();
const HOUR = 3_600_000;

function visibility(initial: boolean) {
  let visible = initial;
  const listeners = new Set<() => void>();
  const source: VisibilitySource = {
    isVisible: () => visible,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    source,
    set(v: boolean) {
      visible = v;
      if (v) for (const l of listeners) l();
    },
  };
}

async function setup(options: Parameters<typeof ctx.fresh>[0] = {}) {
  const t = fakeTimers();
  const { auth, mock } = await ctx.fresh(options, { timers: t.timers });
  await signIn(auth, alice);
  return { auth, mock, t };
}

describe("refreshDelay", () => {
  it("picks a point in [expiry - leeway - jitter, expiry - leeway]", () => {
    expect(refreshDelay(0, HOUR, 60_000, 30_000, () => 0)).toBe(HOUR - 60_000);
    expect(refreshDelay(0, HOUR, 60_000, 30_000, () => 0.5)).toBe(HOUR - 75_000);
    // Default jitter: 10 % of the remaining time, at most 5 minutes.
    expect(refreshDelay(0, HOUR, 60_000, undefined, () => 1)).toBe(HOUR - 60_000 - 300_000);
    expect(refreshDelay(0, 600_000, 0, undefined, () => 1)).toBe(540_000);
  });

  it("is never negative and never after expiry - leeway", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 12 }),
        fc.integer({ min: -(10 ** 9), max: 10 ** 9 }),
        fc.integer({ min: 0, max: 600_000 }),
        fc.option(fc.integer({ min: 0, max: 10 ** 7 }), { nil: undefined }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (now, ttl, leeway, jitter, r) => {
          const d = refreshDelay(now, now + ttl, leeway, jitter, () => r);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(Math.max(0, ttl - leeway));
        },
      ),
    );
  });
});

describe("startAutoRefresh", () => {
  it("refreshes before expiry, then schedules the next one", async () => {
    const { auth, mock, t } = await setup();
    startAutoRefresh(auth, { random: () => 0, visibility: null });
    await settle(5);
    expect(t.pending()).toEqual([HOUR - 60_000]);
    mock.clock.advance(HOUR - 60_000);
    t.runNext();
    await settle();
    expect(mock.count("/oauth/token")).toBe(1);
    expect(t.pending()).toEqual([HOUR - 60_000]);
    stopAutoRefresh(auth);
    expect(t.pending()).toEqual([]);
  });

  it("spreads refreshes with jitter", async () => {
    const { auth, t } = await setup();
    startAutoRefresh(auth, { random: () => 0.5, jitterMs: 120_000, visibility: null });
    await settle(5);
    expect(t.pending()).toEqual([HOUR - 60_000 - 60_000]);
    stopAutoRefresh(auth);
  });

  it("waits while the page is hidden and checks at once when it becomes visible", async () => {
    const { auth, mock, t } = await setup();
    const v = visibility(false);
    startAutoRefresh(auth, { visibility: v.source, random: () => 0 });
    await settle(5);
    expect(t.pending()).toEqual([]);
    mock.clock.advance(HOUR);
    v.set(true);
    await settle();
    expect(mock.count("/oauth/token")).toBe(1);
    expect((await getSession(auth))?.expiresAt?.getTime()).toBe(mock.clock.now() + HOUR);
    stopAutoRefresh(auth);
  });

  it("keeps the session and backs off on network errors", async () => {
    const { auth, mock, t } = await setup();
    startAutoRefresh(auth, { random: () => 0, visibility: null });
    await settle(5);
    mock.clock.advance(HOUR);
    mock.faults.inject("/oauth/token", { network: true, times: 2 });
    t.runNext();
    await settle();
    expect(t.pending()).toEqual([500]); // 1 s backoff, half of it fixed, half random (0 here)
    t.runNext();
    await settle();
    expect(t.pending()).toEqual([1000]); // then 2 s
    expect(await getSession(auth)).not.toBeNull();
    t.runNext();
    await settle();
    expect(mock.count("/oauth/token")).toBe(3);
    expect(t.pending()).toEqual([HOUR - 60_000]);
    stopAutoRefresh(auth);
  });

  it("stops after the server refuses the refresh token (one SIGNED_OUT)", async () => {
    const { auth, mock, t } = await setup({ refreshTokenTtlSeconds: 1800 });
    const events: string[] = [];
    onAuthStateChange(auth, (e) => events.push(e));
    startAutoRefresh(auth, { random: () => 0, visibility: null });
    await settle(5);
    mock.clock.advance(HOUR);
    t.runNext();
    await settle();
    expect(events).toEqual(["SESSION_EXPIRED", "SIGNED_OUT"]);
    expect(t.pending()).toEqual([]);
    stopAutoRefresh(auth);
  });

  it("starts scheduling when a user signs in later, and restarting replaces the old schedule", async () => {
    const t = fakeTimers();
    const { auth } = await ctx.fresh({}, { timers: t.timers });
    startAutoRefresh(auth, { random: () => 0, visibility: null });
    await settle(5);
    expect(t.pending()).toEqual([]);
    await signIn(auth, alice);
    expect(t.pending()).toEqual([HOUR - 60_000]);
    startAutoRefresh(auth, { random: () => 0, leewaySeconds: 120, visibility: null });
    await settle(5);
    expect(t.pending()).toEqual([HOUR - 120_000]);
    stopAutoRefresh(auth);
    stopAutoRefresh(auth); // idempotent
  });
});
