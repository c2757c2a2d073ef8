import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { signIn } from "../../src/credentials/index";
import {
  createAuthClient,
  getSession,
  memoryStorage,
  NetworkError,
  NotSignedInError,
  onAuthStateChange,
  SessionExpiredError,
  webStorage,
} from "../../src/index";
import {
  authFetch,
  createAuthorizedKy,
  getAccessToken,
  refreshSessionNow,
  revokeTokens,
} from "../../src/session/index";
import { alice, useMockServer } from "../support";

const ctx = useMockServer();
const HOUR = 3_600_000;

describe("getAccessToken", () => {
  it("returns the cached token while it is valid", async () => {
    const { auth, mock } = await ctx.fresh();
    const r = await signIn(auth, alice);
    if (r.status !== "signed_in") throw new Error("unreachable");
    expect(await getAccessToken(auth)).toBe(r.session.accessToken);
    expect(mock.count("/oauth/token")).toBe(0);
  });

  it("honours a per-call leeway and forceRefresh", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    mock.clock.advance(HOUR - 5 * 60_000);
    await getAccessToken(auth); // 5 min left, default leeway 60 s
    expect(mock.count("/oauth/token")).toBe(0);
    await getAccessToken(auth, { leewaySeconds: 600 });
    expect(mock.count("/oauth/token")).toBe(1);
    await getAccessToken(auth, { forceRefresh: true });
    expect(mock.count("/oauth/token")).toBe(2);
  });

  it("shares one refresh request among 200 concurrent callers", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    mock.clock.advance(2 * HOUR);
    const tokens = await Promise.all(Array.from({ length: 200 }, () => getAccessToken(auth)));
    expect(new Set(tokens).size).toBe(1);
    expect(mock.count("/oauth/token")).toBe(1);
  });

  it("throws NotSignedInError without a session", async () => {
    const { auth } = await ctx.fresh();
    await expect(getAccessToken(auth)).rejects.toBeInstanceOf(NotSignedInError);
  });

  it("refreshSessionNow refreshes and emits TOKEN_REFRESHED", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    const before = await getSession(auth);
    const events: string[] = [];
    onAuthStateChange(auth, (e) => events.push(e));
    const next = await refreshSessionNow(auth); // though the token is still valid
    expect(mock.count("/oauth/token")).toBe(1);
    expect(next.refreshToken).toEqual(expect.any(String));
    expect(next.refreshToken).not.toBe(before?.refreshToken);
    expect(next.accessToken).not.toBe(before?.accessToken);
    expect(await getSession(auth)).toEqual(next);
    expect(events).toEqual(["TOKEN_REFRESHED"]);
  });

  it("derives expiry from the JWT when expires_in is missing, correcting clock skew from iat", async () => {
    const { mock } = await ctx.fresh();
    // The client's clock runs 10 minutes behind the server.
    const skewed = { now: () => mock.clock.now() - 10 * 60_000 };
    const auth = createAuthClient({ baseUrl: mock.baseUrl, clock: skewed });
    await signIn(auth, alice);
    // A token response without expires_in, carrying a real access token of the mock.
    const session = await getSession(auth);
    const { sessionFromTokens } = await import("../../src/core/session");
    const receivedAt = skewed.now();
    const s = sessionFromTokens(
      { access_token: session?.accessToken ?? "", token_type: "Bearer" },
      null,
      receivedAt,
    );
    // exp is one hour after iat on the server's clock, so one hour after receipt on ours.
    expect(s.expiresAt?.getTime()).toBe(Math.floor(mock.clock.now() / 1000) * 1000 + HOUR - 10 * 60_000);
  });
});

describe("authFetch", () => {
  it("attaches the bearer token", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    const res = await authFetch(auth, `${mock.baseUrl}/auth/user`);
    expect(res.status).toBe(200);
    expect((await res.json()).user.email).toBe(alice.email);
  });

  it("keeps the caller's method, headers and body", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    let seen: { method: string; header: string | null; body: string; auth: string | null } | undefined;
    ctx.server.use(
      http.put(`${mock.baseUrl}/api/notes`, async ({ request }) => {
        seen = {
          method: request.method,
          header: request.headers.get("x-app"),
          body: await request.text(),
          auth: request.headers.get("authorization"),
        };
        return HttpResponse.json({ ok: true });
      }),
    );
    await authFetch(auth, `${mock.baseUrl}/api/notes`, {
      method: "PUT",
      headers: { "x-app": "1" },
      body: "hello",
    });
    expect(seen).toMatchObject({ method: "PUT", header: "1", body: "hello" });
    expect(seen?.auth).toMatch(/^Bearer /);
  });

  it("on a 401 refreshes once and retries once with the body intact", async () => {
    const { mock } = await ctx.fresh();
    // The client's clock stands still: it believes its token valid, the server does not.
    const frozen = mock.clock.now();
    const auth = createAuthClient({ baseUrl: mock.baseUrl, clock: { now: () => frozen } });
    await signIn(auth, alice);
    mock.clock.advance(2 * HOUR);
    const bodies: string[] = [];
    ctx.server.use(
      http.post(`${mock.baseUrl}/api/echo`, async ({ request }) => {
        bodies.push(await request.text());
        const res = await fetch(`${mock.baseUrl}/auth/user`, { headers: request.headers });
        return HttpResponse.json({ status: res.status }, { status: res.status });
      }),
    );
    const res = await authFetch(auth, `${mock.baseUrl}/api/echo`, { method: "POST", body: "payload" });
    expect(res.status).toBe(200);
    expect(bodies).toEqual(["payload", "payload"]);
    expect(mock.count("/oauth/token")).toBe(1);
  });

  it("never loops: a second 401 is returned as it is", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    let calls = 0;
    ctx.server.use(
      http.get(`${mock.baseUrl}/api/always-401`, () => {
        calls++;
        return new HttpResponse(null, { status: 401 });
      }),
    );
    const res = await authFetch(auth, `${mock.baseUrl}/api/always-401`);
    expect(res.status).toBe(401);
    expect(calls).toBe(2);
    expect(mock.count("/oauth/token")).toBe(1);
  });

  it("1,000 concurrent calls with an expired token make exactly one refresh", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    mock.clock.advance(2 * HOUR);
    const responses = await Promise.all(
      Array.from({ length: 1000 }, () => authFetch(auth, `${mock.baseUrl}/auth/user`)),
    );
    expect(new Set(responses.map((r) => r.status))).toEqual(new Set([200]));
    expect(mock.count("/oauth/token")).toBe(1);
  });

  it("throws typed errors: no session, refused refresh, network failure", async () => {
    const { auth, mock } = await ctx.fresh({ refreshTokenTtlSeconds: 60 });
    await expect(authFetch(auth, `${mock.baseUrl}/auth/user`)).rejects.toBeInstanceOf(NotSignedInError);
    await signIn(auth, alice);
    ctx.server.use(http.get(`${mock.baseUrl}/api/down`, () => HttpResponse.error()));
    await expect(authFetch(auth, `${mock.baseUrl}/api/down`)).rejects.toBeInstanceOf(NetworkError);
    mock.clock.advance(2 * HOUR);
    await expect(authFetch(auth, `${mock.baseUrl}/auth/user`)).rejects.toBeInstanceOf(SessionExpiredError);
  });
});

describe("createAuthorizedKy", () => {
  it("sends the bearer token and refreshes on 401", async () => {
    const { mock } = await ctx.fresh();
    const frozen = mock.clock.now();
    const auth = createAuthClient({ baseUrl: mock.baseUrl, clock: { now: () => frozen } });
    await signIn(auth, alice);
    mock.clock.advance(2 * HOUR);
    const api = createAuthorizedKy(auth, { baseUrl: mock.baseUrl });
    const body = await api.get("auth/user").json<{ user: { email: string } }>();
    expect(body.user.email).toBe(alice.email);
    expect(mock.count("/oauth/token")).toBe(1);
  });
});

describe("revokeTokens", () => {
  it("revokes the refresh token (RFC 7009) and signs out", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    const events: string[] = [];
    onAuthStateChange(auth, (e) => events.push(e));
    const { refreshToken } = (await getSession(auth)) ?? {};
    expect(await revokeTokens(auth)).toBe(true);
    expect(events).toEqual(["SIGNED_OUT"]);
    expect(mock.requests.at(-1)).toMatchObject({
      path: "/oauth/revoke",
      body: { token: refreshToken, token_type_hint: "refresh_token" },
    });
    expect(mock.sessions(alice.email).map((s) => s.revoked)).toEqual([true]);
  });

  it("treats a server without the endpoint as nothing to revoke", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    mock.faults.inject("/oauth/revoke", { status: 404 });
    expect(await revokeTokens(auth)).toBe(false);
    expect(await getSession(auth)).toBeNull();
  });

  it("returns false without a session", async () => {
    const { auth } = await ctx.fresh();
    expect(await revokeTokens(auth)).toBe(false);
  });
});

describe("storage of the refresh token", () => {
  it("never writes the refresh token to localStorage unless the app opts in", async () => {
    const { mock } = await ctx.fresh();
    const backing = new Map<string, string>();
    const fakeLocal = {
      getItem: (k: string) => backing.get(k) ?? null,
      setItem: (k: string, v: string) => void backing.set(k, v),
      removeItem: (k: string) => void backing.delete(k),
    };
    const g = globalThis as { localStorage?: unknown };
    const previous = g.localStorage;
    g.localStorage = fakeLocal;
    try {
      const auth = createAuthClient({
        baseUrl: mock.baseUrl,
        clock: mock.clock,
        storage: webStorage(fakeLocal),
      });
      const r = await signIn(auth, alice);
      if (r.status !== "signed_in") throw new Error("unreachable");
      const raw = backing.get("tegata.session") ?? "";
      expect(raw).toContain(r.session.accessToken);
      expect(raw).not.toContain(r.session.refreshToken);
      expect(raw).not.toContain("refreshToken");
      // In memory the refresh token is there, so this page can refresh.
      expect((await getSession(auth))?.refreshToken).toBe(r.session.refreshToken);

      const optIn = createAuthClient({
        baseUrl: mock.baseUrl,
        clock: mock.clock,
        storage: webStorage(fakeLocal, { persistRefreshToken: true }),
      });
      const r2 = await signIn(optIn, alice);
      if (r2.status !== "signed_in") throw new Error("unreachable");
      expect(backing.get("tegata.session")).toContain(r2.session.refreshToken);
    } finally {
      g.localStorage = previous;
    }
  });

  it("sessionStorage and memory storage keep the refresh token", async () => {
    const { mock } = await ctx.fresh();
    const storage = memoryStorage();
    const auth = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock, storage });
    const r = await signIn(auth, alice);
    if (r.status !== "signed_in") throw new Error("unreachable");
    expect(storage.getItem("tegata.session")).toContain(r.session.refreshToken);
  });
});
