/**
 * `tegata/password`: one password policy for the form (on every keystroke) and the server, with
 * Japanese and English messages, presets (NIST SP 800-63B, 半角英数字 6〜20文字), a lazily loaded
 * common-password blocklist and a zod schema.
 *
 * @example
 * ```ts
 * import { presets, validatePassword } from "tegata/password";
 * const { ok, issues, strength } = validatePassword(presets.nist, input, { email, locale: "ja" });
 * ```
 * @module
 */

export type { PasswordIssueCode, PasswordLocale, PasswordMessage } from "./messages";
export type {
  CharacterClass,
  CharacterSet,
  PasswordChecker,
  PasswordContext,
  PasswordPolicy,
  PasswordPolicyOptions,
  PasswordValidation,
} from "./policy";
export {
  definePasswordPolicy,
  describePolicy,
  loadCommonPasswords,
  presets,
  validatePassword,
} from "./policy";
export type { PasswordSchemaOptions } from "./schema";
export { passwordSchema } from "./schema";
