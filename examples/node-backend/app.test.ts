// The example backend's tests run against the tegata mock's JWKS (msw intercepts the JWKS fetch;
// the backend itself is called in-process through Hono's app.request).
import { setupServer } from "msw/node";
import { createAuthClient, getSession } from "tegata";
import { signIn } from "tegata/credentials";
import { createMockAuth } from "tegata/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBackend } from "./app";

const mock = createMockAuth({ users: [{ email: "dev@example.com", password: "correct horse battery" }] });
const server = setupServer(...mock.handlers);
beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterAll(() => server.close());

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
