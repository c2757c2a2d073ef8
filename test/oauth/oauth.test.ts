import { describe, expect, it } from "vitest";
import {
  createAuthClient,
  DiscoveryError,
  getSession,
  IdTokenValidationError,
  InvalidCallbackError,
  IssuerMismatchError,
  memoryStorage,
  OAuthError,
  onAuthStateChange,
  StateMismatchError,
  UnknownProviderError,
} from "../../src/index";
import { createMockOidcProvider } from "../../src/mock/index";
import {
  apple,
  createAuthorizationUrl,
  discover,
  google,
  handleRedirectCallback,
  oidcProvider,
  pkceChallenge,
  yahooJapan,
} from "../../src/oauth/index";
import { getAccessToken, revokeTokens } from "../../src/session/index";
import { useMockServer } from "../support";

const ctx = useMockServer();
const ISSUER = "https://id.tegata.test";
const REDIRECT = "https://app.example.com/callback";
const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);

function setup(providerOptions: Partial<Parameters<typeof createMockOidcProvider>[0]> = {}) {
  const op = createMockOidcProvider({
    issuer: ISSUER,
    now: T0,
    users: [{ email: "taro@example.jp", name: "山田太郎" }, { email: "hanako@example.jp" }],
    ...providerOptions,
  });
  ctx.server.resetHandlers(...op.handlers);
  const storage = memoryStorage();
  const auth = createAuthClient({ baseUrl: "https://api.example.com", clock: op.clock, storage });
  const provider = oidcProvider({ id: "corp", issuer: ISSUER, clientId: "web-app", redirectUri: REDIRECT });
  return { op, auth, provider, storage };
}

/** Follows the authorization URL as a browser would (auto-consent) and returns the callback URL. */
async function authorize(url: URL): Promise<string> {
  const res = await fetch(url, { redirect: "manual" });
  const location = res.headers.get("location");
  if (!location) throw new Error(`no redirect: ${res.status}`);
  return location;
}

describe("PKCE", () => {
  it("reproduces RFC 7636 Appendix B", async () => {
    expect(await pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("refuses a verifier outside RFC 7636's alphabet or length", async () => {
    await expect(pkceChallenge("short")).rejects.toBeInstanceOf(TypeError);
    await expect(pkceChallenge(`${"a".repeat(43)}!`)).rejects.toBeInstanceOf(TypeError);
  });
});

describe("discover", () => {
  it("fetches and caches the metadata per client", async () => {
    const { op, auth } = setup();
    const a = await discover(auth, ISSUER);
    const b = await discover(auth, ISSUER);
    expect(a.token_endpoint).toBe(`${ISSUER}/token`);
    expect(b).toBe(a);
    expect(op.count("/.well-known/openid-configuration")).toBe(1);
  });

  it("requires the returned issuer to equal the one asked for", async () => {
    setup();
    const auth = createAuthClient({ baseUrl: "https://api.example.com" });
    await expect(discover(auth, `${ISSUER}/`)).rejects.toBeInstanceOf(IssuerMismatchError);
  });

  it("gives DiscoveryError for a broken document and does not cache failures", async () => {
    const { auth } = setup();
    const { http, HttpResponse } = await import("msw");
    ctx.server.use(
      http.get(
        "https://nothing.tegata.test/.well-known/openid-configuration",
        () => new HttpResponse("<h1>404</h1>", { status: 404, headers: { "content-type": "text/html" } }),
      ),
    );
    await expect(discover(auth, "https://nothing.tegata.test")).rejects.toBeInstanceOf(DiscoveryError);
    ctx.server.use(
      http.get("https://broken.tegata.test/.well-known/openid-configuration", () =>
        HttpResponse.json({ issuer: "https://broken.tegata.test" }),
      ),
    );
    await expect(discover(auth, "https://broken.tegata.test")).rejects.toBeInstanceOf(DiscoveryError);
  });
});

describe("the authorization code flow", () => {
  it("signs in end to end: URL, redirect, code exchange, ID token, session, SIGNED_IN", async () => {
    const { op, auth } = setup();
    const provider = oidcProvider({ id: "corp", issuer: ISSUER, clientId: "web-app", redirectUri: REDIRECT });
    const events: string[] = [];
    onAuthStateChange(auth, (e) => events.push(e));
    const url = await createAuthorizationUrl(auth, provider, {
      returnTo: "/settings?tab=security",
      loginHint: "hanako@example.jp",
    });
    expect(url.origin + url.pathname).toBe(`${ISSUER}/authorize`);
    const q = url.searchParams;
    expect(q.get("response_type")).toBe("code");
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("scope")).toBe("openid email profile");
    expect(q.get("state")).toMatch(/^[\w-]{43}$/);
    expect(q.get("nonce")).toMatch(/^[\w-]{43}$/);
    expect(q.get("login_hint")).toBe("hanako@example.jp");

    const callback = await authorize(url);
    expect(new URL(callback).searchParams.get("iss")).toBe(ISSUER);
    const result = await handleRedirectCallback(auth, callback);
    expect(result.returnTo).toBe("/settings?tab=security");
    expect(result.providerId).toBe("corp");
    expect(result.session.user?.email).toBe("hanako@example.jp");
    expect(result.session.provider?.tokenEndpoint).toBe(`${ISSUER}/token`);
    expect(result.claims?.aud).toBe("web-app");
    expect(events).toEqual(["SIGNED_IN"]);
    expect((await getSession(auth))?.accessToken).toBe(result.session.accessToken);
    expect(op.count("/token")).toBe(1);
  });

  it("refreshes the OAuth session at the provider through tegata/session, with rotation", async () => {
    const { op, auth, provider } = setup();
    await handleRedirectCallback(auth, await authorize(await createAuthorizationUrl(auth, provider)));
    const before = await getSession(auth);
    op.clock.advance(2 * 3_600_000);
    const token = await getAccessToken(auth);
    expect(token).not.toBe(before?.accessToken);
    expect((await getSession(auth))?.refreshToken).not.toBe(before?.refreshToken);
    expect(op.count("/token")).toBe(2);
  });

  it("revokes at the provider's revocation endpoint", async () => {
    const { op, auth, provider } = setup();
    await handleRedirectCallback(auth, await authorize(await createAuthorizationUrl(auth, provider)));
    expect(await revokeTokens(auth)).toBe(true);
    expect(op.count("/revoke")).toBe(1);
  });

  it("keeps concurrent flows apart and survives a reload (a new client on the same storage)", async () => {
    const { auth, provider, storage, op } = setup();
    const first = await createAuthorizationUrl(auth, provider, { returnTo: "/a" });
    const second = await createAuthorizationUrl(auth, provider, { returnTo: "/b" });
    const reloaded = createAuthClient({ baseUrl: "https://api.example.com", clock: op.clock, storage });
    expect((await handleRedirectCallback(reloaded, await authorize(second))).returnTo).toBe("/b");
    expect((await handleRedirectCallback(reloaded, await authorize(first))).returnTo).toBe("/a");
  });

  it("fails cleanly when a callback is replayed after success", async () => {
    const { auth, provider } = setup();
    const callback = await authorize(await createAuthorizationUrl(auth, provider));
    await handleRedirectCallback(auth, callback);
    await expect(handleRedirectCallback(auth, callback)).rejects.toBeInstanceOf(StateMismatchError);
  });

  it("uses form_post for Apple with name/email scopes, and accepts the posted body", async () => {
    const { auth, op } = setup();
    const provider = apple({ clientId: "com.example.web", redirectUri: REDIRECT, metadata: undefined });
    // Point the Apple preset at the mock issuer by wrapping it (the real issuer is appleid.apple.com).
    const local = { ...provider, issuer: ISSUER };
    const url = await createAuthorizationUrl(auth, local);
    expect(url.searchParams.get("response_mode")).toBe("form_post");
    expect(url.searchParams.get("scope")).toBe("openid email name");
    const res = await fetch(url);
    const html = await res.text();
    const fields = new URLSearchParams();
    for (const m of html.matchAll(/name="([^"]+)" value="([^"]*)"/g))
      fields.set(m[1] ?? "", (m[2] ?? "").replace(/&quot;/g, '"'));
    const result = await handleRedirectCallback(auth, fields.toString());
    expect(result.session.user?.email).toBe("taro@example.jp");
    expect(op.count("/token")).toBe(1);
  });

  it("authenticates a confidential client with its secret", async () => {
    const { auth } = setup({
      clients: [{ clientId: "server-app", clientSecret: "s3cret", redirectUris: [REDIRECT] }],
    });
    const provider = oidcProvider({
      id: "corp",
      issuer: ISSUER,
      clientId: "server-app",
      clientSecret: "s3cret",
      redirectUri: REDIRECT,
    });
    const callback = await authorize(await createAuthorizationUrl(auth, provider));
    await expect(handleRedirectCallback(auth, callback, { providers: [provider] })).resolves.toMatchObject({
      providerId: "corp",
    });
  });
});

describe("bad callbacks: each a distinct typed error, the transaction cleaned up", () => {
  async function pending(options: Parameters<typeof setup>[0] = {}) {
    const s = setup(options);
    const url = await createAuthorizationUrl(s.auth, s.provider);
    return { ...s, url, state: url.searchParams.get("state") ?? "" };
  }

  it("a missing state", async () => {
    const { auth } = await pending();
    await expect(handleRedirectCallback(auth, `${REDIRECT}?code=abc`)).rejects.toBeInstanceOf(
      StateMismatchError,
    );
  });

  it("a wrong state", async () => {
    const { auth } = await pending();
    await expect(handleRedirectCallback(auth, `${REDIRECT}?code=abc&state=forged`)).rejects.toBeInstanceOf(
      StateMismatchError,
    );
  });

  it("a wrong iss (RFC 9207)", async () => {
    const { auth, state } = await pending();
    const error = await handleRedirectCallback(
      auth,
      `${REDIRECT}?code=abc&state=${state}&iss=https://evil.example`,
    ).catch((e) => e);
    expect(error).toBeInstanceOf(IssuerMismatchError);
    await expect(handleRedirectCallback(auth, `${REDIRECT}?code=abc&state=${state}`)).rejects.toBeInstanceOf(
      StateMismatchError,
    );
  });

  it("a missing iss when the provider promises it", async () => {
    const { auth, state } = await pending();
    await expect(handleRedirectCallback(auth, `${REDIRECT}?code=abc&state=${state}`)).rejects.toBeInstanceOf(
      IssuerMismatchError,
    );
  });

  it("a callback without code", async () => {
    const { auth, state } = await pending();
    await expect(
      handleRedirectCallback(auth, `${REDIRECT}?state=${state}&iss=${ISSUER}`),
    ).rejects.toBeInstanceOf(InvalidCallbackError);
  });

  it("an error callback (access_denied)", async () => {
    const { auth, op, url } = await pending();
    op.failNextAuthorization("access_denied", "The user cancelled");
    const error = await handleRedirectCallback(auth, await authorize(url)).catch((e) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect(error.error).toBe("access_denied");
    expect(error.errorDescription).toBe("The user cancelled");
  });

  it("an unknown provider", async () => {
    const { auth, url } = await pending();
    const other = google({ clientId: "x", redirectUri: REDIRECT });
    await expect(
      handleRedirectCallback(auth, await authorize(url), { providers: [other] }),
    ).rejects.toBeInstanceOf(UnknownProviderError);
  });

  it("a wrong PKCE verifier is refused by the provider", async () => {
    const { auth, op, url } = await pending();
    const callback = new URL(await authorize(url));
    // Another flow's transaction cannot be used: tamper the stored verifier instead.
    const key = `tegata.session.oauth.${callback.searchParams.get("state")}`;
    const stored = JSON.parse((await auth._internal.transactionStorage.getItem(key)) ?? "{}");
    stored.verifier = "x".repeat(43);
    await auth._internal.transactionStorage.setItem(key, JSON.stringify(stored));
    const error = await handleRedirectCallback(auth, callback).catch((e) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect(error.error).toBe("invalid_grant");
    expect(op.count("/token")).toBe(1);
  });

  it.each([
    ["tampered (signed by another key)", { foreignKey: true }, "signature"],
    ["alg none", { idTokenAlg: "none" as const }, "algorithm"],
    [
      "expired",
      { idTokenClaims: (c: Record<string, unknown>) => ({ ...c, exp: Math.floor(T0 / 1000) - 3600 }) },
      "expired",
    ],
    [
      "issued in the future",
      { idTokenClaims: (c: Record<string, unknown>) => ({ ...c, iat: Math.floor(T0 / 1000) + 3600 }) },
      "iat",
    ],
    [
      "for another audience",
      { idTokenClaims: (c: Record<string, unknown>) => ({ ...c, aud: "someone-else" }) },
      "audience",
    ],
    [
      "with several audiences and no azp",
      { idTokenClaims: (c: Record<string, unknown>) => ({ ...c, aud: ["web-app", "other"] }) },
      "azp",
    ],
    [
      "with a foreign azp",
      { idTokenClaims: (c: Record<string, unknown>) => ({ ...c, aud: ["web-app", "other"], azp: "other" }) },
      "azp",
    ],
    [
      "from another issuer",
      { idTokenClaims: (c: Record<string, unknown>) => ({ ...c, iss: "https://evil.example" }) },
      "issuer",
    ],
    [
      "with a nonce mismatch",
      { idTokenClaims: (c: Record<string, unknown>) => ({ ...c, nonce: "other" }) },
      "nonce",
    ],
    [
      "missing although openid was asked",
      { response: (b: Record<string, unknown>) => ({ ...b, id_token: undefined }) },
      "missing",
    ],
  ])("an ID token %s", async (_label, change, reason) => {
    const { auth, op, url } = await pending();
    op.interceptNextToken(change as never);
    const error = await handleRedirectCallback(auth, await authorize(url)).catch((e) => e);
    expect(error).toBeInstanceOf(IdTokenValidationError);
    expect(error.reason).toBe(reason);
    expect(await getSession(auth)).toBeNull();
  });

  it("accepts several audiences with a matching azp, and a small clock skew", async () => {
    const { auth, op, url } = await pending();
    op.interceptNextToken({
      idTokenClaims: (c) => ({ ...c, aud: ["web-app", "other"], azp: "web-app", iat: (c.iat ?? 0) + 30 }),
    });
    await expect(handleRedirectCallback(auth, await authorize(url))).resolves.toMatchObject({
      providerId: "corp",
    });
  });

  it("takes the profile from UserInfo when the ID token carries only sub (and checks its sub)", async () => {
    const { auth, op, url } = await pending();
    op.interceptNextToken({
      idTokenClaims: ({ email: _e, name: _n, email_verified: _v, ...rest }) => rest,
    });
    const result = await handleRedirectCallback(auth, await authorize(url));
    expect(result.session.user).toMatchObject({
      email: "taro@example.jp",
      name: "山田太郎",
      emailVerified: true,
    });
    expect(op.count("/userinfo")).toBe(1);
  });

  it("refuses an off-origin returnTo (no open redirect)", async () => {
    const { auth, provider } = setup();
    for (const bad of [
      "https://evil.example/",
      "//evil.example/x",
      "/\\evil.example",
      "javascript:alert(1)",
      "https://app.example.com.evil.example/",
    ]) {
      await expect(createAuthorizationUrl(auth, provider, { returnTo: bad })).rejects.toBeInstanceOf(
        InvalidCallbackError,
      );
    }
    const ok = await createAuthorizationUrl(auth, provider, { returnTo: "https://app.example.com/x?y=1#z" });
    expect(ok).toBeInstanceOf(URL);
  });

  it("an expired transaction (10 minutes)", async () => {
    const { auth, op, url } = await pending();
    const callback = await authorize(url);
    op.clock.advance(11 * 60_000);
    await expect(handleRedirectCallback(auth, callback)).rejects.toBeInstanceOf(StateMismatchError);
  });
});

describe("providers", () => {
  it("presets carry their issuers", () => {
    const base = { clientId: "c", redirectUri: REDIRECT };
    expect(google(base)).toMatchObject({ id: "google", issuer: "https://accounts.google.com" });
    expect(apple(base)).toMatchObject({ id: "apple", issuer: "https://appleid.apple.com" });
    expect(yahooJapan(base)).toMatchObject({
      id: "yahoo_japan",
      issuer: "https://auth.login.yahoo.co.jp/yconnect/v2",
    });
    expect(apple(base).responseMode?.(["openid"])).toBeUndefined();
  });

  it("validates its options", () => {
    expect(() =>
      oidcProvider({ issuer: "http://insecure.example", clientId: "c", redirectUri: REDIRECT }),
    ).toThrow(TypeError);
    expect(() => oidcProvider({ issuer: ISSUER, clientId: "", redirectUri: REDIRECT })).toThrow(TypeError);
    expect(() => oidcProvider({ issuer: "nope", clientId: "c", redirectUri: REDIRECT })).toThrow(TypeError);
  });
});
