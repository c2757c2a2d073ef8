/**
 * Social sign-in at createAuthServer over real HTTP on 127.0.0.1: a small OpenID provider on
 * another port of 127.0.0.1 serves its discovery document and JWKS, the test signs its ID tokens,
 * and the SDK hands them to the server (`signInWithIdToken`, `linkIdentity`, …). Every refusal is
 * the client's typed error and leaves no user, no identity and no session behind.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { signIn } from "../../../src/credentials/index";
import {
  AccountSuspendedError,
  type AuthClient,
  createAuthClient,
  getSession,
  IdentityConflictError,
  IdTokenValidationError,
  InvalidCredentialsError,
  InvalidRequestError,
  LastSignInMethodError,
  UnknownProviderError,
} from "../../../src/index";
import { linkIdentity, listIdentities, signInWithIdToken, unlinkIdentity } from "../../../src/oauth/index";
import { createAccessTokenVerifier } from "../../../src/server/index";
import { emailKey } from "../../../src/server/store/email-key";
import { memoryStoreState } from "../../../src/server/store/memory";
import { type Harness, startServer, T0, together } from "./harness";

const CLIENT_ID = "web-client";

interface Issuer {
  issuer: string;
  /** Signs an ID token with the published key (or `key: "foreign"`, a key the JWKS lacks). */
  sign(claims: JWTPayload, options?: { key?: "foreign"; alg?: string }): Promise<string>;
  requests: string[];
  close(): Promise<void>;
}

/** An OpenID provider on 127.0.0.1 that serves discovery and its JWKS. */
async function startIssuer(): Promise<Issuer> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const foreign = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? "");
    res.setHeader("content-type", "application/json");
    if (req.url === "/.well-known/openid-configuration") {
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (req.url === "/jwks") {
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    requests,
    sign: (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: options.alg ?? "ES256", kid: "k1", typ: "JWT" })
        .sign(options.key === "foreign" ? foreign.privateKey : privateKey),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let harness: Harness | undefined;
let op: Issuer | undefined;
afterEach(async () => {
  await harness?.close();
  await op?.close();
  harness = undefined;
  op = undefined;
});

async function setup() {
  op = await startIssuer();
  harness = await startServer({ providers: { google: { issuer: op.issuer, clientId: [CLIENT_ID, "ios"] } } });
  const auth = createAuthClient({ baseUrl: harness.baseUrl, clock: harness.clock, retry: 0 });
  const issuer = op;
  let n = 0;
  /** A fresh nonce and a token for it, with `claims` over the defaults (a verified taro@example.jp). */
  const token = async (claims: JWTPayload = {}, options: { key?: "foreign"; alg?: string } = {}) => {
    const nonce = `nonce-${++n}-${crypto.randomUUID()}`;
    const iat = Math.floor(harness!.clock.now() / 1000);
    const idToken = await issuer.sign(
      {
        iss: issuer.issuer,
        aud: CLIENT_ID,
        sub: "g-taro",
        iat,
        exp: iat + 3600,
        nonce,
        email: "taro@example.jp",
        email_verified: true,
        name: "山田太郎",
        ...claims,
      },
      options,
    );
    return { provider: "google", idToken, nonce };
  };
  const state = () => memoryStoreState(harness!.store)!;
  return { h: harness, auth, token, state, issuer };
}

/** Nothing was made: no user beyond `users`, no identity, no session. */
function expectNothingStored(state: ReturnType<typeof memoryStoreState> & object, users = 0) {
  expect(state.users.size).toBe(users);
  expect(state.identities.size).toBe(0);
  expect(state.sessions.size).toBe(0);
}

describe("POST /auth/identities/sign-in over real HTTP", () => {
  it("creates an account from a verified ID token, signs it in, and the app's API verifies the session", async () => {
    const { h, auth, token, state, issuer } = await setup();
    const result = await signInWithIdToken(auth, await token());
    expect(result.status).toBe("signed_in");
    if (result.status !== "signed_in") throw new Error("unreachable");
    expect(result.session.user).toMatchObject({
      email: "taro@example.jp",
      name: "山田太郎",
      emailVerified: true,
    });
    // The discovery document, then the JWKS: fetched once, then cached.
    expect(issuer.requests).toEqual(["/.well-known/openid-configuration", "/jwks"]);

    const verify = createAccessTokenVerifier({
      jwksUrl: `${h.baseUrl}/.well-known/jwks.json`,
      issuer: "http://127.0.0.1",
      audience: "tegata",
      now: h.clock.now,
    });
    const verified = await verify(result.session.accessToken);
    expect(verified.userId).toBe(result.session.user?.id);
    expect(verified.claims.amr).toEqual(["fed"]);

    const s = state();
    const user = [...s.users.values()][0];
    expect(user).toMatchObject({ email: "taro@example.jp", passwordHash: null, emailVerified: true });
    expect([...s.identities.values()]).toEqual([
      expect.objectContaining({ provider: "google", subject: "g-taro", userId: user?.id, lastUsedAt: T0 }),
    ]);
    const events = s.loginEvents.get(user?.id ?? "") ?? [];
    expect(events).toEqual([
      expect.objectContaining({ method: "google", result: "success", sessionId: verified.sessionId }),
    ]);

    // Again later, with a new nonce: the same account, through the link.
    h.clock.advance(60_000);
    const again = await signInWithIdToken(auth, await token({ email: "taro.new@example.jp" }));
    expect(again.status === "signed_in" && again.session.user?.id).toBe(user?.id);
    expect(state().users.size).toBe(1);
    expect(state().identities.get("google\0g-taro")).toMatchObject({
      email: "taro.new@example.jp",
      lastUsedAt: T0 + 60_000,
    });
    expect(issuer.requests).toHaveLength(2);
  });

  it("refuses each bad token with a typed error and stores nothing", async () => {
    const { h, auth, token, state } = await setup();
    const cases: Array<[string, () => Promise<unknown>, new (...args: never[]) => Error, number?]> = [
      [
        "another audience",
        async () => signInWithIdToken(auth, await token({ aud: "someone-else" })),
        IdTokenValidationError,
      ],
      [
        "another issuer",
        async () => signInWithIdToken(auth, await token({ iss: "https://evil.example" })),
        IdTokenValidationError,
      ],
      [
        "expired",
        async () => {
          const t = await token();
          h.clock.advance(3600_000 + 61_000);
          try {
            return await signInWithIdToken(auth, t);
          } finally {
            h.clock.advance(-(3600_000 + 61_000));
          }
        },
        IdTokenValidationError,
      ],
      [
        "a forged signature",
        async () => signInWithIdToken(auth, await token({}, { key: "foreign" })),
        IdTokenValidationError,
      ],
      [
        "another nonce",
        async () => signInWithIdToken(auth, { ...(await token()), nonce: "not-the-nonce" }),
        IdTokenValidationError,
      ],
      [
        "no nonce",
        async () => signInWithIdToken(auth, await token({ nonce: undefined })),
        IdTokenValidationError,
      ],
      [
        "issued in the future",
        async () => signInWithIdToken(auth, await token({ iat: T0 / 1000 + 600 })),
        IdTokenValidationError,
      ],
      [
        "several audiences without azp",
        async () => signInWithIdToken(auth, await token({ aud: [CLIENT_ID, "other"] })),
        IdTokenValidationError,
      ],
      [
        "a garbage token",
        async () => signInWithIdToken(auth, { provider: "google", idToken: "a.b.c", nonce: "n" }),
        IdTokenValidationError,
      ],
      [
        "an unknown provider",
        async () => signInWithIdToken(auth, { ...(await token()), provider: "facebook" }),
        UnknownProviderError,
      ],
      [
        "no email for a new account",
        async () => signInWithIdToken(auth, await token({ email: undefined })),
        IdTokenValidationError,
      ],
    ];
    for (const [name, attempt, type] of cases) {
      const error = await attempt().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(type);
      if (error instanceof IdTokenValidationError) expect(error.reason).toBe("rejected");
      expectNothingStored(state());
    }
    expect(await getSession(auth)).toBeNull();
    // Every attempt with a configured provider is in the history, as a failure without a user.
    const failures = state().anonymousLoginEvents;
    expect(failures).toHaveLength(cases.length - 1);
    expect(failures.every((e) => e.method === "google" && e.result === "failure")).toBe(true);
  });

  it("accepts a nonce once: a replayed token is refused, and 10 concurrent presentations make one session", async () => {
    const { h, auth, token, state } = await setup();
    const t = await token();
    await signInWithIdToken(auth, t);
    await expect(signInWithIdToken(auth, t)).rejects.toBeInstanceOf(IdTokenValidationError);
    expect(state().sessions.size).toBe(1);

    const raced = await token({ sub: "g-race", email: "race@example.jp" });
    const body = JSON.stringify({ provider: "google", id_token: raced.idToken, nonce: raced.nonce });
    const responses = await together(h, "/auth/identities/sign-in", Array(10).fill(body), {
      "content-type": "application/json",
    });
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(401)]);
    const codes = await Promise.all(
      responses.filter((r) => r.status === 401).map(async (r) => (await r.json()).code),
    );
    expect(new Set(codes)).toEqual(new Set(["invalid_id_token"]));
    expect(state().users.size).toBe(2);
    expect(state().identities.size).toBe(2);
    expect(state().sessions.size).toBe(2);
    // A nonce also works once in its hashed form (as native SDKs send it), and not after use.
    const raw = "raw-nonce-of-a-native-sdk";
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(raw)));
    const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
    const rest = await token({ sub: "g-hashed", email: "hashed@example.jp", nonce: hex });
    await signInWithIdToken(auth, { ...rest, nonce: raw });
    await expect(signInWithIdToken(auth, { ...rest, nonce: hex })).rejects.toBeInstanceOf(
      IdTokenValidationError,
    );
  });

  it("merges into an existing account only when the provider and the account both verified the address", async () => {
    const { h, auth, token, state } = await setup();
    await h.addUser("taro@example.jp", "correct horse battery");
    // Unverified at the provider: refused, nothing linked, no session.
    const unverified = await signInWithIdToken(auth, await token({ email_verified: false })).catch(
      (e: unknown) => e,
    );
    expect(unverified).toBeInstanceOf(IdentityConflictError);
    expectNothingStored(state(), 1);
    const history = state().loginEvents.get("usr_test1") ?? [];
    expect(history).toEqual([
      expect.objectContaining({ method: "google", result: "failure", sessionId: null }),
    ]);

    // The account's own address unverified: refused as well (it may be a squatter's).
    const id = await h.addUser("jiro@example.jp", "correct horse battery");
    await h.store.updateUser(id, { emailVerified: false }, T0);
    await expect(
      signInWithIdToken(auth, await token({ sub: "g-jiro", email: "JIRO@example.jp" })),
    ).rejects.toBeInstanceOf(IdentityConflictError);
    expectNothingStored(state(), 2);

    // Both verified (Apple's "true" string counts): linked, and that account signs in.
    const merged = await signInWithIdToken(auth, await token({ email_verified: "true" }));
    expect(merged.status === "signed_in" && merged.session.user?.id).toBe("usr_test1");
    expect(state().users.size).toBe(2);
    expect(state().identities.get("google\0g-taro")?.userId).toBe("usr_test1");
    // The password still works beside it.
    await expect(
      signIn(auth, { email: "taro@example.jp", password: "correct horse battery" }),
    ).resolves.toMatchObject({
      status: "signed_in",
    });
  });

  it("gives a new account the name the client sends when the token has none (Apple's form_post)", async () => {
    const { auth, token, state } = await setup();
    const result = await signInWithIdToken(auth, {
      ...(await token({ name: undefined })),
      name: "  Taro Yamada ",
    });
    expect(result.status === "signed_in" && result.session.user?.name).toBe("Taro Yamada");
    expect([...state().users.values()][0]?.name).toBe("Taro Yamada");
    // The token's own name wins over the client's.
    const other = await signInWithIdToken(auth, {
      ...(await token({ sub: "g-2", email: "b@example.jp", name: "本人" })),
      name: "Someone Else",
    });
    expect(other.status === "signed_in" && other.session.user?.name).toBe("本人");
  });

  it("refuses a suspended account without a session", async () => {
    const { h, auth, token, state } = await setup();
    const first = await signInWithIdToken(auth, await token());
    const userId = first.status === "signed_in" ? (first.session.user?.id ?? "") : "";
    await h.store.updateUser(userId, { suspendedAt: T0, suspendedReason: "test" }, T0);
    await h.store.revokeUserSessions(userId, T0);
    await expect(signInWithIdToken(auth, await token())).rejects.toBeInstanceOf(AccountSuspendedError);
    expect(state().sessions.size).toBe(1);
    expect([...state().sessions.values()].every((s) => s.revokedAt !== null)).toBe(true);
  });
});

describe("a provider whose keys cannot be had", () => {
  it("is the server's failure (500, reported), not a refusal of the token, and stores nothing", async () => {
    op = await startIssuer();
    const reported: unknown[] = [];
    harness = await startServer({
      providers: { google: { issuer: op.issuer, clientId: CLIENT_ID, jwksUri: "http://127.0.0.1:9/jwks" } },
      onError: (error) => reported.push(error),
    });
    const iat = Math.floor(T0 / 1000);
    const idToken = await op.sign({
      iss: op.issuer,
      aud: CLIENT_ID,
      sub: "s",
      iat,
      exp: iat + 600,
      nonce: "n",
    });
    const response = await fetch(`${harness.baseUrl}/auth/identities/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ provider: "google", id_token: idToken, nonce: "n" }),
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ code: "internal_error" });
    expect(reported).toEqual([expect.objectContaining({ name: "ProviderUnavailableError" })]);
    const state = memoryStoreState(harness.store)!;
    expect([state.users.size, state.identities.size, state.sessions.size]).toEqual([0, 0, 0]);
  });
});

describe("linked identities over real HTTP", () => {
  async function signedInWithPassword(auth: AuthClient, h: Harness) {
    await h.addUser("hanako@example.jp", "correct horse battery", "山田花子");
    await signIn(auth, { email: "hanako@example.jp", password: "correct horse battery" });
  }

  it("links a provider to a password account with the password, lists it, signs in with it, unlinks it", async () => {
    const { h, auth, token, state } = await setup();
    await signedInWithPassword(auth, h);
    const claims = { sub: "g-hanako", email: "hanako.g@example.jp" };
    // No proof from an account that has a password: refused before anything is checked.
    await expect(linkIdentity(auth, await token(claims))).rejects.toBeInstanceOf(InvalidRequestError);
    const wrong = await linkIdentity(auth, { ...(await token(claims)), password: "wrong" }).catch(
      (e: unknown) => e,
    );
    expect(wrong).toBeInstanceOf(InvalidCredentialsError);
    expect((wrong as InvalidCredentialsError).remainingAttempts).toBe(4);
    expect(state().identities.size).toBe(0);

    const linked = await linkIdentity(auth, { ...(await token(claims)), password: "correct horse battery" });
    expect(linked).toMatchObject({
      provider: "google",
      subject: "g-hanako",
      email: "hanako.g@example.jp",
      lastUsedAt: null,
    });
    expect(linked.createdAt.getTime()).toBe(T0);
    expect(await listIdentities(auth)).toEqual([linked]);
    // The correct password cleared the counter.
    expect(state().attempts.get(emailKey("hanako@example.jp"))?.failures ?? 0).toBe(0);

    // A second client signs in with the identity: the password account.
    const other = createAuthClient({ baseUrl: h.baseUrl, clock: h.clock, retry: 0 });
    const viaGoogle = await signInWithIdToken(other, await token(claims));
    expect(viaGoogle.status === "signed_in" && viaGoogle.session.user?.email).toBe("hanako@example.jp");

    await unlinkIdentity(auth, { provider: "google", subject: "g-hanako" });
    expect(await listIdentities(auth)).toEqual([]);
    const missing = await unlinkIdentity(auth, { provider: "google", subject: "g-hanako" }).catch(
      (e: unknown) => e,
    );
    expect(missing).toMatchObject({ status: 404, problemCode: "not_found" });
  });

  it("never unlinks the last way to sign in, and refuses an identity linked to another account", async () => {
    const { h, auth, token, state } = await setup();
    await signInWithIdToken(auth, await token()); // a social-only account (no password)
    await expect(unlinkIdentity(auth, { provider: "google", subject: "g-taro" })).rejects.toBeInstanceOf(
      LastSignInMethodError,
    );
    expect(state().identities.size).toBe(1);

    // Within 5 minutes of its sign-in, an account with neither a password nor a second factor links
    // a second identity without a proof.
    const second = await linkIdentity(auth, await token({ sub: "g-taro-2", aud: "ios" }));
    expect(second.subject).toBe("g-taro-2");
    await unlinkIdentity(auth, { provider: "google", subject: "g-taro" });
    expect((await listIdentities(auth)).map((i) => i.subject)).toEqual(["g-taro-2"]);

    // Later, without a password to re-authenticate with, linking needs a fresh sign-in.
    h.clock.advance(5 * 60_000 + 1000);
    await expect(linkIdentity(auth, await token({ sub: "g-taro-3" }))).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
    // A password it does not have proves nothing.
    await expect(
      linkIdentity(auth, { ...(await token({ sub: "g-taro-3" })), password: "anything at all" }),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);

    // An identity of another account cannot be linked here.
    const other = createAuthClient({ baseUrl: h.baseUrl, clock: h.clock, retry: 0 });
    await signInWithIdToken(other, await token({ sub: "g-other", email: "other@example.jp" }));
    await h.addUser("pw@example.jp", "correct horse battery");
    await signIn(auth, { email: "pw@example.jp", password: "correct horse battery" });
    await expect(
      linkIdentity(auth, { ...(await token({ sub: "g-other" })), password: "correct horse battery" }),
    ).rejects.toBeInstanceOf(IdentityConflictError);
    expect(state().identities.get("google\0g-other")?.userId).not.toBe("usr_test1");
  });

  it("answers junk with a well-formed 4xx problem and stores nothing", async () => {
    const { h, auth, token, state } = await setup();
    await signInWithIdToken(auth, await token());
    const bearer = (await getSession(auth))?.accessToken ?? "";
    const before = JSON.stringify([state().users.size, state().identities.size, state().sessions.size]);
    const good = await token({ sub: "g-junk", email: "junk@example.jp" });
    const bodies: Array<[string, string]> = [
      ["application/json", "{}"],
      ["application/json", "null"],
      ["application/json", "[]"],
      ["application/json", "{"],
      ["application/json", JSON.stringify({ provider: "google", id_token: "", nonce: "n" })],
      [
        "application/json",
        JSON.stringify({ provider: ["google"], id_token: good.idToken, nonce: good.nonce }),
      ],
      ["application/json", JSON.stringify({ provider: "google", id_token: "x".repeat(20_000), nonce: "n" })],
      [
        "application/json",
        JSON.stringify({ provider: "g".repeat(65), id_token: good.idToken, nonce: good.nonce }),
      ],
      [
        "application/json",
        JSON.stringify({ provider: "__proto__", id_token: good.idToken, nonce: good.nonce }),
      ],
      [
        "application/json",
        JSON.stringify({ provider: "toString", subject: "x", id_token: "a.b.c", nonce: "n" }),
      ],
      [
        "application/json",
        JSON.stringify({
          provider: "google",
          id_token: good.idToken,
          nonce: good.nonce,
          name: 5,
          password: 5,
        }),
      ],
      ["application/json", JSON.stringify({ provider: "google", subject: "", password: "" })],
      ["text/plain", JSON.stringify({ provider: "google", id_token: good.idToken, nonce: good.nonce })],
    ];
    for (const path of ["/auth/identities/sign-in", "/auth/identities/link", "/auth/identities/unlink"]) {
      for (const [type, body] of bodies) {
        for (const authorization of [undefined, `Bearer ${bearer}`]) {
          const response = await fetch(`${h.baseUrl}${path}`, {
            method: "POST",
            headers: { "content-type": type, ...(authorization ? { authorization } : {}) },
            body,
          });
          const where = `${path} ${type} ${body.slice(0, 60)} ${authorization ? "bearer" : ""}`;
          expect(response.status, where).toBeGreaterThanOrEqual(400);
          expect(response.status, where).toBeLessThan(500);
          expect(response.headers.get("content-type"), where).toBe("application/problem+json");
          expect(response.headers.get("cache-control"), where).toContain("no-store");
          const problem = (await response.json()) as { code: string; title: string };
          expect(problem.title, where).not.toContain(good.idToken);
        }
      }
    }
    expect(JSON.stringify([state().users.size, state().identities.size, state().sessions.size])).toBe(before);
  });

  it("answers the identity endpoints only with a bearer token", async () => {
    const { h } = await setup();
    const list = await fetch(`${h.baseUrl}/auth/identities`);
    expect(list.status).toBe(401);
    const link = await fetch(`${h.baseUrl}/auth/identities/unlink`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ provider: "google", subject: "x" }),
    });
    expect(link.status).toBe(401);
    const malformed = await fetch(`${h.baseUrl}/auth/identities/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ provider: "google", id_token: 5 }),
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: "invalid_request" });
  });
});
