import { describe, expect, it } from "vitest";
import { serializeSession } from "../../src/core/session";
import { signIn, signOut } from "../../src/credentials/index";
import type { Session } from "../../src/index";
import {
  type AuthStorage,
  createAuthClient,
  getSession,
  memoryStorage,
  onAuthStateChange,
} from "../../src/index";
import type { MockAuth } from "../../src/mock/index";
import {
  type BroadcastChannelLike,
  enableCrossTabSync,
  getAccessToken,
  type LockManagerLike,
} from "../../src/session/index";
import { alice, useMockServer } from "../support";
import { flushPromises, memoryChannels, nextEvent } from "./timers";

const ctx = useMockServer();
const HOUR = 3_600_000;
let n = 0;

/** Two "tabs": two clients of one origin, with shared (or separate) storage and one channel name. */
function tabs(
  mock: MockAuth,
  options: {
    shared?: boolean;
    locks?: LockManagerLike | null;
    lockTimeoutMs?: number;
    /** Channels other than the real BroadcastChannel, such as {@link memoryChannels}. */
    channels?: (name: string) => BroadcastChannelLike;
  } = {},
) {
  const name = `tegata-test-${++n}`;
  const shared = memoryStorage();
  const make = (storage: AuthStorage) => {
    const auth = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock, storage });
    const off = enableCrossTabSync(auth, {
      name,
      ...(options.channels ? { channel: options.channels(name) } : {}),
      ...(options.locks === undefined ? {} : { locks: options.locks }),
      ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
    });
    return { auth, off };
  };
  const a = make(options.shared === false ? memoryStorage() : shared);
  const b = make(options.shared === false ? memoryStorage() : shared);
  return {
    a,
    b,
    close: () => {
      a.off();
      b.off();
    },
  };
}

describe("cross-tab sync", () => {
  it.each([
    ["Web Locks", undefined],
    ["the BroadcastChannel fallback", null],
  ])("with %s, two tabs with expired tokens make one refresh and share its tokens", async (_label, locks) => {
    const { mock } = await ctx.fresh();
    const { a, b, close } = tabs(mock, {
      locks: locks as LockManagerLike | null | undefined,
      // The fallback lock gives a rival's claim 25 ms to arrive. A real BroadcastChannel cannot
      // promise that on a loaded machine (a due timer may run before a pending message), so these
      // tabs talk through channels that deliver before any timer.
      ...(locks === null ? { channels: memoryChannels() } : {}),
    });
    try {
      const seen = nextEvent(b.auth, "SIGNED_IN");
      await signIn(a.auth, alice);
      await seen;
      expect((await getSession(b.auth))?.user?.email).toBe(alice.email);
      mock.clock.advance(2 * HOUR);
      const [ta, tb] = await Promise.all([getAccessToken(a.auth), getAccessToken(b.auth)]);
      expect(mock.count("/oauth/token")).toBe(1);
      expect(ta).toBe(tb);
      expect(mock.sessions(alice.email).map((s) => s.revoked)).toEqual([false]);
    } finally {
      close();
    }
  });

  it("shares rotated tokens between tabs with separate storage through the channel", async () => {
    const { mock } = await ctx.fresh();
    const { a, b, close } = tabs(mock, { shared: false });
    try {
      const signedIn = nextEvent(b.auth, "SIGNED_IN");
      await signIn(a.auth, alice);
      await signedIn;
      mock.clock.advance(2 * HOUR);
      const refreshed = nextEvent(b.auth, "TOKEN_REFRESHED");
      const ta = await getAccessToken(a.auth);
      await refreshed;
      expect((await getSession(b.auth))?.accessToken).toBe(ta);
      mock.clock.advance(2 * HOUR);
      const tb = await getAccessToken(b.auth); // B spends the newest refresh token, not a reused one
      expect(tb).not.toBe(ta);
      expect(mock.count("/oauth/token")).toBe(2);
      expect(mock.sessions(alice.email).map((s) => s.revoked)).toEqual([false]);
    } finally {
      close();
    }
  });

  it("propagates sign-in and sign-out with one event each", async () => {
    const { mock } = await ctx.fresh();
    // Channels that deliver as microtasks, so that once the queue is empty no message is on its way.
    const { a, b, close } = tabs(mock, { channels: memoryChannels() });
    const events: string[] = [];
    onAuthStateChange(b.auth, (e) => events.push(e));
    try {
      const signedIn = nextEvent(b.auth, "SIGNED_IN");
      await signIn(a.auth, alice);
      await signedIn;
      const signedOut = nextEvent(b.auth, "SIGNED_OUT");
      await signOut(a.auth);
      await signedOut;
      await flushPromises();
      expect(events).toEqual(["SIGNED_IN", "SIGNED_OUT"]);
      expect(await getSession(b.auth)).toBeNull();
    } finally {
      close();
    }
  });

  it("never hangs on an orphaned lock: it refreshes after lockTimeoutMs", async () => {
    const { mock } = await ctx.fresh();
    const orphaned: LockManagerLike = {
      request: (_name, options) =>
        new Promise((_resolve, reject) => {
          options.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
        }),
    };
    const { a, close } = tabs(mock, { locks: orphaned, lockTimeoutMs: 50 });
    try {
      await signIn(a.auth, alice);
      mock.clock.advance(2 * HOUR);
      await expect(getAccessToken(a.auth)).resolves.toBeTypeOf("string");
      expect(mock.count("/oauth/token")).toBe(1);
    } finally {
      close();
    }
  });

  it("ignores foreign and malformed messages", async () => {
    const { mock } = await ctx.fresh();
    const name = `tegata-test-${++n}`;
    const auth = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
    const off = enableCrossTabSync(auth, { name });
    const intruder = new BroadcastChannel(name);
    try {
      await signIn(auth, alice);
      const before = await getSession(auth);
      const events: string[] = [];
      onAuthStateChange(auth, (e) => events.push(e));
      intruder.postMessage("hello");
      intruder.postMessage({ t: "session", event: "SIGNED_IN", session: "{garbage", from: "x" });
      intruder.postMessage(null);
      intruder.postMessage({ t: "session", event: "TOKEN_REFRESHED", session: null, from: "x" });
      intruder.postMessage({ t: "session", event: "SIGNED_OUT", session: "{}", from: "x" });
      // Messages from one channel arrive in order: once this well-formed one has landed, so has
      // every malformed one before it.
      const landed = nextEvent(auth, "USER_UPDATED");
      intruder.postMessage({
        t: "session",
        event: "USER_UPDATED",
        session: serializeSession(before as Session),
        from: "x",
      });
      await landed;
      expect(events).toEqual(["USER_UPDATED"]);
      expect(await getSession(auth)).toEqual(before);
    } finally {
      intruder.close();
      off();
    }
  });

  it("without sync, two tabs on shared storage would spend one refresh token twice (why sync exists)", async () => {
    const { mock } = await ctx.fresh();
    const storage = memoryStorage();
    const a = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock, storage });
    await signIn(a, alice);
    const b = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock, storage });
    await getSession(b);
    mock.clock.advance(2 * HOUR);
    const results = await Promise.allSettled([getAccessToken(a), getAccessToken(b)]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(mock.sessions(alice.email).map((s) => s.revoked)).toEqual([true]);
  });
});
