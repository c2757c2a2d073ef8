import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { createMockOidcProvider, type MockOidcProviderOptions } from "../../src/mock/index";
import { pkceChallenge } from "../../src/oauth/index";
import { useMockServer } from "../support";

const ctx = useMockServer();
const ISSUER = "https://id.tegata.test";
const REDIRECT = "https://app.example.com/callback";
const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

function provider(options: Partial<MockOidcProviderOptions> = {}) {
  const op = createMockOidcProvider({ issuer: ISSUER, now: Date.UTC(2026, 10, 25, 9), ...options });
  ctx.server.resetHandlers(...op.handlers);
  return op;
}

async function authorizeUrl(params: Record<string, string> = {}) {
  const url = new URL(`${ISSUER}/authorize`);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: "web-app",
    redirect_uri: REDIRECT,
    scope: "openid email",
    state: "st",
    code_challenge: await pkceChallenge(VERIFIER),
    code_challenge_method: "S256",
    ...params,
  }).toString();
  return url;
}

/** Decodes the five entities an attribute value may carry. */
const decodeEntities = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

describe("the form_post page", () => {
  it("escapes the redirect_uri and every value it echoes (no markup injection)", async () => {
    provider();
    const redirect = `${REDIRECT}?next="><script>alert(1)</script>&a='b'`;
    const state = `"><img src=x onerror=alert(1)>&amp;`;
    const res = await fetch(
      await authorizeUrl({ redirect_uri: redirect, state, response_mode: "form_post" }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html.match(/<script>/g)).toHaveLength(1); // the page's own auto-submit
    expect(html).not.toContain("<img");
    // Only the page's own markup: doctype, form, one input per field, script (and two closing tags).
    expect(html.match(/</g)).toHaveLength((html.match(/<input /g)?.length ?? 0) + 5);
    const action = /<form method="post" action="([^"]*)">/.exec(html)?.[1];
    expect(decodeEntities(action ?? "")).toBe(redirect);
    const fields = Object.fromEntries(
      [...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map((m) => [
        decodeEntities(m[1] ?? ""),
        decodeEntities(m[2] ?? ""),
      ]),
    );
    expect(fields).toMatchObject({ state, iss: ISSUER, code: expect.stringMatching(/^[\w-]{20,}$/) });
  });
});

describe("redirect URIs", () => {
  const clients = [{ clientId: "web-app", redirectUris: [REDIRECT] }];

  it.each([
    ["another host", "https://evil.example/callback"],
    ["a trailing slash", `${REDIRECT}/`],
    ["an extra query", `${REDIRECT}?x=1`],
    ["another case", REDIRECT.toUpperCase()],
    ["http instead of https", REDIRECT.replace("https:", "http:")],
  ])(
    "with registered clients, an unregistered redirect_uri (%s) is refused in every response mode, never redirected to",
    async (_label, redirect) => {
      provider({ clients });
      for (const mode of ["query", "form_post"]) {
        const res = await fetch(await authorizeUrl({ redirect_uri: redirect, response_mode: mode }), {
          redirect: "manual",
        });
        expect(res.status).toBe(400);
        expect(res.headers.get("location")).toBeNull();
        expect(res.headers.get("content-type")).toMatch(/^application\/json/);
        expect(await res.json()).toEqual({ error: "invalid_request", error_description: expect.any(String) });
      }
    },
  );

  it("with registered clients, the registered redirect_uri is used", async () => {
    provider({ clients });
    const res = await fetch(await authorizeUrl(), { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toMatch(/^https:\/\/app\.example\.com\/callback\?code=/);
  });

  it.each([
    ["not a URL", "http://["],
    ["not http(s)", "javascript:alert(1)"],
    ["with a fragment", `${REDIRECT}#x`],
    ["missing", ""],
  ])("without registered clients, a redirect_uri %s is a 400 RFC 6749 error", async (_label, redirect) => {
    provider();
    const res = await fetch(await authorizeUrl({ redirect_uri: redirect }), { redirect: "manual" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request" });
  });
});

describe("client authentication at the token endpoint", () => {
  const clients = [{ clientId: "server-app", clientSecret: "s3 cret%", redirectUris: [REDIRECT] }];
  const basic = (id: string, secret: string) =>
    `Basic ${btoa(`${encodeURIComponent(id).replace(/%20/g, "+")}:${encodeURIComponent(secret).replace(/%20/g, "+")}`)}`;

  async function code() {
    const res = await fetch(await authorizeUrl({ client_id: "server-app" }), { redirect: "manual" });
    return new URL(res.headers.get("location") ?? "").searchParams.get("code") ?? "";
  }
  const token = (authorization: string | null, extra: Record<string, string> = {}, c = "") =>
    fetch(`${ISSUER}/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...(authorization === null ? {} : { authorization }),
      },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: c,
        redirect_uri: REDIRECT,
        code_verifier: VERIFIER,
        ...extra,
      }),
    });

  it.each([
    ["not base64", "Basic !!!"],
    ["no colon", `Basic ${btoa("server-app")}`],
    ["a broken percent-encoding", `Basic ${btoa("server-app:%zz")}`],
    ["a truncated UTF-8 escape", `Basic ${btoa("%E0%A4%A:x")}`],
    ["an empty value", "Basic "],
    ["a wrong secret", basic("server-app", "nope")],
  ])(
    "a malformed or wrong Basic header (%s) is 401 invalid_client with WWW-Authenticate",
    async (_label, header) => {
      provider({ clients });
      const res = await token(header, {}, await code());
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm="[^"]+"$/);
      expect(await res.json()).toEqual({ error: "invalid_client", error_description: expect.any(String) });
    },
  );

  it("accepts form-urlencoded credentials in the Basic header (RFC 6749 section 2.3.1), with the scheme in any case", async () => {
    const op = provider({ clients });
    const ok = await token(basic("server-app", "s3 cret%"), { client_id: "server-app" }, await code());
    expect(ok.status).toBe(200);
    const lower = await token(basic("server-app", "s3 cret%").replace("Basic", "basic"), {}, await code());
    expect(lower.status).toBe(200);
    expect(op.requests.filter((r) => r.path === "/token").map((r) => r.authorization)).toEqual([
      basic("server-app", "s3 cret%"),
      basic("server-app", "s3 cret%").replace("Basic", "basic"),
    ]);
  });

  it("refuses a client_id in the body that differs from the Basic header's, and two authentication methods at once", async () => {
    provider({ clients });
    const other = await token(basic("server-app", "s3 cret%"), { client_id: "web-app" }, await code());
    expect(other.status).toBe(401);
    expect((await other.json()).error).toBe("invalid_client");
    const both = await token(basic("server-app", "s3 cret%"), { client_secret: "s3 cret%" }, await code());
    expect(both.status).toBe(400);
    expect((await both.json()).error).toBe("invalid_request");
  });
});

describe("other endpoints answer RFC 6749/6750 errors with a body", () => {
  it("userinfo without a valid token: 401, WWW-Authenticate and an error body", async () => {
    provider();
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: "Bearer nope" },
      { authorization: "Basic x" },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${ISSUER}/userinfo`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
      expect(await res.json()).toEqual({ error: "invalid_token", error_description: expect.any(String) });
    }
  });

  it("revocation needs a form body", async () => {
    provider();
    const res = await fetch(`${ISSUER}/revoke`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: "x" }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request" });
  });
});

describe("what the provider received", () => {
  it("records each request: path, query or form fields, Authorization header and status", async () => {
    const op = provider();
    const url = await authorizeUrl();
    await fetch(url, { redirect: "manual" });
    await fetch(`${ISSUER}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "password", client_id: "web-app" }),
    });
    expect(op.requests).toEqual([
      expect.objectContaining({
        method: "GET",
        path: "/authorize",
        query: Object.fromEntries(url.searchParams),
        authorization: null,
        status: 302,
      }),
      expect.objectContaining({
        method: "POST",
        path: "/token",
        body: { grant_type: "password", client_id: "web-app" },
        status: 400,
      }),
    ]);
    expect(op.count("/token")).toBe(1);
  });
});

describe("PKCE, client secrets and signing keys (the SDK's shared primitives)", () => {
  const clients = [{ clientId: "server-app", clientSecret: "s3cret", redirectUris: [REDIRECT] }];

  async function code(params: Record<string, string> = {}) {
    const res = await fetch(await authorizeUrl(params), { redirect: "manual" });
    return new URL(res.headers.get("location") ?? "").searchParams.get("code") ?? "";
  }
  const token = (fields: Record<string, string>) =>
    fetch(`${ISSUER}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", redirect_uri: REDIRECT, ...fields }),
    });

  it.each([
    ["another valid verifier", "x".repeat(43)],
    ["a verifier too short for RFC 7636", "short"],
    ["a verifier with characters RFC 7636 forbids", `${VERIFIER}!`],
    ["no verifier", ""],
  ])("refuses %s with invalid_grant (never a server error)", async (_label, verifier) => {
    provider();
    const res = await token({ client_id: "web-app", code: await code(), code_verifier: verifier });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: "invalid_grant",
      error_description: "PKCE verification failed",
    });
  });

  it("refuses a confidential client that sends no secret, and accepts the right one in the body", async () => {
    provider({ clients });
    const params = { client_id: "server-app" };
    const none = await token({ ...params, code: await code(params), code_verifier: VERIFIER });
    expect(none.status).toBe(401);
    expect((await none.json()).error).toBe("invalid_client");
    const ok = await token({
      ...params,
      client_secret: "s3cret",
      code: await code(params),
      code_verifier: VERIFIER,
    });
    expect(ok.status).toBe(200);
  });

  it("publishes one ES256 key before anything is signed, signs ID tokens with it, and keeps it as the clock moves on", async () => {
    const op = provider();
    const before = await op.jwks();
    expect(before.keys).toEqual([
      {
        kty: "EC",
        crv: "P-256",
        x: expect.any(String),
        y: expect.any(String),
        kid: expect.any(String),
        alg: "ES256",
        use: "sig",
      },
    ]);
    const res = await token({ client_id: "web-app", code: await code(), code_verifier: VERIFIER });
    const { id_token } = (await res.json()) as { id_token: string };
    const { protectedHeader } = await jwtVerify(id_token, createLocalJWKSet(before), {
      issuer: ISSUER,
      audience: "web-app",
      currentDate: new Date(op.clock.now()),
    });
    expect(protectedHeader).toMatchObject({ alg: "ES256", kid: before.keys[0]?.kid });
    op.clock.advance(400 * 86_400_000);
    expect(await op.jwks()).toEqual(before);
    expect((await fetch(`${ISSUER}/jwks`).then((r) => r.json())) as unknown).toEqual(before);
  });

  it("foreignKey signs with a key the JWKS does not hold, under the published kid", async () => {
    const op = provider();
    op.interceptNextToken({ foreignKey: true });
    const res = await token({ client_id: "web-app", code: await code(), code_verifier: VERIFIER });
    const { id_token } = (await res.json()) as { id_token: string };
    const jwks = await op.jwks();
    expect(decodeProtectedHeader(id_token).kid).toBe(jwks.keys[0]?.kid);
    await expect(
      jwtVerify(id_token, createLocalJWKSet(jwks), { currentDate: new Date(op.clock.now()) }),
    ).rejects.toThrow(/signature/);
  });
});
