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
  StoredAuditEvent,
  StoredChallenge,
  StoredFactor,
  StoredIdentity,
  StoredLoginEvent,
  StoredMail,
  StoredOneTimeToken,
  StoredRefreshToken,
  StoredSession,
  StoredSigningKey,
  StoredTombstone,
  StoredUser,
  UnlinkResult,
  UserPatch,
} from "./types";
