import { describe, expect, it } from "vitest";
import { completeMfa, getUser, signIn } from "../../src/credentials/index";
import {
  AccountLockedError,
  getSession,
  InvalidCredentialsError,
  InvalidMfaCodeError,
  isTegataError,
  MfaChallengeExpiredError,
  onAuthStateChange,
} from "../../src/index";
import { alice, bob, useMockServer } from "../support";

const ctx = useMockServer();

describe("signIn", () => {
  it("signs in with email and password and stores the session", async () => {
    const { auth } = await ctx.fresh();
    const events: string[] = [];
    onAuthStateChange(auth, (event) => events.push(event));
    const result = await signIn(auth, alice);
    expect(result.status).toBe("signed_in");
    if (result.status !== "signed_in") throw new Error("unreachable");
    expect(result.session.user?.email).toBe(alice.email);
    expect(result.session.tokenType).toBe("Bearer");
    expect(result.session.refreshToken).toBeTypeOf("string");
    expect(result.session.expiresAt?.getTime()).toBe(Date.UTC(2026, 10, 25, 10, 0, 0));
    expect(await getSession(auth)).toEqual(result.session);
    expect(events).toEqual(["SIGNED_IN"]);
  });

  it("treats the email case- and space-insensitively", async () => {
    const { auth } = await ctx.fresh();
    const result = await signIn(auth, { email: "  ALICE@example.com ", password: alice.password });
    expect(result.status).toBe("signed_in");
  });

  it("gives InvalidCredentialsError with remainingAttempts for a wrong password", async () => {
    const { auth } = await ctx.fresh();
    const error = await signIn(auth, { email: alice.email, password: "nope" }).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect(error.code).toBe("invalid_credentials");
    expect(error.status).toBe(401);
    expect(error.remainingAttempts).toBe(4);
    expect(await getSession(auth)).toBeNull();
  });

  it("answers an unknown email exactly like a wrong password (no enumeration)", async () => {
    const { auth } = await ctx.fresh();
    const unknown = await signIn(auth, { email: "nobody@example.com", password: "x" }).catch((e) => e);
    const wrong = await signIn(auth, { email: alice.email, password: "x" }).catch((e) => e);
    expect(unknown.code).toBe(wrong.code);
    expect(unknown.remainingAttempts).toBe(wrong.remainingAttempts);
  });

  it("locks the account after maxAttempts failures, with retryAfter, until the duration passes", async () => {
    const { auth, mock } = await ctx.fresh({ lockout: { maxAttempts: 3, durationSeconds: 600 } });
    const wrong = { email: alice.email, password: "wrong" };
    await expect(signIn(auth, wrong)).rejects.toMatchObject({ remainingAttempts: 2 });
    await expect(signIn(auth, wrong)).rejects.toMatchObject({ remainingAttempts: 1 });
    const locked = await signIn(auth, wrong).catch((e) => e);
    expect(locked).toBeInstanceOf(AccountLockedError);
    expect(locked.retryAfter).toBe(600);
    expect(locked.status).toBe(423);
    // Even the right password is refused while locked.
    mock.clock.advance(60_000);
    const still = await signIn(auth, alice).catch((e) => e);
    expect(still).toBeInstanceOf(AccountLockedError);
    expect(still.retryAfter).toBe(540);
    mock.clock.advance(540_000);
    expect((await signIn(auth, alice)).status).toBe("signed_in");
    expect(mock.loginAttempts.map((a) => a.result)).toEqual([
      "failure",
      "failure",
      "locked",
      "locked",
      "success",
    ]);
  });

  it("resets the failure count after a success", async () => {
    const { auth } = await ctx.fresh({ lockout: { maxAttempts: 3 } });
    await signIn(auth, { email: alice.email, password: "wrong" }).catch(() => {});
    await signIn(auth, alice);
    const error = await signIn(auth, { email: alice.email, password: "wrong" }).catch((e) => e);
    expect(error.remainingAttempts).toBe(2);
  });

  it("sends remember to the server, and leaves it out when not given", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, { ...alice, remember: false });
    await signIn(auth, { ...alice, remember: true });
    await signIn(auth, alice);
    expect(mock.requests.map((r) => r.body)).toEqual([
      { email: alice.email, password: alice.password, remember: false },
      { email: alice.email, password: alice.password, remember: true },
      { email: alice.email, password: alice.password },
    ]);
  });

  it("throws TypeError for a missing email or password (a programming error)", async () => {
    const { auth } = await ctx.fresh();
    // @ts-expect-error testing bad input
    await expect(signIn(auth, { email: alice.email })).rejects.toBeInstanceOf(TypeError);
    // @ts-expect-error testing bad input
    await expect(signIn(auth, undefined)).rejects.toBeInstanceOf(TypeError);
  });

  it("never puts the password in an error message or toString()", async () => {
    const { auth } = await ctx.fresh();
    const secret = "super-secret-password-123";
    const error = await signIn(auth, { email: alice.email, password: secret }).catch((e) => e);
    expect(String(error)).not.toContain(secret);
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
  });
});

describe("the second-factor challenge", () => {
  it("returns mfa_required for a user with TOTP, then signs in with the code", async () => {
    const { auth, mock } = await ctx.fresh();
    const result = await signIn(auth, bob);
    expect(result.status).toBe("mfa_required");
    if (result.status !== "mfa_required") throw new Error("unreachable");
    expect(result.challenge.methods).toEqual(["totp", "recovery_code", "email_code"]);
    expect(result.challenge.expiresAt.getTime()).toBe(mock.clock.now() + 300_000);
    expect(await getSession(auth)).toBeNull();

    const code = await mock.totp(bob.email);
    const done = await completeMfa(auth, { challenge: result.challenge, code });
    expect(done.session.user?.email).toBe(bob.email);
    expect((await getUser(auth)).email).toBe(bob.email);
  });

  it("accepts a code from the previous 30-second step (window 1) but not two steps back", async () => {
    const { auth, mock } = await ctx.fresh();
    const previous = await mock.totp(bob.email, mock.clock.now() - 30_000);
    const old = await mock.totp(bob.email, mock.clock.now() - 60_000);
    const first = await signIn(auth, bob);
    if (first.status !== "mfa_required") throw new Error("unreachable");
    await expect(completeMfa(auth, { challenge: first.challenge, code: old })).rejects.toBeInstanceOf(
      InvalidMfaCodeError,
    );
    await expect(completeMfa(auth, { challenge: first.challenge, code: previous })).resolves.toMatchObject({
      status: "signed_in",
    });
  });

  it("refuses a replayed TOTP code (RFC 6238 section 5.2)", async () => {
    const { auth, mock } = await ctx.fresh();
    const code = await mock.totp(bob.email);
    const a = await signIn(auth, bob);
    if (a.status !== "mfa_required") throw new Error("unreachable");
    await completeMfa(auth, { challenge: a.challenge, code });
    const b = await signIn(auth, bob);
    if (b.status !== "mfa_required") throw new Error("unreachable");
    await expect(completeMfa(auth, { challenge: b.challenge, code })).rejects.toBeInstanceOf(
      InvalidMfaCodeError,
    );
  });

  it("gives InvalidMfaCodeError with remainingAttempts, then locks after too many wrong codes", async () => {
    const { auth } = await ctx.fresh({ lockout: { maxAttempts: 2 } });
    const r = await signIn(auth, bob);
    if (r.status !== "mfa_required") throw new Error("unreachable");
    const first = await completeMfa(auth, { challenge: r.challenge, code: "000000" }).catch((e) => e);
    expect(first).toBeInstanceOf(InvalidMfaCodeError);
    expect(first.remainingAttempts).toBe(1);
    const second = await completeMfa(auth, { challenge: r.challenge, code: "000001" }).catch((e) => e);
    expect(second).toBeInstanceOf(AccountLockedError);
    expect(second.retryAfter).toBe(900);
  });

  it("accepts each recovery code once, ignoring dashes and case", async () => {
    const { auth, mock } = await ctx.fresh();
    const a = await signIn(auth, bob);
    if (a.status !== "mfa_required") throw new Error("unreachable");
    await completeMfa(auth, { challenge: a.challenge, recoveryCode: "AAAA BBBB CCCC" });
    expect(mock.users.get(bob.email)?.recoveryCodesLeft).toBe(1);
    const b = await signIn(auth, bob);
    if (b.status !== "mfa_required") throw new Error("unreachable");
    await expect(
      completeMfa(auth, { challenge: b.challenge, recoveryCode: bob.recoveryCodes[0] }),
    ).rejects.toBeInstanceOf(InvalidMfaCodeError);
  });

  it("refuses an expired challenge with MfaChallengeExpiredError", async () => {
    const { auth, mock } = await ctx.fresh();
    const r = await signIn(auth, bob);
    if (r.status !== "mfa_required") throw new Error("unreachable");
    mock.clock.advance(301_000);
    const code = await mock.totp(bob.email);
    const error = await completeMfa(auth, { challenge: r.challenge, code }).catch((e) => e);
    expect(error).toBeInstanceOf(MfaChallengeExpiredError);
    expect(isTegataError(error, "mfa_challenge_expired")).toBe(true);
  });

  it("refuses a challenge used twice with MfaChallengeExpiredError", async () => {
    const { auth, mock } = await ctx.fresh();
    const r = await signIn(auth, bob);
    if (r.status !== "mfa_required") throw new Error("unreachable");
    await completeMfa(auth, { challenge: r.challenge, code: await mock.totp(bob.email) });
    mock.clock.advance(30_000);
    const again = await completeMfa(auth, {
      challenge: r.challenge.id,
      code: await mock.totp(bob.email),
    }).catch((e) => e);
    expect(again).toBeInstanceOf(MfaChallengeExpiredError);
  });

  it("needs a code or a recovery code", async () => {
    const { auth } = await ctx.fresh();
    // @ts-expect-error testing bad input
    await expect(completeMfa(auth, { challenge: "chl_x" })).rejects.toBeInstanceOf(TypeError);
    await expect(completeMfa(auth, { challenge: "chl_x", code: " " })).rejects.toMatchObject({
      code: "invalid_request",
    });
  });
});
