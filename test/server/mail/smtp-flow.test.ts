/**
 * The mails of the auth server reach a real SMTP server (in-process, 127.0.0.1) through
 * `smtpMailer` and the durable outbox, and their links finish the flows through the SDK over real
 * HTTP: the password reset, the email change (the link to the new address and the notice to the
 * old one). The body of a queued mail is sealed at rest and dropped once sent.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  confirmEmailChange,
  getUser,
  requestEmailChange,
  requestPasswordReset,
  resetPassword,
  signIn,
} from "../../../src/credentials/index";
import type { AuthServerEvent } from "../../../src/server/http/env";
import { smtpMailer } from "../../../src/server/smtp/index";
import { memoryStore, memoryStoreState } from "../../../src/server/store/memory";
import { APP, addUser, FROM, linkIn, startMailServer, testClock } from "./mail-server";
import { type SmtpHarness, startSmtp } from "./smtp-harness";

const HANAKO = { email: "hanako@example.jp", password: "correct horse battery" };
const cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function setup(options: { auth?: { user: string; pass: string }; smtpUrl?: string } = {}) {
  const smtp = await startSmtp(options.auth ? { auth: options.auth } : {});
  cleanup.push(() => smtp.close());
  const store = memoryStore();
  const mailer = smtpMailer({ url: options.smtpUrl ?? smtp.url, from: FROM });
  cleanup.push(() => mailer.close());
  const events: AuthServerEvent[] = [];
  const clock = testClock();
  const app = await startMailServer({ store, mailer, clock, onEvent: (e) => events.push(e) });
  cleanup.push(() => app.close());
  await addUser(store, HANAKO.email, HANAKO.password);
  return { smtp, store, app, events, clock };
}

function messageIds(smtp: SmtpHarness): string[] {
  return smtp.messages.map((m) => m.parsed.messageId ?? "");
}

describe("mail over SMTP", () => {
  it("password reset: the mail reaches SMTP, its link resets the password through the client", async () => {
    const { smtp, app, store } = await setup();
    const auth = app.client();
    await requestPasswordReset(auth, { email: HANAKO.email });
    const [mail] = await smtp.waitFor(1);
    expect(mail?.envelope).toEqual({ from: FROM.address, to: [HANAKO.email] });
    expect(mail?.parsed.to).toMatchObject({ value: [{ address: HANAKO.email }] });
    expect(mail?.parsed.from).toMatchObject({ value: [{ address: FROM.address, name: FROM.name }] });
    expect(mail?.parsed.subject).toBe("tegata: reset your password");
    expect(mail?.parsed.headers.get("auto-submitted")).toBe("auto-generated");
    const link = linkIn(mail?.parsed.text);
    expect(link.origin).toBe(APP);
    expect(mail?.parsed.html).toContain(link.searchParams.get("token"));
    await resetPassword(auth, {
      token: link.searchParams.get("token") ?? "",
      password: "a brand new passphrase",
    });
    expect(
      (await signIn(app.client(), { email: HANAKO.email, password: "a brand new passphrase" })).status,
    ).toBe("signed_in");
    // The record of the sent mail: who, what, when; no body.
    const id = /^<(mail_[^@]+)@tegata\.example>$/.exec(mail?.parsed.messageId ?? "")?.[1] ?? "";
    expect(await store.getMail(id)).toMatchObject({
      to: HANAKO.email,
      kind: "password_reset",
      status: "sent",
      attempts: 1,
      bodySealed: null,
    });
    expect(smtp.messages).toHaveLength(1);
  });

  it("email change: the link goes to the new address, the notice to the old one; the link confirms it", async () => {
    const { smtp, app } = await setup();
    const auth = app.client();
    expect((await signIn(auth, HANAKO)).status).toBe("signed_in");
    await requestEmailChange(auth, { newEmail: "hanako@new.example", password: HANAKO.password });
    const mails = await smtp.waitFor(2);
    const change = mails.find((m) => m.envelope.to[0] === "hanako@new.example");
    const notice = mails.find((m) => m.envelope.to[0] === HANAKO.email);
    expect(change?.parsed.subject).toBe("tegata: confirm your new email address");
    expect(notice?.parsed.subject).toBe("tegata: your email address is being changed");
    expect(notice?.parsed.text).toContain("hanako@new.example");
    // The notice's only link is its own "this wasn't me" link, not the confirmation's token.
    const token = linkIn(change?.parsed.text).searchParams.get("token") ?? "";
    expect(linkIn(notice?.parsed.text).pathname).toBe("/cancel-email-change");
    expect(notice?.parsed.text).not.toContain(token);
    await confirmEmailChange(app.client(), { token });
    expect((await getUser(auth)).email).toBe("hanako@new.example");
    expect(new Set(messageIds(smtp)).size).toBe(2);
  });

  it("Japanese mails: the subject is encoded (RFC 2047) and decodes back", async () => {
    const { smtp, app } = await setup();
    const response = await fetch(`${app.baseUrl}/auth/password/reset-request`, {
      method: "POST",
      headers: { "content-type": "application/json", "accept-language": "ja-JP,ja;q=0.9" },
      body: JSON.stringify({ email: HANAKO.email }),
    });
    expect(response.status).toBe(202);
    const [mail] = await smtp.waitFor(1);
    expect(mail?.parsed.subject).toBe("【tegata】パスワードの再設定");
    expect(mail?.raw).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/m);
    expect(mail?.raw).not.toContain("パスワード"); // 8-bit text only inside encoded parts
  });

  it("an SMTP server that asks for AUTH: the URL's credentials; wrong ones are a failed attempt", async () => {
    const { smtp, app } = await setup({ auth: { user: "tegata", pass: "s3cret pass" } });
    await requestPasswordReset(app.client(), { email: HANAKO.email });
    expect((await smtp.waitFor(1))[0]?.envelope.to).toEqual([HANAKO.email]);

    const wrong = await setup({
      auth: { user: "tegata", pass: "s3cret pass" },
      smtpUrl: `smtp://tegata:wrong@127.0.0.1:${smtp.port}`,
    });
    await requestPasswordReset(wrong.app.client(), { email: HANAKO.email });
    await expect.poll(() => wrong.events.filter((e) => e.type === "mail_failed")).toHaveLength(1);
    expect(wrong.events.find((e) => e.type === "mail_failed")?.detail).toMatchObject({
      kind: "password_reset",
      attempt: 1,
      reason: "EAUTH",
      responseCode: 535,
    });
    expect(wrong.smtp.messages).toHaveLength(0);
  });

  it("a queued mail holds its link sealed: the store has no token in clear until it is sent, and no body after", async () => {
    const smtp = await startSmtp();
    cleanup.push(() => smtp.close());
    const store = memoryStore();
    const mailer = smtpMailer({ url: smtp.url, from: FROM });
    cleanup.push(() => mailer.close());
    const app = await startMailServer({ store, mailer, clock: testClock(), mailDelivery: false });
    cleanup.push(() => app.close());
    await addUser(store, HANAKO.email, HANAKO.password);
    await requestPasswordReset(app.client(), { email: HANAKO.email });
    const queued = JSON.stringify([...(memoryStoreState(store)?.mails.values() ?? [])]);
    expect(queued).toContain('"status":"queued"');
    expect(queued).not.toContain("token");
    expect(queued).not.toContain("reset your password");
    expect(smtp.messages).toHaveLength(0); // mailDelivery: false sends nothing by itself
    expect(await app.server.deliverMail()).toEqual({ sent: 1, retried: 0, failed: 0 });
    const token = linkIn((await smtp.waitFor(1))[0]?.parsed.text).searchParams.get("token") ?? "";
    expect(queued).not.toContain(token);
    const [record] = memoryStoreState(store)?.mails.values() ?? [];
    expect(record).toMatchObject({ status: "sent", bodySealed: null });
  });
});
