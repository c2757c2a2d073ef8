/**
 * The client functions of the account mails against the mock (the auth server), through msw and
 * over real HTTP: the verification link (`verifyEmail`, `resendVerificationEmail`), the unlock link
 * (`unlockAccount`), the "this wasn't me" link of an email change (`cancelEmailChange`), the
 * account settings (`getAccountSettings`, `updateAccountSettings`) and `requireVerifiedEmail`.
 */
import { describe, expect, it } from "vitest";
import {
  cancelEmailChange,
  confirmEmailChange,
  getAccountSettings,
  getUser,
  requestEmailChange,
  requestPasswordReset,
  resendVerificationEmail,
  resetPassword,
  signIn,
  signUp,
  unlockAccount,
  updateAccountSettings,
  verifyEmail,
} from "../../src/credentials/index";
import {
  AccountLockedError,
  EmailNotVerifiedError,
  getSession,
  InvalidCredentialsError,
  InvalidRequestError,
  InvalidTokenError,
  isTegataError,
  NotSignedInError,
  UnauthorizedError,
} from "../../src/index";
import { alice, useMockServer } from "../support";

const ctx = useMockServer();

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a refusal");
    },
    (error: unknown) => error,
  );
}

describe("email verification", () => {
  it("sign-up mails a link; verifyEmail verifies the address and updates the session's user, once", async () => {
    const { auth, mock } = await ctx.fresh();
    await signUp(auth, { email: "new@example.com", password: "a long passphrase", locale: "ja" });
    const mail = mock.lastEmail("new@example.com", "email_verify");
    expect(mail).toMatchObject({ locale: "ja", subject: "【tegata】メールアドレスの確認" });
    expect(new URL(mail?.link ?? "").pathname).toBe("/verify-email");
    expect((await getSession(auth))?.user?.emailVerified).toBe(false);
    const user = await verifyEmail(auth, { token: mail?.token ?? "" });
    expect(user).toMatchObject({ email: "new@example.com", emailVerified: true });
    expect((await getSession(auth))?.user?.emailVerified).toBe(true);
    expect(mock.users.get("new@example.com")).toMatchObject({ emailVerified: true, mailLocale: "ja" });
    expect(await refusal(verifyEmail(auth, { token: mail?.token ?? "" }))).toBeInstanceOf(InvalidTokenError);
  });

  it("resendVerificationEmail retires the older link; a verified address gets nothing; needs a session", async () => {
    const { auth, mock } = await ctx.fresh();
    await signUp(auth, { email: "new@example.com", password: "a long passphrase" });
    const first = mock.lastEmail("new@example.com", "email_verify");
    await resendVerificationEmail(auth, { redirectTo: "/me/verify" });
    const second = mock.lastEmail("new@example.com", "email_verify");
    expect(second?.token).not.toBe(first?.token);
    expect(new URL(second?.link ?? "").pathname).toBe("/me/verify");
    expect(await refusal(verifyEmail(auth, { token: first?.token ?? "" }))).toBeInstanceOf(InvalidTokenError);
    await verifyEmail(auth, { token: second?.token ?? "" });
    const before = mock.outbox.length;
    await resendVerificationEmail(auth);
    expect(mock.outbox).toHaveLength(before);
    expect(
      await refusal(resendVerificationEmail(auth, { redirectTo: "https://evil.example/" })),
    ).toBeInstanceOf(InvalidRequestError);
    expect(await refusal(resendVerificationEmail((await ctx.fresh()).auth))).toBeInstanceOf(NotSignedInError);
  });

  it("requireVerifiedEmail: sign-up answers EmailNotVerifiedError without a session; the link lets the account in", async () => {
    const { auth, mock } = await ctx.fresh({ requireVerifiedEmail: true });
    const refused = await refusal(signUp(auth, { email: "new@example.com", password: "a long passphrase" }));
    expect(refused).toBeInstanceOf(EmailNotVerifiedError);
    expect(isTegataError(refused, "email_not_verified")).toBe(true);
    expect(refused).toMatchObject({ status: 403 });
    expect(await getSession(auth)).toBeNull();
    // A correct password is told the address is unverified (and gets a new link); a wrong one is not.
    expect(
      await refusal(signIn(auth, { email: "new@example.com", password: "a long passphrase" })),
    ).toBeInstanceOf(EmailNotVerifiedError);
    expect(await refusal(signIn(auth, { email: "new@example.com", password: "wrong!" }))).toBeInstanceOf(
      InvalidCredentialsError,
    );
    const links = mock.outbox.filter((m) => m.kind === "email_verify");
    expect(links).toHaveLength(2);
    await verifyEmail(auth, { token: links[1]?.token ?? "" });
    expect((await signIn(auth, { email: "new@example.com", password: "a long passphrase" })).status).toBe(
      "signed_in",
    );
    // Existing (verified) users sign in as before.
    expect((await signIn((await ctx.fresh({ requireVerifiedEmail: true })).auth, alice)).status).toBe(
      "signed_in",
    );
  });

  it("requireVerifiedEmail: a password reset verifies the address (the way back in without a session)", async () => {
    const { auth, mock } = await ctx.fresh({ requireVerifiedEmail: true });
    await refusal(signUp(auth, { email: "new@example.com", password: "a long passphrase" }));
    await requestPasswordReset(auth, { email: "new@example.com" });
    await resetPassword(auth, {
      token: mock.lastEmail("new@example.com", "password_reset")?.token ?? "",
      password: "another long passphrase",
    });
    expect(
      (await signIn(auth, { email: "new@example.com", password: "another long passphrase" })).status,
    ).toBe("signed_in");
  });
});

describe("unlockAccount", () => {
  it("the lock mails an unlock link; it ends the lockout once", async () => {
    const { auth, mock } = await ctx.fresh();
    for (let i = 0; i < 5; i++) await refusal(signIn(auth, { email: alice.email, password: "wrong!" }));
    expect(await refusal(signIn(auth, alice))).toBeInstanceOf(AccountLockedError);
    const locked = mock.outbox.filter((m) => m.kind === "account_locked");
    expect(locked).toHaveLength(1);
    expect(new URL(locked[0]?.link ?? "").pathname).toBe("/unlock-account");
    await unlockAccount(auth, { token: locked[0]?.token ?? "" });
    expect(mock.users.get(alice.email)?.lockedUntil).toBeNull();
    expect((await signIn(auth, alice)).status).toBe("signed_in");
    expect(await refusal(unlockAccount(auth, { token: locked[0]?.token ?? "" }))).toBeInstanceOf(
      InvalidTokenError,
    );
  });

  it("refuses a token of another link", async () => {
    const { auth, mock } = await ctx.fresh();
    await requestPasswordReset(auth, { email: alice.email });
    const reset = mock.lastEmail(alice.email, "password_reset")?.token ?? "";
    expect(await refusal(unlockAccount(auth, { token: reset }))).toBeInstanceOf(InvalidTokenError);
    expect(await refusal(verifyEmail(auth, { token: reset }))).toBeInstanceOf(InvalidTokenError);
    expect(await refusal(cancelEmailChange(auth, { token: reset }))).toBeInstanceOf(InvalidTokenError);
    // Still a working reset link.
    await resetPassword(auth, { token: reset, password: "a brand new passphrase" });
  });
});

describe("cancelEmailChange", () => {
  it("cancels a pending change (its link stops working) and ends every session", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    await requestEmailChange(auth, { newEmail: "alice@new.example", password: alice.password });
    const confirm = mock.lastEmail("alice@new.example", "email_change")?.token ?? "";
    const notice = mock.lastEmail(alice.email, "email_change_notice");
    expect(notice?.text).toContain("alice@new.example");
    await cancelEmailChange(auth, { token: notice?.token ?? "" });
    expect(await refusal(confirmEmailChange(auth, { token: confirm }))).toBeInstanceOf(InvalidTokenError);
    expect(await refusal(getUser(auth))).toBeInstanceOf(UnauthorizedError);
    expect(mock.users.get(alice.email)).toBeDefined();
    expect(await refusal(cancelEmailChange(auth, { token: notice?.token ?? "" }))).toBeInstanceOf(
      InvalidTokenError,
    );
  });

  it("puts the old address back when the change was confirmed already", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    await requestEmailChange(auth, { newEmail: "alice@new.example", password: alice.password });
    await confirmEmailChange(auth, {
      token: mock.lastEmail("alice@new.example", "email_change")?.token ?? "",
    });
    expect(mock.users.get("alice@new.example")).toBeDefined();
    await cancelEmailChange(auth, { token: mock.lastEmail(alice.email, "email_change_notice")?.token ?? "" });
    expect(mock.users.get("alice@new.example")).toBeUndefined();
    expect(mock.users.get(alice.email)).toMatchObject({ email: alice.email, emailVerified: true });
    expect((await signIn(auth, alice)).status).toBe("signed_in");
  });
});

describe("account settings", () => {
  it("reads and changes the mail language; the next mail follows it", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    expect(await getAccountSettings(auth)).toEqual({ mailLocale: null });
    expect(await updateAccountSettings(auth, { mailLocale: "ja" })).toEqual({ mailLocale: "ja" });
    expect(await getAccountSettings(auth)).toEqual({ mailLocale: "ja" });
    await requestPasswordReset(auth, { email: alice.email });
    expect(mock.lastEmail(alice.email, "password_reset")?.locale).toBe("ja");
    await expect(updateAccountSettings(auth, { mailLocale: "fr" as "ja" })).rejects.toBeInstanceOf(TypeError);
    expect(await refusal(getAccountSettings((await ctx.fresh()).auth))).toBeInstanceOf(NotSignedInError);
  });

  it("signUp without a locale takes the language of the request", async () => {
    const { auth } = await ctx.fresh({}, { headers: { "accept-language": "ja-JP" } });
    await signUp(auth, { email: "new@example.com", password: "a long passphrase" });
    expect(await getAccountSettings(auth)).toEqual({ mailLocale: "ja" });
  });
});
