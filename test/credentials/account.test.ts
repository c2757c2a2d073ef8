import { describe, expect, it } from "vitest";
import {
  changePassword,
  confirmEmailChange,
  getUser,
  requestEmailChange,
  requestPasswordReset,
  resetPassword,
  signIn,
  signOut,
  signUp,
} from "../../src/credentials/index";
import {
  createAuthClient,
  EmailTakenError,
  getSession,
  InvalidCredentialsError,
  InvalidRequestError,
  InvalidTokenError,
  NotSignedInError,
  onAuthStateChange,
  PasswordPolicyError,
  UnauthorizedError,
} from "../../src/index";
import { alice, useMockServer } from "../support";

const ctx = useMockServer();

describe("signUp", () => {
  it("creates the account and signs it in", async () => {
    const { auth, mock } = await ctx.fresh();
    const events: string[] = [];
    onAuthStateChange(auth, (e) => events.push(e));
    const { session } = await signUp(auth, {
      email: "new@example.com",
      password: "a long passphrase",
      name: "新人",
    });
    expect(session.user).toMatchObject({ email: "new@example.com", name: "新人", emailVerified: false });
    expect(events).toEqual(["SIGNED_IN"]);
    expect(mock.users.get("new@example.com")).toMatchObject({
      email: "new@example.com",
      name: "新人",
      emailVerified: false,
      mfaEnabled: false,
    });
  });

  it("gives EmailTakenError for a registered address", async () => {
    const { auth } = await ctx.fresh();
    await expect(
      signUp(auth, { email: "ALICE@example.com", password: "a long passphrase" }),
    ).rejects.toBeInstanceOf(EmailTakenError);
  });

  it("gives PasswordPolicyError with the server's issues", async () => {
    const { auth } = await ctx.fresh();
    const error = await signUp(auth, { email: "new@example.com", password: "short" }).catch((e) => e);
    expect(error).toBeInstanceOf(PasswordPolicyError);
    expect(error.status).toBe(422);
    expect(error.issues).toEqual([
      { code: "too_short", message: "Use at least 8 characters", params: { min: 8 } },
    ]);
    expect(error.message).not.toContain("short");
  });

  it("uses the mock's custom password policy", async () => {
    const { auth } = await ctx.fresh({
      passwordPolicy: (password, { email }) =>
        password.includes(email.split("@")[0] ?? "") ? [{ code: "context_word", message: "no email" }] : [],
    });
    const error = await signUp(auth, { email: "taro@example.com", password: "taro-is-great" }).catch(
      (e) => e,
    );
    expect(error.issues[0].code).toBe("context_word");
  });

  it("gives InvalidRequestError for a malformed address", async () => {
    const { auth } = await ctx.fresh();
    await expect(
      signUp(auth, { email: "not-an-email", password: "a long passphrase" }),
    ).rejects.toBeInstanceOf(InvalidRequestError);
  });
});

describe("password reset", () => {
  it("follows the emailed link: the token resets the password once and ends every session", async () => {
    const { auth, mock } = await ctx.fresh({ appOrigins: ["https://app.example.com"] });
    await signIn(auth, alice);
    await requestPasswordReset(auth, { email: alice.email, redirectTo: "https://app.example.com/reset" });
    const email = mock.lastEmail(alice.email, "password_reset");
    expect(email?.link).toMatch(/^https:\/\/app\.example\.com\/reset\?token=/);
    const token = new URL(email?.link ?? "").searchParams.get("token") ?? "";
    await resetPassword(auth, { token, password: "a brand new passphrase" });
    await expect(getUser(auth)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(signIn(auth, alice)).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect((await signIn(auth, { email: alice.email, password: "a brand new passphrase" })).status).toBe(
      "signed_in",
    );
    await expect(resetPassword(auth, { token, password: "another passphrase" })).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
  });

  it("answers the same for an unknown address and sends nothing", async () => {
    const { auth, mock } = await ctx.fresh();
    await expect(requestPasswordReset(auth, { email: "nobody@example.com" })).resolves.toBeUndefined();
    expect(mock.outbox).toHaveLength(0);
  });

  it("refuses an expired token", async () => {
    const { auth, mock } = await ctx.fresh({ emailTokenTtlSeconds: 60 });
    await requestPasswordReset(auth, { email: alice.email });
    mock.clock.advance(61_000);
    const token = mock.lastEmail()?.token ?? "";
    await expect(resetPassword(auth, { token, password: "a brand new passphrase" })).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
  });

  it("refuses a weak new password and keeps the token usable", async () => {
    const { auth, mock } = await ctx.fresh();
    await requestPasswordReset(auth, { email: alice.email });
    const token = mock.lastEmail()?.token ?? "";
    await expect(resetPassword(auth, { token, password: "weak" })).rejects.toBeInstanceOf(
      PasswordPolicyError,
    );
    await expect(resetPassword(auth, { token, password: "a strong one at last" })).resolves.toBeUndefined();
  });

  it("unlocks a locked account", async () => {
    const { auth, mock } = await ctx.fresh({ lockout: { maxAttempts: 1 } });
    await signIn(auth, { email: alice.email, password: "wrong" }).catch(() => {});
    expect(mock.users.get(alice.email)?.lockedUntil).toEqual(new Date(mock.clock.now() + 900_000));
    await requestPasswordReset(auth, { email: alice.email });
    await resetPassword(auth, { token: mock.lastEmail()?.token ?? "", password: "a brand new passphrase" });
    expect(mock.users.get(alice.email)?.lockedUntil).toBeNull();
  });
});

describe("changePassword", () => {
  it("changes the password and ends the other sessions, not this one", async () => {
    const { auth, mock } = await ctx.fresh();
    const other = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
    await signIn(other, alice);
    await signIn(auth, alice);
    await changePassword(auth, { currentPassword: alice.password, newPassword: "a new long passphrase" });
    expect((await getUser(auth)).email).toBe(alice.email);
    await expect(getUser(other)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it("refuses a wrong current password and a weak new one", async () => {
    const { auth } = await ctx.fresh();
    await signIn(auth, alice);
    await expect(
      changePassword(auth, { currentPassword: "wrong", newPassword: "a new long passphrase" }),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    await expect(
      changePassword(auth, { currentPassword: alice.password, newPassword: "x" }),
    ).rejects.toBeInstanceOf(PasswordPolicyError);
  });

  it("needs a session", async () => {
    const { auth } = await ctx.fresh();
    await expect(
      changePassword(auth, { currentPassword: alice.password, newPassword: "a new long passphrase" }),
    ).rejects.toBeInstanceOf(NotSignedInError);
  });
});

describe("email change", () => {
  it("changes the address after confirmation and emits USER_UPDATED", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    await requestEmailChange(auth, { newEmail: "alice@new.example", password: alice.password });
    expect(mock.users.get(alice.email)?.email).toBe(alice.email); // not changed yet
    expect(mock.users.get("alice@new.example")).toBeUndefined();
    const email = mock.lastEmail("alice@new.example", "email_change");
    expect(email).toMatchObject({ to: "alice@new.example", kind: "email_change", token: expect.any(String) });
    const events: string[] = [];
    onAuthStateChange(auth, (e, s) => events.push(`${e}:${s?.user?.email}`));
    const user = await confirmEmailChange(auth, { token: email?.token ?? "" });
    expect(user.email).toBe("alice@new.example");
    expect(events).toEqual(["USER_UPDATED:alice@new.example"]);
    expect((await getSession(auth))?.user?.email).toBe("alice@new.example");
    expect((await signIn(auth, { email: "alice@new.example", password: alice.password })).status).toBe(
      "signed_in",
    );
    await expect(confirmEmailChange(auth, { token: email?.token ?? "" })).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
  });

  it("confirms on another device without a session", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    await requestEmailChange(auth, { newEmail: "alice@new.example", password: alice.password });
    const phone = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
    // The server also tells the old address: the confirmation is the newest mail to the new one.
    const user = await confirmEmailChange(phone, {
      token: mock.lastEmail("alice@new.example", "email_change")?.token ?? "",
    });
    expect(user.email).toBe("alice@new.example");
    expect(await getSession(phone)).toBeNull();
  });

  it("refuses a wrong password and a taken address", async () => {
    const { auth } = await ctx.fresh();
    await signIn(auth, alice);
    await expect(
      requestEmailChange(auth, { newEmail: "x@new.example", password: "wrong" }),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    await expect(
      requestEmailChange(auth, { newEmail: "bob@example.com", password: alice.password }),
    ).rejects.toBeInstanceOf(EmailTakenError);
  });

  it("refuses an unknown token", async () => {
    const { auth } = await ctx.fresh();
    await expect(confirmEmailChange(auth, { token: "nope" })).rejects.toBeInstanceOf(InvalidTokenError);
  });
});

describe("signOut", () => {
  it("local: ends this session on the server and here", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    const events: string[] = [];
    onAuthStateChange(auth, (e) => events.push(e));
    await signOut(auth);
    expect(events).toEqual(["SIGNED_OUT"]);
    expect(await getSession(auth)).toBeNull();
    expect(mock.sessions(alice.email).map((s) => s.revoked)).toEqual([true]);
  });

  it("local: signs out here even when the server cannot be reached", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    mock.faults.inject("/auth/sign-out", { network: true });
    await expect(signOut(auth, { scope: "local" })).resolves.toBeUndefined();
    expect(await getSession(auth)).toBeNull();
  });

  it("global: ends every session of the account", async () => {
    const { auth, mock } = await ctx.fresh();
    const other = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
    await signIn(other, alice);
    await signIn(auth, alice);
    await signOut(auth, { scope: "global" });
    expect(mock.sessions(alice.email).map((s) => s.revoked)).toEqual([true, true]);
    await expect(getUser(other)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it("global: signs out here and throws when the server failed", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    mock.faults.inject("/auth/sign-out", { status: 500 });
    await expect(signOut(auth, { scope: "global" })).rejects.toMatchObject({ status: 500 });
    expect(await getSession(auth)).toBeNull();
  });

  it("others: ends the other sessions and keeps this one", async () => {
    const { auth, mock } = await ctx.fresh();
    const other = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
    await signIn(other, alice);
    await signIn(auth, alice);
    await signOut(auth, { scope: "others" });
    expect((await getUser(auth)).email).toBe(alice.email);
    await expect(getUser(other)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it("others and global need a session; local without one is a no-op", async () => {
    const { auth } = await ctx.fresh();
    await expect(signOut(auth, { scope: "others" })).rejects.toBeInstanceOf(NotSignedInError);
    await expect(signOut(auth, { scope: "global" })).rejects.toBeInstanceOf(NotSignedInError);
    await expect(signOut(auth)).resolves.toBeUndefined();
  });

  it("works with an expired access token", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    mock.clock.advance(2 * 3_600_000);
    await signOut(auth, { scope: "global" });
    expect(mock.count("/oauth/token")).toBe(0);
    expect(mock.sessions(alice.email).map((s) => s.revoked)).toEqual([true]);
  });

  it("rejects an unknown scope", async () => {
    const { auth } = await ctx.fresh();
    await expect(signOut(auth, { scope: "everyone" as never })).rejects.toBeInstanceOf(TypeError);
  });
});

describe("fixes found while documenting the contract", () => {
  it("wrong current passwords at password change and email change count towards the lockout", async () => {
    const { auth } = await ctx.fresh({ lockout: { maxAttempts: 3 } });
    await signIn(auth, alice);
    const first = await changePassword(auth, {
      currentPassword: "x",
      newPassword: "a new long passphrase",
    }).catch((e) => e);
    expect(first).toBeInstanceOf(InvalidCredentialsError);
    expect(first.remainingAttempts).toBe(2);
    await requestEmailChange(auth, { newEmail: "z@new.example", password: "y" }).catch(() => {});
    const locked = await changePassword(auth, {
      currentPassword: "z",
      newPassword: "a new long passphrase",
    }).catch((e) => e);
    expect(locked.code).toBe("account_locked");
    await expect(
      changePassword(auth, { currentPassword: alice.password, newPassword: "a new long passphrase" }),
    ).rejects.toMatchObject({ code: "account_locked" });
  });

  it("a newer reset request retires the older link, and the newer one works once", async () => {
    const { auth, mock } = await ctx.fresh();
    await requestPasswordReset(auth, { email: alice.email });
    const older = mock.lastEmail()?.token ?? "";
    await requestPasswordReset(auth, { email: alice.email });
    const newer = mock.lastEmail()?.token ?? "";
    // Before any reset: the older link is already dead (it once lived until a reset succeeded).
    await expect(
      resetPassword(auth, { token: older, password: "another passphrase" }),
    ).rejects.toBeInstanceOf(InvalidTokenError);
    await resetPassword(auth, { token: newer, password: "a brand new passphrase" });
    await expect(
      resetPassword(auth, { token: newer, password: "another passphrase" }),
    ).rejects.toBeInstanceOf(InvalidTokenError);
    expect((await signIn(auth, { email: alice.email, password: "a brand new passphrase" })).status).toBe(
      "signed_in",
    );
  });

  it("requestPasswordReset and requestEmailChange accept an empty 202 or a 204", async () => {
    const { auth, mock } = await ctx.fresh();
    mock.faults.inject("/auth/password/reset-request", { status: 204 });
    await expect(requestPasswordReset(auth, { email: alice.email })).resolves.toBeUndefined();
    mock.faults.inject("/auth/password/reset-request", { status: 202, body: "", contentType: "text/plain" });
    await expect(requestPasswordReset(auth, { email: alice.email })).resolves.toBeUndefined();
  });
});
