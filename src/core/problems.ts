/**
 * The typed error of each problem code of the contract, one builder per code, each a constant of
 * its own: a request names the codes its endpoint answers (beyond the generic ones every request
 * may get, {@link GENERIC_PROBLEMS}), so an app carries the error classes and messages of the
 * functions it imports, not of the whole contract.
 *
 * @module
 */
import { PasswordIssueSchema, type ProblemCode, type WireProblem } from "../wire";
import {
  AccountLockedError,
  AccountSuspendedError,
  EmailBlockedError,
  EmailNotVerifiedError,
  EmailTakenError,
  FactorExistsError,
  IdentityConflictError,
  IdTokenValidationError,
  InvalidCredentialsError,
  InvalidMfaCodeError,
  InvalidPasskeyError,
  InvalidRequestError,
  InvalidTokenError,
  LastSignInMethodError,
  MfaChallengeExpiredError,
  MfaNotEnabledError,
  MfaRequiredError,
  PasskeyChallengeExpiredError,
  PasskeyExistsError,
  PasswordPolicyError,
  RateLimitedError,
  SessionExpiredError,
  type TegataError,
  type TegataErrorOptions,
  UnauthorizedError,
  UnknownProviderError,
  UserNotFoundError,
} from "./errors";

/** @internal what a problem body gives the error: status, cause, and its extension members. */
export type ProblemOptions = TegataErrorOptions & {
  retryAfter?: number;
  remainingAttempts?: number;
  issues: NonNullable<WireProblem["issues"]>;
};

/** @internal builds the error of one problem code. */
export type ProblemBuilder = (o: ProblemOptions) => TegataError;

/** @internal the codes a request may answer beyond the generic ones, with their builders. */
export type ProblemMap = Partial<Record<ProblemCode, ProblemBuilder | null>>;

/** @internal */
export const INVALID_REQUEST: ProblemBuilder = (o) =>
  new InvalidRequestError("The server refused the request as invalid", o);
/** @internal */
export const INVALID_CREDENTIALS: ProblemBuilder = (o) =>
  new InvalidCredentialsError("The email or password is incorrect", o);
/** @internal */
export const UNAUTHORIZED: ProblemBuilder = (o) =>
  new UnauthorizedError("The server refused the access token", o);
/** @internal */
export const ACCOUNT_LOCKED: ProblemBuilder = (o) =>
  new AccountLockedError("The account is locked after repeated failures", o);
/** @internal */
export const RATE_LIMITED: ProblemBuilder = (o) => new RateLimitedError("Too many requests", o);
/** @internal */
export const MFA_REQUIRED: ProblemBuilder = (o) => new MfaRequiredError("A second factor is required", o);
/** @internal */
export const INVALID_MFA_CODE: ProblemBuilder = (o) =>
  new InvalidMfaCodeError("The verification code is incorrect", o);
/** @internal */
export const MFA_CHALLENGE_EXPIRED: ProblemBuilder = (o) =>
  new MfaChallengeExpiredError("The sign-in challenge expired or was already used: sign in again", o);
/** @internal */
export const MFA_NOT_ENABLED: ProblemBuilder = (o) =>
  new MfaNotEnabledError("The account has no active second factor", o);
/** @internal */
export const SESSION_ENDED: ProblemBuilder = (o) =>
  new SessionExpiredError("The session has ended: sign in again", o);
/** @internal */
export const EMAIL_TAKEN: ProblemBuilder = (o) =>
  new EmailTakenError("That email address is already registered", o);
/** @internal */
export const INVALID_TOKEN: ProblemBuilder = (o) =>
  new InvalidTokenError("The link is invalid, expired or already used", o);
/** @internal */
export const PASSWORD_POLICY: ProblemBuilder = (o) =>
  new PasswordPolicyError("The password does not meet the policy", {
    ...o,
    // The issues the server sent that have the shape of one (code, message, params).
    issues: o.issues.flatMap((issue) => {
      const parsed = PasswordIssueSchema.safeParse(issue);
      return parsed.success ? [parsed.data] : [];
    }),
  });
/** @internal */
export const FACTOR_EXISTS: ProblemBuilder = (o) =>
  new FactorExistsError("The account already has this second factor: remove it first", o);
/** @internal */
export const ACCOUNT_SUSPENDED: ProblemBuilder = (o) =>
  new AccountSuspendedError("The account is suspended", o);
/** @internal */
export const EMAIL_NOT_VERIFIED: ProblemBuilder = (o) =>
  new EmailNotVerifiedError("The email address is not verified yet: open the link mailed to it", o);
/** @internal */
export const EMAIL_BLOCKED: ProblemBuilder = (o) =>
  new EmailBlockedError("The address belonged to an account deleted recently: it cannot register yet", o);
/** @internal */
export const USER_NOT_FOUND: ProblemBuilder = (o) => new UserNotFoundError("No such user", o);
/** @internal */
export const INVALID_ID_TOKEN: ProblemBuilder = (o) =>
  new IdTokenValidationError("The server refused the ID token", { ...o, reason: "rejected" });
/** @internal */
export const UNKNOWN_PROVIDER: ProblemBuilder = (o) =>
  new UnknownProviderError("The server does not accept this provider", o);
/** @internal */
export const IDENTITY_CONFLICT: ProblemBuilder = (o) =>
  new IdentityConflictError("The social identity conflicts with another account", o);
/** @internal */
export const LAST_SIGN_IN_METHOD: ProblemBuilder = (o) =>
  new LastSignInMethodError("That would leave the account with no way to sign in", o);
/** @internal */
export const INVALID_PASSKEY: ProblemBuilder = (o) =>
  new InvalidPasskeyError("The server refused the passkey", o);
/** @internal */
export const PASSKEY_CHALLENGE_EXPIRED: ProblemBuilder = (o) =>
  new PasskeyChallengeExpiredError("The passkey challenge expired or was already used: try again", o);
/** @internal */
export const PASSKEY_EXISTS: ProblemBuilder = (o) =>
  new PasskeyExistsError("That passkey is registered already", o);

/**
 * @internal the codes any request may answer (a malformed request, a refused or ended session, a
 * lock, a rate limit, a suspension): always mapped.
 */
export const GENERIC_PROBLEMS: ProblemMap = {
  invalid_request: INVALID_REQUEST,
  unauthorized: UNAUTHORIZED,
  account_locked: ACCOUNT_LOCKED,
  rate_limited: RATE_LIMITED,
  not_signed_in: SESSION_ENDED,
  session_expired: SESSION_ENDED,
  invalid_session: SESSION_ENDED,
  account_suspended: ACCOUNT_SUSPENDED,
};

/**
 * @internal every code of the contract with its builder (`null`: no class of its own, the caller
 * gets an `HttpError` with `problemCode`). Typed over every {@link ProblemCode}, so a code added to
 * the contract cannot be forgotten; the tests check each through `httpError` with this table.
 */
export const PROBLEM_ERRORS: Record<ProblemCode, ProblemBuilder | null> = {
  invalid_request: INVALID_REQUEST,
  invalid_credentials: INVALID_CREDENTIALS,
  unauthorized: UNAUTHORIZED,
  account_locked: ACCOUNT_LOCKED,
  rate_limited: RATE_LIMITED,
  mfa_required: MFA_REQUIRED,
  invalid_mfa_code: INVALID_MFA_CODE,
  mfa_challenge_expired: MFA_CHALLENGE_EXPIRED,
  mfa_not_enabled: MFA_NOT_ENABLED,
  not_signed_in: SESSION_ENDED,
  session_expired: SESSION_ENDED,
  invalid_session: SESSION_ENDED,
  email_taken: EMAIL_TAKEN,
  invalid_token: INVALID_TOKEN,
  password_policy: PASSWORD_POLICY,
  factor_exists: FACTOR_EXISTS,
  factor_not_found: null,
  session_not_found: null,
  account_suspended: ACCOUNT_SUSPENDED,
  email_not_verified: EMAIL_NOT_VERIFIED,
  email_blocked: EMAIL_BLOCKED,
  user_not_found: USER_NOT_FOUND,
  invalid_id_token: INVALID_ID_TOKEN,
  unknown_provider: UNKNOWN_PROVIDER,
  identity_conflict: IDENTITY_CONFLICT,
  last_sign_in_method: LAST_SIGN_IN_METHOD,
  invalid_passkey: INVALID_PASSKEY,
  passkey_challenge_expired: PASSKEY_CHALLENGE_EXPIRED,
  passkey_exists: PASSKEY_EXISTS,
  passkey_not_found: null,
  not_found: null,
  method_not_allowed: null,
  internal_error: null,
  service_unavailable: null,
};
