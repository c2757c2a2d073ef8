/**
 * No error may hold a secret at any depth: for every failing path, the error is rendered the ways
 * a developer or a logger would (util.inspect at infinite depth with hidden properties, JSON,
 * String, the stack) and no sentinel secret may appear in any rendering.
 */
import { inspect } from "node:util";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import {
  changePassword,
  completeMfa,
  confirmEmailChange,
  getUser,
  requestEmailChange,
  requestPasswordReset,
  resetPassword,
  signIn,
} from "../../src/credentials/index";
import { type AuthClient, createAuthClient, isTegataError, memoryStorage } from "../../src/index";
import { createMockOidcProvider } from "../../src/mock/index";
import { createAuthorizationUrl, handleRedirectCallback, oidcProvider } from "../../src/oauth/index";
import { authFetch, getAccessToken } from "../../src/session/index";
import { alice, bob, useMockServer } from "../support";

const ctx = useMockServer();

/** Every way an error ends up as text. */
function renderings(error: unknown): string[] {
  const e = error as Error;
  return [
    inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true, getters: true }),
    inspect(error, { depth: Number.POSITIVE_INFINITY }),
    JSON.stringify(error) ?? "",
    JSON.stringify(e.cause ?? null) ?? "",
    String(error),
    e.stack ?? "",
    e.message,
  ];
}

/** Asserts that `error` is a tegata error and that none of `secrets` appears in any rendering. */
function expectClean(error: unknown, secrets: readonly string[]): void {
  expect(isTegataError(error)).toBe(true);
  const texts = renderings(error);
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(5);
    for (const text of texts) expect(text).not.toContain(secret);
  }
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error,
  );
}

async function signedIn(auth: AuthClient) {
  await signIn(auth, alice);
  const session = await (await import("../../src/index")).getSession(auth);
  if (!session?.refreshToken) throw new Error("expected a session with a refresh token");
  return { access: session.accessToken, refresh: session.refreshToken };
}

describe("no secret in any error, at any depth", () => {
  it("sign-in: wrong password, server error, network failure, timeout", async () => {
    const { auth, mock } = await ctx.fresh({}, { retry: 0 });
    const password = "SENTINEL-password-0001";
    expectClean(await failure(signIn(auth, { email: alice.email, password })), [password]);
    mock.faults.inject("/auth/sign-in", { status: 500 });
    expectClean(await failure(signIn(auth, { ...alice, password })), [password]);
    mock.faults.inject("/auth/sign-in", { network: true });
    expectClean(await failure(signIn(auth, { ...alice, password })), [password]);
    mock.faults.inject("/auth/sign-in", {
      status: 502,
      body: `<html>${password}</html>`,
      contentType: "text/html",
    });
    expectClean(await failure(signIn(auth, { ...alice, password })), [password]);
  });

  it("sign-in: a server that never answers (timeout)", async () => {
    const { auth, mock } = await ctx.fresh({}, { retry: 0, timeoutMs: 20 });
    ctx.server.use(http.post(`${mock.baseUrl}/auth/sign-in`, () => new Promise<never>(() => {})));
    const password = "SENTINEL-password-0002";
    const error = await failure(signIn(auth, { email: alice.email, password }));
    expect(isTegataError(error, "timeout")).toBe(true);
    expectClean(error, [password]);
  });

  it("MFA: a wrong code and a server error keep the challenge and code out", async () => {
    const { auth, mock } = await ctx.fresh({}, { retry: 0 });
    const r = await signIn(auth, bob);
    if (r.status !== "mfa_required") throw new Error("expected a challenge");
    const code = "SENTINEL-code-0003";
    expectClean(await failure(completeMfa(auth, { challenge: r.challenge, recoveryCode: code })), [
      code,
      r.challenge.id,
      bob.password,
    ]);
    mock.faults.inject("/auth/mfa/verify", { status: 500 });
    expectClean(await failure(completeMfa(auth, { challenge: r.challenge, code: "123456" })), [
      r.challenge.id,
    ]);
  });

  it("refresh: invalid_grant, a server error and a network failure keep the tokens out", async () => {
    const { auth, mock } = await ctx.fresh({}, { retry: 0 });
    const tokens = await signedIn(auth);
    mock.faults.inject("/oauth/token", { status: 500 });
    expectClean(await failure(getAccessToken(auth, { forceRefresh: true })), [tokens.access, tokens.refresh]);
    mock.faults.inject("/oauth/token", { network: true });
    expectClean(await failure(getAccessToken(auth, { forceRefresh: true })), [tokens.access, tokens.refresh]);
    mock.faults.inject("/oauth/token", {
      status: 400,
      body: { error: "invalid_grant", error_description: "bad" },
      contentType: "application/json",
    });
    const error = await failure(getAccessToken(auth, { forceRefresh: true }));
    expect(isTegataError(error, "session_expired")).toBe(true);
    expectClean(error, [tokens.access, tokens.refresh]);
  });

  it("getUser and authFetch: 401 and 500 keep the bearer token out", async () => {
    const { auth, mock } = await ctx.fresh({}, { retry: 0 });
    const tokens = await signedIn(auth);
    mock.faults.inject("/auth/user", { status: 500, times: 1 });
    expectClean(await failure(getUser(auth)), [tokens.access, tokens.refresh]);
    mock.faults.inject("/auth/user", { status: 401, times: 1 });
    expectClean(await failure(getUser(auth)), [tokens.access, tokens.refresh]);
    ctx.server.use(http.get("https://api.example.com/me", () => HttpResponse.error()));
    expectClean(await failure(authFetch(auth, "https://api.example.com/me")), [
      tokens.access,
      tokens.refresh,
    ]);
  });

  it("password reset, password change and email change keep tokens and passwords out", async () => {
    const { auth, mock } = await ctx.fresh({ appOrigins: ["https://app.example.com"] }, { retry: 0 });
    await requestPasswordReset(auth, { email: alice.email, redirectTo: "https://app.example.com/reset" });
    const resetToken = mock.lastEmail(alice.email, "password_reset")?.token ?? "";
    const newPassword = "SENTINEL-new-password-0004";
    mock.faults.inject("/auth/password/reset", { status: 500 });
    expectClean(await failure(resetPassword(auth, { token: resetToken, password: newPassword })), [
      resetToken,
      newPassword,
    ]);
    expectClean(
      await failure(resetPassword(auth, { token: "SENTINEL-reset-token-0005", password: newPassword })),
      ["SENTINEL-reset-token-0005", newPassword],
    );

    const tokens = await signedIn(auth);
    const wrong = "SENTINEL-current-0006";
    expectClean(await failure(changePassword(auth, { currentPassword: wrong, newPassword })), [
      wrong,
      newPassword,
      tokens.access,
    ]);
    expectClean(await failure(requestEmailChange(auth, { newEmail: "new@example.com", password: wrong })), [
      wrong,
      tokens.access,
    ]);
    await requestEmailChange(auth, { newEmail: "new@example.com", password: alice.password });
    const changeToken = mock.lastEmail("new@example.com")?.token ?? "";
    mock.faults.inject("/auth/email/confirm", { status: 500 });
    expectClean(await failure(confirmEmailChange(auth, { token: changeToken })), [
      changeToken,
      tokens.access,
    ]);
  });

  it("OAuth code exchange: the code, the PKCE verifier and the client secret stay out", async () => {
    const issuer = "https://id.tegata.test";
    const redirectUri = "https://app.example.com/callback";
    const clientSecret = "SENTINEL-client-secret-0007";
    const op = createMockOidcProvider({
      issuer,
      now: Date.UTC(2026, 10, 25, 9, 0, 0),
      users: [{ email: "taro@example.jp" }],
      clients: [{ clientId: "server-app", clientSecret, redirectUris: [redirectUri] }],
    });
    ctx.server.resetHandlers(...op.handlers);
    const storage = memoryStorage();
    const auth = createAuthClient({ baseUrl: "https://api.example.com", clock: op.clock, storage, retry: 0 });
    const provider = oidcProvider({ id: "corp", issuer, clientId: "server-app", clientSecret, redirectUri });
    const basic = Buffer.from(`server-app:${clientSecret}`).toString("base64");

    for (const answer of [
      () => HttpResponse.json({ error: "invalid_grant" }, { status: 400 }),
      () => HttpResponse.json({ error: "server_error" }, { status: 500 }),
      () => HttpResponse.error(),
      () => new HttpResponse("<html>oops</html>", { status: 200, headers: { "content-type": "text/html" } }),
    ]) {
      const url = await createAuthorizationUrl(auth, provider);
      const res = await fetch(url, { redirect: "manual" });
      const callback = res.headers.get("location") ?? "";
      const code = new URL(callback).searchParams.get("code") ?? "";
      const stored = await storage.getItem(`tegata.session.oauth.${url.searchParams.get("state")}`);
      const verifier = (JSON.parse(stored ?? "{}") as { verifier?: string }).verifier ?? "";
      expect(verifier.length).toBeGreaterThan(40);
      ctx.server.use(http.post(`${issuer}/token`, answer));
      const error = await failure(handleRedirectCallback(auth, callback, { providers: [provider] }));
      expect(code.length).toBeGreaterThan(5);
      expectClean(error, [code, clientSecret, basic, verifier]);
    }
  });
});
