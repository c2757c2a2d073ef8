import { describe, expect, it } from "vitest";
import { completeMfa, signIn } from "../../src/credentials/index";
import {
  AccountLockedError,
  FactorExistsError,
  InvalidMfaCodeError,
  NotSignedInError,
} from "../../src/index";
import {
  activateTotp,
  enrollTotp,
  generateTotp,
  listFactors,
  regenerateRecoveryCodes,
  removeFactor,
} from "../../src/totp/index";
import { alice, bob, useMockServer } from "../support";

const ctx = useMockServer();

describe("TOTP enrollment and management against the mock", () => {
  it("enroll → activate → sign in with the challenge → recovery code, end to end", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    const enrollment = await enrollTotp(auth, { issuer: "スキル市場" });
    expect(enrollment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(new URL(enrollment.uri).searchParams.get("issuer")).toBe("スキル市場");
    expect(enrollment.qrSvg).toMatch(/^<svg/); // the optional qrcode peer is installed here
    expect((await listFactors(auth)).map((f) => f.status)).toEqual(["pending"]);

    const code = await generateTotp(enrollment.secret, { time: mock.clock.now() });
    const { recoveryCodes } = await activateTotp(auth, { factorId: enrollment.factorId, code });
    expect(recoveryCodes).toHaveLength(10);
    const [factor] = await listFactors(auth);
    expect(factor).toMatchObject({ id: enrollment.factorId, status: "active", type: "totp" });
    expect(factor?.lastUsedAt).toBeInstanceOf(Date);

    // Signing in now asks for the second factor; the activation code cannot be replayed.
    const r = await signIn(auth, alice);
    if (r.status !== "mfa_required") throw new Error("expected a challenge");
    await expect(completeMfa(auth, { challenge: r.challenge, code })).rejects.toBeInstanceOf(
      InvalidMfaCodeError,
    );
    mock.clock.advance(30_000);
    const fresh = await generateTotp(enrollment.secret, { time: mock.clock.now() });
    await completeMfa(auth, { challenge: r.challenge, code: fresh });

    // A recovery code works once.
    const r2 = await signIn(auth, alice);
    if (r2.status !== "mfa_required") throw new Error("expected a challenge");
    await completeMfa(auth, { challenge: r2.challenge, recoveryCode: recoveryCodes[0] ?? "" });
    const r3 = await signIn(auth, alice);
    if (r3.status !== "mfa_required") throw new Error("expected a challenge");
    await expect(
      completeMfa(auth, { challenge: r3.challenge, recoveryCode: recoveryCodes[0] ?? "" }),
    ).rejects.toBeInstanceOf(InvalidMfaCodeError);
    expect(mock.users.get(alice.email)?.recoveryCodesLeft).toBe(9);
  });

  it("refuses a wrong activation code and counts it towards the lockout", async () => {
    const { auth } = await ctx.fresh({ lockout: { maxAttempts: 2 } });
    await signIn(auth, alice);
    const { factorId } = await enrollTotp(auth);
    const first = await activateTotp(auth, { factorId, code: "000000" }).catch((e) => e);
    expect(first).toBeInstanceOf(InvalidMfaCodeError);
    expect(first.remainingAttempts).toBe(1);
    await expect(activateTotp(auth, { factorId, code: "000001" })).rejects.toBeInstanceOf(AccountLockedError);
  });

  it("regenerates recovery codes with a TOTP code; the old ones stop working", async () => {
    const { auth, mock } = await ctx.fresh();
    const r = await signIn(auth, bob);
    if (r.status !== "mfa_required") throw new Error("expected a challenge");
    await completeMfa(auth, { challenge: r.challenge, code: await mock.totp(bob.email) });
    mock.clock.advance(30_000);
    const { recoveryCodes } = await regenerateRecoveryCodes(auth, { code: await mock.totp(bob.email) });
    expect(recoveryCodes).toHaveLength(10);
    const again = await signIn(auth, bob);
    if (again.status !== "mfa_required") throw new Error("expected a challenge");
    await expect(
      completeMfa(auth, { challenge: again.challenge, recoveryCode: bob.recoveryCodes[1] }),
    ).rejects.toBeInstanceOf(InvalidMfaCodeError);
    await completeMfa(auth, { challenge: again.challenge, recoveryCode: recoveryCodes[3] ?? "" });
  });

  it("removes a factor only with a valid code, then sign-in needs no second factor", async () => {
    const { auth, mock } = await ctx.fresh();
    const r = await signIn(auth, bob);
    if (r.status !== "mfa_required") throw new Error("expected a challenge");
    await completeMfa(auth, { challenge: r.challenge, code: await mock.totp(bob.email) });
    const [factor] = await listFactors(auth);
    await expect(removeFactor(auth, { factorId: factor?.id ?? "", code: "999999" })).rejects.toBeInstanceOf(
      InvalidMfaCodeError,
    );
    await expect(removeFactor(auth, { factorId: "fac_nope", code: "123456" })).rejects.toMatchObject({
      status: 404,
      problemCode: "factor_not_found",
    });
    await removeFactor(auth, { factorId: factor?.id ?? "", code: bob.recoveryCodes[1] });
    expect(await listFactors(auth)).toEqual([]);
    expect((await signIn(auth, bob)).status).toBe("signed_in");
  });

  it("refuses a second enrollment while a factor is active, and needs a session", async () => {
    const { auth, mock } = await ctx.fresh();
    await expect(enrollTotp(auth)).rejects.toBeInstanceOf(NotSignedInError);
    const r = await signIn(auth, bob);
    if (r.status !== "mfa_required") throw new Error("expected a challenge");
    await completeMfa(auth, { challenge: r.challenge, code: await mock.totp(bob.email) });
    const refused = await enrollTotp(auth).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(FactorExistsError);
    expect(refused).toMatchObject({ code: "factor_exists", status: 409 });
  });
});
