/**
 * The account mails of createAuthServer over real HTTP on 127.0.0.1: what triggers each kind, its
 * language, its link (only on an allowed app origin), and the endpoints its link calls
 * (`/auth/email/verify`, `/auth/account/unlock`, `/auth/email/change-cancel`): used twice, ten at
 * once (one success), expired, or of another purpose. Also `requireVerifiedEmail`, the settings
 * endpoint, and a service name that tries to break a header.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  changePassword,
  completeMfa,
  deleteAccount,
  requestEmailChange,
  signIn,
  signUp,
} from "../../../src/credentials/index";
import { type AuthClient, createAuthClient } from "../../../src/index";
import { type AuthServerOptions, createAuthServer } from "../../../src/server/auth-server";
import type { AuthServerEvent, MailMessage } from "../../../src/server/http/env";
import { activateTotp, enrollTotp, generateTotp } from "../../../src/totp/index";
import { together as gatherConcurrently, type Harness, SECRET, startServer } from "./harness";

const APP = "https://app.example.com";
const HANAKO = { email: "hanako@example.jp", password: "correct horse battery" };
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

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
  const client = (headers: Record<string, string> = {}): AuthClient =>
    createAuthClient({ baseUrl: h.baseUrl, clock: h.clock, retry: 0, headers });
  return { h, userId, events, client };
}

interface Answer {
  status: number;
  body: Record<string, unknown> | null;
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: response.status, body: null };
  }
}

async function send(
  h: Harness,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return answer(
    await fetch(`${h.baseUrl}${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
}
const post = (h: Harness, path: string, body: unknown, headers: Record<string, string> = {}) =>
  send(h, "POST", path, body, headers);

async function together(h: Harness, path: string, bodies: unknown[]): Promise<Answer[]> {
  const responses = await gatherConcurrently(
    h,
    path,
    bodies.map((b) => JSON.stringify(b)),
    { "content-type": "application/json" },
  );
  return Promise.all(responses.map(answer));
}

const mails = (h: Harness, kind?: string): MailMessage[] =>
  h.server.outbox.filter((m) => kind === undefined || m.kind === kind);

function tokenOf(mail: MailMessage | undefined): string {
  const token = new URL(mail?.link ?? "http://invalid/").searchParams.get("token") ?? "";
  expect(token).toMatch(TOKEN);
  return token;
}

async function signedInToken(h: Harness, headers: Record<string, string> = {}): Promise<string> {
  const r = await post(h, "/auth/sign-in", HANAKO, headers);
  expect(r.status).toBe(200);
  return String(r.body?.access_token);
}

/** Checks a one-time-link endpoint: twice, ten at once, another purpose. */
async function onceOnly(h: Harness, path: string, token: string, success: number) {
  const batch = await together(
    h,
    path,
    Array.from({ length: 10 }, () => ({ token })),
  );
  expect(batch.filter((r) => r.status === success)).toHaveLength(1);
  for (const r of batch.filter((x) => x.status !== success)) {
    expect(r).toMatchObject({ status: 400, body: { code: "invalid_token" } });
  }
  expect(await post(h, path, { token })).toMatchObject({ status: 400, body: { code: "invalid_token" } });
}

describe("sign-up verification", () => {
  it("sign-up mails the link in the request's language; POST /auth/email/verify works once (10 at once: one)", async () => {
    const { h, events } = await setup();
    const r = await post(
      h,
      "/auth/sign-up",
      { email: "taro@example.jp", password: "taro's long passphrase", redirect_to: "/welcome/verify" },
      { "accept-language": "ja,en;q=0.5" },
    );
    expect(r.status).toBe(201);
    const [mail] = mails(h, "email_verify");
    expect(mail).toMatchObject({
      to: "taro@example.jp",
      locale: "ja",
      subject: "【tegata】メールアドレスの確認",
    });
    const link = new URL(mail?.link ?? "");
    expect(`${link.origin}${link.pathname}`).toBe(`${APP}/welcome/verify`);
    expect(mail?.text).toContain("60分");
    const user = await h.store.getUserByEmailKey("taro@example.jp");
    expect(user).toMatchObject({ emailVerified: false, mailLocale: "ja" });
    await onceOnly(h, "/auth/email/verify", tokenOf(mail), 200);
    expect(await h.store.getUserByEmailKey("taro@example.jp")).toMatchObject({ emailVerified: true });
    expect(events.filter((e) => e.type === "email_verified")).toHaveLength(1);
  });

  it("the body's locale wins over Accept-Language; a bad redirect_to creates no account", async () => {
    const { h } = await setup();
    const bad = await post(h, "/auth/sign-up", {
      email: "taro@example.jp",
      password: "taro's long passphrase",
      redirect_to: "https://evil.example/verify",
    });
    expect(bad).toMatchObject({ status: 400, body: { code: "invalid_request" } });
    expect(await h.store.getUserByEmailKey("taro@example.jp")).toBeNull();
    expect(
      await post(
        h,
        "/auth/sign-up",
        { email: "taro@example.jp", password: "taro's long passphrase", locale: "en" },
        { "accept-language": "ja" },
      ),
    ).toMatchObject({ status: 201 });
    expect(mails(h, "email_verify")[0]).toMatchObject({
      locale: "en",
      subject: "tegata: confirm your email address",
    });
    expect(
      await post(h, "/auth/sign-up", { email: "x@example.jp", password: "long enough pass", locale: "fr" }),
    ).toMatchObject({
      status: 400,
      body: { code: "invalid_request" },
    });
  });

  it("refuses an expired link, one of another purpose, one issued for an address the account left", async () => {
    const { h } = await setup();
    const taro = { email: "taro@example.jp", password: "taro's long passphrase" };
    await post(h, "/auth/sign-up", taro);
    const expired = tokenOf(mails(h, "email_verify")[0]);
    h.clock.advance(3601_000);
    const access = String((await post(h, "/auth/sign-in", taro)).body?.access_token);
    expect(await post(h, "/auth/email/verify", { token: expired })).toMatchObject({
      body: { code: "invalid_token" },
    });
    // A new link (the resend), then the address changes: the link proves nothing of the new one.
    expect(
      await post(h, "/auth/email/verify/resend", {}, { authorization: `Bearer ${access}` }),
    ).toMatchObject({ status: 202, body: {} });
    const fresh = tokenOf(mails(h, "email_verify")[1]);
    await post(h, "/auth/password/reset-request", { email: HANAKO.email });
    const reset = tokenOf(mails(h, "password_reset")[0]);
    expect(await post(h, "/auth/email/verify", { token: reset })).toMatchObject({
      body: { code: "invalid_token" },
    });
    expect(
      await post(
        h,
        "/auth/email/change-request",
        { new_email: "taro@new.example", password: "taro's long passphrase" },
        { authorization: `Bearer ${access}` },
      ),
    ).toMatchObject({ status: 202 });
    await post(h, "/auth/email/confirm", { token: tokenOf(mails(h, "email_change")[0]) });
    expect(await post(h, "/auth/email/verify", { token: fresh })).toMatchObject({
      body: { code: "invalid_token" },
    });
    // The reset link still works: a refused verification consumed nothing of it.
    expect(
      await post(h, "/auth/password/reset", { token: reset, password: "a brand new passphrase" }),
    ).toMatchObject({
      status: 204,
    });
  });

  it("resend: bearer only; a verified address gets no mail", async () => {
    const { h } = await setup();
    expect(await post(h, "/auth/email/verify/resend", {})).toMatchObject({ status: 401 });
    const access = await signedInToken(h);
    expect(
      await post(h, "/auth/email/verify/resend", {}, { authorization: `Bearer ${access}` }),
    ).toMatchObject({
      status: 202,
    });
    expect(mails(h, "email_verify")).toHaveLength(0);
  });

  it("requireVerifiedEmail: sign-up 403 without a session, sign-in 403 after a correct password only", async () => {
    const { h, client } = await setup({ requireVerifiedEmail: true });
    const up = await post(h, "/auth/sign-up", {
      email: "taro@example.jp",
      password: "taro's long passphrase",
    });
    expect(up).toMatchObject({ status: 403, body: { code: "email_not_verified" } });
    expect(up.body?.access_token).toBeUndefined();
    expect(mails(h, "email_verify")).toHaveLength(1);
    const wrong = await post(h, "/auth/sign-in", { email: "taro@example.jp", password: "wrong password" });
    expect(wrong).toMatchObject({ status: 401, body: { code: "invalid_credentials" } });
    const right = await post(h, "/auth/sign-in", {
      email: "taro@example.jp",
      password: "taro's long passphrase",
    });
    expect(right).toMatchObject({ status: 403, body: { code: "email_not_verified" } });
    expect(mails(h, "email_verify")).toHaveLength(2);
    // The correct password cleared the counter: the refusals lock nothing.
    for (let i = 0; i < 6; i++) {
      await post(h, "/auth/sign-in", { email: "taro@example.jp", password: "taro's long passphrase" });
    }
    expect(
      await post(h, "/auth/email/verify", { token: tokenOf(mails(h, "email_verify").at(-1)) }),
    ).toMatchObject({
      status: 200,
      body: { user: { email: "taro@example.jp", email_verified: true } },
    });
    expect(
      (await signIn(client(), { email: "taro@example.jp", password: "taro's long passphrase" })).status,
    ).toBe("signed_in");
  });
});

describe('email change: the "this wasn\'t me" link', () => {
  it("cancels the pending change, ends every session, once (10 at once: one)", async () => {
    const { h, client, events } = await setup();
    const auth = client();
    await signIn(auth, HANAKO);
    const other = await signedInToken(h);
    await requestEmailChange(auth, { newEmail: "hanako@new.example", password: HANAKO.password });
    const notice = mails(h, "email_change_notice")[0];
    expect(notice?.text).toContain("7 days");
    const cancel = tokenOf(notice);
    await onceOnly(h, "/auth/email/change-cancel", cancel, 204);
    expect(
      await post(h, "/auth/email/confirm", { token: tokenOf(mails(h, "email_change")[0]) }),
    ).toMatchObject({
      body: { code: "invalid_token" },
    });
    expect(await send(h, "GET", "/auth/user", undefined, { authorization: `Bearer ${other}` })).toMatchObject(
      {
        status: 401,
      },
    );
    expect(events.filter((e) => e.type === "email_change_cancelled")).toEqual([
      expect.objectContaining({ detail: { reverted: false } }),
    ]);
  });

  it("after a confirmed change puts the old address back (unless it was taken meanwhile)", async () => {
    const { h, client } = await setup();
    const auth = client();
    await signIn(auth, HANAKO);
    await requestEmailChange(auth, { newEmail: "hanako@new.example", password: HANAKO.password });
    await post(h, "/auth/email/confirm", { token: tokenOf(mails(h, "email_change")[0]) });
    expect(
      await post(h, "/auth/email/change-cancel", { token: tokenOf(mails(h, "email_change_notice")[0]) }),
    ).toMatchObject({ status: 204 });
    expect(await h.store.getUserByEmailKey("hanako@example.jp")).toMatchObject({ emailVerified: true });
    expect(await h.store.getUserByEmailKey("hanako@new.example")).toBeNull();
    // Expired after 7 days.
    const again = client();
    await signIn(again, HANAKO);
    await requestEmailChange(again, { newEmail: "hanako@other.example", password: HANAKO.password });
    h.clock.advance(7 * 24 * 3600_000 + 1000);
    expect(
      await post(h, "/auth/email/change-cancel", { token: tokenOf(mails(h, "email_change_notice")[1]) }),
    ).toMatchObject({ status: 400, body: { code: "invalid_token" } });
  });
});

describe("lockout: the unlock link", () => {
  it("the sign-in that locks mails one link (20 wrong passwords at once); it unlocks once (10 at once: one)", async () => {
    const { h, client, events } = await setup();
    const batch = await together(
      h,
      "/auth/sign-in",
      Array.from({ length: 20 }, () => ({ email: HANAKO.email, password: "wrong password" })),
    );
    expect(batch.filter((r) => r.body?.code === "account_locked").length).toBeGreaterThanOrEqual(15);
    const locked = mails(h, "account_locked");
    expect(locked).toHaveLength(1);
    expect(locked[0]?.text).toContain("15 minutes");
    const link = new URL(locked[0]?.link ?? "");
    expect(`${link.origin}${link.pathname}`).toBe(`${APP}/unlock-account`);
    await onceOnly(h, "/auth/account/unlock", tokenOf(locked[0]), 204);
    expect((await signIn(client(), HANAKO)).status).toBe("signed_in");
    expect(events.filter((e) => e.type === "account_unlocked")).toHaveLength(1);
    expect((await h.server.admin.auditTrail()).items.map((e) => [e.actor, e.action])).toContainEqual([
      "user",
      "unlock",
    ]);
  });

  it("the link expires with the lock; an unknown address locks without a mail", async () => {
    const { h } = await setup();
    for (let i = 0; i < 5; i++)
      await post(h, "/auth/sign-in", { email: HANAKO.email, password: "wrong password" });
    for (let i = 0; i < 5; i++)
      await post(h, "/auth/sign-in", { email: "nobody@example.jp", password: "wrong password" });
    expect(mails(h, "account_locked").map((m) => m.to)).toEqual([HANAKO.email]);
    h.clock.advance(900_000);
    expect(
      await post(h, "/auth/account/unlock", { token: tokenOf(mails(h, "account_locked")[0]) }),
    ).toMatchObject({
      body: { code: "invalid_token" },
    });
  });

  it("a wrong second-factor code that locks mails the link too", async () => {
    const { h, client } = await setup();
    const auth = client();
    await signIn(auth, HANAKO);
    const enrollment = await enrollTotp(auth);
    await activateTotp(auth, {
      factorId: enrollment.factorId,
      code: await generateTotp(enrollment.secret, { time: h.clock.now() }),
    });
    h.clock.advance(30_000);
    const result = await signIn(client(), HANAKO);
    if (result.status !== "mfa_required") throw new Error("expected a challenge");
    const right = await generateTotp(enrollment.secret, { time: h.clock.now() });
    const wrong = right === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) {
      await completeMfa(client(), { challenge: result.challenge, code: wrong }).catch(() => {});
    }
    expect(mails(h, "account_locked")).toHaveLength(1);
  });
});

describe("notices", () => {
  it("password changed (change and reset): no link, no secret", async () => {
    const { h, client } = await setup();
    const auth = client();
    await signIn(auth, HANAKO);
    await changePassword(auth, { currentPassword: HANAKO.password, newPassword: "a brand new passphrase" });
    await post(h, "/auth/password/reset-request", { email: HANAKO.email });
    const reset = tokenOf(mails(h, "password_reset")[0]);
    await post(h, "/auth/password/reset", { token: reset, password: "the third passphrase" });
    const notices = mails(h, "password_changed");
    expect(notices).toHaveLength(2);
    for (const notice of notices) {
      expect(notice).toMatchObject({ to: HANAKO.email, subject: "tegata: your password was changed" });
      expect(notice.link).toBeUndefined();
      for (const secret of ["a brand new passphrase", "the third passphrase", reset, "token="]) {
        expect(JSON.stringify(notice)).not.toContain(secret);
      }
    }
  });

  it("new device or network: time, IP, device, location and what to do, in the user's language", async () => {
    const { h, userId } = await setup({
      trustProxy: true,
      locate: (ip) => (ip === "198.51.100.7" ? { country: "US", city: "Ashburn" } : null),
    });
    await h.store.updateUser(userId, { mailLocale: "ja" }, h.clock.now());
    await signedInToken(h, { "user-agent": "curl/8.0", "x-forwarded-for": "203.0.113.5" });
    expect(mails(h, "new_sign_in")).toHaveLength(0); // the first sign-in is the baseline
    await signedInToken(h, { "user-agent": CHROME, "x-forwarded-for": "198.51.100.7" });
    const [notice] = mails(h, "new_sign_in");
    expect(notice).toMatchObject({
      to: HANAKO.email,
      locale: "ja",
      subject: "【tegata】新しい端末からのサインイン",
    });
    expect(notice?.text).toContain("Windows の Chrome 120");
    expect(notice?.text).toContain("198.51.100.7");
    expect(notice?.text).toContain("Ashburn, US");
    expect(notice?.text).toContain("2026年11月25日 18:00（日本時間）");
    expect(notice?.text).toContain("パスワードを変更");
    expect(notice?.text).not.toContain("Mozilla/5.0"); // the device, never the raw user agent
  });

  it("account deleted (by the user, by an operator) and suspended (once): notices in the transaction", async () => {
    const { h, client } = await setup();
    const auth = client();
    await signIn(auth, HANAKO);
    await deleteAccount(auth, { password: HANAKO.password });
    expect(mails(h, "account_deleted")).toEqual([
      expect.objectContaining({ to: HANAKO.email, subject: "tegata: your account was deleted" }),
    ]);
    expect(mails(h, "account_deleted")[0]?.text).toContain("as you asked");
    const taro = await h.addUser("taro@example.jp", "taro's long passphrase");
    await h.server.admin.suspend(taro, { actor: "sato", reason: "spam" });
    await h.server.admin.suspend(taro, { actor: "sato", reason: "spam, again" });
    const suspended = mails(h, "account_suspended");
    expect(suspended).toHaveLength(1);
    expect(suspended[0]?.text).not.toContain("spam"); // the operator's reason stays with operators
    await h.server.admin.deleteUser(taro, { actor: "sato", reason: "spam" });
    expect(mails(h, "account_deleted").at(-1)).toMatchObject({ to: "taro@example.jp" });
    expect(mails(h, "account_deleted").at(-1)?.text).toContain("by the operator");
  });
});

describe("settings and the service name", () => {
  it("GET/PATCH /auth/settings: bearer only, ja or en; the mails follow", async () => {
    const { h } = await setup();
    expect(await send(h, "GET", "/auth/settings")).toMatchObject({ status: 401 });
    const access = await signedInToken(h);
    const bearer = { authorization: `Bearer ${access}` };
    expect(await send(h, "GET", "/auth/settings", undefined, bearer)).toMatchObject({
      status: 200,
      body: { mail_locale: null },
    });
    for (const bad of [{ mail_locale: "fr" }, { mail_locale: null }, {}]) {
      expect(await send(h, "PATCH", "/auth/settings", bad, bearer)).toMatchObject({
        status: 400,
        body: { code: "invalid_request" },
      });
    }
    expect(await send(h, "PATCH", "/auth/settings", { mail_locale: "ja" }, bearer)).toMatchObject({
      status: 200,
      body: { mail_locale: "ja" },
    });
    await post(h, "/auth/password/reset-request", { email: HANAKO.email }, { "accept-language": "en" });
    expect(mails(h, "password_reset")[0]?.locale).toBe("ja");
  });

  it("a service name with CR/LF or other control characters never breaks the subject", async () => {
    const { h } = await setup({ serviceName: "ACME\r\nBcc: victim@example.com\u0000\u2028 ID" });
    await post(h, "/auth/password/reset-request", { email: HANAKO.email });
    const [mail] = mails(h);
    expect(mail?.subject).toBe("ACME Bcc: victim@example.com ID: reset your password");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
    expect(mail?.subject).not.toMatch(/[\r\n\u0000-\u001f\u2028]/);
    expect(mail?.html).toContain("ACME Bcc: victim@example.com ID");
    expect(() =>
      createAuthServer({ issuer: "http://127.0.0.1", secret: SECRET, serviceName: "\r\n\t" }),
    ).toThrow(TypeError);
  });

  it("a user's name never reaches a mail (a sign-up name is anyone's words)", async () => {
    const { h, client } = await setup();
    await signUp(client(), {
      email: "taro@example.jp",
      password: "taro's long passphrase",
      name: "Taro\r\nBcc: victim@example.com <a href=https://evil.example>",
    });
    const all = JSON.stringify(mails(h));
    expect(all).not.toContain("Taro");
    expect(all).not.toContain("evil.example");
  });
});
