/**
 * The auth server's cryptography: password hashing (PHC strings), sealing secrets at rest,
 * opaque tokens and the signing-key ring. WebCrypto throughout; `node:crypto` only inside the
 * password hasher, behind a dynamic import.
 *
 * @module
 */

export type {
  KeyRing,
  KeyRingOptions,
  PublicSigningJwk,
  SigningKey,
  SigningKeyStore,
} from "./keys";
export { createKeyRing } from "./keys";
export type {
  Argon2Parameters,
  PasswordAlgorithm,
  PasswordHasher,
  PasswordHasherOptions,
  PasswordVerification,
  Pbkdf2Parameters,
  ScryptParameters,
} from "./password";
export { createTestPasswordHasher, defaultPasswordHasher } from "./password";
export type { Sealer, SealerOptions, SealFailure } from "./seal";
export { createSealer, SealError } from "./seal";
export { hashToken, randomToken, timingSafeEqual } from "./tokens";
