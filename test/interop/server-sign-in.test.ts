// Social sign-in at the tegata server against a real, certified OpenID Provider: oidc-provider
// (panva) runs in-process on 127.0.0.1, tegata's client runs the Authorization Code + PKCE flow
// against it, and createAuthServer (over real HTTP too) verifies the ID token it is handed
// against oidc-provider's discovery document and JWKS: issuer, audience, nonce (once), expiry.
// No msw.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthClient, getSession, IdTokenValidationError, memoryStorage } from "../../src/index";
import {
  createAuthorizationUrl,
  handleRedirectCallback,
  oidcProvider,
  signInWithIdToken,
} from "../../src/oauth/index";
import { createAccessTokenVerifier } from "../../src/server/index";
import { memoryStoreState } from "../../src/server/store/memory";
import { type Harness, startServer } from "../server/http/harness";
import { browse, REDIRECT } from "./browser";

let server: Server;
let issuer: string;
let tegata: Harness;
/** The tegata server's clock runs ahead of real time by this many ms (for the expiry check). */
let offset = 0;
const CLIENT_ID = "tegata-interop";

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        token_endpoint_auth_method: "none",
        redirect_uris: [REDIRECT],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        id_token_signed_response_alg: "ES256",
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: "es256", alg: "ES256", use: "sig" }] },
    cookies: { keys: ["tegata-interop-cookie-key"] },
    features: { devInteractions: { enabled: true } },
    // The email in the ID token itself, as Google, Apple and Yahoo! JAPAN put it.
    conformIdTokenClaims: false,
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: `${id}@example.jp`, email_verified: true, name: "相互 運用" }),
    }),
    ttl: { AccessToken: 3600, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
  });
  server.on("request", provider.callback());
  tegata = await startServer({
    now: () => Date.now() + offset,
    providers: {
      op: { issuer, clientId: CLIENT_ID },
      // The same provider's keys, another client ID: its tokens fail the audience check.
      "op-other-client": { issuer, clientId: "another-client", jwksUri: `${issuer}/jwks` },
      // The same keys, another issuer: its tokens fail the issuer check.
      "op-other-issuer": { issuer: `${issuer}/elsewhere`, clientId: CLIENT_ID, jwksUri: `${issuer}/jwks` },
    },
  });
});

afterAll(async () => {
  await tegata.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const provider = () => oidcProvider({ id: "op", issuer, clientId: CLIENT_ID, redirectUri: REDIRECT });

/** Runs the flow with tegata's client alone and returns the provider's raw ID token and its nonce. */
async function idTokenOf(login: string): Promise<{ idToken: string; nonce: string }> {
  const auth = createAuthClient({ baseUrl: tegata.baseUrl, retry: 0 });
  const url = await createAuthorizationUrl(auth, provider(), { scopes: ["openid", "email", "profile"] });
  const result = await handleRedirectCallback(auth, await browse(url, login));
  const idToken = (await getSession(auth))?.idToken ?? "";
  return { idToken, nonce: String(result.claims?.nonce) };
}

describe("social sign-in at the tegata server with oidc-provider's ID tokens", () => {
  it("signs in at the server through handleRedirectCallback({ signInAtServer }), and the app's API verifies the session", async () => {
    const auth = createAuthClient({ baseUrl: tegata.baseUrl, storage: memoryStorage(), retry: 0 });
    const url = await createAuthorizationUrl(auth, provider(), { scopes: ["openid", "email", "profile"] });
    const result = await handleRedirectCallback(auth, await browse(url, "sogo"), { signInAtServer: true });
    expect(result.status).toBe("signed_in");
    if (result.status !== "signed_in") throw new Error("unreachable");
    expect(result.session.provider).toBeUndefined();
    expect(result.session.user).toMatchObject({
      email: "sogo@example.jp",
      name: "相互 運用",
      emailVerified: true,
    });
    const verify = createAccessTokenVerifier({
      jwksUrl: `${tegata.baseUrl}/.well-known/jwks.json`,
      issuer: "http://127.0.0.1",
      audience: "tegata",
    });
    expect((await verify(result.session.accessToken)).userId).toBe(result.session.user?.id);
    const state = memoryStoreState(tegata.store)!;
    expect(state.identities.get("op\0sogo")).toMatchObject({ userId: result.session.user?.id });
  }, 30_000);

  it("checks audience, issuer, nonce (once) and expiry at the server", async () => {
    const client = createAuthClient({ baseUrl: tegata.baseUrl, retry: 0 });
    const state = memoryStoreState(tegata.store)!;
    const users = state.users.size;
    const refused = async (params: { provider: string; idToken: string; nonce: string }, check: RegExp) => {
      // The server says which check failed (the problem's title).
      const raw = await fetch(`${tegata.baseUrl}/auth/identities/sign-in`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ provider: params.provider, id_token: params.idToken, nonce: params.nonce }),
      });
      expect(raw.status).toBe(401);
      expect(await raw.json()).toMatchObject({
        code: "invalid_id_token",
        title: expect.stringMatching(check),
      });
      const error = await signInWithIdToken(client, params).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(IdTokenValidationError);
      expect(state.users.size).toBe(users);
      expect(state.identities.has("op\0kensa")).toBe(false);
    };
    const { idToken, nonce } = await idTokenOf("kensa");
    await refused({ provider: "op-other-client", idToken, nonce }, /another client \(aud\)/);
    await refused({ provider: "op-other-issuer", idToken, nonce }, /another issuer/);
    await refused({ provider: "op", idToken, nonce: "another-nonce" }, /nonce is not the one sent/);
    offset = 2 * 3600_000;
    try {
      await refused({ provider: "op", idToken, nonce }, /expired/);
    } finally {
      offset = 0;
    }
    // The same token, as it is: accepted once, then refused as a replay.
    const result = await signInWithIdToken(client, { provider: "op", idToken, nonce });
    expect(result.status === "signed_in" && result.session.user?.email).toBe("kensa@example.jp");
    const replay = await signInWithIdToken(client, { provider: "op", idToken, nonce }).catch(
      (e: unknown) => e,
    );
    expect(replay).toBeInstanceOf(IdTokenValidationError);
    expect(state.users.size).toBe(users + 1);
  }, 30_000);
});
