/**
 * tegata core: the client, the session, auth-state events, storage adapters and errors.
 *
 * @example
 * ```ts
 * import { createAuthClient, getSession, onAuthStateChange } from "tegata";
 * const auth = createAuthClient({ baseUrl: "https://auth.example.com" });
 * onAuthStateChange(auth, (event, session) => console.log(event, session?.user?.email));
 * ```
 * @module
 */

export type { AuthClient, AuthClientOptions, ResolvedAuthClientOptions, Timers } from "./core/client";
export { createAuthClient, onAuthStateChange } from "./core/client";
export type { Clock } from "./core/clock";
export { systemClock } from "./core/clock";
export type { Endpoints } from "./core/endpoints";
export { defaultEndpoints } from "./core/endpoints";
export type {
  AccessTokenFailure,
  IdTokenFailure,
  KnownTegataError,
  PasswordIssue,
  TegataErrorCode,
  TegataErrorOptions,
} from "./core/errors";
export {
  AbortedError,
  AccountLockedError,
  AccountSuspendedError,
  DiscoveryError,
  EmailBlockedError,
  EmailNotVerifiedError,
  EmailTakenError,
  FactorExistsError,
  HttpError,
  IdentityConflictError,
  IdTokenValidationError,
  InvalidAccessTokenError,
  InvalidCallbackError,
  InvalidCredentialsError,
  InvalidMfaCodeError,
  InvalidPasskeyError,
  InvalidRequestError,
  InvalidReturnToError,
  InvalidTokenError,
  IssuerMismatchError,
  isTegataError,
  LastSignInMethodError,
  MfaChallengeExpiredError,
  MfaNotEnabledError,
  MfaRequiredError,
  NetworkError,
  NotSignedInError,
  OAuthError,
  PasskeyCancelledError,
  PasskeyCeremonyError,
  PasskeyChallengeExpiredError,
  PasskeyExistsError,
  PasskeysUnsupportedError,
  PasswordPolicyError,
  RateLimitedError,
  ResponseValidationError,
  SessionExpiredError,
  StateMismatchError,
  TegataError,
  TimeoutError,
  UnauthorizedError,
  UnknownProviderError,
  UserNotFoundError,
} from "./core/errors";
export type { AuthEvent, AuthStateListener } from "./core/events";
export type { RetryOptions } from "./core/http";
export type { PasswordChecker } from "./core/password-checker";
export type { Session, SessionProvider, User } from "./core/session";
export { getSession } from "./core/state";
export type { AuthStorage, WebStorageLike, WebStorageOptions } from "./core/storage";
export { memoryStorage, webStorage } from "./core/storage";
