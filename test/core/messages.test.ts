/**
 * Error texts a newcomer meets: each names what is wrong and what is expected.
 */
import { describe, expect, it } from "vitest";
import { signIn } from "../../src/credentials/index";
import { listLoginHistory, loginHistory } from "../../src/history/index";
import { type AuthClient, getSession, onAuthStateChange } from "../../src/index";
import { presets, validatePassword } from "../../src/password/index";
import { generateTotp, verifyTotp } from "../../src/totp/index";
import { useMockServer } from "../support";

const ctx = useMockServer();
const noClient = undefined as unknown as AuthClient;

describe("a missing client is named", () => {
  it.each([
    ["signIn", () => signIn(noClient, { email: "a@example.com", password: "x" })],
    ["getSession", () => getSession(noClient)],
    ["listLoginHistory", () => listLoginHistory(noClient)],
  ])("%s(undefined, …)", async (_name, call) => {
    await expect(call()).rejects.toThrow(
      /first argument must be the client from createAuthClient\(\), got undefined/,
    );
  });

  it("onAuthStateChange(undefined, …)", () => {
    expect(() => onAuthStateChange(noClient, () => {})).toThrow(/createAuthClient\(\), got undefined/);
  });

  it("a missing string field says what it got", async () => {
    const { auth } = await ctx.fresh();
    await expect(signIn(auth, { email: "a@example.com" } as never)).rejects.toThrow(
      /"password" must be a string, got undefined/,
    );
  });
});

describe("tegata/password", () => {
  it("validatePassword(policy, 12345678) says the password must be a string, not that it is empty", () => {
    expect(() => validatePassword(presets.nist, 12345678 as never)).toThrow(/password is not a string/);
  });
});

describe("tegata/totp", () => {
  it("generateTotp({ secret }) says the secret goes first, as a string or bytes", async () => {
    await expect(generateTotp({ secret: "JBSWY3DPEHPK3PXP" } as never)).rejects.toThrow(
      /generateTotp\(secret, options\) needs the secret as a base32 string or a Uint8Array, got object/,
    );
  });

  it.each([
    ["hello!", /not base32/],
    ["", /it is empty/],
    ["JBSWY3DP", /shorter than 16 bytes/],
  ])("a malformed secret %j says why", async (secret, why) => {
    await expect(generateTotp(secret)).rejects.toThrow(why);
    await expect(verifyTotp({ secret, code: "123456" })).rejects.toThrow(why);
  });
});

describe("tegata/history", () => {
  it('loginHistory(auth, { result: "failed" }) names the field and its values, before any request', async () => {
    const { auth, mock } = await ctx.fresh();
    expect(() => loginHistory(auth, { result: "failed" as never })).toThrow(
      /"result" must be one of "success", "failure", "locked", got "failed"/,
    );
    await expect(listLoginHistory(auth, { limit: 0 })).rejects.toThrow(
      /"limit" must be an integer from 1 to 100, got 0/,
    );
    await expect(listLoginHistory(auth, { from: new Date("nope") })).rejects.toThrow(
      /"from" must be a valid Date/,
    );
    expect(mock.requests).toHaveLength(0);
  });
});

// enrollTotp with a factor already there: FactorExistsError, in test/totp/flow.test.ts.
