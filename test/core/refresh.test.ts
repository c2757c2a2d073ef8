import { describe, expect, it } from "vitest";
import { serializeSession } from "../../src/core/session";
import { getUser, signIn } from "../../src/credentials/index";
import {
  createAuthClient,
  getSession,
  HttpError,
  memoryStorage,
  NetworkError,
  NotSignedInError,
  onAuthStateChange,
  SessionExpiredError,
  UnauthorizedError,
} from "../../src/index";
import { alice, useMockServer } from "../support";

const ctx = useMockServer();
const HOUR = 3_600_000;

describe("refresh of an expiring access token", () => {
  it("refreshes within the leeway and rotates the refresh token", async () => {
    const { auth, mock } = await ctx.fresh();
    const first = await signIn(auth, alice);
    if (first.status !== "signed_in") throw new Error("unreachable");
    const events: string[] = [];
    onAuthStateChange(auth, (e) => events.push(e));
    mock.clock.advance(HOUR - 30_000); // 30 s left, leeway is 60 s
    await getUser(auth);
    const next = await getSession(auth);
    expect(events).toEqual(["TOKEN_REFRESHED"]);
    expect(mock.count("/oauth/token")).toBe(1);
    expect(next?.refreshToken).not.toBe(first.session.refreshToken);
    expect(next?.accessToken).not.toBe(first.session.accessToken);
    expect(next?.user?.email).toBe(alice.email);
    expect(next?.expiresAt?.getTime()).toBe(mock.clock.now() + HOUR);
  });

  it("does not refresh a token that is still valid beyond the leeway", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    mock.clock.advance(HOUR - 120_000);
    await getUser(auth);
    expect(mock.count("/oauth/token")).toBe(0);
  });

  it("shares one refresh between concurrent callers", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    mock.clock.advance(2 * HOUR);
    const users = await Promise.all(Array.from({ length: 25 }, () => getUser(auth)));
    expect(users.every((u) => u.email === alice.email)).toBe(true);
    expect(mock.count("/oauth/token")).toBe(1);
    expect(mock.count("/auth/user")).toBe(25);
  });

  it("sends client_id when configured, and none otherwise", async () => {
    const tokenRequests = (mock: { requests: Array<{ path: string; body?: unknown }> }) =>
      mock.requests.filter((r) => r.path === "/oauth/token").map((r) => r.body);
    const configured = await ctx.fresh({}, { clientId: "web-app" });
    const first = await signIn(configured.auth, alice);
    if (first.status !== "signed_in") throw new Error("unreachable");
    configured.mock.clock.advance(2 * HOUR);
    await getUser(configured.auth);
    expect(tokenRequests(configured.mock)).toEqual([
      { grant_type: "refresh_token", refresh_token: first.session.refreshToken, client_id: "web-app" },
    ]);

    const plain = await ctx.fresh();
    await signIn(plain.auth, alice);
    plain.mock.clock.advance(2 * HOUR);
    await getUser(plain.auth);
    expect(tokenRequests(plain.mock)).toEqual([
      { grant_type: "refresh_token", refresh_token: expect.any(String) },
    ]);
  });

  it("ends the session on invalid_grant: SESSION_EXPIRED then one SIGNED_OUT, SessionExpiredError to every waiter", async () => {
    const { auth, mock } = await ctx.fresh({ refreshTokenTtlSeconds: 2 * 3600 });
    await signIn(auth, alice);
    const events: string[] = [];
    onAuthStateChange(auth, (e) => events.push(e));
    mock.clock.advance(3 * HOUR); // the refresh token expired too
    const results = await Promise.allSettled([getUser(auth), getUser(auth), getUser(auth)]);
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(SessionExpiredError);
    }
    expect(events).toEqual(["SESSION_EXPIRED", "SIGNED_OUT"]);
    expect(await getSession(auth)).toBeNull();
    await expect(getUser(auth)).rejects.toBeInstanceOf(NotSignedInError);
  });

  it("keeps the session when the refresh fails with a network error or a 5xx", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    const before = await getSession(auth);
    mock.clock.advance(2 * HOUR);
    mock.faults.inject("/oauth/token", { network: true });
    await expect(getUser(auth)).rejects.toBeInstanceOf(NetworkError);
    mock.faults.inject("/oauth/token", { status: 503 });
    await expect(getUser(auth)).rejects.toBeInstanceOf(HttpError);
    expect(await getSession(auth)).toEqual(before); // kept as it was, refresh token included
    expect((await getUser(auth)).email).toBe(alice.email);
  });

  it("detects reuse of a rotated refresh token and revokes the session (mock)", async () => {
    const { mock } = await ctx.fresh();
    const storage = memoryStorage();
    const a = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock, storage });
    await signIn(a, alice);
    const stolen = storage.getItem("tegata.session");
    mock.clock.advance(2 * HOUR);
    await getUser(a); // rotates
    // An attacker replays the old refresh token from a copy of storage.
    const copy = memoryStorage();
    copy.setItem("tegata.session", stolen as string);
    const b = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock, storage: copy });
    await expect(getUser(b)).rejects.toBeInstanceOf(SessionExpiredError);
    // The whole session is gone, for the legitimate client too.
    mock.clock.advance(2 * HOUR);
    await expect(getUser(a)).rejects.toBeInstanceOf(SessionExpiredError);
    expect(mock.sessions(alice.email).map((s) => s.revoked)).toEqual([true]);
  });

  it("an expired session without a refresh token is expired", async () => {
    const storage = memoryStorage();
    storage.setItem(
      "tegata.session",
      serializeSession({ accessToken: "at", tokenType: "Bearer", expiresAt: new Date(1000), user: null }),
    );
    const auth = createAuthClient({ baseUrl: "https://a.test", storage });
    await expect(getUser(auth)).rejects.toBeInstanceOf(SessionExpiredError);
    expect(await getSession(auth)).toBeNull();
  });

  it("a revoked access token gives UnauthorizedError", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    const other = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
    await signIn(other, alice);
    const { signOut } = await import("../../src/credentials/index");
    await signOut(other, { scope: "others" });
    await expect(getUser(auth)).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
