/**
 * The machine codes of the HTTP contract's problem bodies (RFC 9457 `code`), listed once: the
 * client maps each to its error class (`src/core/http.ts`, a `Record` over this type, so a code
 * cannot be left unmapped) and the mock answers only with these (docs/api.md lists them).
 *
 * @module
 */

/** A problem `code` a tegata server sends. */
export type ProblemCode =
  | "invalid_request"
  | "invalid_credentials"
  | "unauthorized"
  | "account_locked"
  | "rate_limited"
  | "mfa_required"
  | "invalid_mfa_code"
  | "mfa_challenge_expired"
  | "mfa_not_enabled"
  | "not_signed_in"
  | "session_expired"
  | "invalid_session"
  | "email_taken"
  | "invalid_token"
  | "password_policy"
  | "factor_exists"
  | "factor_not_found"
  | "session_not_found"
  | "account_suspended"
  | "email_not_verified"
  | "email_blocked"
  | "user_not_found"
  | "invalid_id_token"
  | "unknown_provider"
  | "identity_conflict"
  | "last_sign_in_method"
  | "invalid_passkey"
  | "passkey_challenge_expired"
  | "passkey_exists"
  | "passkey_not_found"
  | "not_found"
  | "method_not_allowed"
  | "internal_error"
  | "service_unavailable";
