/**
 * Every endpoint of createAuthServer, fuzzed over real HTTP (test/server/http/harness.ts), as
 * test/mock/fuzz.test.ts does for the mock: each run starts from a valid request of the endpoint
 * (a fresh user, real tokens, codes and links) and breaks one or two things: malformed or
 * arbitrary JSON and form bodies, wrong types, odd strings (lone surrogates, control characters,
 * `:`, URLs that do not parse, `javascript:`, strings at and just over the 64 kB body limit), a
 * wrong or missing `Content-Type`, garbage `Authorization` (random bearer tokens, JWTs signed by
 * another key, `alg: none`, HS256 with the server's secret, a tampered payload), garbage
 * `X-Forwarded-For` (the server trusts the proxy here, so it is read) and `User-Agent`, odd query
 * strings for the GET endpoints.
 *
 * Every response: status < 500; no stack trace or file path; a 4xx is problem+json with a `code`
 * and a `status` equal to the HTTP status (an RFC 6749 `{ error }` at /oauth/*);
 * `Cache-Control: no-store` (but the JWKS); no secret of the run (the user's password, the refresh
 * token, one-time tokens, recovery codes, the TOTP secret, the challenge id, a new password) in
 * the body. At sign-up and the account endpoints a refused request stores nothing: no user under
 * the addresses it named, no mail in the outbox, the run's user unchanged.
 *
 * Known bugs of the server are not fixed here: each is recognised by its exact signature
 * (`KNOWN_BUGS`; only the check it breaks is waived), so the properties stay green and strict
 * for everything else, and each has an `it.fails` case at the end that asserts the right
 * behaviour. Once a bug is fixed its case fails: then remove the case and its signature.
 *
 * TEGATA_FUZZ_RUNS=1000 for a long hunt (default 20 runs per endpoint).
 */
import { request as httpRequest } from "node:http";
import { isIP } from "node:net";
import fc from "fast-check";
import { type CryptoKey, decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Route } from "../../../src/server/http/env";
import { MAX_BODY_BYTES } from "../../../src/server/http/request";
import { accountRoutes } from "../../../src/server/http/routes/account";
import { historyRoutes } from "../../../src/server/http/routes/history";
import { mfaRoutes } from "../../../src/server/http/routes/mfa";
import { sessionRoutes } from "../../../src/server/http/routes/session";
import { emailKey } from "../../../src/server/store/email-key";
import { generateTotp } from "../../../src/totp/index";
import {
  asForm,
  mutate,
  type Pool,
  type Recipe,
  realize,
  recipeOf,
  resolve,
  wellFormed,
} from "../../fuzz-support";
import { type Harness, SECRET, startServer } from "./harness";

/** Runs per endpoint (each a fresh user and one to three requests). TEGATA_FUZZ_RUNS=1000 for a long hunt. */
const RUNS = Number(process.env.TEGATA_FUZZ_RUNS ?? 20);
const APP = "https://app.example.com";
const STEP = 30_000;

let h: Harness;
/** What the server reported as unexpected failures (its 500s), for the failure messages. */
const failures: unknown[] = [];
let foreignKey: CryptoKey;

beforeAll(async () => {
  h = await startServer({
    appOrigins: [APP],
    trustProxy: true,
    onError: (error) => {
      failures.push(error);
    },
  });
  foreignKey = (await generateKeyPair("ES256")).privateKey;
});
beforeEach(() => {
  // The default mailer logs a line per mail (restored after each test: `restoreMocks`).
  vi.spyOn(console, "info").mockImplementation(() => {});
});
afterAll(async () => {
  await h?.close();
});

// ---- generators (after test/mock/fuzz.test.ts) -------------------------------------------------

/** Just under and just over the body limit once a field holds them (JSON adds ~30–80 bytes). */
const longString = fc.oneof(
  fc.integer({ min: MAX_BODY_BYTES - 200, max: MAX_BODY_BYTES + 8 }).map((n) => "a".repeat(n)),
  fc.constantFrom(
    "é".repeat(MAX_BODY_BYTES / 2), // 64 kB of UTF-8 in 32 k characters
    "\ud800".repeat(MAX_BODY_BYTES / 6), // six bytes each as JSON (\ud800)
    "x".repeat(60_000),
  ),
);

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
      "\u0007\u001b[31m",
      "a\r\nb",
      "\u0085",
      "\ud800",
      "\udfff",
      "a\ud800b",
      "\u202e",
      "\ufeff",
      "%",
      "%E0%A4%A",
      "http://[",
      "http://",
      "https://exa mple.com/",
      "https://:80",
      "http://%zz/",
      "//",
      "//evil.example/x",
      "/\\evil.example",
      "https://user:pw@app.example.com/x",
      "https://app.example.com:99999/",
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      "data:text/html,x",
      '"><script>alert(1)</script>',
      "../../etc/passwd",
      "a".repeat(5000),
      "__proto__",
      "constructor",
      "NaN",
      "-1",
      "0",
      "1e400",
      "9".repeat(400),
      "2026-02-30",
      "2026-13-01T00:00:00Z",
      "att_000000000000000",
      "att_zzzzzzzzzzzzzzz",
      "alice@example.com",
      " ALICE@example.com ",
      "ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",
      "a@b.c:d",
      "ses_x.y",
      "chl_",
      "fac_",
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom("\ud800", "\udc00", ":", "%", "<", '"', "&", "a", " ", "\n", "[", "\u0000"),
      maxLength: 12,
    }),
  },
  { weight: 1, arbitrary: longString },
);

/** The run's real tokens, codes and addresses, made on demand. */
const REFS = [
  "access",
  "refresh",
  "sessionId",
  "sessionId2",
  "resetToken",
  "emailToken",
  "challengeId",
  "totp",
  "recovery",
  "factorId",
  "email",
  "password",
  "newEmail",
  "foreignJwt",
  "noneJwt",
  "hsJwt",
  "tamperedJwt",
] as const;
const ref = fc.constantFrom(...REFS).map((key) => ({ ref: key }));

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
    "Bearer ....",
    "Bearer %zz",
    "Basic",
    "Basic !!!",
    "Basic Zm9v",
    `Basic ${btoa("a:%zz")}`,
    `Basic ${btoa(":")}`,
    "Digest x",
    "u".repeat(3000), // three such headers and a query stay under Node's 16 kB header limit
  ),
);

/** Bearer tokens that look right: random base64url, three random segments, broken real tokens. */
const bearerHeader = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,200}$/).map((t) => `Bearer ${t}`),
  fc
    .tuple(
      fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/),
      fc.stringMatching(/^[A-Za-z0-9_-]{0,120}$/),
      fc.stringMatching(/^[A-Za-z0-9_-]{0,90}$/),
    )
    .map(([a, b, c]) => `Bearer ${a}.${b}.${c}`),
  fc.jsonValue({ maxDepth: 2 }).map((v) => {
    const seg = (x: unknown) => Buffer.from(JSON.stringify(x)).toString("base64url");
    return `Bearer ${seg({ alg: "ES256", typ: "at+jwt" })}.${seg(v)}.${seg("sig")}`;
  }),
  fc.constantFrom(
    "bearer {access}",
    "BEARER {access}",
    "Bearer   {access}",
    "Bearer {access} x",
    "Bearer {access}, Bearer {access}",
    "Bearer {access}.",
    "Bearer {access}x",
    "Bearer {truncated}",
    "Basic {access}",
    "{access}",
  ),
);

/**
 * A body: mostly the endpoint's valid body with one or two fields changed (an odd string, a wrong
 * type, another real token, or deleted), sometimes arbitrary JSON, arbitrary text or nothing. For
 * a GET endpoint the same makes its query string (text: a raw query).
 */
function recipe(fields: readonly string[]): fc.Arbitrary<Recipe> {
  return recipeOf(fields, { odd: oddString, ref, texts: SERVER_TEXTS });
}

/** Bodies (and raw queries) that are not JSON, or are JSON or queries of an unusual kind. */
const SERVER_TEXTS = [
  "{",
  "[1,",
  "null",
  '"x"',
  "{}garbage",
  '{"a":1,"a":2}',
  '{"__proto__":{"admin":true}}',
  "\ufeff{}",
  "a=%zz&b=%E0%A4%A",
  "%",
  "=&=&",
  "&&&",
  "a=1&a=2",
  "limit=1&limit=2",
  "limit=0",
  "limit=101",
  "limit=1e1",
  "limit=%201",
  "from=2026-02-30",
  "to=+275760-09-13T00:00:00Z",
  "cursor=att_%00",
  "result=success&result=failure",
  "grant_type=refresh_token&grant_type=refresh_token",
  "grant_type=refresh_token&refresh_token=",
  "token=%FF%FE",
  "?",
  "#x",
] as const;

const contentTypes = [
  "application/json",
  "application/problem+json",
  "application/json; charset=utf-16",
  "APPLICATION/JSON",
  "application/json;",
  ";application/json",
  "application/jsonx",
  "application/x-www-form-urlencoded",
  "application/x-www-form-urlencoded; charset=iso-8859-1",
  "application/x-www-form-urlencodedx",
  "text/plain",
  "multipart/form-data; boundary=x",
  "",
];
/** A wrong content type: another encoding of the body, or another (or no) `Content-Type`. */
const wrongContentType = fc.oneof(
  fc.record({
    encoding: fc.constantFrom("json" as const, "form" as const),
    type: fc.constant("match" as const),
  }),
  fc.record({
    encoding: fc.constantFrom("match" as const, "json" as const, "form" as const),
    type: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...contentTypes) },
      { weight: 1, arbitrary: headerValue },
      { weight: 1, arbitrary: fc.constant(null) },
    ),
  }),
);
/** A wrong `Authorization`: none, garbage, a token that looks right, another real token. */
const wrongAuthorization = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: headerValue },
  { weight: 2, arbitrary: bearerHeader },
  { weight: 2, arbitrary: ref.map((r) => ({ bearer: r })) },
);
const forwardedFor = fc.oneof(
  headerValue,
  fc.constantFrom(
    "203.0.113.7",
    "::1",
    "::",
    "...",
    "ffff",
    "999.999.999.999",
    "203.0.113.7, 10.0.0.1",
    ", 203.0.113.7",
    "[::1]",
    "::ffff:203.0.113.7",
    "fe80::1%eth0",
    "0".repeat(45),
    "0".repeat(46),
    "unknown",
  ),
);

/** One fuzzed request: a body recipe, how it is encoded, its content type and headers. */
interface Req {
  body: Recipe;
  encoding: "match" | "json" | "form";
  type: string | null;
  auth: unknown;
  xff: string | null;
  ua: string | null;
}

/**
 * A request derived from the valid one with one or two things broken (sometimes none, so that a
 * run's later requests meet the state a success left): its body, its content type, its
 * `Authorization`. `X-Forwarded-For` and `User-Agent` are garbage or absent independently: they
 * must never change the answer's shape.
 */
const fuzzRequest = (fields: readonly string[]): fc.Arbitrary<Req> => {
  type Part = "body" | "type" | "auth";
  const broken: fc.Arbitrary<Part[]> = fc.oneof(
    { weight: 1, arbitrary: fc.constant<Part[]>([]) },
    { weight: 6, arbitrary: fc.constantFrom<Part[]>(["body"], ["body"], ["type"], ["auth"]) },
    { weight: 3, arbitrary: fc.constantFrom<Part[]>(["body", "type"], ["body", "auth"], ["type", "auth"]) },
  );
  return fc
    .record({
      broken,
      body: recipe(fields),
      type: wrongContentType,
      auth: wrongAuthorization,
      xff: fc.option(forwardedFor, { nil: null }),
      ua: fc.option(headerValue, { nil: null }),
    })
    .map(({ broken, body, type, auth, xff, ua }) => ({
      body: broken.includes("body") ? body : { t: "mutate" as const, changes: [] },
      encoding: broken.includes("type") ? type.encoding : "match",
      type: broken.includes("type") ? type.type : "match",
      auth: broken.includes("auth") ? auth : "valid",
      xff,
      ua,
    }));
};

// ---- the run's pool: a fresh user and its real tokens, made on demand --------------------------

type Get = (key: string) => Promise<string>;

let runSeq = 0;

interface Run {
  get: Get;
  /** The user of the run (made on first use). */
  userId(): Promise<string>;
  /** Secrets of the run made so far (8 characters or more): none may be in a body. */
  secrets(): Promise<string[]>;
}

async function post(path: string, body: unknown, access?: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${h.baseUrl}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(access ? { authorization: `Bearer ${access}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/** The `token` of the newest mail of `kind` to `to`, or "". */
function mailedToken(to: string, kind: string): string {
  const mail = h.server.outbox.filter((m) => m.to === to && m.kind === kind).at(-1);
  return mail?.link === undefined ? "" : (new URL(mail.link).searchParams.get("token") ?? "");
}

const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString("base64url");

/** A fresh user and a lazy pool of its tokens: most runs need only the access token. */
function newRun(): Run {
  const n = ++runSeq;
  const tag = `${n}-${Math.random().toString(36).slice(2, 10)}`;
  const email = `fuzz-${n}@fuzz.example`;
  const password = `Pw-fuzz-${tag}`;
  let id: Promise<string> | undefined;
  const userId = () => {
    id ??= h.addUser(email, password, "Fuzz User");
    return id;
  };
  const extraSecrets: string[] = [];
  let totpSecret = "";
  /** A sign-in of the user; its refresh token and challenge id are secrets of the run. */
  const signIn = async () => {
    await userId();
    const body = await post("/auth/sign-in", { email, password, remember: true });
    const challenge = body.challenge as { id?: unknown } | undefined;
    for (const secret of [body.refresh_token, challenge?.id]) {
      if (typeof secret === "string") extraSecrets.push(secret);
    }
    return body;
  };
  let session: Promise<Record<string, unknown>> | undefined;
  const firstSession = () => {
    session ??= signIn();
    return session;
  };
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  const claims = async (get: Get) => {
    const access = await get("access");
    return access === "" ? null : { payload: decodeJwt(access), header: decodeProtectedHeader(access) };
  };
  const makers: Record<string, (get: Get) => Promise<string>> = {
    email: async () => email,
    password: async () => password,
    userId: async () => userId(),
    newEmail: async () => `fuzz-new-${n}@fuzz.example`,
    signUpEmail: async () => `fuzz-signup-${n}@fuzz.example`,
    newPassword: async () => `Np-fuzz-${tag}`,
    access: async () => str((await firstSession()).access_token),
    refresh: async () => str((await firstSession()).refresh_token),
    sessionId: async (get) => String((await claims(get))?.payload.sid ?? ""),
    sessionId2: async () => {
      const access = str((await signIn()).access_token);
      return access === "" ? "" : String(decodeJwt(access).sid ?? "");
    },
    resetToken: async () => {
      await userId();
      await post("/auth/password/reset-request", { email });
      return mailedToken(email, "password_reset");
    },
    emailToken: async (get) => {
      const to = await get("newEmail");
      await post(
        "/auth/email/change-request",
        { new_email: to, password: await get("password") },
        await get("access"),
      );
      return mailedToken(to, "email_change");
    },
    /** The "this wasn't me" link of the notice to the old address (after the change request). */
    cancelToken: async (get) => {
      await get("emailToken");
      return mailedToken(email, "email_change_notice");
    },
    factorId: async (get) => {
      const enrolled = await post("/auth/mfa/totp/enroll", {}, await get("access"));
      totpSecret = str(enrolled.secret);
      if (totpSecret !== "") extraSecrets.push(totpSecret);
      return str(enrolled.factor_id);
    },
    activateCode: async (get) => {
      await get("factorId");
      return totpSecret === "" ? "" : generateTotp(totpSecret, { time: h.clock.now() });
    },
    /** Two-step verification on (the first recovery code): the activation uses the current step. */
    mfaOn: async (get) => {
      const activated = await post(
        "/auth/mfa/totp/activate",
        { factor_id: await get("factorId"), code: await get("activateCode") },
        await get("access"),
      );
      const codes = Array.isArray(activated.recovery_codes) ? activated.recovery_codes.map(String) : [];
      extraSecrets.push(...codes);
      return codes[0] ?? "";
    },
    recovery: (get) => get("mfaOn"),
    /** A code of the next step: inside the window, newer than the activation's. */
    totp: async (get) => {
      await get("mfaOn");
      return totpSecret === "" ? "" : generateTotp(totpSecret, { time: h.clock.now() + STEP });
    },
    challengeId: async (get) => {
      await get("mfaOn");
      const challenge = (await signIn()).challenge as { id?: unknown } | undefined;
      return str(challenge?.id);
    },
    /** The access token's claims and kid, signed by another ES256 key. */
    foreignJwt: async (get) => {
      const c = await claims(get);
      if (c === null) return "";
      return new SignJWT(c.payload)
        .setProtectedHeader({ alg: "ES256", typ: "at+jwt", ...(c.header.kid ? { kid: c.header.kid } : {}) })
        .sign(foreignKey);
    },
    noneJwt: async (get) => {
      const c = await claims(get);
      return c === null ? "" : `${b64({ ...c.header, alg: "none" })}.${b64(c.payload)}.`;
    },
    /** HS256 keyed with the server's own secret (algorithm confusion). */
    hsJwt: async (get) => {
      const c = await claims(get);
      if (c === null) return "";
      return new SignJWT(c.payload)
        .setProtectedHeader({ alg: "HS256", typ: "at+jwt", ...(c.header.kid ? { kid: c.header.kid } : {}) })
        .sign(new TextEncoder().encode(SECRET));
    },
    /** The real signature over another payload (another user, a year later). */
    tamperedJwt: async (get) => {
      const access = await get("access");
      const c = await claims(get);
      if (c === null) return "";
      const [head, , sig] = access.split(".");
      const exp = Number(c.payload.exp ?? 0) + 365 * 24 * 3600;
      return `${head}.${b64({ ...c.payload, sub: "usr_someone_else", exp })}.${sig}`;
    },
    truncated: async (get) => (await get("access")).slice(0, -3),
  };
  const made = new Map<string, Promise<string>>();
  const get: Get = (key) => {
    let value = made.get(key);
    if (!value) {
      const make = makers[key];
      value = make ? make(get).catch(() => "") : Promise.resolve("");
      made.set(key, value);
    }
    return value;
  };
  /** Secrets besides the password and those of `extraSecrets` (refresh tokens, challenge ids, TOTP secret, recovery codes). */
  const SECRET_KEYS = ["resetToken", "emailToken", "cancelToken", "newPassword"];
  return {
    get,
    userId,
    async secrets() {
      const tokens = await Promise.all(SECRET_KEYS.filter((key) => made.has(key)).map((key) => get(key)));
      return [password, ...extraSecrets, ...tokens].filter((v) => v.length >= 8);
    },
  };
}

/**
 * Node answers 431 itself (no body, no headers of ours) to a request line and headers over 16 kB:
 * queries are cut to 4 kB, garbage headers are at most 3 kB (`LARGEST`, every GET property starts with it).
 */
const MAX_QUERY = 4000;

// ---- the targets: every route of createAuthServer ---------------------------------------------

interface Target {
  method: Route["method"];
  path: string;
  /** How the endpoint wants its input. */
  kind: "json" | "form" | "query";
  fields: readonly string[];
  valid: (pool: Pool) => Record<string, unknown>;
  /** Requests each property run starts with (fast-check `examples`). */
  regressions?: Req[];
}

/** A request that changes `changes` of the valid body and sends it as it should be sent. */
const example = (changes: Array<[string, unknown]>, more: Partial<Req> = {}): Req => ({
  body: { t: "mutate", changes },
  encoding: "match",
  type: "match",
  auth: "valid",
  xff: null,
  ua: null,
  ...more,
});

const json = (
  path: string,
  fields: string[],
  valid: Target["valid"],
  more: { method?: Route["method"]; regressions?: Req[] } = {},
): Target => ({
  method: more.method ?? "POST",
  path,
  kind: "json",
  fields,
  valid,
  ...(more.regressions ? { regressions: more.regressions } : {}),
});
/** The largest request the generators make: a 4 kB query and three 3 kB garbage headers. */
const LARGEST = example([["extra", "a".repeat(70_000)]], {
  auth: "u".repeat(3000),
  xff: "u".repeat(3000),
  ua: "u".repeat(3000),
});
const get = (path: string, fields: string[] = [], valid: Target["valid"] = () => ({})): Target => ({
  method: "GET",
  path,
  kind: "query",
  fields,
  valid,
  regressions: [LARGEST],
});

const targets: Target[] = [
  // session.ts
  json("/auth/sign-in", ["email", "password", "remember"], (p) => ({
    email: p.email,
    password: p.password,
    remember: false,
  })),
  json("/auth/mfa/verify", ["challenge_id", "code", "recovery_code", "email_code"], (p) => ({
    challenge_id: p.challengeId,
    code: p.totp,
  })),
  json("/auth/mfa/email-code", ["challenge_id"], (p) => ({ challenge_id: p.challengeId })),
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
  json("/auth/sign-out", ["scope"], () => ({ scope: "local" })),
  get("/auth/user"),
  get("/.well-known/jwks.json"),
  get("/health"),
  // account.ts
  json("/auth/sign-up", ["email", "password", "name"], (p) => ({
    email: p.signUpEmail,
    password: p.newPassword,
    name: "Fuzz",
  })),
  json(
    "/auth/password/reset-request",
    ["email", "redirect_to"],
    (p) => ({ email: p.email, redirect_to: `${APP}/reset` }),
    { regressions: [example([["redirect_to", "http://["]], { auth: null })] },
  ),
  json("/auth/password/reset", ["token", "password"], (p) => ({
    token: p.resetToken,
    password: p.newPassword,
  })),
  json("/auth/password/change", ["current_password", "new_password"], (p) => ({
    current_password: p.password,
    new_password: p.newPassword,
  })),
  json(
    "/auth/email/change-request",
    ["new_email", "password", "redirect_to"],
    (p) => ({ new_email: p.newEmail, password: p.password, redirect_to: "/confirm" }),
    { regressions: [example([["redirect_to", "https://exa mple.com/"]])] },
  ),
  json("/auth/email/confirm", ["token"], (p) => ({ token: p.emailToken })),
  // account.ts: the links of the mails (a reset token is of another purpose: invalid_token), settings
  json("/auth/email/verify", ["token"], (p) => ({ token: p.resetToken })),
  json("/auth/email/verify/resend", ["redirect_to"], () => ({ redirect_to: "/verify" })),
  json("/auth/account/unlock", ["token"], (p) => ({ token: p.resetToken })),
  json("/auth/email/change-cancel", ["token"], (p) => ({ token: p.cancelToken })),
  get("/auth/settings"),
  json("/auth/settings", ["mail_locale"], () => ({ mail_locale: "ja" }), { method: "PATCH" }),
  // mfa.ts
  json(
    "/auth/mfa/totp/enroll",
    ["issuer", "account_name"],
    () => ({ issuer: "ACME", account_name: "fuzz" }),
    {
      regressions: [
        example([["issuer", ""]]),
        example([["account_name", ":"]]),
        example([["issuer", "\ud800"]]),
      ],
    },
  ),
  json("/auth/mfa/totp/activate", ["factor_id", "code"], (p) => ({
    factor_id: p.factorId,
    code: p.activateCode,
  })),
  get("/auth/mfa/factors"),
  json("/auth/mfa/factors/remove", ["factor_id", "code"], (p) => ({ factor_id: p.factorId, code: p.totp })),
  json("/auth/mfa/recovery-codes", ["code"], (p) => ({ code: p.totp })),
  // history.ts
  get("/auth/history", ["limit", "result", "method", "from", "to", "cursor"], () => ({
    limit: "5",
    result: "success",
    method: "password",
    from: "2026-01-01T00:00:00Z",
    to: "2027-01-01",
  })),
  get("/auth/sessions"),
  json("/auth/sessions/revoke", ["session_id"], (p) => ({ session_id: p.sessionId2 })),
  json("/auth/sessions/revoke-others", [], () => ({})),
  get("/auth/privacy"),
  json("/auth/privacy", ["show_last_login"], () => ({ show_last_login: false }), { method: "PATCH" }),
  get("/auth/last-login", ["user_id"], (p) => ({ user_id: p.userId })),
  // account.ts: deletion (a valid request deletes the run's user: later ones get 401s, still 4xx)
  json("/auth/account/delete", ["password", "code"], (p) => ({ password: p.password })),
];

/** Endpoints where a refused request must store nothing (sign-up and the account endpoints). */
const STORING = new Set(accountRoutes.map((r) => `${r.method} ${r.path}`));
/** Fields whose value a success echoes by design (the user's name and address, the TOTP label). */
const ECHOED = ["name", "email", "new_email", "issuer", "account_name"];

// ---- sending ------------------------------------------------------------------------------------

interface Sent {
  status: number;
  contentType: string;
  text: string;
  headers: Headers;
  /** What was sent, for failure messages. */
  sent: string;
  /** The values of the body's fields, by name (after refs were resolved). */
  fields: Record<string, unknown>;
}

async function send(target: Target, req: Req, pool: Pool): Promise<Sent | null> {
  const { body: r, encoding, type, auth } = req;
  const kind = target.kind === "query" ? "query" : encoding === "match" ? target.kind : encoding;
  let text: string | null = null;
  let query = "";
  let fields: Record<string, unknown> = {};
  let matchType = kind === "form" ? "application/x-www-form-urlencoded" : "application/json";
  if (r.t === "mutate") {
    const body = mutate(target.valid(pool), r.changes, pool);
    fields = body;
    if (kind === "query") query = asForm(body).slice(0, MAX_QUERY);
    else text = kind === "form" ? asForm(body) : JSON.stringify(body);
  } else if (r.t === "json") {
    text = JSON.stringify(r.value);
    matchType = "application/json";
    if (kind === "query") query = encodeURIComponent(wellFormed(text)).slice(0, MAX_QUERY);
  } else if (r.t === "text") {
    text = r.value;
    if (kind === "query") query = r.value.slice(0, MAX_QUERY); // raw: the URL parser encodes what it must
  } else {
    text = "";
  }
  const headers = new Headers();
  const ct = type === "match" ? matchType : type;
  if (ct !== null) headers.set("content-type", ct);
  if (auth === "valid") headers.set("authorization", `Bearer ${pool.access}`);
  else if (typeof auth === "string") {
    headers.set(
      "authorization",
      auth.replaceAll("{access}", pool.access ?? "").replaceAll("{truncated}", pool.truncated ?? ""),
    );
  } else if (auth && typeof auth === "object" && "bearer" in auth) {
    headers.set("authorization", `Bearer ${String(resolve((auth as { bearer: unknown }).bearer, pool))}`);
  }
  if (req.xff !== null) headers.set("x-forwarded-for", req.xff);
  if (req.ua !== null) headers.set("user-agent", req.ua);
  const hasBody = target.method !== "GET" && text !== null;
  const url = `${h.baseUrl}${target.path}${query ? `?${query}` : ""}`;
  if (!URL.canParse(url)) return null; // not sendable (cannot happen with a path of ours; kept as a guard)
  const res = await fetch(url, {
    method: target.method,
    headers,
    redirect: "manual",
    // A Blob without a type sends no Content-Type at all (a string would be text/plain).
    ...(hasBody ? { body: ct === null ? new Blob([text ?? ""]) : (text ?? "") } : {}),
  });
  const sentDesc = `${target.method} ${url.slice(0, 300)} ct=${JSON.stringify(ct)} auth=${JSON.stringify(
    headers.get("authorization")?.slice(0, 80) ?? null,
  )} xff=${JSON.stringify(req.xff)} body=${JSON.stringify(text?.slice(0, 300) ?? null)}${
    text && text.length > 300 ? `… (${text.length} chars)` : ""
  }`;
  return {
    status: res.status,
    contentType: res.headers.get("content-type") ?? "",
    text: await res.text(),
    headers: res.headers,
    sent: sentDesc,
    fields,
  };
}

// ---- known bugs ---------------------------------------------------------------------------------

/**
 * Bugs of the server this suite found that are still open, each by its exact signature: the
 * properties waive the error-body check for a response that matches one. The four found so far
 * (a 415 whose body said 400, problem+json instead of RFC 6749 errors at /oauth/* for a wrong
 * content type or an oversized body, garbage X-Forwarded-For taken for an IP) are fixed and held
 * by the regression tests at the end of this file.
 */
const KNOWN_BUGS: Array<{ id: string; matches: (target: Target, sent: Sent) => boolean }> = [];

function knownBug(target: Target, sent: Sent): string | null {
  return KNOWN_BUGS.find((bug) => bug.matches(target, sent))?.id ?? null;
}

// ---- what every response must be ----------------------------------------------------------------

/** A stack trace or a source path, raw or JSON-escaped. */
const STACK =
  /(?:\n|\\n)\s+at |\bat [\w.<>$]+ \(|file:\/\/|node:internal|\/work\/|\/node_modules\/|[\w-]+\.[cm]?[jt]s:\d+/;

function describeSent(sent: Sent): string {
  const reported = failures.length > 0 ? `\nserver reported: ${String((failures[0] as Error)?.stack)}` : "";
  return `${sent.sent}\n→ ${sent.status} ${sent.contentType} ${sent.text.slice(0, 400)}${reported}`;
}

/**
 * Checks one response. `bug`: a known bug matched it, and only the part it breaks (the error
 * body's shape) is waived; everything else is still checked.
 */
function checkResponse(target: Target, sent: Sent, secrets: string[], bug: string | null) {
  const msg = describeSent(sent);
  expect(sent.status, msg).toBeGreaterThanOrEqual(200);
  expect(sent.status, msg).toBeLessThan(500);
  expect(sent.text, msg).not.toMatch(STACK);
  if (target.path === "/.well-known/jwks.json") {
    expect(sent.headers.get("cache-control") ?? "", msg).toMatch(/public/);
  } else {
    expect(sent.headers.get("cache-control") ?? "", msg).toMatch(/\bno-store\b/);
  }
  if (sent.status >= 400 && bug === null) {
    if (target.path.startsWith("/oauth/")) {
      expect(sent.contentType, msg).toMatch(/^application\/json/);
      const body = JSON.parse(sent.text) as Record<string, unknown>;
      expect(body.error, msg).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
      if ("error_description" in body) expect(body.error_description, msg).toEqual(expect.any(String));
    } else {
      expect(sent.contentType, msg).toMatch(/^application\/problem\+json/);
      const body = JSON.parse(sent.text) as Record<string, unknown>;
      expect(body, msg).toMatchObject({
        code: expect.stringMatching(/^[a-z_]+$/),
        status: sent.status,
        title: expect.any(String),
      });
    }
  }
  // A success may echo what the request itself gave in its echoed fields (a name, an address).
  const echoed =
    sent.status < 400 ? ECHOED.map((f) => sent.fields[f]).filter((v) => typeof v === "string") : [];
  for (const secret of secrets) {
    if (echoed.some((v) => (v as string).includes(secret))) continue;
    expect(sent.text.includes(secret), `${msg}\nechoes the secret ${JSON.stringify(secret)}`).toBe(false);
  }
}

/** What a refused request at an account endpoint must leave as it was. */
async function storedState(run: Run, addresses: string[]) {
  const user = await h.store.getUserById(await run.userId());
  const lookups = await Promise.all(
    addresses.map(async (a) => (await h.store.getUserByEmailKey(emailKey(a)))?.id),
  );
  return {
    outbox: h.server.outbox.length,
    user: user && {
      email: user.email,
      emailKey: user.emailKey,
      passwordHash: user.passwordHash,
      emailVerified: user.emailVerified,
      name: user.name,
    },
    lookups,
  };
}

/** Runs one fuzzed request and checks its response; `null` when the request was not sendable. */
async function exercise(target: Target, run: Run, req: Req): Promise<Sent | null> {
  const pool = await realize(run.get, target, req);
  const storing = STORING.has(`${target.method} ${target.path}`);
  let addresses: string[] = [];
  let before: Awaited<ReturnType<typeof storedState>> | undefined;
  if (storing) {
    const preview = req.body.t === "mutate" ? mutate(target.valid(pool), req.body.changes, pool) : {};
    addresses = [
      preview.email,
      preview.new_email,
      await run.get("newEmail"),
      await run.get("signUpEmail"),
    ].filter((a): a is string => typeof a === "string" && a !== "");
    before = await storedState(run, addresses);
  }
  failures.length = 0;
  const sent = await send(target, req, pool);
  if (sent === null) return null;
  const secrets = await run.secrets();
  checkResponse(target, sent, secrets, knownBug(target, sent));
  if (storing && sent.status >= 400) {
    const after = await storedState(run, addresses);
    expect(after, `${describeSent(sent)}\nstored something on a refused request`).toEqual(before);
  }
  return sent;
}

// ---- the properties -----------------------------------------------------------------------------

const ALL_ROUTES: Route[] = [...sessionRoutes, ...accountRoutes, ...mfaRoutes, ...historyRoutes];

describe("createAuthServer under fuzzing (over HTTP)", () => {
  it("the targets cover every route of the server", () => {
    expect(targets.map((t) => `${t.method} ${t.path}`).sort()).toEqual(
      ALL_ROUTES.map((r) => `${r.method} ${r.path}`).sort(),
    );
  });

  it("the checks catch a 500, a stack, a missing no-store, a wrong problem status and an echoed secret", () => {
    const target = targets[0]!;
    const problem = { type: "about:blank", title: "Wrong", status: 401, code: "invalid_credentials" };
    const ok: Sent = {
      status: 401,
      contentType: "application/problem+json",
      text: JSON.stringify(problem),
      headers: new Headers({ "cache-control": "no-store" }),
      sent: "(self-test)",
      fields: {},
    };
    const secret = "Pw-fuzz-self-test";
    expect(() => checkResponse(target, ok, [secret], null)).not.toThrow();
    const bad: Sent[] = [
      { ...ok, status: 500, text: JSON.stringify({ ...problem, status: 500, code: "internal_error" }) },
      {
        ...ok,
        text: JSON.stringify({ ...problem, detail: "TypeError: x\n    at read (/srv/app/request.ts:12:3)" }),
      },
      { ...ok, text: JSON.stringify({ ...problem, detail: "failed in src/server/http/request.js:40" }) },
      { ...ok, headers: new Headers() },
      { ...ok, status: 415 },
      { ...ok, contentType: "application/json" },
      { ...ok, text: JSON.stringify({ ...problem, title: `Wrong password ${secret}` }) },
    ];
    for (const sent of bad) expect(() => checkResponse(target, sent, [secret], null), sent.text).toThrow();
  });

  it.each(targets.map((t) => [`${t.method} ${t.path}`, t] as const))(
    "%s: a bad request is a well-formed 4xx, never a 500, a stack, a secret or a stored change",
    async (_name, target) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fuzzRequest(target.fields), { minLength: 1, maxLength: 3 }),
          async (reqs) => {
            const run = newRun();
            for (const req of reqs) await exercise(target, run, req);
          },
        ),
        { numRuns: RUNS, examples: (target.regressions ?? []).map((req): [Req[]] => [[req]]) },
      );
    },
    120_000,
  );
});

// ---- the body limit -----------------------------------------------------------------------------

/** A raw HTTP/1.1 POST with a chunked body fed by `write` until the response comes (or `write` ends). */
function chunkedPost(
  path: string,
  write: (chunk: (data: Buffer) => boolean) => Promise<number>,
): Promise<{
  status: number;
  text: string;
  headers: Record<string, unknown>;
  bytesWritten: number;
  ended: boolean;
}> {
  return new Promise((resolvePromise, reject) => {
    const url = new URL(path, h.baseUrl);
    let answered = false;
    let ended = false;
    let bytes = 0;
    const req = httpRequest(url, {
      method: "POST",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
    });
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    req.on("response", (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => {
        resolvePromise({
          status: res.statusCode ?? 0,
          text: Buffer.concat(parts).toString("utf8"),
          headers: res.headers,
          bytesWritten: bytes,
          ended,
        });
        req.destroy();
      });
    });
    write((data) => {
      if (answered || req.destroyed) return false;
      bytes += data.length;
      req.write(data);
      return true;
    })
      .then(() => {
        if (!answered && !req.destroyed) {
          ended = true;
          req.end();
        }
      })
      .catch(reject);
  });
}

describe("createAuthServer: the 64 kB body limit", () => {
  it("refuses a chunked body (no Content-Length) over 64 kB with 400, before reading all of it", async () => {
    const chunk = Buffer.alloc(8 * 1024, "a");
    let stopAfter = 0;
    // An endless body: only a server that stops reading can answer it.
    const result = await chunkedPost("/auth/sign-in", async (write) => {
      write(Buffer.from('{"email":"'));
      for (let i = 0; i < 10_000; i++) {
        if (!write(chunk)) return i;
        stopAfter = i;
        await new Promise((r) => setTimeout(r, 1));
      }
      return stopAfter;
    });
    expect(result.ended).toBe(false);
    expect(result.status).toBe(400);
    expect(result.bytesWritten).toBeGreaterThan(MAX_BODY_BYTES);
    expect(result.bytesWritten).toBeLessThan(10_000 * chunk.length);
    expect(String(result.headers["content-type"])).toMatch(/^application\/problem\+json/);
    expect(String(result.headers["cache-control"])).toMatch(/no-store/);
    expect(JSON.parse(result.text)).toMatchObject({ code: "invalid_request", status: 400 });
  });

  it("takes a body of exactly 64 kB and refuses one byte more (chunked and with Content-Length)", async () => {
    const bodyOf = (size: number) => {
      const head = '{"email":"x@fuzz.example","password":"';
      const tail = '"}';
      return head + "p".repeat(size - head.length - tail.length) + tail;
    };
    for (const size of [MAX_BODY_BYTES, MAX_BODY_BYTES + 1]) {
      const text = bodyOf(size);
      expect(Buffer.byteLength(text)).toBe(size);
      const viaLength = await fetch(`${h.baseUrl}/auth/sign-in`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: text,
      });
      const viaChunks = await chunkedPost("/auth/sign-in", async (write) => {
        for (let i = 0; i < text.length; i += 5000) write(Buffer.from(text.slice(i, i + 5000)));
        return 0;
      });
      const bodies = [await viaLength.text(), viaChunks.text];
      const statuses = [viaLength.status, viaChunks.status];
      if (size === MAX_BODY_BYTES) {
        // Read and parsed: an unknown address, not a refusal for its size.
        expect(statuses).toEqual([401, 401]);
      } else {
        expect(statuses).toEqual([400, 400]);
        for (const body of bodies) expect(JSON.parse(body).title).toMatch(/larger than/);
      }
    }
  });
});

// ---- the bugs found, as failing cases -------------------------------------------------------------

/** A raw request of the known-bug cases. */
async function raw(path: string, init: RequestInit) {
  const res = await fetch(`${h.baseUrl}${path}`, init);
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", text };
}

describe("createAuthServer: bugs found by fuzzing, fixed (regression tests)", () => {
  // BUG 1 (KNOWN_BUGS "415-status-400"): request.ts builds the 415 from the 400 problem's body, so
  // the problem says `"status": 400` under HTTP 415 (RFC 9457: `status` is the HTTP status).
  // Input: POST /auth/sign-in, Content-Type: text/plain, any body.
  // Response: 415 {"type":"about:blank","title":"The body must be application/json","status":400,"code":"invalid_request"}
  it("BUG 1: a 415 problem's status is 415", async () => {
    const res = await raw("/auth/sign-in", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ email: "a@fuzz.example", password: "x" }),
    });
    expect(res.status).toBe(415);
    expect(JSON.parse(res.text)).toMatchObject({ code: "invalid_request", status: 415 });
  });

  // BUG 2 (KNOWN_BUGS "oauth-not-form-415-problem"): /oauth/token and /oauth/revoke answer a body
  // that is not form-encoded with 415 problem+json; docs/api.md (and RFC 6749 section 5.2) say
  // `400 { "error": "invalid_request" }`, which the client maps to InvalidRequestError.
  // Input: POST /oauth/token (or /oauth/revoke), Content-Type: application/json, {"grant_type":"refresh_token"}.
  // Response: 415 application/problem+json {"title":"The body must be application/x-www-form-urlencoded","status":400,"code":"invalid_request",…}
  for (const path of ["/oauth/token", "/oauth/revoke"]) {
    it(`BUG 2: ${path} answers a JSON body with an RFC 6749 400 invalid_request`, async () => {
      const res = await raw(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ grant_type: "refresh_token", refresh_token: "x", token: "x" }),
      });
      expect(res.status).toBe(400);
      expect(res.contentType).toMatch(/^application\/json/);
      expect(JSON.parse(res.text)).toMatchObject({ error: "invalid_request" });
    });
  }

  // BUG 3 (KNOWN_BUGS "oauth-too-large-problem"): a form body over 64 kB at /oauth/token and
  // /oauth/revoke is refused with a problem+json, not an RFC 6749 error body.
  // Input: POST /oauth/token (or /oauth/revoke), form, refresh_token of 70 000 characters.
  // Response: 400 application/problem+json {"title":"The body is larger than 65536 bytes","status":400,"code":"invalid_request",…}
  for (const path of ["/oauth/token", "/oauth/revoke"]) {
    it(`BUG 3: ${path} refuses a body over 64 kB with an RFC 6749 error`, async () => {
      const res = await raw(path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `grant_type=refresh_token&refresh_token=${"a".repeat(70_000)}&token=x`,
      });
      expect(res.status).toBe(400);
      expect(res.contentType).toMatch(/^application\/json/);
      expect(JSON.parse(res.text)).toMatchObject({ error: "invalid_request" });
    });
  }

  // BUG 4: with trustProxy, clientIp takes the first X-Forwarded-For entry when it matches
  // /^[0-9a-fA-F:.]{2,45}$/, which many non-addresses do ("deadbeef", "...", "999.999.999.999");
  // the garbage becomes the session's and the login history's IP.
  // Input: POST /auth/sign-in with X-Forwarded-For: deadbeef (valid credentials).
  // Response: GET /auth/sessions lists the session with "ip": "deadbeef".
  it("BUG 4: a garbage X-Forwarded-For is not taken for the client's IP", async () => {
    const run = newRun();
    await run.userId();
    for (const xff of ["deadbeef", "...", "999.999.999.999"]) {
      const signedIn = await fetch(`${h.baseUrl}/auth/sign-in`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": xff },
        body: JSON.stringify({ email: await run.get("email"), password: await run.get("password") }),
      });
      const { access_token } = (await signedIn.json()) as { access_token: string };
      const listed = await fetch(`${h.baseUrl}/auth/sessions`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      const { sessions } = (await listed.json()) as { sessions: Array<{ ip: string; current: boolean }> };
      const ip = sessions.find((s) => s.current)?.ip ?? "";
      expect(isIP(ip), `X-Forwarded-For ${xff} stored as ip ${JSON.stringify(ip)}`).not.toBe(0);
    }
  });
});
