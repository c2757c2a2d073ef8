/**
 * An in-memory OpenID Connect provider (authorization server) as msw handlers: discovery,
 * authorize with auto-consent, token (authorization_code with PKCE, refresh_token with rotation
 * and reuse detection), JWKS, userinfo and RFC 7009 revocation.
 *
 * @module
 */
import { generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT, UnsecuredJWT } from "jose";
import type { HttpHandler } from "msw";
import { HttpResponse, http } from "msw";
import { pkceChallenge } from "../oauth/pkce";
import { createKeyRing } from "../server/crypto/keys";
import { createSealer } from "../server/crypto/seal";
import { randomToken, timingSafeEqual } from "../server/crypto/tokens";
import { memoryStore } from "../server/store/memory";
import { clientIp, createClock, receivedBody, userAgentOf } from "./shared";
import type { MockClock } from "./types";

/** A user of the mock provider. */
export interface MockOidcUser {
  /** Subject identifier. Default: derived from the email. */
  sub?: string;
  email: string;
  name?: string;
  emailVerified?: boolean;
}

/** A registered client. Without any, every client id and redirect URI is accepted (public clients). */
export interface MockOidcClient {
  clientId: string;
  /** Confidential clients authenticate with `client_secret_basic` or `client_secret_post`. */
  clientSecret?: string;
  redirectUris: string[];
}

/** Options of {@link createMockOidcProvider}. */
export interface MockOidcProviderOptions {
  /** The issuer, such as `https://accounts.google.com` (msw intercepts it). */
  issuer: string;
  users?: MockOidcUser[];
  clients?: MockOidcClient[];
  /** A shared clock (for example `createMockAuth(...).clock`), a start time, or a time source. */
  now?: MockClock | Date | number | (() => number);
  accessTokenTtlSeconds?: number;
  idTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  /** Send RFC 9207 `iss` in the authorization response. Default true. */
  issParameter?: boolean;
  /**
   * Called for every authorization (success or error), for example to record it in
   * `createMockAuth`'s login history: `onAuthorize: (a) => mock.recordLogin({ …a, method: "google" })`.
   */
  onAuthorize?: (attempt: {
    email: string;
    result: "success" | "failure";
    ip: string;
    userAgent: string | null;
  }) => void;
}

/** A token response about to be sent, which a test may change. */
export interface MockTokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  id_token?: string;
  scope: string;
  [key: string]: unknown;
}

/** What the token endpoint would put in an ID token. */
export interface MockIdTokenClaims extends JWTPayload {
  nonce?: string;
  email?: string;
  name?: string;
  email_verified?: boolean;
  azp?: string;
}

/** The mock provider returned by {@link createMockOidcProvider}. */
export interface MockOidcProvider {
  readonly handlers: HttpHandler[];
  readonly issuer: string;
  readonly clock: MockClock;
  /** The next authorization signs in as this user (by email), instead of `login_hint` or the first user. */
  selectUser(email: string): void;
  /** The next authorization answers with this error (`access_denied`, `login_required`, …). */
  failNextAuthorization(error: string, description?: string): void;
  /**
   * Changes the next token response of the authorization_code grant: return new claims for the
   * ID token, or a whole response. Tests use it for tampered, expired or nonce-less ID tokens.
   */
  interceptNextToken(change: {
    idTokenClaims?: (claims: MockIdTokenClaims) => MockIdTokenClaims;
    idTokenAlg?: "ES256" | "none";
    /** Sign with a key the JWKS does not contain. */
    foreignKey?: boolean;
    response?: (body: MockTokenResponse) => Record<string, unknown>;
  }): void;
  /** Every request the provider answered, oldest first, with what it carried (secrets included). */
  readonly requests: MockOidcRequestRecord[];
  /** Requests answered per path (relative to the issuer), such as `count("/token")`. */
  count(path: string): number;
  /** The public keys. */
  jwks(): Promise<JSONWebKeySet>;
}

/** One request the mock provider answered. */
export interface MockOidcRequestRecord {
  method: string;
  /** Path relative to the issuer, such as `/token`. */
  path: string;
  /** The query parameters (the last of repeated names). */
  query: Record<string, string>;
  /** The body as received: form fields as an object, parsed JSON, else the text; absent without one. */
  body?: unknown;
  /** The `Authorization` header as sent (client authentication at `/token`, the bearer token at `/userinfo`). */
  authorization: string | null;
  status: number;
}

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | null;
  scope: string;
  user: Required<MockOidcUser>;
  expiresAt: number;
  used: boolean;
  family: string | null;
}

interface RefreshRecord {
  clientId: string;
  family: string;
  scope: string;
  user: Required<MockOidcUser>;
  used: boolean;
  expiresAt: number;
}

const oauthError = (error: string, description: string, status = 400, headers: Record<string, string> = {}) =>
  HttpResponse.json(
    { error, error_description: description },
    { status, headers: { "cache-control": "no-store", ...headers } },
  );

/** `invalid_client` (RFC 6749 section 5.2): 401, naming the scheme the client may use. */
const invalidClient = (description: string) =>
  oauthError("invalid_client", description, 401, { "www-authenticate": 'Basic realm="token"' });

const htmlEntities: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
/** Escapes text for an HTML attribute value. */
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => htmlEntities[c] ?? c);

/** A redirect URI the provider may send a browser to: absolute http(s), no fragment (RFC 6749 section 3.1.2). */
function redirectTarget(uri: string): URL | null {
  if (uri.includes("#")) return null;
  try {
    const url = new URL(uri);
    return url.protocol === "https:" || url.protocol === "http:" ? url : null;
  } catch {
    return null;
  }
}

/**
 * Reads an `Authorization: Basic` header (RFC 7617; the scheme in any case). The id and secret
 * are form-urlencoded before base64 (RFC 6749 section 2.3.1). `null` when the header is another
 * scheme or absent, `"malformed"` when it cannot be read.
 */
function basicCredentials(header: string | null): { id: string; secret: string } | "malformed" | null {
  const match = /^basic(?:\s+(.*))?$/i.exec(header ?? "");
  if (!match) return null;
  let decoded: string;
  try {
    decoded = atob((match[1] ?? "").trim());
  } catch {
    return "malformed";
  }
  const colon = decoded.indexOf(":");
  if (colon < 1) return "malformed";
  const formDecode = (v: string) => decodeURIComponent(v.replace(/\+/g, " "));
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return "malformed";
  }
}

/**
 * Creates an in-memory OpenID Connect provider. Mount several (Google, Apple, Yahoo! JAPAN
 * issuers) to mock social sign-in end to end.
 *
 * @example
 * ```ts
 * const googleMock = createMockOidcProvider({ issuer: "https://accounts.google.com", users: [{ email: "a@gmail.com" }] });
 * setupServer(...googleMock.handlers).listen();
 * ```
 */
export function createMockOidcProvider(options: MockOidcProviderOptions): MockOidcProvider {
  const issuer = options.issuer.replace(/\/+$/, "");
  const clock = createClock(options.now);
  const accessTtl = options.accessTokenTtlSeconds ?? 3600;
  const idTtl = options.idTokenTtlSeconds ?? 3600;
  const refreshTtl = options.refreshTokenTtlSeconds ?? 30 * 24 * 3600;
  const users: Array<Required<MockOidcUser>> = (options.users ?? [{ email: "user@example.com" }]).map(
    (u) => ({
      sub: u.sub ?? `sub-${u.email.replace(/[^a-z0-9]/gi, "-")}`,
      email: u.email,
      name: u.name ?? u.email.split("@")[0] ?? u.email,
      emailVerified: u.emailVerified ?? true,
    }),
  );
  const codes = new Map<string, CodeRecord>();
  const refreshTokens = new Map<string, RefreshRecord>();
  const revokedFamilies = new Set<string>();
  const accessTokens = new Map<
    string,
    { user: Required<MockOidcUser>; expiresAt: number; family: string | null }
  >();
  const requests: MockOidcRequestRecord[] = [];
  let selected: string | null = null;
  let nextError: { error: string; description?: string | undefined } | null = null;
  let intercept: Parameters<MockOidcProvider["interceptNextToken"]>[0] | null = null;
  /**
   * The auth server's key ring over a private store and a random sealing secret, on the
   * provider's clock. It never rotates: the provider keeps one key for its whole life (made on
   * first use), as before the ring was shared.
   */
  const keyRing = createKeyRing({
    store: memoryStore(),
    sealer: createSealer(crypto.getRandomValues(new Uint8Array(32))),
    now: () => clock.now(),
    rotateAfterMs: Number.MAX_SAFE_INTEGER,
  });

  const path = (p: string) => `${issuer}${p}`;

  /** A handler that records the request and answers an RFC 6749 `server_error` if it throws. */
  const route = (
    method: "get" | "post",
    p: string,
    resolver: (request: Request) => Response | Promise<Response>,
  ): HttpHandler =>
    http[method](path(p), async ({ request }) => {
      const record: MockOidcRequestRecord = {
        method: request.method,
        path: p,
        query: Object.fromEntries(new URL(request.url).searchParams),
        authorization: request.headers.get("authorization"),
        status: 0,
      };
      requests.push(record);
      const body = await receivedBody(request);
      if (body !== undefined) record.body = body;
      let response: Response;
      try {
        response = await resolver(request);
      } catch (error) {
        console.error("tegata mock provider: handler error", error);
        response = oauthError("server_error", "The mock provider failed", 500);
      }
      record.status = response.status;
      return response;
    });

  const findClient = (clientId: string | null) =>
    options.clients?.find((c) => c.clientId === clientId) ??
    (options.clients ? undefined : clientId ? { clientId, redirectUris: [] as string[] } : undefined);

  /**
   * The client of a token request (`client_secret_basic`, `client_secret_post` or a public
   * client's `client_id`), or the error to answer: a malformed Basic header, an unknown client or a
   * wrong secret is `invalid_client`; two authentication methods at once is `invalid_request`.
   */
  function authenticateClient(request: Request, form: URLSearchParams): MockOidcClient | Response {
    const basic = basicCredentials(request.headers.get("authorization"));
    if (basic === "malformed") return invalidClient("The Basic authorization header is malformed");
    let clientId = form.get("client_id");
    let secret = form.get("client_secret");
    if (basic) {
      if (secret !== null) {
        return oauthError("invalid_request", "Use one client authentication method, not two");
      }
      if (clientId !== null && clientId !== basic.id) {
        return invalidClient("client_id differs from the authenticated client");
      }
      clientId = basic.id;
      secret = basic.secret;
    }
    const client = findClient(clientId);
    if (!client) return invalidClient("Unknown client");
    if (
      client.clientSecret !== undefined &&
      (secret === null || !timingSafeEqual(client.clientSecret, secret))
    ) {
      return invalidClient("Wrong client secret");
    }
    return client;
  }

  async function issue(
    client: string,
    user: Required<MockOidcUser>,
    scope: string,
    nonce: string | null,
    family: string,
    withIdToken: boolean,
  ): Promise<MockTokenResponse> {
    const { key: privateKey, kid } = await keyRing.signingKey();
    const now = clock.now();
    const iat = Math.floor(now / 1000);
    const accessToken = randomToken(32);
    accessTokens.set(accessToken, { user, expiresAt: now + accessTtl * 1000, family });
    const refreshToken = randomToken(32);
    refreshTokens.set(refreshToken, {
      clientId: client,
      family,
      scope,
      user,
      used: false,
      expiresAt: now + refreshTtl * 1000,
    });
    const body: MockTokenResponse = {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: accessTtl,
      refresh_token: refreshToken,
      scope,
    };
    if (withIdToken && scope.split(" ").includes("openid")) {
      let claims: MockIdTokenClaims = {
        iss: issuer,
        sub: user.sub,
        aud: client,
        iat,
        exp: iat + idTtl,
        email: user.email,
        email_verified: user.emailVerified,
        name: user.name,
        ...(nonce ? { nonce } : {}),
      };
      const change = intercept;
      if (change?.idTokenClaims) claims = change.idTokenClaims(claims);
      if (change?.idTokenAlg === "none") {
        body.id_token = new UnsecuredJWT(claims).encode();
      } else {
        const key = change?.foreignKey ? (await generateKeyPair("ES256")).privateKey : privateKey;
        body.id_token = await new SignJWT(claims)
          .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
          .sign(key);
      }
    }
    return body;
  }

  const handlers: HttpHandler[] = [
    route("get", "/.well-known/openid-configuration", () => {
      return HttpResponse.json({
        issuer,
        authorization_endpoint: path("/authorize"),
        token_endpoint: path("/token"),
        jwks_uri: path("/jwks"),
        userinfo_endpoint: path("/userinfo"),
        revocation_endpoint: path("/revoke"),
        response_types_supported: ["code"],
        response_modes_supported: ["query", "form_post"],
        grant_types_supported: ["authorization_code", "refresh_token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["ES256"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
        scopes_supported: ["openid", "email", "profile", "name", "offline_access"],
        authorization_response_iss_parameter_supported: options.issParameter !== false,
      });
    }),

    route("get", "/jwks", async () => HttpResponse.json(await jwks())),

    route("get", "/authorize", (request) => {
      const q = new URL(request.url).searchParams;
      const client = findClient(q.get("client_id"));
      const redirectUri = q.get("redirect_uri") ?? "";
      const target = redirectTarget(redirectUri);
      if (!client) return oauthError("invalid_request", "Unknown client_id");
      if (!target || (options.clients && !client.redirectUris.includes(redirectUri))) {
        // Never redirect to an unverified URI (RFC 6749 section 4.1.2.1): the error is told here.
        return oauthError(
          "invalid_request",
          options.clients
            ? "redirect_uri is not registered for this client"
            : "redirect_uri must be an absolute http(s) URL without a fragment",
        );
      }
      const respond = (params: Record<string, string>) => {
        const state = q.get("state");
        const all: Record<string, string> = { ...params, ...(state ? { state } : {}) };
        if (options.issParameter !== false) all.iss = issuer;
        if (q.get("response_mode") === "form_post") {
          const inputs = Object.entries(all)
            .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
            .join("");
          return new HttpResponse(
            `<!doctype html><form method="post" action="${escapeHtml(redirectUri)}">${inputs}</form><script>document.forms[0].submit()</script>`,
            { status: 200, headers: { "content-type": "text/html; charset=utf-8" } },
          );
        }
        const location = new URL(target);
        for (const [k, v] of Object.entries(all)) location.searchParams.set(k, v);
        return new HttpResponse(null, { status: 302, headers: { location: location.href } });
      };
      const seen = {
        ip: clientIp(request),
        userAgent: userAgentOf(request),
      };
      if (nextError) {
        const e = nextError;
        nextError = null;
        const who = selected ?? q.get("login_hint") ?? users[0]?.email;
        if (who) options.onAuthorize?.({ email: who, result: "failure", ...seen });
        return respond({ error: e.error, ...(e.description ? { error_description: e.description } : {}) });
      }
      if (q.get("response_type") !== "code") return respond({ error: "unsupported_response_type" });
      const challenge = q.get("code_challenge");
      if (!challenge || q.get("code_challenge_method") !== "S256") {
        return respond({ error: "invalid_request", error_description: "PKCE with S256 is required" });
      }
      const hint = q.get("login_hint");
      const email = selected ?? hint;
      selected = null;
      const user = users.find((u) => u.email === email) ?? users[0];
      if (!user) return respond({ error: "login_required" });
      options.onAuthorize?.({ email: user.email, result: "success", ...seen });
      const code = randomToken(24);
      codes.set(code, {
        clientId: client.clientId,
        redirectUri,
        challenge,
        nonce: q.get("nonce"),
        scope: q.get("scope") ?? "openid",
        user,
        expiresAt: clock.now() + 60_000,
        used: false,
        family: null,
      });
      return respond({ code });
    }),

    route("post", "/token", async (request) => {
      if (!/^application\/x-www-form-urlencoded/.test(request.headers.get("content-type") ?? "")) {
        return oauthError("invalid_request", "form-encoded body required");
      }
      const form = new URLSearchParams(await request.text());
      const client = authenticateClient(request, form);
      if (client instanceof Response) return client;
      const grant = form.get("grant_type");
      if (grant === "authorization_code") {
        const record = codes.get(form.get("code") ?? "");
        if (!record || record.clientId !== client.clientId)
          return oauthError("invalid_grant", "unknown code");
        if (record.used) {
          // A code used twice: revoke what it issued (RFC 6749 section 4.1.2).
          if (record.family) revokedFamilies.add(record.family);
          return oauthError("invalid_grant", "code already used");
        }
        record.used = true;
        if (record.expiresAt <= clock.now()) return oauthError("invalid_grant", "code expired");
        if (form.get("redirect_uri") !== record.redirectUri)
          return oauthError("invalid_grant", "redirect_uri mismatch");
        // A verifier that is not 43 to 128 unreserved characters (RFC 7636 section 4.1) fails too.
        const challenge = await pkceChallenge(form.get("code_verifier") ?? "").catch(() => null);
        if (challenge === null || !timingSafeEqual(challenge, record.challenge)) {
          return oauthError("invalid_grant", "PKCE verification failed");
        }
        record.family = randomToken(8);
        let body: Record<string, unknown> = await issue(
          client.clientId,
          record.user,
          record.scope,
          record.nonce,
          record.family,
          true,
        );
        const change = intercept;
        intercept = null;
        if (change?.response) body = change.response(body as MockTokenResponse);
        return HttpResponse.json(body, { headers: { "cache-control": "no-store" } });
      }
      if (grant === "refresh_token") {
        const token = form.get("refresh_token") ?? "";
        const record = refreshTokens.get(token);
        if (!record || record.clientId !== client.clientId || revokedFamilies.has(record.family)) {
          return oauthError("invalid_grant", "invalid refresh token");
        }
        if (record.used) {
          revokedFamilies.add(record.family);
          return oauthError("invalid_grant", "refresh token reused");
        }
        if (record.expiresAt <= clock.now()) return oauthError("invalid_grant", "refresh token expired");
        record.used = true;
        const body = await issue(client.clientId, record.user, record.scope, null, record.family, false);
        return HttpResponse.json(body, { headers: { "cache-control": "no-store" } });
      }
      return oauthError("unsupported_grant_type", `grant_type ${grant ?? "(none)"} is not supported`);
    }),

    route("get", "/userinfo", (request) => {
      const token = /^Bearer (.+)$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
      const record = accessTokens.get(token);
      if (
        !record ||
        record.expiresAt <= clock.now() ||
        (record.family && revokedFamilies.has(record.family))
      ) {
        return oauthError("invalid_token", "The access token is missing, unknown, expired or revoked", 401, {
          "www-authenticate": 'Bearer error="invalid_token"',
        });
      }
      const u = record.user;
      return HttpResponse.json({ sub: u.sub, email: u.email, email_verified: u.emailVerified, name: u.name });
    }),

    route("post", "/revoke", async (request) => {
      if (!/^application\/x-www-form-urlencoded/i.test(request.headers.get("content-type") ?? "")) {
        return oauthError("invalid_request", "form-encoded body required");
      }
      const form = new URLSearchParams(await request.text());
      const token = form.get("token") ?? "";
      const family = refreshTokens.get(token)?.family ?? accessTokens.get(token)?.family;
      if (family) revokedFamilies.add(family);
      return new HttpResponse(null, { status: 200 });
    }),
  ];

  async function jwks(): Promise<JSONWebKeySet> {
    // The ring lists only keys it has made: make the first one if nothing has been signed yet.
    await keyRing.signingKey();
    return keyRing.jwks();
  }

  return {
    handlers,
    issuer,
    clock,
    selectUser(email) {
      if (!users.some((u) => u.email === email)) throw new Error(`mock provider: no user ${email}`);
      selected = email;
    },
    failNextAuthorization(error, description) {
      nextError = { error, description };
    },
    interceptNextToken(change) {
      intercept = change;
    },
    requests,
    count: (p) => requests.filter((r) => r.path === p).length,
    jwks,
  };
}
