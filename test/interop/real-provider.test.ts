// Interop with a real, certified OpenID Provider: oidc-provider (panva) runs in-process on
// 127.0.0.1 and tegata drives the whole Authorization Code + PKCE flow against it over real HTTP
// (no msw here): discovery, authorization URL, the provider's own login and consent pages,
// callback with RFC 9207 iss, code exchange, ID-token validation against its JWKS, refresh with
// rotation, revocation.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthClient, getSession, memoryStorage, SessionExpiredError } from "../../src/index";
import { createAuthorizationUrl, handleRedirectCallback, oidcProvider } from "../../src/oauth/index";
import { getAccessToken, revokeTokens } from "../../src/session/index";
import { browse, REDIRECT } from "./browser";

let server: Server;
let issuer: string;
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
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        id_token_signed_response_alg: "ES256",
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: "es256", alg: "ES256", use: "sig" }] },
    cookies: { keys: ["tegata-interop-cookie-key"] },
    features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: `${id}@example.jp`, email_verified: true, name: "相互 運用" }),
    }),
    ttl: {
      AccessToken: 3600,
      IdToken: 3600,
      RefreshToken: 86_400,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
  });
  server.on("request", provider.callback());
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("interop with oidc-provider (certified OpenID Provider)", () => {
  it("runs the whole flow: discovery → authorize → login + consent → callback → tokens → ID token → refresh with rotation → revocation", async () => {
    const storage = memoryStorage();
    const auth = createAuthClient({ baseUrl: issuer, storage, retry: 0 });
    const provider = oidcProvider({
      id: "oidc-provider",
      issuer,
      clientId: CLIENT_ID,
      redirectUri: REDIRECT,
    });

    const url = await createAuthorizationUrl(auth, provider, {
      scopes: ["openid", "email", "profile", "offline_access"],
      prompt: "consent",
      returnTo: "/after",
    });
    expect(url.origin).toBe(issuer);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");

    const callback = await browse(url);
    const cb = new URL(callback);
    expect(cb.searchParams.get("code")).toMatch(/^[\w-]{20,}$/);
    expect(cb.searchParams.get("iss")).toBe(issuer); // RFC 9207

    const result = await handleRedirectCallback(auth, callback);
    expect(result.returnTo).toBe("/after");
    expect(result.claims?.sub).toBe("sogo");
    expect(result.claims?.aud).toBe(CLIENT_ID);
    expect(result.session.user).toMatchObject({ id: "sogo", email: "sogo@example.jp", name: "相互 運用" });
    expect(result.session.refreshToken).toMatch(/^[\w-]{20,}$/);
    expect(result.session.provider?.tokenEndpoint).toBe(`${issuer}/token`);

    // Refresh at the provider through tegata/session, with rotation.
    const before = await getSession(auth);
    const fresh = await getAccessToken(auth, { forceRefresh: true });
    const after = await getSession(auth);
    expect(fresh).not.toBe(before?.accessToken);
    expect(after?.refreshToken).toMatch(/^[\w-]{20,}$/);
    expect(after?.refreshToken).not.toBe(before?.refreshToken);

    // The rotated-away refresh token is dead at the provider.
    const stale = await fetch(`${issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: before?.refreshToken ?? "",
        client_id: CLIENT_ID,
      }),
    });
    expect(stale.status).toBe(400);
    expect((await stale.json()).error).toBe("invalid_grant");

    // Revocation (RFC 7009) ends it at the provider; the session is gone here.
    const current = after?.refreshToken ?? "";
    expect(await revokeTokens(auth)).toBe(true);
    expect(await getSession(auth)).toBeNull();
    const revoked = await fetch(`${issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: current,
        client_id: CLIENT_ID,
      }),
    });
    expect((await revoked.json()).error).toBe("invalid_grant");
  }, 30_000);

  it("a replayed callback fails cleanly, and a refused refresh ends the session", async () => {
    const auth = createAuthClient({ baseUrl: issuer, retry: 0 });
    const provider = oidcProvider({
      id: "oidc-provider",
      issuer,
      clientId: CLIENT_ID,
      redirectUri: REDIRECT,
    });
    const callback = await browse(
      await createAuthorizationUrl(auth, provider, {
        scopes: ["openid", "offline_access"],
        prompt: "consent",
      }),
    );
    await handleRedirectCallback(auth, callback);
    await expect(handleRedirectCallback(auth, callback)).rejects.toMatchObject({ code: "state_mismatch" });
    // Spend the refresh token behind tegata's back: the next refresh is refused (invalid_grant).
    const session = await getSession(auth);
    await fetch(`${issuer}/token/revocation`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: session?.refreshToken ?? "", client_id: CLIENT_ID }),
    });
    await expect(getAccessToken(auth, { forceRefresh: true })).rejects.toBeInstanceOf(SessionExpiredError);
    expect(await getSession(auth)).toBeNull();
  }, 30_000);
});
