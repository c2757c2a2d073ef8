import { describe, expect, it, vi } from "vitest";
import { getUser, signIn } from "../../src/credentials/index";
import {
  type AuthStorage,
  createAuthClient,
  defaultEndpoints,
  getSession,
  memoryStorage,
  onAuthStateChange,
  webStorage,
} from "../../src/index";
import { alice, useMockServer } from "../support";

const ctx = useMockServer();

describe("createAuthClient", () => {
  it("resolves defaults and endpoint overrides", () => {
    const auth = createAuthClient({
      baseUrl: "https://auth.example.com/api/",
      endpoints: { signIn: "/login" },
    });
    expect(auth.options.baseUrl).toBe("https://auth.example.com/api");
    expect(auth.options.endpoints.signIn).toBe("/login");
    // Only the overrides are kept: every other endpoint is at its default path, a constant of
    // the feature module that calls it (a bundle carries the paths of the functions it imports).
    expect(auth.options.endpoints).toEqual({ signIn: "/login" });
    expect(defaultEndpoints.token).toBe("/oauth/token");
    expect(auth.options.timeoutMs).toBe(10_000);
    expect(auth.options.retry).toEqual({ limit: 2, backoffLimit: 5000, maxRetryAfter: 30_000 });
    expect(auth.options.refreshLeewaySeconds).toBe(60);
    expect(Object.isFrozen(auth.options)).toBe(true);
  });

  it("accepts a number as the retry limit", () => {
    expect(createAuthClient({ baseUrl: "https://a.test", retry: 0 }).options.retry.limit).toBe(0);
  });

  it.each([
    [{ baseUrl: "not a url" }],
    [{ baseUrl: "ftp://example.com" }],
    [{ baseUrl: "https://a.test", timeoutMs: -1 }],
    [{ baseUrl: "https://a.test", retry: Number.NaN }],
  ])("throws TypeError for invalid options %j", (options) => {
    expect(() => createAuthClient(options as never)).toThrow(TypeError);
  });

  it("throws TypeError without options", () => {
    expect(() => createAuthClient(undefined as never)).toThrow(TypeError);
  });

  it("keeps clients independent (no global state)", async () => {
    const { mock } = await ctx.fresh();
    const a = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
    const b = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
    await signIn(a, alice);
    expect((await getSession(a))?.user?.email).toBe(alice.email);
    expect(await getSession(b)).toBeNull();
  });

  it("routes requests through an injected fetch", async () => {
    const { mock } = await ctx.fresh();
    const spy = vi.fn((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
    const auth = createAuthClient({ baseUrl: mock.baseUrl, fetch: spy as typeof fetch });
    await signIn(auth, alice);
    expect(spy).toHaveBeenCalledTimes(1);
    const [input] = spy.mock.calls[0] ?? [];
    expect(input instanceof Request ? input.url : String(input)).toBe(`${mock.baseUrl}/auth/sign-in`);
    expect(mock.count("/auth/sign-in")).toBe(1); // and it went on to the server
  });

  it("sends custom headers with every request", async () => {
    const { mock } = await ctx.fresh();
    const auth = createAuthClient({
      baseUrl: mock.baseUrl,
      clock: mock.clock,
      headers: { "user-agent": "tegata-test/1" },
    });
    await signIn(auth, alice);
    await getUser(auth);
    mock.clock.advance(2 * 3_600_000);
    await getUser(auth); // a refresh first, then the call
    expect(mock.requests.map((r) => [r.path, r.userAgent])).toEqual([
      ["/auth/sign-in", "tegata-test/1"],
      ["/auth/user", "tegata-test/1"],
      ["/oauth/token", "tegata-test/1"],
      ["/auth/user", "tegata-test/1"],
    ]);
  });
});

describe("onAuthStateChange", () => {
  it("returns an unsubscribe function", async () => {
    const { auth } = await ctx.fresh();
    const events: string[] = [];
    const off = onAuthStateChange(auth, (e) => events.push(e));
    await signIn(auth, alice);
    off();
    off(); // idempotent
    await signIn(auth, alice);
    expect(events).toEqual(["SIGNED_IN"]);
  });

  it("isolates a throwing listener and reports it to onListenerError", async () => {
    const errors: unknown[] = [];
    const { auth } = await ctx.fresh({}, { onListenerError: (e) => errors.push(e) });
    const seen: string[] = [];
    onAuthStateChange(auth, () => {
      throw new Error("listener bug");
    });
    onAuthStateChange(auth, (e) => seen.push(e));
    await signIn(auth, alice);
    expect(seen).toEqual(["SIGNED_IN"]);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe("listener bug");
  });

  it("the same function subscribed twice is called twice and unsubscribed separately", async () => {
    const { auth } = await ctx.fresh();
    const listener = vi.fn();
    const off1 = onAuthStateChange(auth, listener);
    onAuthStateChange(auth, listener);
    off1();
    await signIn(auth, alice);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it("rejects a non-function listener", async () => {
    const { auth } = await ctx.fresh();
    expect(() => onAuthStateChange(auth, "x" as never)).toThrow(TypeError);
  });
});

describe("storage", () => {
  it("memoryStorage stores, reads and removes", () => {
    const s = memoryStorage();
    expect(s.getItem("k")).toBeNull();
    s.setItem("k", "v");
    expect(s.getItem("k")).toBe("v");
    s.removeItem("k");
    expect(s.getItem("k")).toBeNull();
  });

  it("webStorage swallows quota and security errors", () => {
    const broken = {
      getItem: () => {
        throw new DOMException("denied", "SecurityError");
      },
      setItem: () => {
        throw new DOMException("full", "QuotaExceededError");
      },
      removeItem: () => {
        throw new Error("nope");
      },
    };
    const s = webStorage(broken);
    expect(s.getItem("k")).toBeNull();
    expect(() => s.setItem("k", "v")).not.toThrow();
    expect(() => s.removeItem("k")).not.toThrow();
  });

  it("persists the session so a new client on the same storage finds it", async () => {
    const { mock } = await ctx.fresh();
    const storage = memoryStorage();
    const first = createAuthClient({ baseUrl: mock.baseUrl, storage, clock: mock.clock });
    const { session } = (await signIn(first, alice)) as { session: unknown };
    const second = createAuthClient({ baseUrl: mock.baseUrl, storage, clock: mock.clock });
    expect(await getSession(second)).toEqual(session);
  });

  it("works with asynchronous storage", async () => {
    const { mock } = await ctx.fresh();
    const map = new Map<string, string>();
    const storage: AuthStorage = {
      getItem: async (k) => map.get(k) ?? null,
      setItem: async (k, v) => {
        await new Promise((r) => setImmediate(r)); // a write that completes later, as IndexedDB's do
        map.set(k, v);
      },
      removeItem: async (k) => {
        map.delete(k);
      },
    };
    const auth = createAuthClient({ baseUrl: mock.baseUrl, storage, storageKey: "my.key" });
    await signIn(auth, alice);
    expect(JSON.parse(map.get("my.key") ?? "null")).toMatchObject({ user: { email: alice.email } });
  });

  it.each([
    ["not json", "{oops"],
    ["another app's data", JSON.stringify({ token: "abc" })],
    ["a partial session", JSON.stringify({ v: 2, accessToken: "a" })],
    ["a future format", JSON.stringify({ v: 3, accessToken: "a", tokenType: "Bearer", user: null })],
    [
      "an expiry that is not a date (a session that would never refresh)",
      JSON.stringify({ v: 2, accessToken: "a", tokenType: "Bearer", expiresAt: "soon", user: null }),
    ],
    [
      "the snake_case format of unreleased builds",
      JSON.stringify({ v: 1, access_token: "a", token_type: "Bearer", user: null }),
    ],
    ["a number", "42"],
    ["null", "null"],
    ["an empty string", ""],
  ])("treats %s in storage as no session and removes it", async (_label, raw) => {
    const storage = memoryStorage();
    storage.setItem("tegata.session", raw);
    const auth = createAuthClient({ baseUrl: "https://a.test", storage });
    expect(await getSession(auth)).toBeNull();
    expect(storage.getItem("tegata.session")).toBeNull();
  });

  it("treats a storage whose getItem throws as no session", async () => {
    const storage: AuthStorage = {
      getItem: () => Promise.reject(new Error("IndexedDB is gone")),
      setItem: () => {},
      removeItem: () => {},
    };
    const auth = createAuthClient({ baseUrl: "https://a.test", storage });
    expect(await getSession(auth)).toBeNull();
  });

  it("a sign-in that ends while storage is still being read wins", async () => {
    const { mock } = await ctx.fresh();
    let release: (v: string | null) => void = () => {};
    const storage: AuthStorage = {
      getItem: () =>
        new Promise((r) => {
          release = r;
        }),
      setItem: () => {},
      removeItem: () => {},
    };
    const auth = createAuthClient({ baseUrl: mock.baseUrl, storage, clock: mock.clock });
    const pending = getSession(auth);
    await signIn(auth, alice);
    release(null);
    expect((await pending)?.user?.email).toBe(alice.email);
  });
});

describe("what is stored of a session", () => {
  it("only the session's own members: not what an app added to the object, which may not even serialise", async () => {
    const { serializeSession, deserializeSession } = await import("../../src/core/session");
    const session = {
      accessToken: "at",
      tokenType: "Bearer",
      refreshToken: "rt",
      expiresAt: new Date(Date.UTC(2026, 10, 26)),
      user: { id: "u1", email: "a@example.com", createdAt: new Date(Date.UTC(2026, 0, 1)), avatar: 1n },
      appState: { big: 2n },
    };
    const raw = serializeSession(session as never);
    expect(raw).not.toContain("appState");
    expect(raw).not.toContain("avatar");
    expect(deserializeSession(raw)).toEqual({
      accessToken: "at",
      tokenType: "Bearer",
      refreshToken: "rt",
      expiresAt: session.expiresAt,
      user: { id: "u1", email: "a@example.com", createdAt: session.user.createdAt },
    });
    expect(serializeSession(session as never, false)).not.toContain("rt");
  });
});
