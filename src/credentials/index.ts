/**
 * Email and password sign-in with a second-factor step, sign-up, password reset and change, email
 * change, sign-out and account deletion (退会).
 *
 * @example
 * ```ts
 * import { signIn, completeMfa } from "tegata/credentials";
 * const r = await signIn(auth, { email, password });
 * if (r.status === "mfa_required") await completeMfa(auth, { challenge: r.challenge, code });
 * ```
 * @module
 */

export type { AccountSettings, MailLocale } from "./account-mail";
export {
  cancelEmailChange,
  getAccountSettings,
  resendVerificationEmail,
  unlockAccount,
  updateAccountSettings,
  verifyEmail,
} from "./account-mail";
export type { DeleteAccountProof } from "./delete-account";
export { deleteAccount } from "./delete-account";
export { confirmEmailChange, requestEmailChange } from "./email";
export { changePassword, requestPasswordReset, resetPassword } from "./password";
export type { CompleteMfaParams, MfaChallenge, MfaMethod, SignInParams, SignInResult } from "./sign-in";
export { completeMfa, sendMfaEmailCode, signIn } from "./sign-in";
export type { SignOutScope } from "./sign-out";
export { signOut } from "./sign-out";
export type { SignUpParams } from "./sign-up";
export { signUp } from "./sign-up";
export { getUser } from "./user";
