import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it, vi } from "vitest";
import { requestPasswordReset, resetPassword, signIn } from "../../src/credentials/index";
import { getSession, HttpError, InvalidTokenError, ResponseValidationError } from "../../src/index";
import { createMockAuth } from "../../src/mock/index";
import { alice, bob, transport, useMockServer, watchTimer } from "../support";

const ctx = useMockServer();

async function raw(mock: { baseUrl: string }, path: string, init: RequestInit = {}) {
  return fetch(`${mock.baseUrl}${path}`, init);
}

describe("createMockAuth", () => {
  it("issues ES256 access tokens that verify against its JWKS", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    const session = await getSession(auth);
    const jwks = createLocalJWKSet(await (await raw(mock, "/.well-known/jwks.json")).json());
    const { payload, protectedHeader } = await jwtVerify(session?.accessToken ?? "", jwks, {
      issuer: mock.issuer,
      audience: mock.audience,
      currentDate: new Date(mock.clock.now()),
    });
    expect(protectedHeader.alg).toBe("ES256");
    expect(payload.sub).toBe(mock.users.get(alice.email)?.id);
    expect(payload.amr).toEqual(["pwd"]);
    expect(payload.exp).toBe(Math.floor(mock.clock.now() / 1000) + 3600);
  });

  it("respects accessTokenTtlSeconds, baseUrl, issuer and audience", async () => {
    const { auth, mock } = await ctx.fresh({
      accessTokenTtlSeconds: 60,
      baseUrl: "https://id.example.org/v1/",
      issuer: "https://issuer.example.org",
      audience: "my-api",
    });
    // Over real HTTP (test:http) the mock listens on 127.0.0.1 under the same path.
    expect(mock.baseUrl).toBe(transport === "http" ? mock.baseUrl : "https://id.example.org/v1");
    expect(mock.baseUrl.endsWith("/v1")).toBe(true);
    await signIn(auth, alice);
    const session = await getSession(auth);
    expect(session?.expiresAt?.getTime()).toBe(mock.clock.now() + 60_000);
    expect(mock.requests[0]?.path).toBe("/auth/sign-in");
  });

  it("the clock can be advanced and set", () => {
    const mock = createMockAuth({ now: new Date("2026-01-01T00:00:00Z") });
    expect(mock.clock.now()).toBe(Date.UTC(2026, 0, 1));
    mock.clock.advance(1000);
    expect(mock.clock.now()).toBe(Date.UTC(2026, 0, 1) + 1000);
    mock.clock.set(new Date("2027-01-01T00:00:00Z"));
    expect(mock.clock.now()).toBe(Date.UTC(2027, 0, 1));
    expect(() => mock.clock.advance(Number.NaN)).toThrow(TypeError);
  });

  it("follows the system clock by default", () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.UTC(2026, 10, 25, 9) });
    try {
      const mock = createMockAuth();
      expect(mock.clock.now()).toBe(Date.UTC(2026, 10, 25, 9));
      vi.setSystemTime(Date.UTC(2026, 10, 25, 10));
      expect(mock.clock.now()).toBe(Date.UTC(2026, 10, 25, 10));
      mock.clock.advance(1000);
      expect(mock.clock.now()).toBe(Date.UTC(2026, 10, 25, 10) + 1000);
    } finally {
      vi.useRealTimers();
    }
  });

  it("users.list() keeps the order the users were given in (they are added one after another)", async () => {
    const emails = Array.from({ length: 8 }, (_, i) => `user${i}@example.com`);
    const mock = createMockAuth({
      users: emails.map((email, i) => ({ email, password: "p".repeat(8 + ((i * 7) % 40)) })),
    });
    await mock.ready();
    expect(mock.users.list().map((u) => u.email)).toEqual(emails);
  });

  it("adds users, refuses duplicates and never exposes password hashes", async () => {
    const { mock } = await ctx.fresh();
    const info = await mock.users.add({ email: "carol@example.com", password: "carol's passphrase" });
    expect(info).toMatchObject({ email: "carol@example.com", mfaEnabled: false, failedAttempts: 0 });
    await expect(mock.users.add({ email: "CAROL@example.com", password: "x" })).rejects.toThrow(/exists/);
    expect(JSON.stringify(mock.users.list())).not.toContain("pbkdf2");
    expect(mock.users.list()).toHaveLength(3);
  });

  it("unlocks an account on demand", async () => {
    const { auth, mock } = await ctx.fresh({ lockout: { maxAttempts: 1 } });
    await signIn(auth, { email: alice.email, password: "wrong" }).catch(() => {});
    expect(mock.users.get(alice.email)?.lockedUntil).toBeInstanceOf(Date);
    mock.users.unlock(alice.email);
    expect((await signIn(auth, alice)).status).toBe("signed_in");
  });

  it("logs requests with IP and user agent", async () => {
    const { mock } = await ctx.fresh();
    await raw(mock, "/auth/sign-in", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-forwarded-for": "203.0.113.7, 10.0.0.1",
        "user-agent": "UA/1",
      },
      body: JSON.stringify(alice),
    });
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0]).toMatchObject({
      method: "POST",
      path: "/auth/sign-in",
      status: 200,
      ip: "203.0.113.7",
      userAgent: "UA/1",
    });
    expect(mock.loginAttempts[0]).toMatchObject({ ip: "203.0.113.7", method: "password", result: "success" });
  });

  it("answers malformed requests with problem+json 400/415", async () => {
    const { mock } = await ctx.fresh();
    const notJson = await raw(mock, "/auth/sign-in", {
      method: "POST",
      body: "email=a",
      headers: { "content-type": "text/plain" },
    });
    expect(notJson.status).toBe(415);
    expect(notJson.headers.get("content-type")).toContain("application/problem+json");
    const broken = await raw(mock, "/auth/sign-in", {
      method: "POST",
      body: "{",
      headers: { "content-type": "application/json" },
    });
    expect(broken.status).toBe(400);
    const missing = await raw(mock, "/auth/sign-in", {
      method: "POST",
      body: JSON.stringify({ email: "a@b.c" }),
      headers: { "content-type": "application/json" },
    });
    expect(await missing.json()).toMatchObject({ code: "invalid_request", status: 400 });
    expect(mock.loginAttempts).toHaveLength(0);
  });

  it("speaks RFC 6749 at the token endpoint", async () => {
    const { mock } = await ctx.fresh();
    const form = (body: string) =>
      raw(mock, "/oauth/token", {
        method: "POST",
        body,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
    expect(await (await form("grant_type=password")).json()).toEqual({
      error: "unsupported_grant_type",
      error_description: expect.any(String),
    });
    const bad = await form("grant_type=refresh_token&refresh_token=nope");
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe("invalid_grant");
    expect(bad.headers.get("cache-control")).toBe("no-store");
    const json = await raw(mock, "/oauth/token", {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect((await json.json()).error).toBe("invalid_request");
  });

  it("revokes a refresh token (RFC 7009), answering 200 even for unknown tokens", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    const session = await getSession(auth);
    const revoke = (token: string) =>
      raw(mock, "/oauth/revoke", {
        method: "POST",
        body: new URLSearchParams({ token }),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
    expect((await revoke("unknown")).status).toBe(200);
    expect((await revoke(session?.refreshToken ?? "")).status).toBe(200);
    expect(mock.sessions(alice.email)[0]?.revoked).toBe(true);
  });

  it("revokes by access token too (RFC 7009 token_type_hint access_token)", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    const session = await getSession(auth);
    await raw(mock, "/oauth/revoke", {
      method: "POST",
      body: new URLSearchParams({ token: session?.accessToken ?? "", token_type_hint: "access_token" }),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(mock.sessions(alice.email)[0]?.revoked).toBe(true);
  });

  it("requires a valid bearer token", async () => {
    const { mock } = await ctx.fresh();
    const none = await raw(mock, "/auth/user");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("invalid_token");
    const forged = await raw(mock, "/auth/user", { headers: { authorization: "Bearer a.b.c" } });
    expect(forged.status).toBe(401);
  });
});

describe("fault injection", () => {
  it("fails the next N matching requests, then answers normally", async () => {
    const { auth, mock } = await ctx.fresh();
    mock.faults.inject("/auth/sign-in", { status: 503, times: 2 });
    await expect(signIn(auth, alice)).rejects.toBeInstanceOf(HttpError);
    await expect(signIn(auth, alice)).rejects.toBeInstanceOf(HttpError);
    expect((await signIn(auth, alice)).status).toBe("signed_in");
    expect(mock.requests.map((r) => r.fault)).toEqual(["status", "status", undefined]);
  });

  it("matches on the method when given", async () => {
    const { auth, mock } = await ctx.fresh();
    mock.faults.inject("/auth/sign-in", { status: 500, method: "GET" });
    expect((await signIn(auth, alice)).status).toBe("signed_in");
  });

  it("serves a custom body and content type (an HTML proxy page)", async () => {
    const { auth, mock } = await ctx.fresh();
    mock.faults.inject("/auth/sign-in", {
      status: 200,
      body: "<html>captive portal</html>",
      contentType: "text/html",
    });
    await expect(signIn(auth, alice)).rejects.toBeInstanceOf(ResponseValidationError);
  });

  it("delays and then answers normally", async () => {
    const { auth, mock } = await ctx.fresh();
    mock.faults.inject("/auth/sign-in", { delayMs: 5000 });
    const wait = watchTimer(5000); // msw's delay() is a setTimeout: no real 5 s here
    try {
      let done = false;
      const result = signIn(auth, alice).finally(() => {
        done = true;
      });
      await wait.armed;
      expect(mock.requests[0]?.fault).toBe("delay");
      await vi.advanceTimersByTimeAsync(4999);
      expect(done).toBe(false);
      expect(mock.requests[0]?.status).toBe(0); // not answered yet
      await vi.advanceTimersByTimeAsync(1);
      expect((await result).status).toBe("signed_in");
      expect(mock.requests[0]).toMatchObject({ fault: "delay", status: 200 });
    } finally {
      wait.restore();
    }
  });

  it("can be cleared, and refuses a bad count", async () => {
    const { auth, mock } = await ctx.fresh();
    mock.faults.inject("/auth/sign-in", { network: true });
    mock.faults.clear();
    expect((await signIn(auth, alice)).status).toBe("signed_in");
    expect(() => mock.faults.inject("/x", { times: 0 })).toThrow(TypeError);
  });
});

describe("what the mock received", () => {
  it("records the body of each request: JSON as parsed, form fields as an object, secrets included", async () => {
    const { auth, mock } = await ctx.fresh({}, { clientId: "web-app" });
    await signIn(auth, { ...alice, remember: false });
    const session = await getSession(auth);
    await raw(mock, "/oauth/token", {
      method: "POST",
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: session?.refreshToken ?? "" }),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    await raw(mock, "/auth/sign-in", {
      method: "POST",
      body: "{",
      headers: { "content-type": "application/json" },
    });
    await raw(mock, "/auth/user");
    expect(mock.requests.map((r) => r.body)).toEqual([
      { email: alice.email, password: alice.password, remember: false },
      { grant_type: "refresh_token", refresh_token: session?.refreshToken },
      "{",
      undefined,
    ]);
  });
});

describe("bad input is a 4xx problem, never a 500 (examples found by fuzzing, see fuzz.test.ts)", () => {
  const post = (mock: { baseUrl: string }, path: string, body: unknown, bearer?: string) =>
    raw(mock, path, {
      method: "POST",
      body: JSON.stringify(body),
      headers: {
        "content-type": "application/json",
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
    });
  const problem = async (res: Response) => ({
    status: res.status,
    type: res.headers.get("content-type"),
    body: await res.json(),
  });

  it.each(["http://[", "http://", "https://exa mple.com/", "javascript:alert(1)", "data:text/html,x"])(
    "a redirect_to that is not an http(s) URL (%j) is 400 invalid_request, for known and unknown addresses alike",
    async (redirectTo) => {
      const { auth, mock } = await ctx.fresh();
      for (const email of [alice.email, "nobody@example.com"]) {
        const res = await post(mock, "/auth/password/reset-request", { email, redirect_to: redirectTo });
        expect(await problem(res)).toMatchObject({
          status: 400,
          type: "application/problem+json",
          body: { code: "invalid_request", status: 400 },
        });
      }
      await signIn(auth, alice);
      const token = (await getSession(auth))?.accessToken;
      const change = await post(
        mock,
        "/auth/email/change-request",
        { new_email: "alice@new.example", password: alice.password, redirect_to: redirectTo },
        token,
      );
      expect(await problem(change)).toMatchObject({ status: 400, body: { code: "invalid_request" } });
      expect(mock.outbox).toEqual([]);
    },
  );

  it("a relative redirect_to resolves against the base URL", async () => {
    const { mock } = await ctx.fresh();
    const res = await post(mock, "/auth/password/reset-request", {
      email: alice.email,
      redirect_to: "/reset?x=1",
    });
    expect(res.status).toBe(202);
    expect(mock.lastEmail()?.link?.startsWith(`${mock.baseUrl}/reset?x=1&token=`)).toBe(true);
  });

  it.each([
    { issuer: "" },
    { issuer: "   " },
    { issuer: ":" },
    { issuer: "ACME:dev" },
    { issuer: "\ud800" },
    { issuer: "A\u0000B" },
    { account_name: "" },
    { account_name: "a:b" },
    { account_name: "x\udc00" },
    { issuer: "x".repeat(257) },
  ])(
    "TOTP enrollment refuses an empty or odd issuer or account name %j with 400 invalid_request",
    async (body) => {
      const { auth, mock } = await ctx.fresh();
      await signIn(auth, alice);
      const res = await post(mock, "/auth/mfa/totp/enroll", body, (await getSession(auth))?.accessToken);
      expect(await problem(res)).toMatchObject({ status: 400, body: { code: "invalid_request" } });
      expect(mock.users.get(alice.email)?.mfaEnabled).toBe(false);
    },
  );

  it("TOTP enrollment keeps Japanese and spaces in the issuer, and drops colons from the default account name", async () => {
    const { auth, mock } = await ctx.fresh();
    await mock.users.add({ email: "a:b@example.com", password: "correct horse battery" });
    await signIn(auth, { email: "a:b@example.com", password: "correct horse battery" });
    const res = await post(
      mock,
      "/auth/mfa/totp/enroll",
      { issuer: "スキル 市場" },
      (await getSession(auth))?.accessToken,
    );
    expect(res.status).toBe(200);
    const uri = new URL((await res.json()).uri);
    expect(uri.searchParams.get("issuer")).toBe("スキル 市場");
    expect(`${uri.protocol}//${uri.host}`).toBe("otpauth://totp");
    expect(decodeURIComponent(uri.pathname)).toBe("/スキル 市場:ab@example.com");
  });
});

describe("password-reset links", () => {
  it("a newer request retires the older links of the same user, not other users' links", async () => {
    const { auth, mock } = await ctx.fresh();
    await requestPasswordReset(auth, { email: alice.email });
    const older = mock.lastEmail(alice.email)?.token ?? "";
    await requestPasswordReset(auth, { email: bob.email });
    const bobs = mock.lastEmail(bob.email)?.token ?? "";
    await requestPasswordReset(auth, { email: alice.email });
    const newer = mock.lastEmail(alice.email)?.token ?? "";
    expect(new Set([older, bobs, newer]).size).toBe(3);
    await expect(
      resetPassword(auth, { token: older, password: "a brand new passphrase" }),
    ).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(
      resetPassword(auth, { token: newer, password: "a brand new passphrase" }),
    ).resolves.toBeUndefined();
    await expect(
      resetPassword(auth, { token: bobs, password: "bob's new passphrase" }),
    ).resolves.toBeUndefined();
  });
});
