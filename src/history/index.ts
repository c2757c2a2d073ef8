/**
 * `tegata/history`: login history, active sessions, the last-login privacy setting and a
 * suspicious-login assessment.
 *
 * @example
 * ```ts
 * import { loginHistory, assessLogin } from "tegata/history";
 * for await (const item of loginHistory(auth, { result: "failure" })) console.log(item.at, item.ip);
 * ```
 * @module
 */

export type {
  AssessLoginOptions,
  LoginAssessment,
  LoginAttemptInfo,
  LoginRecord,
  LoginRiskReason,
} from "./assess";
export { assessLogin } from "./assess";
export type { Device, DeviceType } from "./device";
export { parseUserAgent } from "./device";
export { getLastLogin } from "./last-login";
export type { LoginHistoryItem, LoginHistoryPage, LoginHistoryQuery, LoginMethod } from "./login-history";
export { listLoginHistory, loginHistory } from "./login-history";
export type { PrivacySettings } from "./privacy";
export { getPrivacySettings, updatePrivacySettings } from "./privacy";
export type { ActiveSession } from "./sessions";
export { listSessions, revokeOtherSessions, revokeSessionById } from "./sessions";
