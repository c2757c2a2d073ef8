import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { httpError } from "../../src/core/http";
import { PROBLEM_ERRORS } from "../../src/core/problems";
import {
  AccountLockedError,
  FactorExistsError,
  type HttpError,
  InvalidCredentialsError,
  isTegataError,
  type KnownTegataError,
  NetworkError,
  PasswordPolicyError,
  TegataError,
} from "../../src/index";
import type { ProblemCode } from "../../src/wire/index";

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
    if (!isTegataError(e, "invalid_credentials")) throw new Error("expected the narrowing to hold");
    expect(e.remainingAttempts).toBe(2);
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
    if (!isTegataError(p, "password_policy")) throw new Error("expected the narrowing to hold");
    expect(p.issues[0]?.code).toBe("too_short");
  });
});

describe("one constructor, literal codes", () => {
  it("every class takes (message, options) and carries its literal code", () => {
    const network = new NetworkError("down", { status: 0 });
    const literal: "network_error" = network.code; // compiles only when the code is the literal
    expect(literal).toBe("network_error");
    expect(NetworkError.code).toBe("network_error");
    const locked = new AccountLockedError("locked", { retryAfter: 5 });
    const lockedCode: "account_locked" = locked.code;
    expect(lockedCode).toBe("account_locked");
  });

  it("switch (error.code) narrows a KnownTegataError to its class", () => {
    const explain = (error: KnownTegataError): string => {
      switch (error.code) {
        case "account_locked":
          return `locked ${error.retryAfter}`;
        case "invalid_credentials":
          return `left ${error.remainingAttempts}`;
        case "password_policy":
          return `issues ${error.issues.length}`;
        default:
          return error.code;
      }
    };
    expect(explain(new AccountLockedError("x", { retryAfter: 9 }))).toBe("locked 9");
    expect(explain(new InvalidCredentialsError("x", { remainingAttempts: 2 }))).toBe("left 2");
    expect(explain(new PasswordPolicyError("x"))).toBe("issues 0");
    expect(explain(new FactorExistsError("x"))).toBe("factor_exists");
  });
});

describe("problem codes: one list for client and mock", () => {
  // Each code of the wire's ProblemCode, with the class the client maps it to (HttpError: none of its own).
  const expected: Record<ProblemCode, string> = {
    invalid_request: "InvalidRequestError",
    invalid_credentials: "InvalidCredentialsError",
    unauthorized: "UnauthorizedError",
    account_locked: "AccountLockedError",
    rate_limited: "RateLimitedError",
    mfa_required: "MfaRequiredError",
    invalid_mfa_code: "InvalidMfaCodeError",
    mfa_challenge_expired: "MfaChallengeExpiredError",
    mfa_not_enabled: "MfaNotEnabledError",
    not_signed_in: "SessionExpiredError",
    session_expired: "SessionExpiredError",
    invalid_session: "SessionExpiredError",
    email_taken: "EmailTakenError",
    invalid_token: "InvalidTokenError",
    password_policy: "PasswordPolicyError",
    factor_exists: "FactorExistsError",
    factor_not_found: "HttpError",
    session_not_found: "HttpError",
    account_suspended: "AccountSuspendedError",
    email_not_verified: "EmailNotVerifiedError",
    email_blocked: "EmailBlockedError",
    user_not_found: "UserNotFoundError",
    invalid_id_token: "IdTokenValidationError",
    unknown_provider: "UnknownProviderError",
    identity_conflict: "IdentityConflictError",
    last_sign_in_method: "LastSignInMethodError",
    invalid_passkey: "InvalidPasskeyError",
    passkey_challenge_expired: "PasskeyChallengeExpiredError",
    passkey_exists: "PasskeyExistsError",
    passkey_not_found: "HttpError",
    not_found: "HttpError",
    method_not_allowed: "HttpError",
    internal_error: "HttpError",
    service_unavailable: "HttpError",
  };
  it.each(Object.entries(expected))("%s becomes %s", (code, name) => {
    const response = new Response(JSON.stringify({ code, retry_after: 3, remaining_attempts: 1 }), {
      status: 400,
      headers: { "content-type": "application/problem+json" },
    });
    const error = httpError(response, JSON.stringify({ code }), undefined, PROBLEM_ERRORS);
    expect(error.name).toBe(name);
    expect(error.status).toBe(400);
    // A class of its own carries no problemCode; the generic HttpError names the code.
    expect((error as Partial<HttpError>).problemCode).toBe(name === "HttpError" ? code : undefined);
  });

  it("every code the server (and so the mock) sends is in the list", () => {
    const dir = join(__dirname, "../../src/server");
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    const source = files.map((f) => readFileSync(join(dir, f), "utf8")).join("\n");
    const sent = [...source.matchAll(/(?:new DomainError|problem)\(\s*"([a-z_]+)"/g)].map((m) => m[1]);
    expect(sent.length).toBeGreaterThan(5);
    for (const code of sent) expect(Object.keys(expected)).toContain(code);
  });
});

describe("a password_policy problem", () => {
  it("keeps the issues of the contract's shape and drops the rest, never failing the problem", () => {
    const issues = [
      { code: "too_short", message: "Use at least 8 characters", params: { min: 8 } },
      { code: "common", message: "This password is too common" },
      { code: 7, message: "not a string code" },
      "not an object",
      { message: "no code" },
    ];
    const body = JSON.stringify({ code: "password_policy", issues });
    const error = httpError(new Response(null, { status: 400 }), body, undefined, PROBLEM_ERRORS);
    expect(error.name).toBe("PasswordPolicyError");
    expect((error as unknown as { issues: unknown[] }).issues).toEqual(issues.slice(0, 2));
  });
});

describe("a problem code that names an Object property", () => {
  it.each(["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"])(
    "%s is an HttpError with that problemCode, never a non-tegata error",
    (code) => {
      const body = JSON.stringify({ code });
      for (const problems of [undefined, PROBLEM_ERRORS]) {
        const error = httpError(new Response(null, { status: 400 }), body, undefined, problems);
        expect(error.name).toBe("HttpError");
        expect((error as HttpError).problemCode).toBe(code);
      }
    },
  );
});
