// The example backend's tests run against the tegata mock's JWKS (msw intercepts the JWKS fetch;
// the backend itself is called in-process through Hono's app.request). Failures of the JWKS are
// msw handlers too; time is the mock's clock, never real elapsed time.
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { createAuthClient, getSession } from "tegata";
import { signIn } from "tegata/credentials";
import { createMockAuth } from "tegata/mock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createBackend } from "./app";
import { createMockAuthServer, demoUser } from "./mock-auth";

const mock = createMockAuth({ users: [{ email: "dev@example.com", password: "correct horse battery" }] });
const server = setupServer(...mock.handlers);
beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());
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

describe("the mock auth server of `npm run example:node`", () => {
  it("signs the demo user in over a fetch-style handler, and the backend accepts the token", async () => {
    const auth = createMockAuthServer({ baseUrl: "http://127.0.0.1:8788" });
    await auth.mock.ready();
    // As curl would call it, by another host name: the handler answers for its base URL anyway.
    const signedIn = await auth.handle(
      new Request("http://localhost:8788/auth/sign-in", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: demoUser.email, password: demoUser.password }),
      }),
    );
    expect(signedIn.status).toBe(200);
    const { access_token } = (await signedIn.json()) as { access_token: string };
    const app = createBackend({
      authBaseUrl: auth.mock.baseUrl,
      issuer: auth.mock.issuer,
      audience: auth.mock.audience,
      fetch: (input, init) => auth.handle(new Request(input, init)),
    });
    const res = await app.request("/api/me", { headers: { authorization: `Bearer ${access_token}` } });
    expect(res.status).toBe(200);
    expect((await res.json()).userId).toBe(auth.mock.users.get(demoUser.email)?.id);
    expect((await auth.handle(new Request("http://127.0.0.1:8788/nope"))).status).toBe(404);
  });
});
