/**
 * `tegata/totp`: TOTP and recovery-code primitives for servers (on otplib and WebCrypto), and the
 * client calls that manage a user's second factors.
 *
 * @example
 * ```ts
 * import { generateTotpSecret, totpUri, verifyTotp } from "tegata/totp";
 * const secret = generateTotpSecret();
 * const uri = totpUri({ secret, issuer: "ACME", accountName: "hanako@example.com" });
 * const { valid, step } = await verifyTotp({ code, secret, lastUsedStep });
 * ```
 * @module
 */

export type { Factor, TotpEnrollment } from "./client";
export { activateTotp, enrollTotp, listFactors, regenerateRecoveryCodes, removeFactor } from "./client";
export type {
  TotpAlgorithm,
  TotpParams,
  TotpSecret,
  TotpUriOptions,
  VerifyTotpOptions,
  VerifyTotpResult,
} from "./primitives";
export { generateTotp, generateTotpSecret, totpUri, verifyTotp } from "./primitives";
export type { RecoveryHashOptions } from "./recovery";
export {
  generateRecoveryCodes,
  hashRecoveryCode,
  normalizeRecoveryCode,
  verifyRecoveryCode,
} from "./recovery";
