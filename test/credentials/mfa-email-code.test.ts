import { describe, expect, it } from "vitest";
import { completeMfa, sendMfaEmailCode, signIn } from "../../src/credentials/index";
import { getSession, InvalidMfaCodeError, RateLimitedError } from "../../src/index";
import { bob, useMockServer } from "../support";

const ctx = useMockServer();

describe("the second factor by mail, through the mock", () => {
  it("mails a code the challenge then takes once; the mail names no link and the code only", async () => {
    const { auth, mock } = await ctx.fresh();
    const result = await signIn(auth, bob);
    if (result.status !== "mfa_required") throw new Error("bob has TOTP");
    expect(result.challenge.methods).toContain("email_code");
    const { expiresIn } = await sendMfaEmailCode(auth, { challenge: result.challenge });
    expect(expiresIn).toBe(300);
    const mail = mock.lastEmail(bob.email, "mfa_code");
    expect(mail?.code).toMatch(/^\d{6}$/);
    expect(mail?.link).toBeUndefined();
    const wrong = String((Number(mail?.code) + 1) % 1_000_000).padStart(6, "0");
    await expect(completeMfa(auth, { challenge: result.challenge, emailCode: wrong })).rejects.toBeInstanceOf(
      InvalidMfaCodeError,
    );
    const { session } = await completeMfa(auth, {
      challenge: result.challenge,
      emailCode: ` ${mail?.code} `,
    });
    expect(session.user?.email).toBe(bob.email);
    expect((await getSession(auth))?.accessToken).toBe(session.accessToken);
    expect(mock.loginAttempts.at(-1)).toMatchObject({ method: "email_code", result: "success" });
  });

  it("three codes per challenge, each replacing the last", async () => {
    const { auth, mock } = await ctx.fresh();
    const result = await signIn(auth, bob);
    if (result.status !== "mfa_required") throw new Error("bob has TOTP");
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      await sendMfaEmailCode(auth, { challenge: result.challenge.id });
      codes.push(mock.lastEmail(bob.email, "mfa_code")?.code ?? "");
    }
    await expect(sendMfaEmailCode(auth, { challenge: result.challenge })).rejects.toBeInstanceOf(
      RateLimitedError,
    );
    const newest = codes[2] ?? "";
    const { session } = await completeMfa(auth, { challenge: result.challenge, emailCode: newest });
    expect(session.user?.email).toBe(bob.email);
  });
});
