/**
 * The SDK against createAuthServer over real HTTP on 127.0.0.1: sign-in, the user, refresh with
 * rotation and reuse detection, sign-out; the server's refusals as the client's typed errors.
 */
import { afterEach, describe, expect, it } from "vitest";
import { getUser, signIn, signOut } from "../../../src/credentials/index";
import {
  AccountLockedError,
  createAuthClient,
  getSession,
  InvalidCredentialsError,
  SessionExpiredError,
} from "../../../src/index";
import { getAccessToken } from "../../../src/session/index";
import { type Harness, startServer, T0 } from "./harness";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function setup() {
  harness = await startServer();
  await harness.addUser("hanako@example.jp", "correct horse battery", "山田花子");
  const auth = createAuthClient({ baseUrl: harness.baseUrl, clock: harness.clock, retry: 0 });
  return { h: harness, auth };
}

describe("createAuthServer over real HTTP with the SDK", () => {
  it("signs in, reads the user, refreshes with rotation, signs out", async () => {
    const { h, auth } = await setup();
    const result = await signIn(auth, {
      email: "ＨＡＮＡＫＯ@example.jp",
      password: "correct horse battery",
    });
    expect(result.status).toBe("signed_in");
    const user = await getUser(auth);
    expect(user).toMatchObject({ email: "hanako@example.jp", name: "山田花子", mfaEnabled: false });
    const before = await getSession(auth);
    h.clock.advance(16 * 60 * 1000);
    const fresh = await getAccessToken(auth);
    expect(fresh).not.toBe(before?.accessToken);
    // The rotated-away refresh token is reuse: the family ends.
    const replay = await fetch(`${h.baseUrl}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: before?.refreshToken ?? "" }),
    });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: "invalid_grant" });
    await expect(getAccessToken(auth, { forceRefresh: true })).rejects.toBeInstanceOf(SessionExpiredError);
    await signIn(auth, { email: "hanako@example.jp", password: "correct horse battery" });
    await signOut(auth, { scope: "global" });
    expect(await getSession(auth)).toBeNull();
  });

  it("refuses wrong passwords with attempts left, then locks with Retry-After", async () => {
    const { auth } = await setup();
    const first = await signIn(auth, { email: "hanako@example.jp", password: "wrong" }).catch(
      (e: unknown) => e,
    );
    expect(first).toBeInstanceOf(InvalidCredentialsError);
    expect((first as InvalidCredentialsError).remainingAttempts).toBe(4);
    for (let i = 0; i < 3; i++)
      await signIn(auth, { email: "hanako@example.jp", password: "wrong" }).catch(() => {});
    const locking = await signIn(auth, { email: "hanako@example.jp", password: "wrong" }).catch(
      (e: unknown) => e,
    );
    expect(locking).toBeInstanceOf(AccountLockedError);
    expect((locking as AccountLockedError).retryAfter).toBe(900);
  });

  it("answers every response with no-store, unknown paths with 404 problems, and no 500s for garbage", async () => {
    const { h } = await setup();
    const jwks = (await (await fetch(`${h.baseUrl}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    expect(jwks.keys).toHaveLength(1); // a key exists before the first sign-in
    const health = await fetch(`${h.baseUrl}/health`);
    expect(health.headers.get("cache-control")).toContain("no-store");
    const missing = await fetch(`${h.baseUrl}/auth/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    const garbage = await fetch(`${h.baseUrl}/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(garbage.status).toBe(400);
    const big = await fetch(`${h.baseUrl}/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "a@example.com", password: "x".repeat(100_000) }),
    });
    expect(big.status).toBe(400);
    expect(await big.json()).toMatchObject({ code: "invalid_request" });
  });
});

describe("per-IP rate limits", () => {
  it("refuses the 61st sign-in of a minute from one address with 429 and Retry-After, not another address's", async () => {
    harness = await startServer({ rateLimits: undefined, trustProxy: true });
    const h = harness;
    const attempt = (ip: string) =>
      fetch(`${h.baseUrl}/auth/sign-in`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": ip },
        body: JSON.stringify({ email: `nobody${Math.random()}@example.jp`, password: "wrong" }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await attempt("198.51.100.1")).status);
    expect(statuses.every((s) => s === 401)).toBe(true);
    const limited = await attempt("198.51.100.1");
    expect(limited.status).toBe(429);
    const seconds = Number(limited.headers.get("retry-after"));
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(await limited.json()).toMatchObject({ code: "rate_limited", retry_after: seconds });
    expect((await attempt("198.51.100.2")).status).toBe(401);
    h.clock.advance(seconds * 1000);
    expect((await attempt("198.51.100.1")).status).toBe(401);
  });
});

describe("last seen", () => {
  it("moves on bearer requests, at most once a minute, with the request's IP and user agent", async () => {
    const { h, auth } = await setup();
    await signIn(auth, { email: "hanako@example.jp", password: "correct horse battery" });
    const token = (await getSession(auth))?.accessToken ?? "";
    const sessions = async (userAgent: string) => {
      const res = await fetch(`${h.baseUrl}/auth/sessions`, {
        headers: { authorization: `Bearer ${token}`, "user-agent": userAgent },
      });
      return ((await res.json()) as { sessions: Array<{ last_seen_at: string; user_agent: string | null }> })
        .sessions[0];
    };
    const first = await sessions("First/1.0");
    expect(first?.last_seen_at).toBe(new Date(T0).toISOString());
    h.clock.advance(30_000);
    expect((await sessions("Second/1.0"))?.user_agent).not.toBe("Second/1.0"); // within the minute: unchanged
    h.clock.advance(31_000);
    await sessions("Third/1.0");
    const later = await sessions("Fourth/1.0");
    expect(later).toMatchObject({
      last_seen_at: new Date(T0 + 61_000).toISOString(),
      user_agent: "Third/1.0",
    });
  });
});
