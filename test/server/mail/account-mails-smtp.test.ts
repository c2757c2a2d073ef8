/**
 * Every new kind of account mail reaches a real SMTP server (in-process, 127.0.0.1) through
 * `smtpMailer` and the durable outbox; the tests read each from the parsed message, follow its link
 * and finish the flow through the SDK over real HTTP: sign-up verification, the "this wasn't me"
 * link of an email change, password changed, a new sign-in, the unlock link of a lockout, account
 * deleted and account suspended. A service name and a user's name with CR/LF break no header.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  cancelEmailChange,
  changePassword,
  deleteAccount,
  getUser,
  requestEmailChange,
  signIn,
  signUp,
  unlockAccount,
  verifyEmail,
} from "../../../src/credentials/index";
import { AccountLockedError, createAuthClient, UnauthorizedError } from "../../../src/index";
import type { AuthServerOptions } from "../../../src/server/auth-server";
import { smtpMailer } from "../../../src/server/smtp/index";
import { memoryStore } from "../../../src/server/store/memory";
import { APP, addUser, FROM, linkIn, startMailServer, testClock } from "./mail-server";
import { startSmtp } from "./smtp-harness";

const HANAKO = { email: "hanako@example.jp", password: "correct horse battery" };
const cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function setup(options: Partial<AuthServerOptions> = {}) {
  const smtp = await startSmtp();
  cleanup.push(() => smtp.close());
  const store = memoryStore();
  const mailer = smtpMailer({ url: smtp.url, from: FROM });
  cleanup.push(() => mailer.close());
  const clock = testClock();
  const app = await startMailServer({ store, mailer, clock, ...options });
  cleanup.push(() => app.close());
  const userId = await addUser(store, HANAKO.email, HANAKO.password);
  /** The next message to `to` after the `seen` first ones. */
  const next = async (seen: number) => (await smtp.waitFor(seen + 1))[seen];
  return { smtp, store, app, clock, userId, next };
}

const tokenIn = (text: string | undefined) => linkIn(text).searchParams.get("token") ?? "";

describe("account mails over SMTP", () => {
  it("email_verify: the sign-up mail's link verifies the address", async () => {
    const { smtp, app, next } = await setup();
    const auth = app.client();
    await signUp(auth, { email: "taro@example.jp", password: "taro's long passphrase", locale: "ja" });
    const mail = await next(0);
    expect(mail?.envelope.to).toEqual(["taro@example.jp"]);
    expect(mail?.parsed.subject).toBe("【tegata】メールアドレスの確認");
    const link = linkIn(mail?.parsed.text);
    expect(`${link.origin}${link.pathname}`).toBe(`${APP}/verify-email`);
    expect(await verifyEmail(auth, { token: tokenIn(mail?.parsed.text) })).toMatchObject({
      emailVerified: true,
    });
    expect((await getUser(auth)).emailVerified).toBe(true);
    expect(smtp.messages).toHaveLength(1);
  });

  it('email_change_notice: its "this wasn\'t me" link cancels the change and ends the sessions', async () => {
    const { smtp, app } = await setup();
    const auth = app.client();
    await signIn(auth, HANAKO);
    await requestEmailChange(auth, { newEmail: "hanako@new.example", password: HANAKO.password });
    const received = await smtp.waitFor(2);
    const notice = received.find((m) => m.envelope.to[0] === HANAKO.email);
    expect(notice?.parsed.subject).toBe("tegata: your email address is being changed");
    expect(notice?.parsed.html).toContain("This wasn&#39;t me: cancel the change");
    await cancelEmailChange(app.client(), { token: tokenIn(notice?.parsed.text) });
    await expect(getUser(auth)).rejects.toBeInstanceOf(UnauthorizedError);
    expect((await signIn(app.client(), HANAKO)).status).toBe("signed_in");
  });

  it("password_changed: a notice after a change", async () => {
    const { smtp, app } = await setup();
    const auth = app.client();
    await signIn(auth, HANAKO);
    await changePassword(auth, { currentPassword: HANAKO.password, newPassword: "a brand new passphrase" });
    const [mail] = await smtp.waitFor(1);
    expect(mail?.parsed.subject).toBe("tegata: your password was changed");
    expect(mail?.parsed.text).toContain("2026-11-25 09:00 UTC");
    expect(mail?.parsed.text).not.toContain("a brand new passphrase");
  });

  it("new_sign_in: another device and network is told, with the device and IP", async () => {
    const { smtp, app } = await setup({ trustProxy: true });
    await signIn(app.client(), HANAKO);
    const other = createAuthClient({
      baseUrl: app.baseUrl,
      retry: 0,
      headers: {
        "user-agent":
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1",
        "x-forwarded-for": "198.51.100.23",
      },
    });
    await signIn(other, HANAKO);
    const [mail] = await smtp.waitFor(1);
    expect(mail?.parsed.subject).toBe("tegata: new sign-in to your account");
    expect(mail?.parsed.text).toContain("Safari 17 on iOS");
    expect(mail?.parsed.text).toContain("198.51.100.23");
    expect(mail?.parsed.text).toContain("change your password now");
  });

  it("account_locked: the unlock link ends the lockout, and the owner signs in", async () => {
    const { smtp, app } = await setup();
    for (let i = 0; i < 5; i++)
      await signIn(app.client(), { ...HANAKO, password: "wrong password" }).catch(() => {});
    await expect(signIn(app.client(), HANAKO)).rejects.toBeInstanceOf(AccountLockedError);
    const [mail] = await smtp.waitFor(1);
    expect(mail?.parsed.subject).toBe("tegata: your account was locked");
    await unlockAccount(app.client(), { token: tokenIn(mail?.parsed.text) });
    expect((await signIn(app.client(), HANAKO)).status).toBe("signed_in");
  });

  it("account_deleted and account_suspended: notices to the address", async () => {
    const { smtp, app, store } = await setup();
    const auth = app.client();
    await signIn(auth, HANAKO);
    await deleteAccount(auth, { password: HANAKO.password });
    const taro = await addUser(store, "taro@example.jp", "taro's long passphrase");
    await app.server.admin.suspend(taro, { actor: "sato", reason: "abuse" });
    const received = await smtp.waitFor(2);
    expect(received.map((m) => [m.envelope.to[0], m.parsed.subject])).toEqual(
      expect.arrayContaining([
        [HANAKO.email, "tegata: your account was deleted"],
        ["taro@example.jp", "tegata: your account was suspended"],
      ]),
    );
  });

  it("a service name and a user's name with CR/LF inject no header", async () => {
    const { smtp, app } = await setup({ serviceName: "ACME\r\nBcc: victim@example.com\r\n\r\nbody" });
    await signUp(app.client(), {
      email: "taro@example.jp",
      password: "taro's long passphrase",
      name: "Taro\r\nBcc: victim2@example.com",
    });
    const [mail] = await smtp.waitFor(1);
    expect(mail?.envelope.to).toEqual(["taro@example.jp"]);
    expect(mail?.parsed.subject).toBe("ACME Bcc: victim@example.com body: confirm your email address");
    const head = mail?.raw.split("\r\n\r\n")[0] ?? "";
    expect(head).not.toMatch(/^Bcc:/im);
    expect(mail?.parsed.bcc).toBeUndefined();
    expect(mail?.raw).not.toContain("victim2");
  });
});
