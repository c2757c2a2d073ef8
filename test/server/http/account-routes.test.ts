/**
 * The account endpoints of createAuthServer over real HTTP on 127.0.0.1, driven by the SDK (and raw
 * fetch where it has no call): sign-up, password reset (request, link, reset), password change,
 * email change (request, mails, confirmation); every refusal of docs/api.md, the redirect_to
 * allow-list, what the mails hold, and the races an attacker can run (each a batch of requests
 * held at the server until all have arrived, then released together).
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  changePassword,
  confirmEmailChange,
  getUser,
  requestEmailChange,
  requestPasswordReset,
  resetPassword,
  signIn,
  signUp,
} from "../../../src/credentials/index";
import {
  AccountLockedError,
  type AuthClient,
  createAuthClient,
  EmailTakenError,
  getSession,
  InvalidCredentialsError,
  InvalidRequestError,
  InvalidTokenError,
  PasswordPolicyError,
  SessionExpiredError,
  UnauthorizedError,
} from "../../../src/index";
import type { AuthServerOptions } from "../../../src/server/auth-server";
import type { AuthServerEvent, MailMessage } from "../../../src/server/http/env";
import { getAccessToken } from "../../../src/session/index";
import { together as gatherConcurrently, type Harness, startServer } from "./harness";

const APP = "https://app.example.com";
const HANAKO = { email: "hanako@example.jp", password: "correct horse battery" };
/** A one-time token as the server makes them: 32 random bytes, base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function setup(options: Partial<AuthServerOptions> = {}) {
  const events: AuthServerEvent[] = [];
  const h = await startServer({ appOrigins: [APP], onEvent: (e) => events.push(e), ...options });
  harness = h;
  const userId = await h.addUser(HANAKO.email, HANAKO.password, "山田花子");
  const client = (): AuthClient => createAuthClient({ baseUrl: h.baseUrl, clock: h.clock, retry: 0 });
  return { h, userId, events, client, auth: client() };
}

interface Answer {
  status: number;
  contentType: string | null;
  text: string;
  body: Record<string, unknown> | null;
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: Record<string, unknown> | null = null;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = null;
  }
  return { status: response.status, contentType: response.headers.get("content-type"), text, body };
}

/** POSTs JSON with raw fetch. */
async function post(h: Harness, path: string, body: unknown, headers: Record<string, string> = {}) {
  return answer(
    await fetch(`${h.baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify(body),
    }),
  );
}

/** Concurrent POSTs of JSON bodies (harness `together`): their answers. */
async function together(
  h: Harness,
  path: string,
  bodies: unknown[],
  headers: Record<string, string> = {},
): Promise<Answer[]> {
  const responses = await gatherConcurrently(
    h,
    path,
    bodies.map((b) => JSON.stringify(b)),
    { "content-type": "application/json", ...headers },
  );
  return Promise.all(responses.map(answer));
}

/** The error a promise rejects with. */
async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a refusal");
    },
    (error: unknown) => error,
  );
}

const mails = (h: Harness, kind?: string): MailMessage[] =>
  h.server.outbox.filter((m) => kind === undefined || m.kind === kind);

function tokenOf(mail: MailMessage | undefined): string {
  const token = new URL(mail?.link ?? "http://invalid/").searchParams.get("token") ?? "";
  expect(token).toMatch(TOKEN);
  return token;
}

/** Signs a fresh client in and returns it with its session's tokens. */
async function signedIn(client: () => AuthClient, credentials = HANAKO) {
  const auth = client();
  const result = await signIn(auth, credentials);
  expect(result.status).toBe("signed_in");
  const session = await getSession(auth);
  return { auth, accessToken: session?.accessToken ?? "", refreshToken: session?.refreshToken ?? "" };
}

async function refresh(h: Harness, refreshToken: string) {
  return answer(
    await fetch(`${h.baseUrl}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }),
    }),
  );
}

async function userWith(h: Harness, accessToken: string) {
  return answer(
    await fetch(`${h.baseUrl}/auth/user`, { headers: { authorization: `Bearer ${accessToken}` } }),
  );
}

describe("POST /auth/sign-up", () => {
  it("creates the account and signs it in: 201 SignedIn, email_verified false, recorded as a password sign-in", async () => {
    const { h, client, events } = await setup();
    const raw = await post(h, "/auth/sign-up", {
      email: " taro@example.jp ",
      password: "a long enough passphrase",
      name: "太郎",
    });
    expect(raw.status).toBe(201);
    expect(raw.contentType).toBe("application/json");
    expect(raw.body).toMatchObject({
      status: "signed_in",
      token_type: "Bearer",
      expires_in: 900,
      user: { email: "taro@example.jp", name: "太郎", email_verified: false, mfa_enabled: false },
    });
    expect(raw.body?.access_token).toEqual(expect.any(String));
    expect(raw.body?.refresh_token).toEqual(expect.any(String));
    const user = raw.body?.user as Record<string, unknown>;
    expect(user.created_at).toBe(new Date(h.clock.now()).toISOString());
    const history = await h.store.listLoginEvents(String(user.id), { limit: 10 });
    expect(history.items).toMatchObject([
      { method: "password", result: "success", email: "taro@example.jp" },
    ]);
    expect(events.filter((e) => e.type === "sign_up")).toMatchObject([{ userId: user.id }]);
    // The refresh token is a remember-me one (30 days), and it works.
    h.clock.advance(2 * 24 * 3600 * 1000);
    expect((await refresh(h, String(raw.body?.refresh_token))).status).toBe(200);

    // The SDK: signed in at once, the user readable.
    const auth = client();
    const result = await signUp(auth, { email: "jiro@example.jp", password: "another long passphrase" });
    expect(result.status).toBe("signed_in");
    expect(await getUser(auth)).toMatchObject({ email: "jiro@example.jp", emailVerified: false });
  });

  it("refuses a malformed address (400), a registered one (409, in any case or width) and a weak password (422)", async () => {
    const { h, auth } = await setup();
    const malformed = await refusal(signUp(auth, { email: "not-an-address", password: "a long passphrase" }));
    expect(malformed).toBeInstanceOf(InvalidRequestError);
    expect(malformed).toMatchObject({ status: 400 });
    for (const email of [HANAKO.email, "Hanako@Example.JP", "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ"]) {
      const taken = await refusal(signUp(auth, { email, password: "a long passphrase" }));
      expect(taken).toBeInstanceOf(EmailTakenError);
      expect(taken).toMatchObject({ status: 409 });
    }
    const weak = await refusal(signUp(auth, { email: "new@example.jp", password: "short" }));
    expect(weak).toBeInstanceOf(PasswordPolicyError);
    expect(weak).toMatchObject({ status: 422 });
    expect((weak as PasswordPolicyError).issues.length).toBeGreaterThan(0);
    const raw = await post(h, "/auth/sign-up", { email: "new@example.jp", password: "short" });
    expect(raw.contentType).toBe("application/problem+json");
    expect(raw.body).toMatchObject({ code: "password_policy", status: 422, issues: expect.any(Array) });
    expect((await post(h, "/auth/sign-up", { email: "new@example.jp" })).status).toBe(400);
    const notJson = await answer(
      await fetch(`${h.baseUrl}/auth/sign-up`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "x",
      }),
    );
    expect(notJson.status).toBe(415);
    expect(notJson.body).toMatchObject({ code: "invalid_request" });
    expect(await getSession(auth)).toBeNull();
  });

  it("20 concurrent sign-ups of one address: exactly one account", async () => {
    const { h } = await setup();
    const bodies = Array.from({ length: 20 }, (_, i) => ({
      email: i % 2 === 0 ? "race@example.jp" : "RACE@example.jp",
      password: `a long passphrase ${i}`,
    }));
    const results = await together(h, "/auth/sign-up", bodies);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(19);
    for (const r of refused) expect(r.body).toMatchObject({ status: 409, code: "email_taken" });
  });
});

describe("POST /auth/password/reset-request", () => {
  it("answers 202 {} alike for a known and an unknown address, and mails only the account", async () => {
    const { h, auth, events } = await setup();
    const known = await post(h, "/auth/password/reset-request", { email: HANAKO.email });
    expect(mails(h)).toHaveLength(1);
    const unknown = await post(h, "/auth/password/reset-request", { email: "nobody@example.jp" });
    expect(mails(h)).toHaveLength(1);
    expect(known.status).toBe(202);
    expect(unknown).toEqual(known);
    expect(known.body).toEqual({});
    // The same with redirect_to, and through the SDK.
    const knownRedirect = await post(h, "/auth/password/reset-request", {
      email: HANAKO.email,
      redirect_to: "/r",
    });
    const unknownRedirect = await post(h, "/auth/password/reset-request", {
      email: "nobody@example.jp",
      redirect_to: "/r",
    });
    expect(unknownRedirect).toEqual(knownRedirect);
    await requestPasswordReset(auth, { email: "nobody@example.jp" });
    await requestPasswordReset(auth, { email: "ＨＡＮＡＫＯ@example.jp" });
    expect(mails(h).map((m) => m.to)).toEqual([HANAKO.email, HANAKO.email, HANAKO.email]);
    expect(events.filter((e) => e.type === "password_reset_requested")).toHaveLength(3);
  });

  it("mails a link on the allowed origin that carries the token and no other secret", async () => {
    const { h, userId, auth } = await setup();
    await requestPasswordReset(auth, { email: HANAKO.email });
    const mail = mails(h, "password_reset")[0];
    expect(mail).toMatchObject({ to: HANAKO.email, kind: "password_reset", locale: "en" });
    const link = new URL(mail?.link ?? "");
    expect(link.origin).toBe(APP);
    expect(link.pathname).toBe("/reset-password");
    expect([...link.searchParams.keys()]).toEqual(["token"]);
    const token = tokenOf(mail);
    expect(mail?.text).toContain(link.href);
    expect(mail?.html).toContain(`href="${link.href}"`);
    expect(mail?.subject).toContain("tegata");
    // The only long random-looking string in the mail is the link's token.
    for (const part of [mail?.subject ?? "", mail?.text ?? "", mail?.html ?? ""]) {
      for (const run of part.match(/[A-Za-z0-9_$+/-]{20,}/g) ?? []) expect(run).toBe(token);
    }
    const stored = await h.store.getUserById(userId);
    const everything = JSON.stringify(mail);
    expect(everything).not.toContain(HANAKO.password);
    expect(everything).not.toContain(stored?.passwordHash ?? "(none)");
    expect(everything).not.toContain(userId);
    expect(everything).not.toMatch(/eyJ/); // no JWT
  });

  it("writes the mail in Japanese when Accept-Language starts with ja, else in English", async () => {
    const { h } = await setup();
    await post(
      h,
      "/auth/password/reset-request",
      { email: HANAKO.email },
      { "accept-language": "ja-JP,ja;q=0.9" },
    );
    await post(
      h,
      "/auth/password/reset-request",
      { email: HANAKO.email },
      { "accept-language": "en-US,ja;q=0.8" },
    );
    await post(h, "/auth/password/reset-request", { email: HANAKO.email });
    const [ja, en, none] = mails(h);
    expect(ja).toMatchObject({ locale: "ja", subject: "【tegata】パスワードの再設定" });
    expect(ja?.text).toContain("パスワード");
    expect(ja?.html).toContain('lang="ja"');
    expect(ja?.text).toContain(ja?.link ?? "(no link)");
    expect(en).toMatchObject({ locale: "en", subject: "tegata: reset your password" });
    expect(none?.locale).toBe("en");
  });

  it("resolves redirect_to: an allowed absolute URL keeps its query, a path goes to the first app origin", async () => {
    const { h, auth } = await setup({ appOrigins: [`${APP}/`, "https://other.example.com"] });
    await requestPasswordReset(auth, { email: HANAKO.email, redirectTo: `${APP}/account/reset?lang=ja#top` });
    await requestPasswordReset(auth, { email: HANAKO.email, redirectTo: "https://other.example.com/r" });
    await requestPasswordReset(auth, { email: HANAKO.email, redirectTo: "/welcome/reset?from=mail" });
    const links = mails(h).map((m) => new URL(m.link ?? ""));
    expect(links.map((l) => `${l.origin}${l.pathname}`)).toEqual([
      `${APP}/account/reset`,
      "https://other.example.com/r",
      `${APP}/welcome/reset`,
    ]);
    expect(links[0]?.searchParams.get("lang")).toBe("ja");
    expect(links[0]?.hash).toBe("#top");
    expect(links[2]?.searchParams.get("from")).toBe("mail");
    for (const link of links) expect(link.searchParams.get("token")).toMatch(TOKEN);
  });

  it("refuses a redirect_to off the allow-list with 400 invalid_request, for every address, and mails nothing", async () => {
    const { h, auth } = await setup();
    const bad = [
      "https://evil.example.com/reset",
      "http://app.example.com/reset", // another scheme is another origin
      "https://app.example.com.evil.example/reset",
      "https://app.example.com:8443/reset",
      "https://user:pass@app.example.com/reset",
      "javascript:alert(document.cookie)",
      "data:text/html,<script>alert(1)</script>",
      "//evil.example.com/reset",
      "/\\evil.example.com/reset",
      "not a url",
      "reset-password",
      "https://",
      "",
    ];
    for (const redirect_to of bad) {
      for (const email of [HANAKO.email, "nobody@example.jp"]) {
        const r = await post(h, "/auth/password/reset-request", { email, redirect_to });
        expect(r.status, redirect_to).toBe(400);
        expect(r.body).toMatchObject({ code: "invalid_request" });
      }
    }
    const viaSdk = await refusal(
      requestPasswordReset(auth, { email: HANAKO.email, redirectTo: "javascript:alert(1)" }),
    );
    expect(viaSdk).toBeInstanceOf(InvalidRequestError);
    expect(mails(h)).toHaveLength(0);
  });

  it("answers alike when the mailer fails, and reports the failure as an event", async () => {
    const failing = { send: async () => Promise.reject(new Error("smtp down")) };
    const { h, events } = await setup({ mailer: failing });
    const known = await post(h, "/auth/password/reset-request", { email: HANAKO.email });
    const unknown = await post(h, "/auth/password/reset-request", { email: "nobody@example.jp" });
    expect(known.status).toBe(202);
    expect(unknown).toEqual(known);
    expect(events.filter((e) => e.type === "mail_failed")).toMatchObject([
      { detail: { kind: "password_reset" } },
    ]);
  });
});

describe("POST /auth/password/reset", () => {
  it("sets the password once, ends every session, clears the lockout", async () => {
    const { h, auth, client, events } = await setup();
    const other = await signedIn(client);
    // Lock the account: the reset must still let its owner in.
    for (let i = 0; i < 5; i++)
      await signIn(client(), { email: HANAKO.email, password: "wrong" }).catch(() => {});
    expect(await refusal(signIn(client(), HANAKO))).toBeInstanceOf(AccountLockedError);
    await requestPasswordReset(auth, { email: HANAKO.email });
    const token = tokenOf(mails(h, "password_reset")[0]);
    const raw = await post(h, "/auth/password/reset", { token, password: "a brand new passphrase" });
    expect(raw.status).toBe(204);
    expect(raw.text).toBe("");
    expect(events.filter((e) => e.type === "password_reset")).toHaveLength(1);
    // Every session ended: the access token is refused, the refresh token too.
    expect((await userWith(h, other.accessToken)).body).toMatchObject({ status: 401, code: "unauthorized" });
    expect(await refusal(getUser(other.auth))).toBeInstanceOf(UnauthorizedError);
    expect((await refresh(h, other.refreshToken)).body).toMatchObject({ error: "invalid_grant" });
    // The lock is gone; the old password is not.
    expect(await refusal(signIn(client(), HANAKO))).toBeInstanceOf(InvalidCredentialsError);
    expect((await signIn(client(), { email: HANAKO.email, password: "a brand new passphrase" })).status).toBe(
      "signed_in",
    );
    // Used: the link does not work twice.
    const again = await refusal(resetPassword(auth, { token, password: "yet another passphrase" }));
    expect(again).toBeInstanceOf(InvalidTokenError);
    expect(again).toMatchObject({ status: 400 });
  });

  it("20 concurrent resets with the same token: exactly one succeeds", async () => {
    const { h, auth, client } = await setup();
    await requestPasswordReset(auth, { email: HANAKO.email });
    const token = tokenOf(mails(h)[0]);
    const bodies = Array.from({ length: 20 }, (_, i) => ({ token, password: `racing passphrase ${i}` }));
    const results = await together(h, "/auth/password/reset", bodies);
    const won = results.filter((r) => r.status >= 200 && r.status < 300);
    expect(won).toHaveLength(1);
    expect(won[0]?.status).toBe(204);
    const lost = results.filter((r) => r.status === 400);
    expect(lost).toHaveLength(19);
    for (const r of lost) expect(r.body).toMatchObject({ code: "invalid_token" });
    // The winner's password is now the password (answers come in the order of the bodies).
    const winner = bodies[results.findIndex((r) => r.status === 204)];
    expect((await signIn(client(), { email: HANAKO.email, password: winner?.password ?? "" })).status).toBe(
      "signed_in",
    );
  });

  it("a newer request retires the older link; concurrent requests leave exactly one working link", async () => {
    const { h, auth } = await setup();
    await requestPasswordReset(auth, { email: HANAKO.email });
    await requestPasswordReset(auth, { email: HANAKO.email });
    const [older, newer] = mails(h, "password_reset").map(tokenOf);
    expect(
      await refusal(resetPassword(auth, { token: older ?? "", password: "another passphrase" })),
    ).toBeInstanceOf(InvalidTokenError);
    await resetPassword(auth, { token: newer ?? "", password: "a brand new passphrase" });

    const batch = await together(
      h,
      "/auth/password/reset-request",
      Array.from({ length: 10 }, () => ({ email: HANAKO.email })),
    );
    expect(batch.every((r) => r.status === 202)).toBe(true);
    const tokens = mails(h, "password_reset").slice(2).map(tokenOf);
    expect(tokens).toHaveLength(10);
    let working = 0;
    for (const token of tokens) {
      const r = await post(h, "/auth/password/reset", { token, password: "the final passphrase" });
      if (r.status === 204) working++;
      else expect(r.body).toMatchObject({ code: "invalid_token" });
    }
    expect(working).toBe(1);
  });

  it("refuses unknown, expired and email-change tokens (400 invalid_token); a weak password (422) keeps the token", async () => {
    const { h, auth, client } = await setup();
    const unknown = await post(h, "/auth/password/reset", {
      token: "x".repeat(43),
      password: "a long passphrase",
    });
    expect(unknown.body).toMatchObject({ status: 400, code: "invalid_token" });
    expect(unknown.contentType).toBe("application/problem+json");

    await requestPasswordReset(auth, { email: HANAKO.email });
    const token = tokenOf(mails(h)[0]);
    const weak = await refusal(resetPassword(auth, { token, password: "short" }));
    expect(weak).toBeInstanceOf(PasswordPolicyError);
    expect(weak).toMatchObject({ status: 422 });
    h.clock.advance(3600 * 1000);
    expect(await refusal(resetPassword(auth, { token, password: "a long passphrase" }))).toBeInstanceOf(
      InvalidTokenError,
    );

    // An email-change token is not a reset token.
    const { auth: signed } = await signedIn(client);
    await requestEmailChange(signed, { newEmail: "hanako@new.example", password: HANAKO.password });
    const changeToken = tokenOf(mails(h, "email_change")[0]);
    expect(
      await refusal(resetPassword(auth, { token: changeToken, password: "a long passphrase" })),
    ).toBeInstanceOf(InvalidTokenError);
    expect((await post(h, "/auth/password/reset", { token: "" })).body).toMatchObject({
      status: 400,
      code: "invalid_request",
    });
  });
});

describe("POST /auth/password/change", () => {
  it("changes the password and ends every other session; the caller's stays", async () => {
    const { h, client, events } = await setup();
    const mine = await signedIn(client);
    const other = await signedIn(client);
    await changePassword(mine.auth, {
      currentPassword: HANAKO.password,
      newPassword: "a brand new passphrase",
    });
    expect(events.filter((e) => e.type === "password_changed")).toHaveLength(1);
    expect(await getUser(mine.auth)).toMatchObject({ email: HANAKO.email });
    expect(await refusal(getUser(other.auth))).toBeInstanceOf(UnauthorizedError);
    expect((await refresh(h, other.refreshToken)).body).toMatchObject({ error: "invalid_grant" });
    expect(await refusal(getAccessToken(other.auth, { forceRefresh: true }))).toBeInstanceOf(
      SessionExpiredError,
    );
    h.clock.advance(16 * 60 * 1000);
    expect(await getAccessToken(mine.auth)).not.toBe(mine.accessToken); // its refresh still works
    expect(await getUser(mine.auth)).toMatchObject({ email: HANAKO.email });
    expect(await refusal(signIn(client(), HANAKO))).toBeInstanceOf(InvalidCredentialsError);
    await signIn(client(), { email: HANAKO.email, password: "a brand new passphrase" });
  });

  it("refuses a wrong current password (401, counted as the mock does), a weak new one (422), no bearer (401)", async () => {
    const { h, client } = await setup();
    const { auth, accessToken } = await signedIn(client);
    const wrong = await refusal(
      changePassword(auth, { currentPassword: "wrong", newPassword: "a new passphrase" }),
    );
    expect(wrong).toBeInstanceOf(InvalidCredentialsError);
    expect(wrong).toMatchObject({ status: 401, remainingAttempts: 4 });
    const weak = await refusal(
      changePassword(auth, { currentPassword: HANAKO.password, newPassword: "short" }),
    );
    expect(weak).toBeInstanceOf(PasswordPolicyError);
    expect(weak).toMatchObject({ status: 422 });
    const body = { current_password: HANAKO.password, new_password: "a new passphrase" };
    const none = await answer(
      await fetch(`${h.baseUrl}/auth/password/change`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
    expect(none.body).toMatchObject({ status: 401, code: "unauthorized" });
    // The token is checked before the body: a bad token with a bad body is 401.
    const bad = await post(
      h,
      "/auth/password/change",
      { nonsense: 1 },
      { authorization: "Bearer not.a.token" },
    );
    expect(bad.body).toMatchObject({ status: 401, code: "unauthorized" });
    const badBody = await post(
      h,
      "/auth/password/change",
      { current_password: "" },
      { authorization: `Bearer ${accessToken}` },
    );
    expect(badBody.body).toMatchObject({ status: 400, code: "invalid_request" });
    // Nothing changed.
    await signIn(client(), HANAKO);
  });

  it("20 concurrent wrong current passwords with one token: at most 4 answered 401, the rest locked", async () => {
    const { h, client } = await setup();
    const { accessToken } = await signedIn(client);
    const bodies = Array.from({ length: 20 }, (_, i) => ({
      current_password: `wrong ${i}`,
      new_password: "a brand new passphrase",
    }));
    const results = await together(h, "/auth/password/change", bodies, {
      authorization: `Bearer ${accessToken}`,
    });
    const wrong = results.filter((r) => r.body?.code === "invalid_credentials");
    const locked = results.filter((r) => r.body?.code === "account_locked");
    expect(wrong.length + locked.length).toBe(20);
    expect(wrong.length).toBeLessThanOrEqual(4);
    expect(locked.length).toBeGreaterThanOrEqual(16);
    expect(await refusal(signIn(client(), HANAKO))).toBeInstanceOf(AccountLockedError);
  });
});

describe("email change", () => {
  it("end to end with the SDK: link to the new address, notice to the old one, confirm, sign in with the new address", async () => {
    const { h, client, events } = await setup();
    const { auth } = await signedIn(client);
    await requestEmailChange(auth, { newEmail: " hanako@new.example ", password: HANAKO.password });
    const confirmation = mails(h, "email_change");
    expect(confirmation).toHaveLength(1);
    expect(confirmation[0]).toMatchObject({ to: "hanako@new.example", locale: "en" });
    const link = new URL(confirmation[0]?.link ?? "");
    expect(`${link.origin}${link.pathname}`).toBe(`${APP}/confirm-email`);
    const token = tokenOf(confirmation[0]);
    const notice = mails(h, "email_change_notice");
    expect(notice).toHaveLength(1);
    expect(notice[0]?.to).toBe(HANAKO.email);
    // Its link is the "this wasn't me" cancel link, another token than the confirmation's.
    const cancel = new URL(notice[0]?.link ?? "");
    expect(`${cancel.origin}${cancel.pathname}`).toBe(`${APP}/cancel-email-change`);
    expect(cancel.searchParams.get("token")).toMatch(TOKEN);
    expect(notice[0]?.text).toContain("hanako@new.example");
    expect(JSON.stringify(notice[0])).not.toContain(token);
    // Nothing changes before the confirmation.
    expect(await getUser(auth)).toMatchObject({ email: HANAKO.email });

    const user = await confirmEmailChange(auth, { token });
    expect(user).toMatchObject({ email: "hanako@new.example", emailVerified: true });
    expect(await getUser(auth)).toMatchObject({ email: "hanako@new.example", emailVerified: true });
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["email_change_requested", "email_changed"]),
    );

    // The session stayed; the new address signs in, the old one is unknown.
    const fresh = client();
    expect((await signIn(fresh, { email: "hanako@new.example", password: HANAKO.password })).status).toBe(
      "signed_in",
    );
    expect(await getUser(fresh)).toMatchObject({ email: "hanako@new.example" });
    expect(await refusal(signIn(client(), HANAKO))).toBeInstanceOf(InvalidCredentialsError);
    // Used: the link does not work twice.
    expect(await refusal(confirmEmailChange(client(), { token }))).toBeInstanceOf(InvalidTokenError);
  });

  it("confirms without a session; the raw answer is 200 { user }", async () => {
    const { h, client } = await setup();
    const { auth } = await signedIn(client);
    await requestEmailChange(auth, {
      newEmail: "hanako@new.example",
      password: HANAKO.password,
      redirectTo: "/me/email",
    });
    const mail = mails(h, "email_change")[0];
    expect(new URL(mail?.link ?? "").pathname).toBe("/me/email");
    const raw = await post(h, "/auth/email/confirm", { token: tokenOf(mail) });
    expect(raw.status).toBe(200);
    expect(raw.body).toMatchObject({
      user: { email: "hanako@new.example", email_verified: true, name: "山田花子" },
    });
  });

  it("writes the mails in Japanese for a Japanese client", async () => {
    const { h, client } = await setup();
    const { accessToken } = await signedIn(client);
    const r = await post(
      h,
      "/auth/email/change-request",
      { new_email: "hanako@new.example", password: HANAKO.password },
      { authorization: `Bearer ${accessToken}`, "accept-language": "ja" },
    );
    expect(r.status).toBe(202);
    expect(r.body).toEqual({});
    expect(mails(h).map((m) => [m.kind, m.locale, m.subject])).toEqual([
      ["email_change", "ja", "【tegata】メールアドレスの確認"],
      ["email_change_notice", "ja", "【tegata】メールアドレス変更のお知らせ"],
    ]);
  });

  it("refuses a wrong password (401), a malformed or registered address (400, 409), a bad redirect_to (400), no bearer (401)", async () => {
    const { h, client } = await setup();
    await h.addUser("taro@example.jp", "taro's passphrase");
    const { auth, accessToken } = await signedIn(client);
    const wrong = await refusal(
      requestEmailChange(auth, { newEmail: "hanako@new.example", password: "wrong" }),
    );
    expect(wrong).toBeInstanceOf(InvalidCredentialsError);
    expect(wrong).toMatchObject({ status: 401 });
    const malformed = await refusal(
      requestEmailChange(auth, { newEmail: "nope", password: HANAKO.password }),
    );
    expect(malformed).toBeInstanceOf(InvalidRequestError);
    expect(malformed).toMatchObject({ status: 400 });
    const taken = await refusal(
      requestEmailChange(auth, { newEmail: "TARO@example.jp", password: HANAKO.password }),
    );
    expect(taken).toBeInstanceOf(EmailTakenError);
    expect(taken).toMatchObject({ status: 409 });
    for (const redirectTo of [
      "https://evil.example.com/confirm",
      "javascript:alert(1)",
      "not a url",
      "//evil.example.com",
    ]) {
      const bad = await refusal(
        requestEmailChange(auth, { newEmail: "hanako@new.example", password: HANAKO.password, redirectTo }),
      );
      expect(bad).toBeInstanceOf(InvalidRequestError);
    }
    const none = await answer(
      await fetch(`${h.baseUrl}/auth/email/change-request`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ new_email: "hanako@new.example", password: HANAKO.password }),
      }),
    );
    expect(none.body).toMatchObject({ status: 401, code: "unauthorized" });
    const badBody = await post(
      h,
      "/auth/email/change-request",
      { new_email: 5 },
      { authorization: `Bearer ${accessToken}` },
    );
    expect(badBody.body).toMatchObject({ status: 400, code: "invalid_request" });
    expect(mails(h)).toHaveLength(0);
  });

  it("confirmation refuses unknown, expired and reset tokens (400); an address registered meanwhile is 409 and keeps the token", async () => {
    const { h, client, auth } = await setup();
    const unknown = await post(h, "/auth/email/confirm", { token: "y".repeat(43) });
    expect(unknown.body).toMatchObject({ status: 400, code: "invalid_token" });
    await requestPasswordReset(auth, { email: HANAKO.email });
    const resetToken = tokenOf(mails(h, "password_reset")[0]);
    expect(await refusal(confirmEmailChange(auth, { token: resetToken }))).toBeInstanceOf(InvalidTokenError);

    const { auth: signed } = await signedIn(client);
    await requestEmailChange(signed, { newEmail: "wanted@example.jp", password: HANAKO.password });
    const token = tokenOf(mails(h, "email_change")[0]);
    await signUp(client(), { email: "Wanted@example.jp", password: "someone else's passphrase" });
    for (let i = 0; i < 2; i++) {
      const taken = await refusal(confirmEmailChange(auth, { token }));
      expect(taken).toBeInstanceOf(EmailTakenError);
      expect(taken).toMatchObject({ status: 409 });
    }
    h.clock.advance(3600 * 1000);
    expect(await refusal(confirmEmailChange(auth, { token }))).toBeInstanceOf(InvalidTokenError);
    expect(await getUser(signed)).toMatchObject({ email: HANAKO.email });
  });

  it("20 concurrent confirmations with the same token: exactly one succeeds", async () => {
    const { h, client } = await setup();
    const { auth } = await signedIn(client);
    await requestEmailChange(auth, { newEmail: "hanako@new.example", password: HANAKO.password });
    const token = tokenOf(mails(h, "email_change")[0]);
    const results = await together(
      h,
      "/auth/email/confirm",
      Array.from({ length: 20 }, () => ({ token })),
    );
    expect(results.filter((r) => r.status >= 200 && r.status < 300)).toHaveLength(1);
    const lost = results.filter((r) => r.status === 400);
    expect(lost).toHaveLength(19);
    for (const r of lost) expect(r.body).toMatchObject({ code: "invalid_token" });
  });
});

describe("audit events", () => {
  it("carry no secret: no password, token, link or hash", async () => {
    const { h, client, events, auth } = await setup();
    await signUp(client(), { email: "taro@example.jp", password: "taro's long passphrase" });
    await requestPasswordReset(auth, { email: HANAKO.email });
    const resetToken = tokenOf(mails(h, "password_reset")[0]);
    await resetPassword(auth, { token: resetToken, password: "a brand new passphrase" });
    const {
      auth: signed,
      accessToken,
      refreshToken,
    } = await signedIn(client, {
      email: HANAKO.email,
      password: "a brand new passphrase",
    });
    await changePassword(signed, {
      currentPassword: "a brand new passphrase",
      newPassword: "the third passphrase",
    });
    await requestEmailChange(signed, { newEmail: "hanako@new.example", password: "the third passphrase" });
    const changeToken = tokenOf(mails(h, "email_change")[0]);
    await confirmEmailChange(auth, { token: changeToken });
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set([
        "sign_up",
        "password_reset_requested",
        "password_reset",
        "sign_in",
        "password_changed",
        "email_change_requested",
        "email_changed",
      ]),
    );
    const all = JSON.stringify(events);
    for (const secret of [
      "taro's long passphrase",
      HANAKO.password,
      "a brand new passphrase",
      "the third passphrase",
      resetToken,
      changeToken,
      accessToken,
      refreshToken,
      "token=",
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});
