/**
 * Social sign-in at the tegata server through the mock: `createMockOidcProvider` is the provider
 * (msw), `createMockAuth({ providers })` the auth server, which fetches the provider's JWKS
 * through msw too. The client runs the PKCE flow and hands the ID token over
 * (`handleRedirectCallback(…, { signInAtServer: true })` or `signInWithIdToken`). Runs in both
 * test projects (msw, and the mock over real HTTP).
 */
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { completeMfa, signIn } from "../../src/credentials/index";
import {
  type AuthClient,
  createAuthClient,
  getSession,
  IdentityConflictError,
  IdTokenValidationError,
  LastSignInMethodError,
  UnknownProviderError,
} from "../../src/index";
import { createMockOidcProvider, type MockAuth, type MockOidcProvider } from "../../src/mock/index";
import {
  createAuthorizationUrl,
  handleRedirectCallback,
  linkIdentity,
  listIdentities,
  oidcProvider,
  pkceChallenge,
  signInWithIdToken,
  unlinkIdentity,
} from "../../src/oauth/index";
import { alice, bob, useMockServer } from "../support";
import { authorize, REDIRECT } from "./helpers";

const ctx = useMockServer();
const GOOGLE = "https://accounts.google.test";
const CLIENT_ID = "web-app";

/** A mock auth server that accepts the mock Google's ID tokens, and that provider on the same clock. */
async function setup(): Promise<{ mock: MockAuth; auth: AuthClient; op: MockOidcProvider }> {
  const { mock, auth } = await ctx.fresh({ providers: { google: { issuer: GOOGLE, clientId: CLIENT_ID } } });
  const op = createMockOidcProvider({
    issuer: GOOGLE,
    now: mock.clock,
    users: [
      { sub: "g-taro", email: "taro@example.jp", name: "山田太郎" },
      { sub: "g-alice", email: alice.email, emailVerified: false },
      { sub: "g-bob", email: bob.email },
    ],
  });
  ctx.server.use(...op.handlers);
  return { mock, auth, op };
}

/** Runs the provider's authorization code flow by hand and returns its raw ID token. */
async function providerIdToken(
  op: { issuer: string },
  options: { nonce: string; email?: string; clientId?: string },
): Promise<string> {
  const verifier = crypto.randomUUID().replace(/-/g, "").repeat(2);
  const url = new URL(`${op.issuer}/authorize`);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: options.clientId ?? CLIENT_ID,
    redirect_uri: REDIRECT,
    scope: "openid email profile",
    state: "s",
    nonce: options.nonce,
    code_challenge: await pkceChallenge(verifier),
    code_challenge_method: "S256",
    login_hint: options.email ?? "taro@example.jp",
  }).toString();
  const code = new URL(await authorize(url)).searchParams.get("code") ?? "";
  const response = await fetch(`${op.issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id: options.clientId ?? CLIENT_ID,
    }),
  });
  return ((await response.json()) as { id_token: string }).id_token;
}

const google = oidcProvider({ id: "google", issuer: GOOGLE, clientId: CLIENT_ID, redirectUri: REDIRECT });

describe("social sign-in at the server through the mock", () => {
  it("handleRedirectCallback({ signInAtServer }) creates the account and stores the server's session", async () => {
    const { mock, auth } = await setup();
    const url = await createAuthorizationUrl(auth, google, {
      loginHint: "taro@example.jp",
      returnTo: "/home",
    });
    const result = await handleRedirectCallback(auth, await authorize(url), { signInAtServer: true });
    expect(result.status).toBe("signed_in");
    expect(result.returnTo).toBe("/home");
    expect(result.claims.sub).toBe("g-taro");
    const session = await getSession(auth);
    expect(session?.provider).toBeUndefined(); // the tegata server's session, not the provider's
    expect(session?.user).toMatchObject({ email: "taro@example.jp", name: "山田太郎", emailVerified: true });
    expect(mock.users.get("taro@example.jp")).toMatchObject({ name: "山田太郎", emailVerified: true });
    expect(mock.sessions("taro@example.jp")).toHaveLength(1);
    const attempt = mock.loginAttempts.at(-1);
    expect(attempt).toMatchObject({ method: "google", result: "success", email: "taro@example.jp" });
    expect(attempt?.sessionId).toBe(mock.sessions("taro@example.jp")[0]?.id);
    expect((await listIdentities(auth)).map((i) => [i.provider, i.subject])).toEqual([["google", "g-taro"]]);
  });

  it("refuses each bad ID token with a typed error and creates nothing", async () => {
    const { mock, auth, op } = await setup();
    const evil = createMockOidcProvider({ issuer: "https://evil.test", now: mock.clock });
    ctx.server.use(...evil.handlers);
    const nothingMade = () => {
      expect(mock.users.list().map((u) => u.email)).toEqual([alice.email, bob.email]);
      expect(mock.sessions()).toEqual([]);
    };
    const attempts: Array<[string, () => Promise<unknown>, new (...args: never[]) => Error]> = [
      [
        "another audience",
        async () => {
          const idToken = await providerIdToken(op, { nonce: "n-aud", clientId: "another-app" });
          return signInWithIdToken(auth, { provider: "google", idToken, nonce: "n-aud" });
        },
        IdTokenValidationError,
      ],
      [
        "another issuer",
        async () => {
          const idToken = await providerIdToken(evil, { nonce: "n-iss", email: "user@example.com" });
          return signInWithIdToken(auth, { provider: "google", idToken, nonce: "n-iss" });
        },
        IdTokenValidationError,
      ],
      [
        "expired",
        async () => {
          const idToken = await providerIdToken(op, { nonce: "n-exp" });
          mock.clock.advance(3600_000 + 61_000);
          return signInWithIdToken(auth, { provider: "google", idToken, nonce: "n-exp" });
        },
        IdTokenValidationError,
      ],
      [
        "a forged signature",
        async () => {
          op.interceptNextToken({ foreignKey: true });
          const idToken = await providerIdToken(op, { nonce: "n-forged" });
          return signInWithIdToken(auth, { provider: "google", idToken, nonce: "n-forged" });
        },
        IdTokenValidationError,
      ],
      [
        "alg none",
        async () => {
          op.interceptNextToken({ idTokenAlg: "none" });
          const idToken = await providerIdToken(op, { nonce: "n-none" });
          return signInWithIdToken(auth, { provider: "google", idToken, nonce: "n-none" });
        },
        IdTokenValidationError,
      ],
      [
        "an unverified address of an existing account",
        async () => {
          const idToken = await providerIdToken(op, { nonce: "n-alice", email: alice.email });
          return signInWithIdToken(auth, { provider: "google", idToken, nonce: "n-alice" });
        },
        IdentityConflictError,
      ],
      [
        "an unknown provider",
        async () => {
          const idToken = await providerIdToken(op, { nonce: "n-unknown" });
          return signInWithIdToken(auth, { provider: "facebook", idToken, nonce: "n-unknown" });
        },
        UnknownProviderError,
      ],
    ];
    for (const [name, attempt, type] of attempts) {
      const error = await attempt().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(type);
      nothingMade();
    }
    expect(await getSession(auth)).toBeNull();
    // Alice's account got no identity from the refused attempt, and her history shows it.
    await signIn(auth, alice);
    expect(await listIdentities(auth)).toEqual([]);
    expect(
      mock.loginAttempts.filter((a) => a.email === alice.email).map((a) => [a.method, a.result]),
    ).toEqual([
      ["google", "failure"],
      ["password", "success"],
    ]);
  });

  it("signInAtServer needs an ID token: without openid it is refused before the server is asked", async () => {
    const { mock, auth } = await setup();
    const url = await createAuthorizationUrl(auth, google, {
      scopes: ["email"],
      loginHint: "taro@example.jp",
    });
    const error = await handleRedirectCallback(auth, await authorize(url), { signInAtServer: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IdTokenValidationError);
    expect((error as IdTokenValidationError).reason).toBe("missing");
    expect(mock.count("/auth/identities/sign-in")).toBe(0);
    expect(await getSession(auth)).toBeNull();
  });

  it("accepts an ID token's nonce once", async () => {
    const { mock, auth, op } = await setup();
    const idToken = await providerIdToken(op, { nonce: "n-once" });
    await signInWithIdToken(auth, { provider: "google", idToken, nonce: "n-once" });
    const replay = await signInWithIdToken(auth, { provider: "google", idToken, nonce: "n-once" }).catch(
      (e: unknown) => e,
    );
    expect(replay).toBeInstanceOf(IdTokenValidationError);
    expect((replay as IdTokenValidationError).reason).toBe("rejected");
    expect(mock.sessions("taro@example.jp")).toHaveLength(1);
  });

  it("passes Apple's first-sign-in name from the form_post to the new account", async () => {
    const { mock, auth, op } = await setup();
    const apple = oidcProvider({ id: "google", issuer: GOOGLE, clientId: CLIENT_ID, redirectUri: REDIRECT });
    const url = await createAuthorizationUrl(auth, apple, { loginHint: "taro@example.jp" });
    url.searchParams.set("response_mode", "form_post");
    op.interceptNextToken({ idTokenClaims: ({ name: _name, ...claims }) => claims });
    const page = await (await fetch(url)).text();
    const form = new URLSearchParams();
    for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      form.set(m[1] ?? "", (m[2] ?? "").replace(/&amp;/g, "&"));
    }
    form.set(
      "user",
      JSON.stringify({ name: { firstName: "Taro", lastName: "Yamada" }, email: "taro@example.jp" }),
    );
    const result = await handleRedirectCallback(auth, form, { signInAtServer: true });
    expect(result.status === "signed_in" && result.session.user?.name).toBe("Taro Yamada");
    expect(mock.users.get("taro@example.jp")?.name).toBe("Taro Yamada");
  });

  it("asks an account with a second factor for it, as after a password", async () => {
    const { mock, auth, op } = await setup();
    const idToken = await providerIdToken(op, { nonce: "n-bob", email: bob.email });
    const result = await signInWithIdToken(auth, { provider: "google", idToken, nonce: "n-bob" });
    expect(result.status).toBe("mfa_required");
    if (result.status !== "mfa_required") throw new Error("unreachable");
    expect(await getSession(auth)).toBeNull();
    const done = await completeMfa(auth, { challenge: result.challenge, code: await mock.totp(bob.email) });
    expect(done.session.user?.email).toBe(bob.email);
    // The session says how it was made: a provider's token, then a one-time code (no password).
    expect(decodeJwt(done.session.accessToken).amr).toEqual(["fed", "otp"]);
    // The provider step alone linked nothing; linking takes a proof (here a new TOTP code), and the
    // second factor stays asked at the next social sign-in.
    expect(await listIdentities(auth)).toEqual([]);
    const again = await providerIdToken(op, { nonce: "n-bob-link", email: bob.email });
    mock.clock.advance(30_000);
    const code = await mock.totp(bob.email);
    await linkIdentity(auth, { provider: "google", idToken: again, nonce: "n-bob-link", code });
    expect((await listIdentities(auth)).map((i) => i.subject)).toEqual(["g-bob"]);
    const next = await providerIdToken(op, { nonce: "n-bob-2", email: bob.email });
    const second = await signInWithIdToken(auth, { provider: "google", idToken: next, nonce: "n-bob-2" });
    expect(second.status).toBe("mfa_required");
  });

  it("links with the password, lists, and unlinks; never the last way to sign in", async () => {
    const { auth, op, mock } = await setup();
    await signIn(auth, alice);
    const idToken = await providerIdToken(op, { nonce: "n-link", email: "taro@example.jp" });
    const linked = await linkIdentity(auth, {
      provider: "google",
      idToken,
      nonce: "n-link",
      password: alice.password,
    });
    expect(linked).toMatchObject({ provider: "google", subject: "g-taro", email: "taro@example.jp" });
    expect(await listIdentities(auth)).toEqual([linked]);
    await unlinkIdentity(auth, { provider: "google", subject: "g-taro" });
    expect(await listIdentities(auth)).toEqual([]);

    const social = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
    const again = await providerIdToken(op, { nonce: "n-social" });
    await signInWithIdToken(social, { provider: "google", idToken: again, nonce: "n-social" });
    await expect(unlinkIdentity(social, { provider: "google", subject: "g-taro" })).rejects.toBeInstanceOf(
      LastSignInMethodError,
    );
    expect(await listIdentities(social)).toHaveLength(1);
  });
});
