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
import { fakeTimers, flushPromises, nextEvent } from "./timers";

const ctx = useMockServer();
const HOUR = 3_600_000;

function visibility(initial: boolean) {
  let visible = initial;
  let checks = 0;
  const listeners = new Set<() => void>();
  const source: VisibilitySource = {
    isVisible: () => {
      checks++;
      return visible;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    source,
    /** How often the scheduler asked whether the page is visible. */
    checks: () => checks,
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
  // No test here waits for time: the refresh is a request, so each waits for what the scheduler
  // does when it is over (arming the next timer, or emitting SIGNED_OUT).
  it("refreshes before expiry, then schedules the next one", async () => {
    const { auth, mock, t } = await setup();
    startAutoRefresh(auth, { random: () => 0, visibility: null });
    expect(await t.until((p) => p.length > 0)).toEqual([HOUR - 60_000]);
    mock.clock.advance(HOUR - 60_000);
    t.runNext();
    expect(await t.until((p) => p.length > 0)).toEqual([HOUR - 60_000]);
    expect(mock.count("/oauth/token")).toBe(1);
    stopAutoRefresh(auth);
    expect(t.pending()).toEqual([]);
  });

  it("spreads refreshes with jitter", async () => {
    const { auth, t } = await setup();
    startAutoRefresh(auth, { random: () => 0.5, jitterMs: 120_000, visibility: null });
    expect(await t.until((p) => p.length > 0)).toEqual([HOUR - 60_000 - 60_000]);
    stopAutoRefresh(auth);
  });

  it("waits while the page is hidden and checks at once when it becomes visible", async () => {
    const { auth, mock, t } = await setup();
    const v = visibility(false);
    startAutoRefresh(auth, { visibility: v.source, random: () => 0 });
    await flushPromises(); // the first schedule: the session is in memory, no request
    expect(v.checks()).toBeGreaterThan(0); // it did look, and found the page hidden
    expect(t.pending()).toEqual([]);
    mock.clock.advance(HOUR);
    const refreshed = nextEvent(auth, "TOKEN_REFRESHED");
    v.set(true);
    await refreshed;
    expect(mock.count("/oauth/token")).toBe(1);
    expect((await getSession(auth))?.expiresAt?.getTime()).toBe(mock.clock.now() + HOUR);
    expect(await t.until((p) => p.length > 0)).toEqual([HOUR - 60_000]);
    stopAutoRefresh(auth);
  });

  it("keeps the session and backs off on network errors", async () => {
    const { auth, mock, t } = await setup();
    const before = await getSession(auth);
    startAutoRefresh(auth, { random: () => 0, visibility: null });
    await t.until((p) => p.length > 0);
    mock.clock.advance(HOUR);
    mock.faults.inject("/oauth/token", { network: true, times: 2 });
    t.runNext();
    // 1 s backoff, half of it fixed, half random (0 here)
    expect(await t.until((p) => p.length > 0)).toEqual([500]);
    t.runNext();
    expect(await t.until((p) => p.length > 0)).toEqual([1000]); // then 2 s
    expect((await getSession(auth))?.refreshToken).toBe(before?.refreshToken);
    t.runNext();
    expect(await t.until((p) => p.length > 0)).toEqual([HOUR - 60_000]);
    expect(mock.count("/oauth/token")).toBe(3);
    expect((await getSession(auth))?.refreshToken).not.toBe(before?.refreshToken);
    stopAutoRefresh(auth);
  });

  it("stops after the server refuses the refresh token (one SIGNED_OUT)", async () => {
    const { auth, mock, t } = await setup({ refreshTokenTtlSeconds: 1800 });
    const events: string[] = [];
    onAuthStateChange(auth, (e) => events.push(e));
    startAutoRefresh(auth, { random: () => 0, visibility: null });
    await t.until((p) => p.length > 0);
    mock.clock.advance(HOUR);
    const signedOut = nextEvent(auth, "SIGNED_OUT");
    t.runNext();
    await signedOut;
    await flushPromises(); // the scheduler's own handling of the refusal: promises only
    expect(events).toEqual(["SESSION_EXPIRED", "SIGNED_OUT"]);
    expect(t.pending()).toEqual([]);
    expect(mock.count("/oauth/token")).toBe(1);
    stopAutoRefresh(auth);
  });

  it("starts scheduling when a user signs in later, and restarting replaces the old schedule", async () => {
    const t = fakeTimers();
    const { auth } = await ctx.fresh({}, { timers: t.timers });
    startAutoRefresh(auth, { random: () => 0, visibility: null });
    await flushPromises(); // storage read (memory): nobody is signed in, nothing to schedule
    expect(t.pending()).toEqual([]);
    await signIn(auth, alice);
    expect(t.pending()).toEqual([HOUR - 60_000]);
    startAutoRefresh(auth, { random: () => 0, leewaySeconds: 120, visibility: null });
    expect(t.pending()).toEqual([]); // the old schedule is gone at once
    expect(await t.until((p) => p.length > 0)).toEqual([HOUR - 120_000]);
    stopAutoRefresh(auth);
    stopAutoRefresh(auth); // idempotent
    expect(t.pending()).toEqual([]);
  });
});
