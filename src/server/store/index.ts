/**
 * The auth server's store: the {@link AuthStore} interface, `memoryStore()` and `emailKey()`.
 *
 * @module
 */

export { emailKey } from "./email-key";
export { memoryStore } from "./memory";
export type {
  AttemptReservation,
  AuthStore,
  ChallengeAttempt,
  LockoutPolicy,
  LoginEventQuery,
  NewUser,
  OneTimePurpose,
  RateLimitResult,
  RotateResult,
  StoredChallenge,
  StoredFactor,
  StoredLoginEvent,
  StoredMail,
  StoredOneTimeToken,
  StoredRefreshToken,
  StoredSession,
  StoredSigningKey,
  StoredUser,
  UserPatch,
} from "./types";
