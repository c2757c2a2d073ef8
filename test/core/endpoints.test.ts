import { describe, expect, it } from "vitest";
import * as endpoints from "../../src/core/endpoints";
import { defaultEndpoints, type EndpointRef } from "../../src/core/endpoints";
import { GENERIC_PROBLEMS, PROBLEM_ERRORS } from "../../src/core/problems";
import type { ProblemCode } from "../../src/wire";

// The problem codes the server answers at each endpoint beyond the generic ones (invalid_request,
// unauthorized, account_locked, rate_limited, account_suspended), traced through its routes and
// domain (src/server/http/routes, src/server/domain) and listed in docs/api.md. Codes without a
// class of their own (factor_not_found, session_not_found, passkey_not_found, not_found) are left
// out: they are an HttpError with problemCode at every endpoint.
const answered: Partial<Record<keyof typeof defaultEndpoints, ProblemCode[]>> = {
  // mfa_required: the server answers 200 with status "mfa_required"; a server that sends it as a
  // problem gets MfaRequiredError at the three sign-in endpoints.
  signIn: ["invalid_credentials", "email_not_verified", "mfa_required"],
  mfaVerify: ["mfa_challenge_expired", "invalid_mfa_code"],
  mfaEmailCode: ["mfa_challenge_expired"],
  signUp: ["email_taken", "email_blocked", "password_policy", "email_not_verified"],
  passwordReset: ["invalid_token", "password_policy"],
  passwordChange: ["invalid_credentials", "password_policy"],
  emailChangeRequest: ["invalid_credentials", "email_taken", "email_blocked"],
  emailChangeConfirm: ["invalid_token", "email_taken", "email_blocked"],
  emailChangeCancel: ["invalid_token"],
  emailVerify: ["invalid_token"],
  accountUnlock: ["invalid_token"],
  mfaTotpEnroll: ["factor_exists"],
  mfaTotpActivate: ["factor_exists", "invalid_mfa_code"],
  mfaFactorRemove: ["invalid_mfa_code"],
  mfaRecoveryCodes: ["mfa_not_enabled", "invalid_mfa_code"],
  lastLogin: ["user_not_found"],
  accountDelete: ["invalid_credentials", "invalid_mfa_code", "mfa_not_enabled", "user_not_found"],
  identitySignIn: [
    "unknown_provider",
    "invalid_id_token",
    "identity_conflict",
    "email_blocked",
    "mfa_required",
  ],
  identityLink: [
    "unknown_provider",
    "invalid_id_token",
    "invalid_credentials",
    "invalid_mfa_code",
    "mfa_not_enabled",
    "identity_conflict",
  ],
  identityUnlink: ["last_sign_in_method"],
  passkeyRegister: ["invalid_passkey", "passkey_challenge_expired", "passkey_exists"],
  passkeySignIn: ["invalid_passkey", "passkey_challenge_expired", "mfa_required"],
  passkeyRemove: ["last_sign_in_method"],
};

const refs = Object.values(endpoints).filter((v): v is EndpointRef => Array.isArray(v));

describe("the endpoint constants", () => {
  it("one per endpoint of the contract, each at its default path", () => {
    expect(refs.map(([name]) => name).sort()).toEqual(Object.keys(defaultEndpoints).sort());
    for (const [name, path] of refs) expect(path, name).toBe(defaultEndpoints[name]);
  });

  it("each maps the codes its endpoint answers to the same classes as the full table", () => {
    for (const [name, , problems = {}] of refs) {
      expect(Object.keys(problems).sort(), name).toEqual([...(answered[name] ?? [])].sort());
      for (const [code, build] of Object.entries(problems)) {
        expect(build, `${name}: ${code}`).toBe(PROBLEM_ERRORS[code as ProblemCode]);
      }
    }
  });

  it("the generic codes are the full table's", () => {
    for (const [code, build] of Object.entries(GENERIC_PROBLEMS)) {
      expect(build, code).toBe(PROBLEM_ERRORS[code as ProblemCode]);
    }
    // Every code with a class is generic or answered by some endpoint: none is unreachable.
    const reachable = new Set([...Object.keys(GENERIC_PROBLEMS), ...Object.values(answered).flat()]);
    const withClass = Object.entries(PROBLEM_ERRORS).filter(([, build]) => build !== null);
    for (const [code] of withClass) expect(reachable, code).toContain(code);
  });
});
