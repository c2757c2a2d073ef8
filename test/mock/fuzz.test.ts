/**
 * Every endpoint of both mocks, fuzzed: malformed and arbitrary JSON, wrong types, odd strings,
 * wrong content types and garbage headers. A bad request must get a 4xx with a well-formed error
 * body (problem+json with a `code`, or an RFC 6749 error at the OAuth endpoints), never a 500 or a
 * stack trace. Each run starts from a valid request of the endpoint (real tokens, codes and links
 * of a fresh mock) and breaks a few things, so the checks behind the body parsing are reached too.
 */
import fc from "fast-check";
import { decodeJwt } from "jose";
import type { HttpHandler } from "msw";
import { describe, expect, it } from "vitest";
import { createMockAuth, createMockOidcProvider } from "../../src/mock/index";
import { pkceChallenge } from "../../src/oauth/index";
import { accountRoutes } from "../../src/server/http/routes/account";
import { historyRoutes } from "../../src/server/http/routes/history";
import { mfaRoutes } from "../../src/server/http/routes/mfa";
import { sessionRoutes } from "../../src/server/http/routes/session";
import { asForm, mutate, type Pool, type Recipe, realize, recipeOf, resolve } from "../fuzz-support";
import { alice, bob, useMockServer } from "../support";

const ctx = useMockServer();
const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
/** Runs per endpoint (each a fresh mock and one to three requests). TEGATA_FUZZ_RUNS=1000 for a long hunt. */
const RUNS = Number(process.env.TEGATA_FUZZ_RUNS ?? 20);

// ---- generators ------------------------------------------------------------------------------

/** Strings that broke, or could break, a parser: empty, separators, lone surrogates, URLs that are not. */
const oddString = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "",
      " ",
      ":",
      "::",
      "\u0000",
      "\ud800",
      "\udfff",
      "a\ud800b",
      "\u202e",
      "%",
      "%E0%A4%A",
      "http://[",
      "http://",
      "https://exa mple.com/",
      "https://:80",
      "http://%zz/",
      "//",
      "javascript:alert(1)",
      "data:text/html,x",
      '"><script>alert(1)</script>',
      "../../etc/passwd",
      "a".repeat(5000),
      "__proto__",
      "constructor",
      "NaN",
      "-1",
      "1e400",
      "9".repeat(400),
      "2026-02-30",
      "alice@example.com",
      " ALICE@example.com ",
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom("\ud800", "\udc00", ":", "%", "<", '"', "&", "a", " ", "\n", "["),
      maxLength: 12,
    }),
  },
);
/** A value from the run's pool of real tokens and credentials (resolved when the request is built). */
const ref = <K extends string>(keys: readonly K[]) => fc.constantFrom(...keys).map((key) => ({ ref: key }));

/** A header value fetch accepts (no CR, LF or NUL): garbage, but sendable. */
const headerValue = fc.oneof(
  fc
    .string({ unit: "binary-ascii", maxLength: 60 })
    .map((s) => [...s].filter((c) => c === "\t" || (c >= " " && c !== "\x7f")).join("")),
  fc.constantFrom(
    "Bearer",
    "Bearer ",
    "Bearer a.b.c",
    "bearer  x",
    "Bearer eyJhbGciOiJub25lIn0.e30.",
    "Basic",
    "Basic !!!",
    "Basic Zm9v",
    `Basic ${btoa("a:%zz")}`,
    `Basic ${btoa("%E0%A4%A:%")}`,
    `Basic ${btoa(":")}`,
    `Basic ${btoa("\xff\xfe:\xc3")}`,
    "Basic =",
    "basic YTpi",
    "Digest x",
  ),
);

/**
 * A body: mostly the endpoint's valid body with one or two fields changed (an odd string, a wrong
 * type, another real token, or deleted), sometimes arbitrary JSON, arbitrary text or nothing.
 */
function recipe<K extends string>(fields: readonly string[], refs: readonly K[]): fc.Arbitrary<Recipe> {
  return recipeOf(fields, { odd: oddString, ref: ref(refs), texts: MOCK_TEXTS });
}

/** Bodies that are not JSON, or are JSON of an unusual kind. */
const MOCK_TEXTS = [
  "{",
  "[1,",
  "null",
  '"x"',
  "a=%zz&b=%E0%A4%A",
  "%",
  "=&=&",
  "a=1&a=2",
  "token=%FF%FE",
] as const;

const contentTypes = [
  "application/json",
  "application/problem+json",
  "application/json; charset=utf-16",
  "APPLICATION/JSON",
  "application/jsonx",
  "application/x-www-form-urlencoded",
  "application/x-www-form-urlencodedx",
  "text/plain",
  "multipart/form-data; boundary=x",
];
const contentType = fc.oneof(
  { weight: 5, arbitrary: fc.constant("match" as const) },
  { weight: 2, arbitrary: fc.constantFrom(...contentTypes) },
  { weight: 1, arbitrary: headerValue },
  { weight: 1, arbitrary: fc.constant(null) },
);
const authorization = <K extends string>(refs: readonly K[]) =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constant("valid" as const) },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: headerValue },
    { weight: 1, arbitrary: ref(refs).map((r) => ({ bearer: r })) },
  );

// ---- building a request from a recipe --------------------------------------------------------

/**
 * The run's real tokens, codes and links, each made by a request to the fresh mock the first time
 * a request needs it (most endpoints need only the access token: the runs stay cheap).
 */
function lazyPool(makers: Record<string, (get: (key: string) => Promise<string>) => Promise<string>>) {
  const made = new Map<string, Promise<string>>();
  const get = (key: string): Promise<string> => {
    let value = made.get(key);
    if (!value) {
      const make = makers[key];
      value = make ? make(get) : Promise.resolve("");
      made.set(key, value);
    }
    return value;
  };
  return get;
}

interface Target {
  method: string;
  path: string;
  /** How the endpoint wants its input. */
  kind: "json" | "form" | "query";
  fields: readonly string[];
  valid: (pool: Pool) => Record<string, unknown>;
  /**
   * Requests that once gave a 500 or unescaped markup: each property run starts with them
   * (fast-check `examples`). `registered`: with registered clients (the OIDC provider; default true).
   */
  regressions?: Array<Req & { registered?: boolean }>;
}

/** A request that changes `changes` of the valid body and sends it as it should be sent. */
const example = (changes: Array<[string, unknown]>, auth: unknown = "valid"): Req => ({
  body: { t: "mutate", changes },
  encoding: "match",
  type: "match",
  auth,
  xff: null,
  ua: null,
});

interface Sent {
  status: number;
  contentType: string;
  text: string;
  headers: Headers;
}

/** One fuzzed request: a body recipe, how it is encoded, its content type and headers. */
interface Req {
  body: Recipe;
  encoding: "match" | "json" | "form";
  type: string | null;
  auth: unknown;
  xff: string | null;
  ua: string | null;
}

const request = <K extends string>(fields: readonly string[], refs: readonly K[]): fc.Arbitrary<Req> =>
  fc.record({
    body: recipe(fields, refs),
    encoding: fc.constantFrom("match" as const, "match" as const, "json" as const, "form" as const),
    type: contentType,
    auth: authorization(refs),
    xff: fc.option(headerValue, { nil: null }),
    ua: fc.option(headerValue, { nil: null }),
  });

async function send(baseUrl: string, target: Target, req: Req, pool: Pool): Promise<Sent> {
  const { body: r, encoding, type, auth } = req;
  const kind = encoding === "match" ? target.kind : encoding;
  let text: string | null = null;
  let query = "";
  let matchType = kind === "form" ? "application/x-www-form-urlencoded" : "application/json";
  if (r.t === "mutate") {
    const body = mutate(target.valid(pool), r.changes, pool);
    if (kind === "query") query = asForm(Object.fromEntries(Object.entries(body).map(([k, v]) => [k, v])));
    else text = kind === "form" ? asForm(body) : JSON.stringify(body);
  } else if (r.t === "json") {
    text = JSON.stringify(r.value);
    matchType = "application/json";
  } else if (r.t === "text") {
    text = r.value;
  } else {
    text = "";
  }
  const headers = new Headers();
  const ct = type === "match" ? matchType : type;
  if (ct !== null) headers.set("content-type", ct);
  if (auth === "valid") headers.set("authorization", `Bearer ${pool.access}`);
  else if (typeof auth === "string") headers.set("authorization", auth);
  else if (auth && typeof auth === "object" && "bearer" in auth) {
    headers.set("authorization", `Bearer ${String(resolve((auth as { bearer: unknown }).bearer, pool))}`);
  }
  if (req.xff !== null) headers.set("x-forwarded-for", req.xff);
  if (req.ua !== null) headers.set("user-agent", req.ua);
  const hasBody = target.method !== "GET" && text !== null;
  const url = `${baseUrl}${target.path}${query ? `?${query}` : ""}`;
  const res = await fetch(url, {
    method: target.method,
    headers,
    redirect: "manual",
    // A Blob without a type sends no Content-Type at all (a string would be text/plain).
    ...(hasBody ? { body: ct === null ? new Blob([text ?? ""]) : (text ?? "") } : {}),
  });
  return {
    status: res.status,
    contentType: res.headers.get("content-type") ?? "",
    text: await res.text(),
    headers: res.headers,
  };
}

/** An RFC 9457 problem with a machine code, whose status matches the response's. */
function expectProblem(sent: Sent) {
  expect(sent.contentType).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(sent.text);
  expect(body).toMatchObject({
    code: expect.stringMatching(/^[a-z_]+$/),
    status: sent.status,
    title: expect.any(String),
  });
}

/** An RFC 6749 section 5.2 error body. */
function expectOAuthError(sent: Sent) {
  expect(sent.contentType).toMatch(/^application\/json/);
  const body = JSON.parse(sent.text);
  expect(body.error).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  if ("error_description" in body) expect(body.error_description).toEqual(expect.any(String));
}

function expectNoCrash(sent: Sent) {
  expect(sent.status, sent.text.slice(0, 300)).toBeGreaterThanOrEqual(200);
  expect(sent.status, sent.text.slice(0, 300)).toBeLessThan(500);
  expect(sent.text).not.toMatch(/\n\s+at /); // no stack trace
}

/** `METHOD path` of every handler, relative to `base`. */
function routes(handlers: HttpHandler[], base: string): string[] {
  return handlers.map((h) => `${String(h.info.method)} ${String(h.info.path).slice(base.length)}`);
}

// ---- createMockAuth --------------------------------------------------------------------------

const authRefs = [
  "access",
  "refresh",
  "sessionId",
  "resetToken",
  "emailToken",
  "challengeId",
  "totp",
  "factorId",
  "email",
  "password",
] as const;

const json = (
  path: string,
  fields: string[],
  valid: Target["valid"],
  more: { method?: string; regressions?: Req[] } = {},
): Target => ({
  method: more.method ?? "POST",
  path,
  kind: "json",
  fields,
  valid,
  regressions: more.regressions,
});
const get = (path: string, fields: string[] = [], valid: Target["valid"] = () => ({})): Target => ({
  method: "GET",
  path,
  kind: "query",
  fields,
  valid,
});

const authTargets: Target[] = [
  json("/auth/sign-in", ["email", "password", "remember"], () => ({ ...alice, remember: false })),
  json("/auth/mfa/verify", ["challenge_id", "code", "recovery_code", "email_code"], (p) => ({
    challenge_id: p.challengeId,
    code: p.totp,
  })),
  json("/auth/mfa/email-code", ["challenge_id"], (p) => ({ challenge_id: p.challengeId })),
  json("/auth/sign-up", ["email", "password", "name"], () => ({
    email: "new@example.com",
    password: "a long passphrase",
    name: "N",
  })),
  json(
    "/auth/password/reset-request",
    ["email", "redirect_to"],
    () => ({ email: alice.email, redirect_to: "https://app.example.com/reset" }),
    { regressions: [example([["redirect_to", "http://["]], null)] },
  ),
  json("/auth/password/reset", ["token", "password"], (p) => ({
    token: p.resetToken,
    password: "a brand new passphrase",
  })),
  json("/auth/password/change", ["current_password", "new_password"], () => ({
    current_password: alice.password,
    new_password: "a new long passphrase",
  })),
  json(
    "/auth/email/change-request",
    ["new_email", "password", "redirect_to"],
    () => ({ new_email: "alice@new.example", password: alice.password, redirect_to: "/confirm" }),
    { regressions: [example([["redirect_to", "https://exa mple.com/"]])] },
  ),
  json("/auth/email/confirm", ["token"], (p) => ({ token: p.emailToken })),
  json("/auth/email/verify", ["token"], (p) => ({ token: p.resetToken })),
  json("/auth/email/verify/resend", ["redirect_to"], () => ({ redirect_to: "/verify" })),
  json("/auth/account/unlock", ["token"], (p) => ({ token: p.resetToken })),
  json("/auth/email/change-cancel", ["token"], (p) => ({ token: p.cancelToken })),
  get("/auth/settings"),
  json("/auth/settings", ["mail_locale"], () => ({ mail_locale: "ja" }), { method: "PATCH" }),
  json("/auth/sign-out", ["scope"], () => ({ scope: "local" })),
  get("/auth/user"),
  json(
    "/auth/mfa/totp/enroll",
    ["issuer", "account_name"],
    () => ({ issuer: "ACME", account_name: "alice" }),
    {
      regressions: [
        example([["issuer", ""]]),
        example([["account_name", ":"]]),
        example([["issuer", "\ud800"]]),
      ],
    },
  ),
  json("/auth/mfa/totp/activate", ["factor_id", "code"], (p) => ({ factor_id: p.factorId, code: "123456" })),
  get("/auth/mfa/factors"),
  json("/auth/mfa/factors/remove", ["factor_id", "code"], (p) => ({ factor_id: p.factorId, code: "123456" })),
  json("/auth/mfa/recovery-codes", ["code"], () => ({ code: "123456" })),
  get("/auth/history", ["limit", "result", "method", "from", "to", "cursor"], () => ({
    limit: "5",
    result: "success",
    method: "password",
    from: "2026-01-01T00:00:00Z",
  })),
  get("/auth/sessions"),
  json("/auth/sessions/revoke", ["session_id"], (p) => ({ session_id: p.sessionId })),
  json("/auth/sessions/revoke-others", [], () => ({})),
  get("/auth/privacy"),
  json("/auth/privacy", ["show_last_login"], () => ({ show_last_login: false }), { method: "PATCH" }),
  get("/auth/last-login", ["user_id"], () => ({ user_id: "usr_unknown" })),
  json("/auth/account/delete", ["password", "code"], () => ({ password: alice.password })),
  {
    method: "POST",
    path: "/oauth/token",
    kind: "form",
    fields: ["grant_type", "refresh_token", "client_id"],
    valid: (p) => ({ grant_type: "refresh_token", refresh_token: p.refresh }),
  },
  {
    method: "POST",
    path: "/oauth/revoke",
    kind: "form",
    fields: ["token", "token_type_hint", "client_id"],
    valid: (p) => ({ token: p.refresh, token_type_hint: "refresh_token" }),
  },
  get("/.well-known/jwks.json"),
];

/** A fresh mock, and the real tokens, codes and links its requests can use (made on demand). */
async function freshAuthMock() {
  const mock = createMockAuth({
    users: [{ ...alice }, { ...bob, recoveryCodes: [...bob.recoveryCodes] }],
    now: T0,
    hashIterations: 1,
    lockout: { maxAttempts: 1000 },
  });
  await mock.ready();
  ctx.server.resetHandlers(...mock.handlers);
  const post = async (path: string, body: unknown, access?: string) => {
    const res = await fetch(`${mock.baseUrl}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(access ? { authorization: `Bearer ${access}` } : {}),
      },
      body: JSON.stringify(body),
    });
    return res.json();
  };
  let signedIn: Promise<{ access_token: string; refresh_token: string }> | undefined;
  const aliceSession = () => {
    signedIn ??= post("/auth/sign-in", alice);
    return signedIn;
  };
  const pool = lazyPool({
    access: async () => (await aliceSession()).access_token,
    refresh: async () => (await aliceSession()).refresh_token,
    sessionId: async () => String(decodeJwt((await aliceSession()).access_token).sid),
    resetToken: async () => {
      await post("/auth/password/reset-request", { email: alice.email });
      return mock.lastEmail(alice.email, "password_reset")?.token ?? "";
    },
    emailToken: async (get) => {
      await post(
        "/auth/email/change-request",
        { new_email: "alice@new.example", password: alice.password },
        await get("access"),
      );
      return mock.lastEmail("alice@new.example", "email_change")?.token ?? "";
    },
    cancelToken: async (get) => {
      await get("emailToken");
      return mock.lastEmail(alice.email, "email_change_notice")?.token ?? "";
    },
    challengeId: async () =>
      (await post("/auth/sign-in", { email: bob.email, password: bob.password })).challenge.id,
    totp: () => mock.totp(bob.email),
    factorId: async (get) => (await post("/auth/mfa/totp/enroll", {}, await get("access"))).factor_id,
    email: async () => alice.email,
    password: async () => alice.password,
  });
  return { mock, pool };
}

describe("createMockAuth under fuzzing", () => {
  it("the targets cover every route of the server the mock is", () => {
    const served = [...sessionRoutes, ...accountRoutes, ...mfaRoutes, ...historyRoutes]
      .map((r) => `${r.method} ${r.path}`)
      .filter((r) => r !== "GET /health");
    expect(served.sort()).toEqual(authTargets.map((t) => `${t.method} ${t.path}`).sort());
  });

  it.each(authTargets.map((t) => [`${t.method} ${t.path}`, t] as const))(
    "%s: a bad request is a 4xx problem (RFC 6749 error at /oauth/*), never a 500",
    async (_name, target) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(request(target.fields, authRefs), { minLength: 1, maxLength: 3 }),
          async (reqs) => {
            const { mock, pool } = await freshAuthMock();
            for (const req of reqs) {
              const sent = await send(mock.baseUrl, target, req, await realize(pool, target, req));
              expectNoCrash(sent);
              if (sent.status >= 400) {
                if (target.path.startsWith("/oauth/")) expectOAuthError(sent);
                else expectProblem(sent);
              }
            }
          },
        ),
        { numRuns: RUNS, examples: (target.regressions ?? []).map((req): [Req[]] => [[req]]) },
      );
    },
    60_000,
  );
});

// ---- createMockOidcProvider ------------------------------------------------------------------

const ISSUER = "https://id.fuzz.test";
const REDIRECT = "https://app.example.com/callback";
const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const oidcRefs = ["code", "access", "refresh", "verifier", "challenge", "secret"] as const;

const oidcTargets: Target[] = [
  { method: "GET", path: "/.well-known/openid-configuration", kind: "query", fields: [], valid: () => ({}) },
  { method: "GET", path: "/jwks", kind: "query", fields: [], valid: () => ({}) },
  {
    method: "GET",
    path: "/authorize",
    kind: "query",
    fields: [
      "response_type",
      "client_id",
      "redirect_uri",
      "scope",
      "state",
      "nonce",
      "code_challenge",
      "code_challenge_method",
      "response_mode",
      "login_hint",
    ],
    valid: (p) => ({
      response_type: "code",
      client_id: "web-app",
      redirect_uri: REDIRECT,
      scope: "openid email",
      state: "st",
      nonce: "nn",
      code_challenge: p.challenge,
      code_challenge_method: "S256",
      response_mode: "form_post",
    }),
    regressions: [
      {
        ...example([["redirect_uri", `${REDIRECT}?"><script>alert(1)</script>`]], null),
        registered: false,
      },
      { ...example([["redirect_uri", "http://["]], null), registered: false },
    ],
  },
  {
    method: "POST",
    path: "/token",
    kind: "form",
    fields: [
      "grant_type",
      "code",
      "redirect_uri",
      "code_verifier",
      "client_id",
      "client_secret",
      "refresh_token",
    ],
    valid: (p) => ({
      grant_type: "authorization_code",
      code: p.code,
      redirect_uri: REDIRECT,
      code_verifier: p.verifier,
      client_id: "web-app",
    }),
    regressions: [example([], "Basic !!!"), example([], `Basic ${btoa("server-app:%zz")}`)],
  },
  { method: "GET", path: "/userinfo", kind: "query", fields: [], valid: () => ({}) },
  {
    method: "POST",
    path: "/revoke",
    kind: "form",
    fields: ["token", "token_type_hint", "client_id", "client_secret"],
    valid: (p) => ({ token: p.refresh, token_type_hint: "refresh_token", client_id: "web-app" }),
  },
];

async function freshProvider(registered: boolean) {
  const op = createMockOidcProvider({
    issuer: ISSUER,
    now: T0,
    users: [{ email: "taro@example.jp" }],
    ...(registered
      ? {
          clients: [
            { clientId: "web-app", redirectUris: [REDIRECT] },
            { clientId: "server-app", clientSecret: "s3cret", redirectUris: [REDIRECT] },
          ],
        }
      : {}),
  });
  ctx.server.resetHandlers(...op.handlers);
  const authorize = async (challenge: string) => {
    const url = new URL(`${ISSUER}/authorize`);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: "web-app",
      redirect_uri: REDIRECT,
      scope: "openid email",
      code_challenge: challenge,
      code_challenge_method: "S256",
    }).toString();
    const res = await fetch(url, { redirect: "manual" });
    return new URL(res.headers.get("location") ?? "").searchParams.get("code") ?? "";
  };
  let tokens: Promise<{ access_token: string; refresh_token: string }> | undefined;
  const exchange = (get: (key: string) => Promise<string>) => {
    tokens ??= (async () => {
      const code = await authorize(await get("challenge"));
      const res = await fetch(`${ISSUER}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          redirect_uri: REDIRECT,
          code_verifier: VERIFIER,
          client_id: "web-app",
        }),
      });
      return res.json();
    })();
    return tokens;
  };
  const pool = lazyPool({
    challenge: () => pkceChallenge(VERIFIER),
    verifier: async () => VERIFIER,
    code: async (get) => authorize(await get("challenge")),
    access: async (get) => (await exchange(get)).access_token,
    refresh: async (get) => (await exchange(get)).refresh_token,
    secret: async () => "s3cret",
  });
  return { op, pool };
}

describe("createMockOidcProvider under fuzzing", () => {
  it("the targets cover every handler of the provider", () => {
    const op = createMockOidcProvider({ issuer: ISSUER });
    expect(routes(op.handlers, ISSUER).sort()).toEqual(
      oidcTargets.map((t) => `${t.method} ${t.path}`).sort(),
    );
  });

  it.each(oidcTargets.map((t) => [`${t.method} ${t.path}`, t] as const))(
    "%s: a bad request is a 4xx RFC 6749 error, never a 500; the form_post page escapes what it echoes",
    async (_name, target) => {
      await fc.assert(
        fc.asyncProperty(
          fc.boolean(),
          fc.array(request(target.fields, oidcRefs), { minLength: 1, maxLength: 3 }),
          async (registered, reqs) => {
            const { pool } = await freshProvider(registered);
            for (const req of reqs) {
              const sent = await send(ISSUER, target, req, await realize(pool, target, req));
              expectNoCrash(sent);
              if (sent.status >= 400) expectOAuthError(sent);
              if (sent.status === 401)
                expect(sent.headers.get("www-authenticate")).toMatch(/^(Bearer|Basic)\b/);
              if (sent.contentType.startsWith("text/html")) {
                // Only the page's own markup (doctype, form, inputs, script): nothing echoed unescaped.
                const inputs = sent.text.match(/<input /g)?.length ?? 0;
                expect(sent.text.match(/</g)).toHaveLength(inputs + 5);
              }
              if (sent.status >= 300 && sent.status < 400) {
                const location = new URL(sent.headers.get("location") ?? "");
                if (registered) expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
                expect(location.protocol).toMatch(/^https?:$/);
              }
            }
          },
        ),
        {
          numRuns: RUNS,
          examples: (target.regressions ?? []).map(
            (req) => [req.registered ?? true, [req]] as [boolean, Req[]],
          ),
        },
      );
    },
    60_000,
  );
});
