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
  | "factor_exists"
  | "mfa_not_enabled"
  | "invalid_return_to"
  | "account_suspended"
  | "email_not_verified"
  | "email_blocked"
  | "user_not_found"
  | "identity_conflict"
  | "last_sign_in_method"
  | "invalid_passkey"
  | "passkey_challenge_expired"
  | "passkey_exists"
  | "passkeys_unsupported"
  | "passkey_cancelled"
  | "passkey_ceremony_failed"
  | "tegata_error"
  | (string & {});

const MARKER = "__tegataError";

/** Options accepted by every tegata error constructor: `new XError(message, options)`. */
export interface TegataErrorOptions {
  /**
   * The underlying error that caused this one. It is kept scrubbed: only
   * its `name`, `message` (URL queries removed), `code`, stack frames, zod issues and its own
   * scrubbed `cause`, never a request, a response, headers or a body.
   */
  cause?: unknown;
  /** HTTP status of the response that produced this error, when there was one. */
  status?: number;
}

const MAX_CAUSE_DEPTH = 8;

/** Removes query strings and fragments from URLs in a text (they may carry codes or tokens). */
function redactUrls(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#]*)[?#][^\s]*/gi, "$1");
}

/**
 * @internal a copy of `cause` that holds no secret: errors are rebuilt from their name, message,
 * `code`, stack frames, zod `issues` (codes, paths and messages only) and their own scrubbed cause;
 * anything else (a ky `HTTPError`'s request options, a `Response`, a body, a header, a string) is
 * dropped. A tegata error is kept as it is: it was scrubbed when it was made.
 */
export function scrubCause(cause: unknown, depth = 0): unknown {
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause === "number" || typeof cause === "boolean") return cause;
  if (typeof cause !== "object") return undefined;
  if (isTegataError(cause)) return cause;
  const source = cause as {
    name?: unknown;
    message?: unknown;
    stack?: unknown;
    code?: unknown;
    cause?: unknown;
    issues?: unknown;
  };
  if (typeof source.message !== "string") return undefined;
  const message = redactUrls(source.message);
  const copy = new Error(message) as Error & { code?: string; issues?: unknown };
  copy.name = typeof source.name === "string" ? source.name : "Error";
  const frames =
    typeof source.stack === "string" ? source.stack.split("\n").filter((line) => /^\s+at /.test(line)) : [];
  copy.stack = [`${copy.name}: ${message}`, ...frames].join("\n");
  if (typeof source.code === "string") copy.code = source.code;
  if (Array.isArray(source.issues)) {
    copy.issues = source.issues.map((issue: { code?: unknown; path?: unknown; message?: unknown }) => ({
      code: typeof issue?.code === "string" ? issue.code : undefined,
      path: Array.isArray(issue?.path)
        ? issue.path.filter((k) => typeof k === "string" || typeof k === "number")
        : [],
      message: typeof issue?.message === "string" ? redactUrls(issue.message) : undefined,
    }));
  }
  if (depth < MAX_CAUSE_DEPTH && "cause" in source) {
    const inner = scrubCause(source.cause, depth + 1);
    if (inner !== undefined) copy.cause = inner;
  }
  return copy;
}

/**
 * Base class of every error thrown by tegata.
 *
 * Every subclass is built the same way, `new XError(message, options)`, and its `code` is typed
 * as the literal of its class. Use {@link isTegataError} rather than `instanceof` when two copies
 * of tegata may be bundled.
 *
 * @example
 * ```ts
 * try { await signIn(auth, { email, password }); }
 * catch (e) { if (isTegataError(e)) console.log(e.code); }
 * ```
 */
export class TegataError extends Error {
  /** The code of this class. */
  static readonly code: TegataErrorCode = "tegata_error";
  /** Stable, machine-readable code. Switch on it rather than on the message. */
  readonly code: TegataErrorCode;
  /** HTTP status of the response that produced this error, when there was one. */
  readonly status: number | undefined;
  /** @internal cross-copy marker read by {@link isTegataError}. */
  readonly [MARKER] = true;

  constructor(message: string, options: TegataErrorOptions = {}) {
    const cause = scrubCause(options.cause);
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = (new.target as typeof TegataError).code;
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
  factor_exists: FactorExistsError;
  mfa_not_enabled: MfaNotEnabledError;
  invalid_return_to: InvalidReturnToError;
  account_suspended: AccountSuspendedError;
  email_not_verified: EmailNotVerifiedError;
  email_blocked: EmailBlockedError;
  user_not_found: UserNotFoundError;
  identity_conflict: IdentityConflictError;
  last_sign_in_method: LastSignInMethodError;
  invalid_passkey: InvalidPasskeyError;
  passkey_challenge_expired: PasskeyChallengeExpiredError;
  passkey_exists: PasskeyExistsError;
  passkeys_unsupported: PasskeysUnsupportedError;
  passkey_cancelled: PasskeyCancelledError;
  passkey_ceremony_failed: PasskeyCeremonyError;
}

/**
 * Every built-in tegata error, as a union discriminated by `code`:
 *
 * ```ts
 * function explain(error: KnownTegataError) {
 *   switch (error.code) {
 *     case "account_locked": return `locked for ${error.retryAfter ?? "a while"} s`;
 *     case "invalid_credentials": return `${error.remainingAttempts ?? "some"} attempts left`;
 *   }
 * }
 * ```
 */
export type KnownTegataError = TegataErrorByCode[keyof TegataErrorByCode];

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
  static override readonly code = "network_error";
  declare readonly code: "network_error";
}

/** The request took longer than the client's `timeoutMs`. */
export class TimeoutError extends TegataError {
  static override readonly code = "timeout";
  declare readonly code: "timeout";
}

/** The caller aborted the request through its `AbortSignal`. */
export class AbortedError extends TegataError {
  static override readonly code = "aborted";
  declare readonly code: "aborted";
}

/** The server answered with an HTTP error that tegata has no more specific class for. */
export class HttpError extends TegataError {
  static override readonly code = "http_error";
  declare readonly code: "http_error";
  /** The problem's `code` from an `application/problem+json` body, when the server sent one. */
  readonly problemCode: string | undefined;
  constructor(message: string, options: TegataErrorOptions & { problemCode?: string } = {}) {
    super(message, options);
    this.problemCode = options.problemCode;
  }
}

/** The server's response did not match the HTTP contract (wrong content type, malformed JSON, missing fields). */
export class ResponseValidationError extends TegataError {
  static override readonly code = "response_validation";
  declare readonly code: "response_validation";
}

/** The server refused the request's input (`400 invalid_request`). */
export class InvalidRequestError extends TegataError {
  static override readonly code = "invalid_request";
  declare readonly code: "invalid_request";
}

/** Wrong email or password (or current password). */
export class InvalidCredentialsError extends TegataError {
  static override readonly code = "invalid_credentials";
  declare readonly code: "invalid_credentials";
  /** Attempts left before the account locks, when the server says. */
  readonly remainingAttempts: number | undefined;
  constructor(message: string, options: TegataErrorOptions & { remainingAttempts?: number } = {}) {
    super(message, options);
    this.remainingAttempts = options.remainingAttempts;
  }
}

/** The account is locked after repeated failures. */
export class AccountLockedError extends TegataError {
  static override readonly code = "account_locked";
  declare readonly code: "account_locked";
  /** Seconds until the account unlocks, when the server says. */
  readonly retryAfter: number | undefined;
  constructor(message: string, options: TegataErrorOptions & { retryAfter?: number } = {}) {
    super(message, options);
    this.retryAfter = options.retryAfter;
  }
}

/** Too many requests; try again after `retryAfter` seconds. */
export class RateLimitedError extends TegataError {
  static override readonly code = "rate_limited";
  declare readonly code: "rate_limited";
  /** Seconds to wait before trying again, when the server says. */
  readonly retryAfter: number | undefined;
  constructor(message: string, options: TegataErrorOptions & { retryAfter?: number } = {}) {
    super(message, options);
    this.retryAfter = options.retryAfter;
  }
}

/** The operation needs a second factor first. */
export class MfaRequiredError extends TegataError {
  static override readonly code = "mfa_required";
  declare readonly code: "mfa_required";
}

/** The TOTP or recovery code was wrong (or already used). */
export class InvalidMfaCodeError extends TegataError {
  static override readonly code = "invalid_mfa_code";
  declare readonly code: "invalid_mfa_code";
  /** Attempts left before the challenge or account locks, when the server says. */
  readonly remainingAttempts: number | undefined;
  constructor(message: string, options: TegataErrorOptions & { remainingAttempts?: number } = {}) {
    super(message, options);
    this.remainingAttempts = options.remainingAttempts;
  }
}

/** The MFA challenge expired or was already completed: sign in again. */
export class MfaChallengeExpiredError extends TegataError {
  static override readonly code = "mfa_challenge_expired";
  declare readonly code: "mfa_challenge_expired";
}

/** The call needs a signed-in session and there is none. */
export class NotSignedInError extends TegataError {
  static override readonly code = "not_signed_in";
  declare readonly code: "not_signed_in";
}

/** The server refused the access token (HTTP 401): it expired, was revoked or is invalid. */
export class UnauthorizedError extends TegataError {
  static override readonly code = "unauthorized";
  declare readonly code: "unauthorized";
}

/** The session ended on the server (refresh token expired, revoked or reused): sign in again. */
export class SessionExpiredError extends TegataError {
  static override readonly code = "session_expired";
  declare readonly code: "session_expired";
}

/** The email address already belongs to an account. */
export class EmailTakenError extends TegataError {
  static override readonly code = "email_taken";
  declare readonly code: "email_taken";
}

/** A password-reset or email-change token is unknown, expired or already used. */
export class InvalidTokenError extends TegataError {
  static override readonly code = "invalid_token";
  declare readonly code: "invalid_token";
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
  static override readonly code = "password_policy";
  declare readonly code: "password_policy";
  /** What is wrong with the password. */
  readonly issues: readonly PasswordIssue[];
  constructor(message: string, options: TegataErrorOptions & { issues?: readonly PasswordIssue[] } = {}) {
    super(message, options);
    this.issues = options.issues ?? [];
  }
}

/** The OAuth provider answered with an error (`error=access_denied` in the callback, or a token-endpoint error). */
export class OAuthError extends TegataError {
  static override readonly code = "oauth_error";
  declare readonly code: "oauth_error";
  /** The RFC 6749 `error` value, such as `access_denied`. */
  readonly error: string;
  /** The provider's `error_description`, when given (shown to developers, not a secret). */
  readonly errorDescription: string | undefined;
  constructor(
    message: string,
    options: TegataErrorOptions & { error: string; errorDescription?: string | undefined },
  ) {
    super(message, options);
    this.error = options.error;
    this.errorDescription = options.errorDescription;
  }
}

/** The callback's `state` is missing or matches no pending sign-in (forged, expired or replayed). */
export class StateMismatchError extends TegataError {
  static override readonly code = "state_mismatch";
  declare readonly code: "state_mismatch";
}

/** The issuer in the callback (RFC 9207 `iss`) or in discovery differs from the one expected. */
export class IssuerMismatchError extends TegataError {
  static override readonly code = "issuer_mismatch";
  declare readonly code: "issuer_mismatch";
}

/** The callback URL is malformed: not a URL, or no `code` in it. (An off-site `returnTo` is {@link InvalidReturnToError}.) */
export class InvalidCallbackError extends TegataError {
  static override readonly code = "invalid_callback";
  declare readonly code: "invalid_callback";
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
  | "nonce"
  /** The tegata server refused the token (`signInWithIdToken`): its issuer, audience, nonce, expiry or signature. */
  | "rejected";

/** The ID token is missing, malformed, wrongly signed or carries claims that do not match. */
export class IdTokenValidationError extends TegataError {
  static override readonly code = "id_token_invalid";
  declare readonly code: "id_token_invalid";
  /** Which check failed. */
  readonly reason: IdTokenFailure;
  constructor(message: string, options: TegataErrorOptions & { reason: IdTokenFailure }) {
    super(message, options);
    this.reason = options.reason;
  }
}

/** The callback belongs to a provider this call was not given. */
export class UnknownProviderError extends TegataError {
  static override readonly code = "unknown_provider";
  declare readonly code: "unknown_provider";
}

/** OpenID Connect discovery failed or returned unusable metadata. */
export class DiscoveryError extends TegataError {
  static override readonly code = "discovery_failed";
  declare readonly code: "discovery_failed";
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
  static override readonly code = "invalid_access_token";
  declare readonly code: "invalid_access_token";
  /** Which check failed. */
  readonly reason: AccessTokenFailure;
  constructor(message: string, options: TegataErrorOptions & { reason: AccessTokenFailure }) {
    super(message, options);
    this.reason = options.reason;
  }
}

/** The account already has a second factor of that kind (`409 factor_exists`): remove it first. */
export class FactorExistsError extends TegataError {
  static override readonly code = "factor_exists";
  declare readonly code: "factor_exists";
}

/** The call needs an active second factor and the account has none (`mfa_not_enabled`). */
export class MfaNotEnabledError extends TegataError {
  static override readonly code = "mfa_not_enabled";
  declare readonly code: "mfa_not_enabled";
}

/**
 * A `returnTo` (where to go after an OAuth sign-in) leaves the app's origin once normalised: an
 * open redirect refused before any request, and again when a stored sign-in is read back.
 */
export class InvalidReturnToError extends TegataError {
  static override readonly code = "invalid_return_to";
  declare readonly code: "invalid_return_to";
}

/** The operator suspended the account: it cannot sign in, and its sessions have ended. */
export class AccountSuspendedError extends TegataError {
  static override readonly code = "account_suspended";
  declare readonly code: "account_suspended";
}

/**
 * The server requires a verified address (`requireVerifiedEmail`) and this account's is not
 * verified yet: the password was right, and a new verification mail is on its way. Open its link
 * (`verifyEmail`), then sign in again. Also the answer of a sign-up on such a server: the account
 * exists, unverified, with no session.
 */
export class EmailNotVerifiedError extends TegataError {
  static override readonly code = "email_not_verified";
  declare readonly code: "email_not_verified";
}

/**
 * The address belonged to an account deleted recently: it cannot register again until the
 * server's block ends (`retryAfter`, in seconds, when the server says).
 */
export class EmailBlockedError extends TegataError {
  static override readonly code = "email_blocked";
  declare readonly code: "email_blocked";
  /** Seconds until the address can register again, when the server says. */
  readonly retryAfter: number | undefined;
  constructor(message: string, options: TegataErrorOptions & { retryAfter?: number } = {}) {
    super(message, options);
    this.retryAfter = options.retryAfter;
  }
}

/** No such user (unknown or deleted). */
export class UserNotFoundError extends TegataError {
  static override readonly code = "user_not_found";
  declare readonly code: "user_not_found";
}

/**
 * A social identity cannot be used as asked: it is linked to another account, or its address
 * belongs to an existing account that must sign in first and link it.
 */
export class IdentityConflictError extends TegataError {
  static override readonly code = "identity_conflict";
  declare readonly code: "identity_conflict";
}

/** Removing this sign-in method would leave the account with no way to sign in. */
export class LastSignInMethodError extends TegataError {
  static override readonly code = "last_sign_in_method";
  declare readonly code: "last_sign_in_method";
}

/**
 * The server refused a passkey's response: an unknown or removed passkey, a signature that does
 * not verify, another origin or RP ID, a signature counter that did not grow (a cloned
 * authenticator or a replay), or a malformed attestation or client data.
 */
export class InvalidPasskeyError extends TegataError {
  static override readonly code = "invalid_passkey";
  declare readonly code: "invalid_passkey";
}

/** The passkey ceremony's challenge expired or was already used: start the ceremony again. */
export class PasskeyChallengeExpiredError extends TegataError {
  static override readonly code = "passkey_challenge_expired";
  declare readonly code: "passkey_challenge_expired";
}

/** That passkey is registered already (to this account or another one). */
export class PasskeyExistsError extends TegataError {
  static override readonly code = "passkey_exists";
  declare readonly code: "passkey_exists";
}

/**
 * This browser cannot run the passkey ceremony asked for: no WebAuthn (`PublicKeyCredential`; also
 * outside a secure context, https or localhost), or, for `mediation: "conditional"`, no passkey
 * autofill. Thrown before any request. Offer another way to sign in.
 */
export class PasskeysUnsupportedError extends TegataError {
  static override readonly code = "passkeys_unsupported";
  declare readonly code: "passkeys_unsupported";
}

/**
 * The user dismissed the browser's passkey dialog, or it timed out, or the ceremony was aborted
 * (the `signal`, or a newer ceremony replacing it): not a failure, nothing was stored. Let the user
 * try again.
 */
export class PasskeyCancelledError extends TegataError {
  static override readonly code = "passkey_cancelled";
  declare readonly code: "passkey_cancelled";
}

/**
 * The browser or the authenticator could not run the ceremony, for a reason other than the user
 * cancelling: `reason` is the browser's `DOMException` name (`SecurityError` when the page's origin
 * may not use the server's RP ID, `UnknownError` from the authenticator, …). Nothing was stored.
 */
export class PasskeyCeremonyError extends TegataError {
  static override readonly code = "passkey_ceremony_failed";
  declare readonly code: "passkey_ceremony_failed";
  /** The browser's `DOMException` name, or `"Error"`. */
  readonly reason: string;
  constructor(message: string, options: TegataErrorOptions & { reason?: string } = {}) {
    super(message, options);
    this.reason = options.reason ?? "Error";
  }
}
