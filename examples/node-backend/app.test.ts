// The example's tests. Remote mode (the API alone, an auth server elsewhere) runs against the
// tegata mock's JWKS: msw intercepts the JWKS fetch, the API is called in-process through Hono's
// app.request, failures of the JWKS are msw handlers too, and time is the mock's clock. The
// combined server (the auth server and the API in one process, `npm run example:node`) runs over
// real HTTP on 127.0.0.1, driven by the SDK, on a hand-driven clock. No test waits for real time.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { createAuthClient, getSession } from "tegata";
import { signIn, signUp } from "tegata/credentials";
import { listSessions } from "tegata/history";
import { createMockAuth } from "tegata/mock";
import { createTestPasswordHasher } from "tegata/server";
import { authFetch } from "tegata/session";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AUTH_PATHS, type CombinedApp, createBackend, createCombinedApp, seedUser } from "./app";
import { curlSteps, demoUser, isDevMode, readAuthSecret } from "./setup";

const mock = createMockAuth({ users: [{ email: "dev@example.com", password: "correct horse battery" }] });
const server = setupServer(...mock.handlers);
const jwksUrl = `${mock.baseUrl}/.well-known/jwks.json`;

const backend = createBackend({
  authBaseUrl: mock.baseUrl,
  issuer: mock.issuer,
  audience: mock.audience,
  now: () => mock.clock.now(),
});

async function token() {
  const auth = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
  await signIn(auth, { email: "dev@example.com", password: "correct horse battery" });
  return (await getSession(auth))?.accessToken ?? "";
}

describe("remote mode (AUTH_BASE_URL): the API against an auth server elsewhere", () => {
  // msw only here: the combined server's tests below use the real network.
  beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());

  describe("the example backend", () => {
    it("serves /api routes to a valid tegata access token", async () => {
      const t = await token();
      const me = await backend.request("/api/me", { headers: { authorization: `Bearer ${t}` } });
      expect(me.status).toBe(200);
      expect((await me.json()).userId).toBe(mock.users.get("dev@example.com")?.id);
      const created = await backend.request("/api/notes", {
        method: "POST",
        headers: { authorization: `Bearer ${t}`, "content-type": "application/json" },
        body: JSON.stringify({ text: "buy matcha" }),
      });
      expect(await created.json()).toEqual({ notes: ["buy matcha"] });
    });

    it("refuses missing, forged and expired tokens with 401 and a reason", async () => {
      const none = await backend.request("/api/me");
      expect(none.status).toBe(401);
      expect(await none.json()).toEqual({ code: "unauthorized", reason: "missing" });
      const forged = await backend.request("/api/me", { headers: { authorization: "Bearer a.b.c" } });
      expect((await forged.json()).reason).toBe("malformed");
      const t = await token();
      mock.clock.advance(2 * 3_600_000);
      const expired = await backend.request("/api/me", { headers: { authorization: `Bearer ${t}` } });
      expect(expired.status).toBe(401);
      expect((await expired.json()).reason).toBe("expired");
      expect(expired.headers.get("www-authenticate")).toContain("invalid_token");
    });

    it("validates passwords on its own sign-up route with the shared policy, in the user's language", async () => {
      const weak = await backend.request("/signup", {
        method: "POST",
        headers: { "content-type": "application/json", "accept-language": "ja-JP" },
        body: JSON.stringify({ email: "hanako@example.jp", password: "password" }),
      });
      expect(weak.status).toBe(422);
      const body = await weak.json();
      expect(body.issues.map((i: { code: string }) => i.code)).toEqual(["common"]);
      expect(body.issues[0].message).toBe("よく使われるパスワードは使用できません");
      const ok = await backend.request("/signup", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "hanako@example.jp", password: "a calm purple lighthouse" }),
      });
      expect(ok.status).toBe(201);
    });
  });

  describe("when the auth server's JWKS cannot be fetched", () => {
    // A backend of its own (no JWKS cached yet), its log lines collected.
    function backendWithLog(fetch?: typeof globalThis.fetch) {
      const lines: string[] = [];
      const app = createBackend({
        authBaseUrl: mock.baseUrl,
        issuer: mock.issuer,
        audience: mock.audience,
        now: () => mock.clock.now(),
        log: (line) => lines.push(line),
        jwksRetryMs: 5000,
        ...(fetch ? { fetch } : {}),
      });
      return { app, lines };
    }
    const me = (app: ReturnType<typeof createBackend>, t: string) =>
      app.request("/api/me", { headers: { authorization: `Bearer ${t}` } });
    // Counts the JWKS requests that reach the network, answering with `respond`.
    function jwksAnswers(respond: () => Response) {
      const seen = { count: 0 };
      server.use(
        http.get(jwksUrl, () => {
          seen.count++;
          return respond();
        }),
      );
      return seen;
    }

    it("answers 503 (not 401) to a storm of requests, logs one line, and asks the network once", async () => {
      const { app, lines } = backendWithLog();
      const seen = jwksAnswers(() => HttpResponse.error());
      const t = await token();
      const storm = await Promise.all(Array.from({ length: 20 }, () => me(app, t)));
      for (let i = 0; i < 20; i++) storm.push(await me(app, t)); // and one after another
      expect(storm.map((r) => r.status)).toEqual(Array(40).fill(503));
      expect(await storm[0]?.json()).toEqual({ code: "auth_unavailable", reason: "unreachable" });
      expect(storm[39]?.headers.get("retry-after")).toBe("5");
      expect(seen.count).toBe(1); // concurrent calls share one fetch; later ones wait for the retry time
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`[jwks] ${jwksUrl} cannot be fetched: no connection`);
      expect(lines[0]).toContain("503");
    });

    it("logs again only when the kind of failure changes, and once when it recovers", async () => {
      const { app, lines } = backendWithLog();
      const t = await token();
      jwksAnswers(() => HttpResponse.error());
      expect((await me(app, t)).status).toBe(503);

      mock.clock.advance(5000); // the retry time has passed: one fetch again, now answered with 500
      const seen = jwksAnswers(() => new HttpResponse("oops", { status: 500 }));
      const res = await me(app, t);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ code: "auth_unavailable", reason: "http_500" });
      expect((await me(app, t)).status).toBe(503); // within the retry time: not fetched
      expect(seen.count).toBe(1);
      mock.clock.advance(5000);
      expect((await me(app, t)).status).toBe(503); // fetched, same kind: no new line
      expect(seen.count).toBe(2);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain("now fails differently: it answered HTTP 500");

      server.resetHandlers(); // the mock's JWKS is back
      mock.clock.advance(5000);
      expect((await me(app, t)).status).toBe(200);
      expect(lines).toHaveLength(3);
      expect(lines[2]).toBe(`[jwks] ${jwksUrl} fetched again after 3 failed attempt(s); /api is back.`);
      expect((await me(app, t)).status).toBe(200);
      expect(lines).toHaveLength(3);
    });

    it("treats an answer that is not a JWKS, and a timeout, as the auth server being unavailable", async () => {
      const t = await token();
      const html = backendWithLog();
      jwksAnswers(() => HttpResponse.text("<html>maintenance</html>"));
      const res = await me(html.app, t);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ code: "auth_unavailable", reason: "invalid" });
      expect(html.lines).toEqual([expect.stringContaining("the answer is not a JSON Web Key Set")]);

      // A fetch that gave up (as the verifier's 5 s abort signal makes it), without waiting 5 s.
      const slow = backendWithLog(async () => {
        throw new DOMException("The operation was aborted due to timeout", "TimeoutError");
      });
      const late = await me(slow.app, t);
      expect(late.status).toBe(503);
      expect(await late.json()).toEqual({ code: "auth_unavailable", reason: "timeout" });
      expect(slow.lines).toEqual([expect.stringContaining("no answer in time")]);
    });

    it("still answers 401 to a missing or malformed token: those need no keys", async () => {
      const { app, lines } = backendWithLog();
      const seen = jwksAnswers(() => HttpResponse.error());
      const none = await app.request("/api/me");
      expect(none.status).toBe(401);
      const forged = await app.request("/api/me", { headers: { authorization: "Bearer a.b.c" } });
      expect(forged.status).toBe(401);
      expect((await forged.json()).reason).toBe("malformed");
      expect(seen.count).toBe(0);
      expect(lines).toEqual([]);
    });
  });
});

describe("the combined server of `npm run example:node`: the auth server and the API on one port", () => {
  const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
  const SECRET = "an example secret of at least thirty-two bytes, for tests";
  const running: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of running.splice(0)) await close();
  });

  /** The combined app on a free port of 127.0.0.1, as server.ts serves it, with the demo user. */
  async function start() {
    let now = T0;
    const clock = {
      now: () => now,
      advance(ms: number) {
        now += ms;
      },
    };
    const lines: string[] = [];
    let combined: CombinedApp | undefined;
    const httpServer = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve(
        // combined.fetch as server.ts passes it: @hono/node-server's env carries the socket.
        { fetch: (request, env) => combined!.fetch(request, env), port: 0, hostname: "127.0.0.1" },
        () => resolve(s),
      );
    });
    const baseUrl = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    combined = createCombinedApp({
      issuer: baseUrl,
      secret: SECRET,
      hasher: createTestPasswordHasher(),
      now: clock.now,
      log: (line) => lines.push(line),
      onError: (error) => {
        throw error;
      },
    });
    const userId = await seedUser(combined.auth, baseUrl, demoUser);
    const app = combined;
    running.push(async () => {
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await app.close();
    });
    const client = () => createAuthClient({ baseUrl, clock, retry: 0 });
    return { baseUrl, clock, combined: app, userId, lines, client };
  }

  it("signs in with the SDK, then the API answers authFetch with 200", async () => {
    const { baseUrl, userId, client, lines } = await start();
    const auth = client();
    await signIn(auth, { email: demoUser.email, password: demoUser.password });
    const me = await authFetch(auth, `${baseUrl}/api/me`);
    expect(me.status).toBe(200);
    const caller = (await me.json()) as { userId: string; sessionId: string };
    expect(caller.userId).toBe(userId);
    const created = await authFetch(auth, `${baseUrl}/api/notes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "buy matcha" }),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ notes: ["buy matcha"] });
    // The client's address reached the auth server (the seeding's session was revoked).
    const sessions = await listSessions(auth);
    expect(sessions.map((s) => [s.id, s.ip, s.current])).toEqual([[caller.sessionId, "127.0.0.1", true]]);
    expect(lines).toEqual([]);
  });

  it("answers 401 without a token, and with a forged one", async () => {
    const { baseUrl } = await start();
    const none = await fetch(`${baseUrl}/api/me`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ code: "unauthorized", reason: "missing" });
    expect(none.headers.get("www-authenticate")).toContain("invalid_token");
    const forged = await fetch(`${baseUrl}/api/notes`, { headers: { authorization: "Bearer a.b.c" } });
    expect(forged.status).toBe(401);
    expect((await forged.json()).reason).toBe("malformed");
  });

  it("refreshes through /oauth/token on the same port when the access token has expired", async () => {
    const { baseUrl, clock, client } = await start();
    const auth = client();
    await signIn(auth, { email: demoUser.email, password: demoUser.password });
    const first = (await getSession(auth))?.accessToken ?? "";
    clock.advance(16 * 60_000); // past the 15-minute access token
    const stale = await fetch(`${baseUrl}/api/me`, { headers: { authorization: `Bearer ${first}` } });
    expect(stale.status).toBe(401);
    expect((await stale.json()).reason).toBe("expired");
    const res = await authFetch(auth, `${baseUrl}/api/notes`);
    expect(res.status).toBe(200);
    expect((await getSession(auth))?.accessToken).not.toBe(first);
  });

  it("signs a new account up with the SDK on the same port, under the API's password policy", async () => {
    const { baseUrl, client } = await start();
    const auth = client();
    const { session } = await signUp(auth, {
      email: "hanako@example.jp",
      password: "a calm purple lighthouse",
    });
    const me = await authFetch(auth, `${baseUrl}/api/me`);
    expect(me.status).toBe(200);
    expect((await me.json()).userId).toBe(session.user?.id);
    const weak = await fetch(`${baseUrl}/auth/sign-up`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "taro@example.jp", password: "password" }),
    });
    expect(weak.status).toBe(422);
  });

  it("routes the SDK's default paths to the auth server and the rest to the API", async () => {
    const { baseUrl } = await start();
    expect(AUTH_PATHS).toEqual(["/auth/*", "/oauth/*", "/.well-known/jwks.json", "/health"]);
    const health = await fetch(`${baseUrl}/health`);
    expect(await health.json()).toEqual({ status: "ok" }); // the auth server's, not the API's
    const jwks = (await (await fetch(`${baseUrl}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    const unknown = await fetch(`${baseUrl}/auth/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toContain("application/problem+json");
    const grant = await fetch(`${baseUrl}/oauth/token`, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "password" }),
    });
    expect(grant.status).toBe(400);
    expect((await grant.json()).error).toBe("unsupported_grant_type");
    expect((await fetch(`${baseUrl}/elsewhere`)).status).toBe(404);
  });

  it("refuses a secret shorter than 32 bytes", () => {
    expect(() => createCombinedApp({ issuer: "http://127.0.0.1:8787", secret: "too short" })).toThrow(
      /at least 32 bytes/,
    );
  });
});

describe("start-up of `npm run example:node`", () => {
  it("is in dev mode with --dev or NODE_ENV=development only", () => {
    expect(isDevMode(["--dev"], {})).toBe(true);
    expect(isDevMode([], { NODE_ENV: "development" })).toBe(true);
    expect(isDevMode([], { NODE_ENV: "production" })).toBe(false);
    expect(isDevMode([], {})).toBe(false);
  });

  it("takes AUTH_SECRET of 32 bytes or more as it is, in every mode", () => {
    const value = "x".repeat(32);
    expect(readAuthSecret({ value, dev: false })).toEqual({ ok: true, secret: value, generated: false });
    expect(readAuthSecret({ value, dev: true })).toEqual({ ok: true, secret: value, generated: false });
    // Bytes, not characters: 11 three-byte characters are 33 bytes.
    expect(readAuthSecret({ value: "秘".repeat(11), dev: false }).ok).toBe(true);
  });

  it("refuses a missing or short AUTH_SECRET outside dev mode, saying how to make one", () => {
    const missing = readAuthSecret({ value: undefined, dev: false });
    expect(missing.ok).toBe(false);
    if (missing.ok) return;
    expect(missing.message).toContain("AUTH_SECRET is not set");
    expect(missing.message).toContain("randomBytes(32)");
    expect(missing.message).toContain("npm run example:node -- --dev");
    const empty = readAuthSecret({ value: "", dev: false });
    expect(empty.ok || empty.message).toContain("AUTH_SECRET is not set");
    const short = readAuthSecret({ value: "x".repeat(31), dev: false });
    expect(short.ok || short.message).toContain("AUTH_SECRET is 31 byte(s); it needs at least 32");
  });

  it("generates a random secret in dev mode, and says so", () => {
    const made = readAuthSecret({ value: undefined, dev: true, random: () => "r".repeat(43) });
    expect(made).toEqual({
      ok: true,
      secret: "r".repeat(43),
      generated: true,
      notice: expect.stringContaining("dev mode: AUTH_SECRET is not set, so a random secret was generated"),
    });
    const short = readAuthSecret({ value: "short", dev: true });
    expect(short.ok && short.generated).toBe(true);
    expect(short.ok && short.notice).toContain("AUTH_SECRET is 5 byte(s)");
    // The default random secret is long enough for createAuthServer, and new each run.
    const a = readAuthSecret({ value: undefined, dev: true });
    const b = readAuthSecret({ value: undefined, dev: true });
    expect(a.ok && new TextEncoder().encode(a.secret).length).toBeGreaterThanOrEqual(32);
    expect(a.ok && b.ok && a.secret !== b.secret).toBe(true);
  });

  it("prints curl steps: sign in (dev) or sign up, the API with the bearer token, refresh, 401", () => {
    const dev = curlSteps("http://127.0.0.1:8787", demoUser);
    expect(dev).toContain("http://127.0.0.1:8787/auth/sign-in");
    expect(dev).toContain(JSON.stringify({ email: demoUser.email, password: demoUser.password }));
    expect(dev).toContain('-H "authorization: Bearer $TOKEN"');
    expect(dev).toContain("/oauth/token -d grant_type=refresh_token");
    expect(dev).toContain("curl -s -i http://127.0.0.1:8787/api/me");
    const prod = curlSteps("http://127.0.0.1:8787");
    expect(prod).toContain("http://127.0.0.1:8787/auth/sign-up");
    expect(prod).not.toContain(demoUser.email);
  });
});
