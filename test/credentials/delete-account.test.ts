import { describe, expect, it } from "vitest";
import { completeMfa, deleteAccount, signIn, signUp } from "../../src/credentials/index";
import { getLastLogin } from "../../src/history/index";
import {
  createAuthClient,
  EmailBlockedError,
  getSession,
  InvalidCredentialsError,
  InvalidMfaCodeError,
  InvalidRequestError,
  isTegataError,
  NotSignedInError,
  onAuthStateChange,
  UserNotFoundError,
} from "../../src/index";
import { alice, bob, useMockServer } from "../support";

const ctx = useMockServer();

describe("deleteAccount (退会)", () => {
  it("with the password: the account is gone, this device signed out, the address blocked from sign-up", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    const aliceId = mock.users.get(alice.email)?.id ?? "";
    const events: string[] = [];
    onAuthStateChange(auth, (event) => events.push(event));
    await deleteAccount(auth, { password: alice.password });
    expect(events).toEqual(["SIGNED_OUT"]);
    expect(await getSession(auth)).toBeNull();
    expect(mock.users.get(alice.email)).toBeUndefined();
    expect(mock.sessions(alice.email)).toEqual([]);
    expect(mock.loginAttempts.filter((a) => a.userId === aliceId)).toEqual([]);
    await expect(signIn(auth, alice)).rejects.toBeInstanceOf(InvalidCredentialsError);
    const error = await signUp(auth, { email: alice.email, password: "another long passphrase" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EmailBlockedError);
    expect((error as EmailBlockedError).retryAfter).toBe(30 * 24 * 3600);
    // Another user asking for the deleted account's last login: it is gone.
    const other = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
    await signIn(other, bob).then((r) =>
      r.status === "mfa_required"
        ? mock.totp(bob.email).then((code) => completeMfa(other, { challenge: r.challenge, code }))
        : r,
    );
    await expect(getLastLogin(other, aliceId)).rejects.toBeInstanceOf(UserNotFoundError);
  });

  it("the block ends after deletedEmailBlockSeconds: the address registers again", async () => {
    const { auth, mock } = await ctx.fresh({ deletedEmailBlockSeconds: 3600 });
    await signIn(auth, alice);
    await deleteAccount(auth, { password: alice.password });
    await expect(
      signUp(auth, { email: alice.email, password: "another long passphrase" }),
    ).rejects.toBeInstanceOf(EmailBlockedError);
    mock.clock.advance(3600_000);
    const result = await signUp(auth, { email: alice.email, password: "another long passphrase" });
    expect(result.session.user?.email).toBe(alice.email);
  });

  it("a wrong password deletes nothing and counts towards the lockout", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    const error = await deleteAccount(auth, { password: "not the password" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect((error as InvalidCredentialsError).remainingAttempts).toBe(4);
    expect(mock.users.get(alice.email)).toBeDefined();
    expect(await getSession(auth)).not.toBeNull();
  });

  it("with a second factor: a TOTP code or a recovery code; a wrong code deletes nothing", async () => {
    const { auth, mock } = await ctx.fresh();
    const first = await signIn(auth, bob);
    if (first.status !== "mfa_required") throw new Error("bob has TOTP");
    mock.clock.advance(30_000);
    await completeMfa(auth, { challenge: first.challenge, code: await mock.totp(bob.email) });
    await expect(deleteAccount(auth, { code: "000000" })).rejects.toBeInstanceOf(InvalidMfaCodeError);
    expect(mock.users.get(bob.email)).toBeDefined();
    await deleteAccount(auth, { code: bob.recoveryCodes[0] });
    expect(mock.users.get(bob.email)).toBeUndefined();
  });

  it("refuses without proof for an account with a password, and without a session", async () => {
    const { auth } = await ctx.fresh();
    await expect(deleteAccount(auth, { password: alice.password })).rejects.toBeInstanceOf(NotSignedInError);
    await signIn(auth, alice);
    await expect(deleteAccount(auth)).rejects.toBeInstanceOf(InvalidRequestError);
    // @ts-expect-error: both at once is refused before any request
    await expect(deleteAccount(auth, { password: "x", code: "123456" })).rejects.toBeInstanceOf(TypeError);
    await expect(deleteAccount(auth, { password: "" })).rejects.toBeInstanceOf(TypeError);
  });

  it("the typed error is narrowed by isTegataError", async () => {
    const { auth } = await ctx.fresh();
    await signIn(auth, alice);
    await deleteAccount(auth, { password: alice.password });
    const error = await signUp(auth, { email: alice.email, password: "another long passphrase" }).catch(
      (e: unknown) => e,
    );
    expect(isTegataError(error, "email_blocked") && error.retryAfter).toBeGreaterThan(0);
  });
});
