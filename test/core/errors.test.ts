import { describe, expect, it } from "vitest";
import {
  AccountLockedError,
  InvalidCredentialsError,
  isTegataError,
  NetworkError,
  PasswordPolicyError,
  TegataError,
} from "../../src/index";

describe("the error family", () => {
  it("has stable codes, names and static codes", () => {
    const e = new AccountLockedError("locked", { retryAfter: 30, status: 423 });
    expect(e).toBeInstanceOf(TegataError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe("account_locked");
    expect(AccountLockedError.code).toBe("account_locked");
    expect(e.name).toBe("AccountLockedError");
    expect(e.retryAfter).toBe(30);
    expect(e.status).toBe(423);
  });

  it("keeps the cause, scrubbed to its name, message, code and stack frames", () => {
    const cause = Object.assign(new TypeError("fetch failed"), {
      code: "ECONNREFUSED",
      request: { headers: { authorization: "Bearer SECRET" } },
    });
    const error = new NetworkError("down", { cause });
    const kept = error.cause as Error & { code?: string; request?: unknown };
    expect(kept).toBeInstanceOf(Error);
    expect(kept.name).toBe("TypeError");
    expect(kept.message).toBe("fetch failed");
    expect(kept.code).toBe("ECONNREFUSED");
    expect(kept.request).toBeUndefined();
    expect(kept.stack?.split("\n")[0]).toBe("TypeError: fetch failed");
  });

  it("isTegataError narrows by code", () => {
    const e: unknown = new InvalidCredentialsError("no", { remainingAttempts: 2 });
    expect(isTegataError(e)).toBe(true);
    expect(isTegataError(e, "invalid_credentials")).toBe(true);
    expect(isTegataError(e, "account_locked")).toBe(false);
    if (isTegataError(e, "invalid_credentials"))
      expect((e as InvalidCredentialsError).remainingAttempts).toBe(2);
  });

  it("isTegataError recognises errors from another bundled copy by their marker", () => {
    const foreign = Object.assign(new Error("x"), { code: "invalid_credentials", __tegataError: true });
    expect(isTegataError(foreign, "invalid_credentials")).toBe(true);
    expect(isTegataError(new Error("x"))).toBe(false);
    expect(isTegataError(null)).toBe(false);
    expect(isTegataError("invalid_credentials")).toBe(false);
  });

  it("PasswordPolicyError carries issues and defaults to none", () => {
    expect(new PasswordPolicyError("weak").issues).toEqual([]);
    const issues = [{ code: "too_short", message: "短すぎます", params: { min: 8 } }];
    expect(new PasswordPolicyError("weak", { issues }).issues).toEqual(issues);
  });
});

describe("isTegataError narrows by code to the class", () => {
  it("gives typed access to the class's fields", () => {
    const e: unknown = new AccountLockedError("locked", { retryAfter: 60 });
    if (isTegataError(e, "account_locked")) {
      const seconds: number | undefined = e.retryAfter; // compiles only with the narrowing overload
      expect(seconds).toBe(60);
    } else {
      throw new Error("unreachable");
    }
    const p: unknown = new PasswordPolicyError("x", { issues: [{ code: "too_short", message: "m" }] });
    if (isTegataError(p, "password_policy")) expect(p.issues[0]?.code).toBe("too_short");
  });
});
