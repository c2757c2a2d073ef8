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
  StoredPasskey,
  StoredRefreshToken,
  StoredSession,
  StoredSigningKey,
  StoredTombstone,
  StoredUser,
  StoredWebAuthnChallenge,
  UnlinkResult,
  UserPatch,
} from "./types";
