/**
 * The error family of tegata.
 *
 * Every error thrown by tegata is a {@link TegataError} with a stable string `code`. Subclasses
 * carry the fields a caller needs to react (for example `retryAfter` on {@link AccountLockedError}).
 * Messages never contain passwords, tokens or response bodies; the original error is kept as
 * `cause` (ES2022).
 *
 * @module
 */

/** Every `code` a tegata error can carry. Widened with `string & {}` so future codes stay assignable. */
export type TegataErrorCode =
  | "network_error"
  | "timeout"
  | "aborted"
  | "http_error"
  | "response_validation"
  | "invalid_request"
  | "invalid_credentials"
  | "account_locked"
  | "rate_limited"
  | "mfa_required"
  | "invalid_mfa_code"
  | "mfa_challenge_expired"
  | "not_signed_in"
  | "unauthorized"
  | "session_expired"
  | "email_taken"
  | "invalid_token"
  | "password_policy"
  | "oauth_error"
  | "state_mismatch"
  | "issuer_mismatch"
  | "invalid_callback"
  | "id_token_invalid"
  | "unknown_provider"
  | "discovery_failed"
  | "invalid_access_token"
  | (string & {});

const MARKER = "__tegataError";

/** Options accepted by every tegata error constructor. */
export interface TegataErrorOptions {
  /** The underlying error or value that caused this one. */
  cause?: unknown;
  /** HTTP status of the response that produced this error, when there was one. */
  status?: number;
}

/**
 * Base class of every error thrown by tegata.
 *
 * Use {@link isTegataError} rather than `instanceof` when two copies of tegata may be bundled.
 *
 * @example
 * ```ts
 * try { await signIn(auth, { email, password }); }
 * catch (e) { if (isTegataError(e)) console.log(e.code); }
 * ```
 */
export class TegataError extends Error {
  /** The default code of this class. */
  static code: TegataErrorCode = "tegata_error";
  /** Stable, machine-readable code. Switch on it rather than on the message. */
  readonly code: TegataErrorCode;
  /** HTTP status of the response that produced this error, when there was one. */
  readonly status: number | undefined;
  /** @internal cross-copy marker read by {@link isTegataError}. */
  readonly [MARKER] = true;

  constructor(message: string, code?: TegataErrorCode, options: TegataErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code ?? (new.target as typeof TegataError).code;
    this.status = options.status;
  }
}

/** The class of each built-in code, so that `isTegataError(e, code)` narrows to it. */
export interface TegataErrorByCode {
  network_error: NetworkError;
  timeout: TimeoutError;
  aborted: AbortedError;
  http_error: HttpError;
  response_validation: ResponseValidationError;
  invalid_request: InvalidRequestError;
  invalid_credentials: InvalidCredentialsError;
  account_locked: AccountLockedError;
  rate_limited: RateLimitedError;
  mfa_required: MfaRequiredError;
  invalid_mfa_code: InvalidMfaCodeError;
  mfa_challenge_expired: MfaChallengeExpiredError;
  not_signed_in: NotSignedInError;
  unauthorized: UnauthorizedError;
  session_expired: SessionExpiredError;
  email_taken: EmailTakenError;
  invalid_token: InvalidTokenError;
  password_policy: PasswordPolicyError;
  oauth_error: OAuthError;
  state_mismatch: StateMismatchError;
  issuer_mismatch: IssuerMismatchError;
  invalid_callback: InvalidCallbackError;
  id_token_invalid: IdTokenValidationError;
  unknown_provider: UnknownProviderError;
  discovery_failed: DiscoveryError;
  invalid_access_token: InvalidAccessTokenError;
}

/**
 * True when `value` is a tegata error, also when it comes from another bundled copy of tegata.
 * With a built-in `code`, it narrows to that code's class:
 *
 * ```ts
 * if (isTegataError(error, "account_locked")) console.log(error.retryAfter);
 * ```
 *
 * @param value - anything caught
 * @param code - optionally, the code it must have
 */
export function isTegataError<C extends keyof TegataErrorByCode>(
  value: unknown,
  code: C,
): value is TegataErrorByCode[C];
export function isTegataError(value: unknown, code?: TegataErrorCode): value is TegataError;
export function isTegataError(value: unknown, code?: TegataErrorCode): value is TegataError {
  if (typeof value !== "object" || value === null) return false;
  const marked = (value as Record<string, unknown>)[MARKER] === true || value instanceof TegataError;
  return marked && (code === undefined || (value as TegataError).code === code);
}

/** The request never got an HTTP response: DNS, connection, CORS or offline. */
export class NetworkError extends TegataError {
  static override code: TegataErrorCode = "network_error";
}

/** The request took longer than the client's `timeoutMs`. */
export class TimeoutError extends TegataError {
  static override code: TegataErrorCode = "timeout";
}

/** The caller aborted the request through its `AbortSignal`. */
export class AbortedError extends TegataError {
  static override code: TegataErrorCode = "aborted";
}

/** The server answered with an HTTP error that tegata has no more specific class for. */
export class HttpError extends TegataError {
  static override code: TegataErrorCode = "http_error";
  /** The problem's `code` from an `application/problem+json` body, when the server sent one. */
  readonly problemCode: string | undefined;
  constructor(message: string, options: TegataErrorOptions & { problemCode?: string } = {}) {
    super(message, "http_error", options);
    this.problemCode = options.problemCode;
  }
}

/** The server's response did not match the HTTP contract (wrong content type, malformed JSON, missing fields). */
export class ResponseValidationError extends TegataError {
  static override code: TegataErrorCode = "response_validation";
}

/** The server refused the request's input (`400 invalid_request`). */
export class InvalidRequestError extends TegataError {
  static override code: TegataErrorCode = "invalid_request";
}

/** Wrong email or password (or current password). */
export class InvalidCredentialsError extends TegataError {
  static override code: TegataErrorCode = "invalid_credentials";
  /** Attempts left before the account locks, when the server says. */
  readonly remainingAttempts: number | undefined;
  constructor(message: string, options: TegataErrorOptions & { remainingAttempts?: number } = {}) {
    super(message, "invalid_credentials", options);
    this.remainingAttempts = options.remainingAttempts;
  }
}

/** The account is locked after repeated failures. */
export class AccountLockedError extends TegataError {
  static override code: TegataErrorCode = "account_locked";
  /** Seconds until the account unlocks, when the server says. */
  readonly retryAfter: number | undefined;
  constructor(message: string, options: TegataErrorOptions & { retryAfter?: number } = {}) {
    super(message, "account_locked", options);
    this.retryAfter = options.retryAfter;
  }
}

/** Too many requests; try again after `retryAfter` seconds. */
export class RateLimitedError extends TegataError {
  static override code: TegataErrorCode = "rate_limited";
  /** Seconds to wait before trying again, when the server says. */
  readonly retryAfter: number | undefined;
  constructor(message: string, options: TegataErrorOptions & { retryAfter?: number } = {}) {
    super(message, "rate_limited", options);
    this.retryAfter = options.retryAfter;
  }
}

/** The operation needs a second factor first. */
export class MfaRequiredError extends TegataError {
  static override code: TegataErrorCode = "mfa_required";
}

/** The TOTP or recovery code was wrong (or already used). */
export class InvalidMfaCodeError extends TegataError {
  static override code: TegataErrorCode = "invalid_mfa_code";
  /** Attempts left before the challenge or account locks, when the server says. */
  readonly remainingAttempts: number | undefined;
  constructor(message: string, options: TegataErrorOptions & { remainingAttempts?: number } = {}) {
    super(message, "invalid_mfa_code", options);
    this.remainingAttempts = options.remainingAttempts;
  }
}

/** The MFA challenge expired or was already completed: sign in again. */
export class MfaChallengeExpiredError extends TegataError {
  static override code: TegataErrorCode = "mfa_challenge_expired";
}

/** The call needs a signed-in session and there is none. */
export class NotSignedInError extends TegataError {
  static override code: TegataErrorCode = "not_signed_in";
}

/** The server refused the access token (HTTP 401): it expired, was revoked or is invalid. */
export class UnauthorizedError extends TegataError {
  static override code: TegataErrorCode = "unauthorized";
}

/** The session ended on the server (refresh token expired, revoked or reused): sign in again. */
export class SessionExpiredError extends TegataError {
  static override code: TegataErrorCode = "session_expired";
}

/** The email address already belongs to an account. */
export class EmailTakenError extends TegataError {
  static override code: TegataErrorCode = "email_taken";
}

/** A password-reset or email-change token is unknown, expired or already used. */
export class InvalidTokenError extends TegataError {
  static override code: TegataErrorCode = "invalid_token";
}

/** One issue found by a password policy. */
export interface PasswordIssue {
  /** Stable code of the rule, such as `too_short`. */
  code: string;
  /** Human-readable message. */
  message: string;
  /** Values the message was built from, such as `{ min: 8 }`. */
  params?: Record<string, unknown>;
}

/** The password does not satisfy the password policy. */
export class PasswordPolicyError extends TegataError {
  static override code: TegataErrorCode = "password_policy";
  /** What is wrong with the password. */
  readonly issues: readonly PasswordIssue[];
  constructor(message: string, options: TegataErrorOptions & { issues?: readonly PasswordIssue[] } = {}) {
    super(message, "password_policy", options);
    this.issues = options.issues ?? [];
  }
}

/** The OAuth provider answered with an error (`error=access_denied` in the callback, or a token-endpoint error). */
export class OAuthError extends TegataError {
  static override code: TegataErrorCode = "oauth_error";
  /** The RFC 6749 `error` value, such as `access_denied`. */
  readonly error: string;
  /** The provider's `error_description`, when given (shown to developers, not a secret). */
  readonly errorDescription: string | undefined;
  constructor(
    message: string,
    options: TegataErrorOptions & { error: string; errorDescription?: string | undefined },
  ) {
    super(message, "oauth_error", options);
    this.error = options.error;
    this.errorDescription = options.errorDescription;
  }
}

/** The callback's `state` is missing or matches no pending sign-in (forged, expired or replayed). */
export class StateMismatchError extends TegataError {
  static override code: TegataErrorCode = "state_mismatch";
}

/** The issuer in the callback (RFC 9207 `iss`) or in discovery differs from the one expected. */
export class IssuerMismatchError extends TegataError {
  static override code: TegataErrorCode = "issuer_mismatch";
}

/** The callback URL is malformed: no `code`, or a `returnTo` that leaves the origin. */
export class InvalidCallbackError extends TegataError {
  static override code: TegataErrorCode = "invalid_callback";
}

/** Why an ID token was refused. */
export type IdTokenFailure =
  | "missing"
  | "malformed"
  | "signature"
  | "algorithm"
  | "issuer"
  | "audience"
  | "azp"
  | "expired"
  | "iat"
  | "nonce";

/** The ID token is missing, malformed, wrongly signed or carries claims that do not match. */
export class IdTokenValidationError extends TegataError {
  static override code: TegataErrorCode = "id_token_invalid";
  /** Which check failed. */
  readonly reason: IdTokenFailure;
  constructor(message: string, options: TegataErrorOptions & { reason: IdTokenFailure }) {
    super(message, "id_token_invalid", options);
    this.reason = options.reason;
  }
}

/** The callback belongs to a provider this call was not given. */
export class UnknownProviderError extends TegataError {
  static override code: TegataErrorCode = "unknown_provider";
}

/** OpenID Connect discovery failed or returned unusable metadata. */
export class DiscoveryError extends TegataError {
  static override code: TegataErrorCode = "discovery_failed";
}

/** Why an access token was refused by `verifyAccessToken`. */
export type AccessTokenFailure =
  | "missing"
  | "malformed"
  | "signature"
  | "algorithm"
  | "issuer"
  | "audience"
  | "expired"
  | "not_yet_valid"
  | "jwks";

/** An access token presented to a server failed verification (tegata/server). */
export class InvalidAccessTokenError extends TegataError {
  static override code: TegataErrorCode = "invalid_access_token";
  /** Which check failed. */
  readonly reason: AccessTokenFailure;
  constructor(message: string, options: TegataErrorOptions & { reason: AccessTokenFailure }) {
    super(message, "invalid_access_token", options);
    this.reason = options.reason;
  }
}
