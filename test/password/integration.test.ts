import { describe, expect, it } from "vitest";
import {
  changePassword,
  requestPasswordReset,
  resetPassword,
  signIn,
  signUp,
} from "../../src/credentials/index";
import { PasswordPolicyError } from "../../src/index";
import { presets } from "../../src/password/index";
import { alice, useMockServer } from "../support";

const ctx = useMockServer();

describe("one policy for the form and the server", () => {
  it("signUp refuses a password that fails the policy without sending it", async () => {
    const { auth, mock } = await ctx.fresh({ passwordPolicy: presets.nist });
    const error = await signUp(auth, {
      email: "hanako@example.jp",
      password: "iloveyou",
      policy: presets.nist,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(PasswordPolicyError);
    expect(error.issues.map((i: { code: string }) => i.code)).toEqual(["common"]);
    expect(`${error.message} ${String(error)}`).not.toContain("iloveyou");
    expect(mock.count("/auth/sign-up")).toBe(0);
  });

  it("signUp uses the email and name as context words", async () => {
    const { auth } = await ctx.fresh();
    const error = await signUp(auth, {
      email: "hanako@example.jp",
      name: "Hanako",
      password: "hanako-rocks-2026",
      policy: presets.nist,
    }).catch((e) => e);
    expect(error.issues[0].code).toBe("context_word");
  });

  it("the mock enforces the same policy object server-side, with the same codes", async () => {
    const { auth } = await ctx.fresh({ passwordPolicy: presets.halfWidthAlnum });
    const error = await signUp(auth, { email: "taro@example.jp", password: "ａｂｃ１２３" }).catch((e) => e);
    expect(error).toBeInstanceOf(PasswordPolicyError);
    expect(error.status).toBe(422);
    expect(error.issues.map((i: { code: string }) => i.code)).toEqual([
      "full_width",
      "missing_letter",
      "missing_digit",
    ]);
    expect(error.issues[0].message).toBe("全角文字が含まれています。半角で入力してください");
    await expect(signUp(auth, { email: "taro@example.jp", password: "abc123" })).resolves.toMatchObject({
      status: "signed_in",
    });
  });

  it("resetPassword and changePassword check the policy first", async () => {
    const { auth, mock } = await ctx.fresh();
    await requestPasswordReset(auth, { email: alice.email });
    const token = mock.lastEmail()?.token ?? "";
    await expect(
      resetPassword(auth, { token, password: "12345678", policy: presets.nist }),
    ).rejects.toBeInstanceOf(PasswordPolicyError);
    expect(mock.count("/auth/password/reset")).toBe(0);
    await signIn(auth, alice);
    const error = await changePassword(auth, {
      currentPassword: alice.password,
      newPassword: "alice-wonderland",
      policy: presets.nist,
    }).catch((e) => e);
    expect(error.issues[0].code).toBe("context_word");
    expect(mock.count("/auth/password/change")).toBe(0);
  });
});
