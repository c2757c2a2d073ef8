import { HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import {
  createAuthClient,
  DiscoveryError,
  getSession,
  IdTokenValidationError,
  InvalidCallbackError,
  IssuerMismatchError,
  OAuthError,
  onAuthStateChange,
  StateMismatchError,
  UnknownProviderError,
} from "../../src/index";
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
import { authorize, ISSUER, oidcSetup, REDIRECT, T0, transactionKey } from "./helpers";

const ctx = useMockServer();
const setup = oidcSetup(ctx);

describe("PKCE", () => {
  it("reproduces RFC 7636 Appendix B", async () => {
    expect(await pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("refuses a verifier outside RFC 7636's alphabet or length, saying what it got", async () => {
    await expect(pkceChallenge("short")).rejects.toThrow(/43 to 128 .*got 5 characters/);
    await expect(pkceChallenge(`${"a".repeat(43)}!`)).rejects.toThrow(/unreserved characters.*"!"/);
    await expect(pkceChallenge(42 as never)).rejects.toThrow(/got number/);
    await expect(pkceChallenge("a".repeat(43))).resolves.toMatch(/^[\w-]{43}$/);
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

  it("gives DiscoveryError for a 404 or a document without the required fields, saying which", async () => {
    const { auth } = setup();
    ctx.server.use(
      http.get(
        "https://nothing.tegata.test/.well-known/openid-configuration",
        () => new HttpResponse("<h1>404</h1>", { status: 404, headers: { "content-type": "text/html" } }),
      ),
      http.get("https://broken.tegata.test/.well-known/openid-configuration", () =>
        HttpResponse.json({ issuer: "https://broken.tegata.test" }),
      ),
    );
    const notFound = await discover(auth, "https://nothing.tegata.test").catch((e) => e);
    expect(notFound).toBeInstanceOf(DiscoveryError);
    expect(notFound.status).toBe(404);
    expect(notFound.message).toMatch(/nothing\.tegata\.test.*HTTP 404/);
    const broken = await discover(auth, "https://broken.tegata.test").catch((e) => e);
    expect(broken).toBeInstanceOf(DiscoveryError);
    expect(broken.message).toMatch(/authorization_endpoint/);
  });

  it("does not cache a failure: the next call asks again and can succeed", async () => {
    const { auth } = setup();
    let calls = 0;
    ctx.server.use(
      http.get(`${ISSUER}/.well-known/openid-configuration`, () => {
        calls++;
        return calls === 1 ? HttpResponse.json({ issuer: ISSUER }) : undefined; // then the mock's own
      }),
    );
    await expect(discover(auth, ISSUER)).rejects.toBeInstanceOf(DiscoveryError);
    await expect(discover(auth, ISSUER)).resolves.toMatchObject({ token_endpoint: `${ISSUER}/token` });
    expect(calls).toBe(2);
  });

  it("names both issuers when discovery returns another one", async () => {
    setup();
    const auth = createAuthClient({ baseUrl: "https://api.example.com" });
    const error = await discover(auth, `${ISSUER}/`).catch((e) => e);
    expect(error.message).toContain(`"${ISSUER}"`);
    expect(error.message).toContain(`"${ISSUER}/"`);
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

  it("an index of pending sign-ins in the older [state, time] form: sweeping restarts, a pending sign-in still completes", async () => {
    const { auth, provider, storage } = setup();
    const pending = await createAuthorizationUrl(auth, provider, { returnTo: "/pending" });
    const state = pending.searchParams.get("state") ?? "";
    // What a tab of the previous version left: the index as tuples (its sign-ins under their keys).
    await storage.setItem("tegata.session.oauth", JSON.stringify([[state, Date.now()]]));
    const next = await createAuthorizationUrl(auth, provider, { returnTo: "/next" });
    const index = JSON.parse((await storage.getItem("tegata.session.oauth")) ?? "null");
    expect(index).toEqual([{ state: next.searchParams.get("state"), at: expect.any(Number) }]);
    expect((await handleRedirectCallback(auth, await authorize(pending))).returnTo).toBe("/pending");
    expect((await handleRedirectCallback(auth, await authorize(next))).returnTo).toBe("/next");
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
    const sent: Array<{ authorization: string | null; form: URLSearchParams }> = [];
    ctx.server.events.on("request:start", async ({ request }) => {
      if (request.url === `${ISSUER}/token`) {
        sent.push({
          authorization: request.headers.get("authorization"),
          form: new URLSearchParams(await request.clone().text()),
        });
      }
    });
    const callback = await authorize(await createAuthorizationUrl(auth, provider));
    await expect(handleRedirectCallback(auth, callback, { providers: [provider] })).resolves.toMatchObject({
      providerId: "corp",
    });
    ctx.server.events.removeAllListeners();
    // client_secret_basic (the provider supports it): in the header, not in the form.
    expect(sent).toHaveLength(1);
    expect(sent[0]?.authorization).toBe(`Basic ${btoa("server-app:s3cret")}`);
    expect(sent[0]?.form.has("client_secret")).toBe(false);
  });

  it("sends client_secret_post when it is the only method the provider supports", async () => {
    const { auth } = setup({
      clients: [{ clientId: "server-app", clientSecret: "s3cret", redirectUris: [REDIRECT] }],
    });
    const provider = oidcProvider({
      id: "corp",
      issuer: ISSUER,
      clientId: "server-app",
      clientSecret: "s3cret",
      redirectUri: REDIRECT,
      metadata: { token_endpoint_auth_methods_supported: ["client_secret_post"] },
    });
    const sent: Array<{ authorization: string | null; form: URLSearchParams }> = [];
    ctx.server.events.on("request:start", async ({ request }) => {
      if (request.url === `${ISSUER}/token`) {
        sent.push({
          authorization: request.headers.get("authorization"),
          form: new URLSearchParams(await request.clone().text()),
        });
      }
    });
    const callback = await authorize(await createAuthorizationUrl(auth, provider));
    await handleRedirectCallback(auth, callback, { providers: [provider] });
    ctx.server.events.removeAllListeners();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.authorization).toBeNull();
    expect(sent[0]?.form.get("client_secret")).toBe("s3cret");
  });
});

describe("bad callbacks: each a distinct typed error, the transaction cleaned up", () => {
  async function pending(options: Parameters<typeof setup>[0] = {}) {
    const s = setup(options);
    const url = await createAuthorizationUrl(s.auth, s.provider);
    const state = url.searchParams.get("state") ?? "";
    expect(await s.storage.getItem(transactionKey(state))).toContain(`"state":"${state}"`);
    /** The pending sign-in is gone: nothing stored under its state any more. */
    const cleanedUp = async () => expect(await s.storage.getItem(transactionKey(state))).toBeNull();
    return { ...s, url, state, cleanedUp };
  }

  it("a missing state", async () => {
    const { auth } = await pending();
    const error = await handleRedirectCallback(auth, `${REDIRECT}?code=abc`).catch((e) => e);
    expect(error).toBeInstanceOf(StateMismatchError);
    expect(error.message).toMatch(/no state parameter \(it has code\)/);
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
    const { auth, state, cleanedUp, op } = await pending();
    const error = await handleRedirectCallback(auth, `${REDIRECT}?code=abc&state=${state}`).catch((e) => e);
    expect(error).toBeInstanceOf(IssuerMismatchError);
    expect(error.message).toMatch(/lacks the iss parameter/);
    expect(op.count("/token")).toBe(0);
    await cleanedUp();
  });

  it("a callback without code", async () => {
    const { auth, state, cleanedUp, op } = await pending();
    const error = await handleRedirectCallback(auth, `${REDIRECT}?state=${state}&iss=${ISSUER}`).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(InvalidCallbackError);
    expect(error.message).toMatch(/no authorization code/);
    expect(op.count("/token")).toBe(0);
    await cleanedUp();
  });

  it("an error callback (access_denied)", async () => {
    const { auth, op, url, cleanedUp } = await pending();
    op.failNextAuthorization("access_denied", "The user cancelled");
    const error = await handleRedirectCallback(auth, await authorize(url)).catch((e) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect(error.error).toBe("access_denied");
    expect(error.errorDescription).toBe("The user cancelled");
    await cleanedUp();
  });

  it("an unknown provider", async () => {
    const { auth, url, cleanedUp } = await pending();
    const other = google({ clientId: "x", redirectUri: REDIRECT });
    await expect(
      handleRedirectCallback(auth, await authorize(url), { providers: [other] }),
    ).rejects.toBeInstanceOf(UnknownProviderError);
    await cleanedUp();
  });

  it("a wrong PKCE verifier is refused by the provider", async () => {
    const { auth, op, url, storage, state, cleanedUp } = await pending();
    const callback = new URL(await authorize(url));
    // Another flow's transaction cannot be used: tamper the stored verifier instead.
    const stored = JSON.parse((await storage.getItem(transactionKey(state))) ?? "{}");
    expect(stored.verifier).toMatch(/^[\w-]{43}$/);
    stored.verifier = "x".repeat(43);
    await storage.setItem(transactionKey(state), JSON.stringify(stored));
    const error = await handleRedirectCallback(auth, callback).catch((e) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect(error.error).toBe("invalid_grant");
    expect(error.errorDescription).toMatch(/PKCE/);
    expect(op.count("/token")).toBe(1);
    await cleanedUp();
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
    const { auth, op, url, cleanedUp } = await pending();
    op.interceptNextToken(change as never);
    const error = await handleRedirectCallback(auth, await authorize(url)).catch((e) => e);
    expect(error).toBeInstanceOf(IdTokenValidationError);
    expect(error.reason).toBe(reason);
    expect(await getSession(auth)).toBeNull();
    await cleanedUp();
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

  it("ignores a UserInfo answer for another sub", async () => {
    const { auth, op, url } = await pending();
    op.interceptNextToken({
      idTokenClaims: ({ email: _e, name: _n, email_verified: _v, ...rest }) => rest,
    });
    ctx.server.use(
      http.get(`${ISSUER}/userinfo`, () =>
        HttpResponse.json({ sub: "someone-else", email: "mallory@example.com", name: "Mallory" }),
      ),
    );
    const result = await handleRedirectCallback(auth, await authorize(url));
    expect(result.session.user?.id).toBe("sub-taro-example-jp");
    expect(result.session.user?.email).toBe("");
    expect(result.session.user?.name).toBeUndefined();
    expect(result.claims?.email).toBeUndefined();
  });

  it("an expired transaction (10 minutes)", async () => {
    const { auth, op, url, cleanedUp } = await pending();
    const callback = await authorize(url);
    op.clock.advance(11 * 60_000);
    const error = await handleRedirectCallback(auth, callback).catch((e) => e);
    expect(error).toBeInstanceOf(StateMismatchError);
    expect(error.message).toMatch(/no pending sign-in: expired/);
    await cleanedUp();
  });

  it("a sign-in 9 minutes old still completes (the expiry test above is not vacuous)", async () => {
    const { auth, op, url } = await pending();
    op.clock.advance(9 * 60_000);
    const callback = await authorize(url);
    await expect(handleRedirectCallback(auth, callback)).resolves.toMatchObject({ providerId: "corp" });
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

  it("validates its options, naming the option, what is expected and what it got", () => {
    expect(() =>
      oidcProvider({ issuer: "http://insecure.example", clientId: "c", redirectUri: REDIRECT }),
    ).toThrow(/oidcProvider\(options\): "issuer" must use https .*got "http:\/\/insecure\.example"/);
    expect(() => oidcProvider({ issuer: ISSUER, clientId: "", redirectUri: REDIRECT })).toThrow(
      /"clientId" must be a non-empty string, got ""/,
    );
    expect(() => oidcProvider({ issuer: "nope", clientId: "c", redirectUri: REDIRECT })).toThrow(
      /"issuer" must be an absolute URL .*got "nope"/,
    );
    expect(() => oidcProvider({ issuer: ISSUER, clientId: "c", redirectUri: "/callback" })).toThrow(
      /"redirectUri" must be an absolute URL .*got "\/callback"/,
    );
    expect(() => oidcProvider(undefined as never)).toThrow(/needs an options object .*got undefined/);
    expect(() => google(undefined as never)).toThrow(/google\(options\): "clientId" .*got undefined/);
    expect(() => apple({ clientId: "c" } as never)).toThrow(/apple\(options\): "redirectUri"/);
  });
});

describe("what the callback accepts, and what the errors say", () => {
  it('"garbage" is not a URL (not "no state"), and nothing is consumed', async () => {
    const { auth, provider, storage, op } = setup();
    const url = await createAuthorizationUrl(auth, provider);
    const error = await handleRedirectCallback(auth, "garbage").catch((e) => e);
    expect(error).toBeInstanceOf(InvalidCallbackError);
    expect(error.message).toMatch(/"garbage" is not a URL.*location\.href/);
    const state = url.searchParams.get("state") ?? "";
    expect(await storage.getItem(transactionKey(state))).toContain(`"state":"${state}"`);
    expect(op.count("/token")).toBe(0);
  });

  it("an empty string and an unparsable URL are InvalidCallbackError too, each saying so", async () => {
    const { auth } = setup();
    await expect(handleRedirectCallback(auth, "")).rejects.toThrow(/empty string/);
    const bad = await handleRedirectCallback(auth, "https://[broken").catch((e) => e);
    expect(bad).toBeInstanceOf(InvalidCallbackError);
    expect(bad.message).toMatch(/not a valid URL/);
  });

  it("an input of the wrong type is a TypeError naming it", async () => {
    const { auth } = setup();
    await expect(handleRedirectCallback(auth, 42 as never)).rejects.toThrow(
      /handleRedirectCallback\(auth, input\): input must be the callback URL .*got number/,
    );
    await expect(handleRedirectCallback({} as never, "https://x/")).rejects.toThrow(
      /first argument must be .*createAuthClient/,
    );
    const { provider } = setup();
    await expect(
      handleRedirectCallback(auth, `${REDIRECT}?code=a&state=b`, { providers: provider as never }),
    ).rejects.toThrow(/options\.providers must be an array/);
  });

  it("without an input outside a browser: a TypeError that says to pass the URL", async () => {
    const { auth } = setup();
    expect((globalThis as { location?: unknown }).location).toBeUndefined();
    await expect(handleRedirectCallback(auth)).rejects.toThrow(/needs the callback URL outside a browser/);
  });

  it("without an input in a browser: location.href", async () => {
    const { auth, provider } = setup();
    const callback = await authorize(await createAuthorizationUrl(auth, provider, { returnTo: "/here" }));
    vi.stubGlobal("location", { href: callback });
    try {
      await expect(handleRedirectCallback(auth)).resolves.toMatchObject({ returnTo: "/here" });
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("a URL object, and a path with its query (the parameters are what is read)", async () => {
    const { auth, provider } = setup();
    const first = new URL(await authorize(await createAuthorizationUrl(auth, provider, { returnTo: "/1" })));
    await expect(handleRedirectCallback(auth, first)).resolves.toMatchObject({ returnTo: "/1" });
    const second = new URL(await authorize(await createAuthorizationUrl(auth, provider, { returnTo: "/2" })));
    await expect(handleRedirectCallback(auth, second.pathname + second.search)).resolves.toMatchObject({
      returnTo: "/2",
    });
  });

  it("createAuthorizationUrl names a missing or broken provider", async () => {
    const { auth, provider } = setup();
    await expect(createAuthorizationUrl(auth, undefined as never)).rejects.toThrow(
      /createAuthorizationUrl\(auth, provider, options\) needs a provider made by google\(\).*got undefined/,
    );
    await expect(createAuthorizationUrl(auth, { ...provider, redirectUri: "" })).rejects.toThrow(
      /the provider's "redirectUri" must be a non-empty string, got ""/,
    );
  });
});
