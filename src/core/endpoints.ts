/**
 * The endpoints of the HTTP contract, each a constant of its own ({@link EndpointRef}: the key of
 * its override, its default path, and the problem codes it answers beyond the generic ones), so
 * that a bundle carries the paths and error classes of the functions it imports only.
 * {@link defaultEndpoints} gathers the paths. The codes are those the server sends at each
 * endpoint (docs/api.md); a code outside them and the generic ones is an `HttpError`.
 *
 * @module
 */
import {
  EMAIL_BLOCKED,
  EMAIL_NOT_VERIFIED,
  EMAIL_TAKEN,
  FACTOR_EXISTS,
  IDENTITY_CONFLICT,
  INVALID_CREDENTIALS,
  INVALID_ID_TOKEN,
  INVALID_MFA_CODE,
  INVALID_PASSKEY,
  INVALID_TOKEN,
  LAST_SIGN_IN_METHOD,
  MFA_CHALLENGE_EXPIRED,
  MFA_NOT_ENABLED,
  MFA_REQUIRED,
  PASSKEY_CHALLENGE_EXPIRED,
  PASSKEY_EXISTS,
  PASSWORD_POLICY,
  type ProblemMap,
  UNKNOWN_PROVIDER,
  USER_NOT_FOUND,
} from "./problems";

/** Paths of the HTTP contract, relative to `baseUrl` (or absolute URLs). See docs/api.md. */
export interface Endpoints {
  signIn: string;
  mfaVerify: string;
  /** `POST` mails a code for a pending second-factor challenge. */
  mfaEmailCode: string;
  signUp: string;
  passwordResetRequest: string;
  passwordReset: string;
  passwordChange: string;
  emailChangeRequest: string;
  emailChangeConfirm: string;
  /** `POST` cancels an email change with the link of the notice to the old address. */
  emailChangeCancel: string;
  /** `POST` verifies the address with the link of the verification mail. */
  emailVerify: string;
  /** `POST` mails a new verification link to the signed-in user. */
  emailVerifyResend: string;
  /** `POST` ends a lockout with the link of the unlock mail. */
  accountUnlock: string;
  /** `GET` reads and `PATCH` updates the account settings (the language of the user's mails). */
  settings: string;
  signOut: string;
  user: string;
  /** `POST` starts a TOTP enrollment (tegata/totp). */
  mfaTotpEnroll: string;
  /** `POST` activates an enrolled TOTP factor with a first code. */
  mfaTotpActivate: string;
  /** `GET` lists the user's second factors. */
  mfaFactors: string;
  /** `POST` removes a factor. */
  mfaFactorRemove: string;
  /** `POST` replaces the recovery codes. */
  mfaRecoveryCodes: string;
  /** `GET` pages through the login history (tegata/history). */
  history: string;
  /** `GET` lists the user's active sessions. */
  sessions: string;
  /** `POST` ends one session by id. */
  sessionRevoke: string;
  /** `POST` ends every session but the current one. */
  sessionsRevokeOthers: string;
  /** `GET` reads and `PATCH` updates the privacy settings. */
  privacy: string;
  /** `GET` another user's last sign-in, as others see it. */
  lastLogin: string;
  /** `POST` deletes the signed-in user's account (退会). */
  accountDelete: string;
  /** `POST` signs in with an OpenID Connect provider's ID token (tegata/oauth). */
  identitySignIn: string;
  /** `GET` lists the signed-in user's linked social identities. */
  identities: string;
  /** `POST` links a provider's identity to the signed-in user. */
  identityLink: string;
  /** `POST` unlinks one of the user's social identities. */
  identityUnlink: string;
  /** `POST` starts a passkey registration of the signed-in user (tegata/passkeys). */
  passkeyRegisterOptions: string;
  /** `POST` registers the passkey the browser made. */
  passkeyRegister: string;
  /** `POST` starts a passkey sign-in. */
  passkeySignInOptions: string;
  /** `POST` signs in with the passkey's assertion. */
  passkeySignIn: string;
  /** `GET` lists the signed-in user's passkeys. */
  passkeys: string;
  /** `POST` renames one of them. */
  passkeyRename: string;
  /** `POST` removes one of them. */
  passkeyRemove: string;
  token: string;
  revoke: string;
  jwks: string;
}

/**
 * @internal an endpoint as a feature function names it: the key of its override, its default
 * path, and the problem codes it answers beyond the generic ones (core/problems.ts).
 */
export type EndpointRef = readonly [name: keyof Endpoints, defaultPath: string, problems?: ProblemMap];

const signIn = "/auth/sign-in";
const mfaVerify = "/auth/mfa/verify";
const mfaEmailCode = "/auth/mfa/email-code";
const signUp = "/auth/sign-up";
const passwordResetRequest = "/auth/password/reset-request";
const passwordReset = "/auth/password/reset";
const passwordChange = "/auth/password/change";
const emailChangeRequest = "/auth/email/change-request";
const emailChangeConfirm = "/auth/email/confirm";
const emailChangeCancel = "/auth/email/change-cancel";
const emailVerify = "/auth/email/verify";
const emailVerifyResend = "/auth/email/verify/resend";
const accountUnlock = "/auth/account/unlock";
const settings = "/auth/settings";
const signOut = "/auth/sign-out";
const user = "/auth/user";
const mfaTotpEnroll = "/auth/mfa/totp/enroll";
const mfaTotpActivate = "/auth/mfa/totp/activate";
const mfaFactors = "/auth/mfa/factors";
const mfaFactorRemove = "/auth/mfa/factors/remove";
const mfaRecoveryCodes = "/auth/mfa/recovery-codes";
const history = "/auth/history";
const sessions = "/auth/sessions";
const sessionRevoke = "/auth/sessions/revoke";
const sessionsRevokeOthers = "/auth/sessions/revoke-others";
const privacy = "/auth/privacy";
const lastLogin = "/auth/last-login";
const accountDelete = "/auth/account/delete";
const identitySignIn = "/auth/identities/sign-in";
const identities = "/auth/identities";
const identityLink = "/auth/identities/link";
const identityUnlink = "/auth/identities/unlink";
const passkeyRegisterOptions = "/auth/passkeys/register/options";
const passkeyRegister = "/auth/passkeys/register";
const passkeySignInOptions = "/auth/passkeys/sign-in/options";
const passkeySignIn = "/auth/passkeys/sign-in";
const passkeys = "/auth/passkeys";
const passkeyRename = "/auth/passkeys/rename";
const passkeyRemove = "/auth/passkeys/remove";
const token = "/oauth/token";
const revoke = "/oauth/revoke";
const jwks = "/.well-known/jwks.json";

/** The default paths of the HTTP contract. */
export const defaultEndpoints: Readonly<Endpoints> = {
  signIn,
  mfaVerify,
  mfaEmailCode,
  signUp,
  passwordResetRequest,
  passwordReset,
  passwordChange,
  emailChangeRequest,
  emailChangeConfirm,
  emailChangeCancel,
  emailVerify,
  emailVerifyResend,
  accountUnlock,
  settings,
  signOut,
  user,
  mfaTotpEnroll,
  mfaTotpActivate,
  mfaFactors,
  mfaFactorRemove,
  mfaRecoveryCodes,
  history,
  sessions,
  sessionRevoke,
  sessionsRevokeOthers,
  privacy,
  lastLogin,
  accountDelete,
  identitySignIn,
  identities,
  identityLink,
  identityUnlink,
  passkeyRegisterOptions,
  passkeyRegister,
  passkeySignInOptions,
  passkeySignIn,
  passkeys,
  passkeyRename,
  passkeyRemove,
  token,
  revoke,
  jwks,
};

/** @internal */
export const SIGN_IN: EndpointRef = [
  "signIn",
  signIn,
  {
    invalid_credentials: INVALID_CREDENTIALS,
    email_not_verified: EMAIL_NOT_VERIFIED,
    mfa_required: MFA_REQUIRED,
  },
];
/** @internal */
export const MFA_VERIFY: EndpointRef = [
  "mfaVerify",
  mfaVerify,
  { mfa_challenge_expired: MFA_CHALLENGE_EXPIRED, invalid_mfa_code: INVALID_MFA_CODE },
];
/** @internal */
export const MFA_EMAIL_CODE: EndpointRef = [
  "mfaEmailCode",
  mfaEmailCode,
  { mfa_challenge_expired: MFA_CHALLENGE_EXPIRED },
];
/** @internal */
export const SIGN_UP: EndpointRef = [
  "signUp",
  signUp,
  {
    email_taken: EMAIL_TAKEN,
    email_blocked: EMAIL_BLOCKED,
    password_policy: PASSWORD_POLICY,
    email_not_verified: EMAIL_NOT_VERIFIED,
  },
];
/** @internal */
export const PASSWORD_RESET_REQUEST: EndpointRef = ["passwordResetRequest", passwordResetRequest];
/** @internal */
export const PASSWORD_RESET: EndpointRef = [
  "passwordReset",
  passwordReset,
  { invalid_token: INVALID_TOKEN, password_policy: PASSWORD_POLICY },
];
/** @internal */
export const PASSWORD_CHANGE: EndpointRef = [
  "passwordChange",
  passwordChange,
  { invalid_credentials: INVALID_CREDENTIALS, password_policy: PASSWORD_POLICY },
];
/** @internal */
export const EMAIL_CHANGE_REQUEST: EndpointRef = [
  "emailChangeRequest",
  emailChangeRequest,
  { invalid_credentials: INVALID_CREDENTIALS, email_taken: EMAIL_TAKEN, email_blocked: EMAIL_BLOCKED },
];
/** @internal */
export const EMAIL_CHANGE_CONFIRM: EndpointRef = [
  "emailChangeConfirm",
  emailChangeConfirm,
  { invalid_token: INVALID_TOKEN, email_taken: EMAIL_TAKEN, email_blocked: EMAIL_BLOCKED },
];
/** @internal */
export const EMAIL_CHANGE_CANCEL: EndpointRef = [
  "emailChangeCancel",
  emailChangeCancel,
  { invalid_token: INVALID_TOKEN },
];
/** @internal */
export const EMAIL_VERIFY: EndpointRef = ["emailVerify", emailVerify, { invalid_token: INVALID_TOKEN }];
/** @internal */
export const EMAIL_VERIFY_RESEND: EndpointRef = ["emailVerifyResend", emailVerifyResend];
/** @internal */
export const ACCOUNT_UNLOCK: EndpointRef = ["accountUnlock", accountUnlock, { invalid_token: INVALID_TOKEN }];
/** @internal */
export const SETTINGS: EndpointRef = ["settings", settings];
/** @internal */
export const SIGN_OUT: EndpointRef = ["signOut", signOut];
/** @internal */
export const USER: EndpointRef = ["user", user];
/** @internal */
export const MFA_TOTP_ENROLL: EndpointRef = [
  "mfaTotpEnroll",
  mfaTotpEnroll,
  { factor_exists: FACTOR_EXISTS },
];
/** @internal */
export const MFA_TOTP_ACTIVATE: EndpointRef = [
  "mfaTotpActivate",
  mfaTotpActivate,
  { factor_exists: FACTOR_EXISTS, invalid_mfa_code: INVALID_MFA_CODE },
];
/** @internal */
export const MFA_FACTORS: EndpointRef = ["mfaFactors", mfaFactors];
/** @internal */
export const MFA_FACTOR_REMOVE: EndpointRef = [
  "mfaFactorRemove",
  mfaFactorRemove,
  { invalid_mfa_code: INVALID_MFA_CODE },
];
/** @internal */
export const MFA_RECOVERY_CODES: EndpointRef = [
  "mfaRecoveryCodes",
  mfaRecoveryCodes,
  { mfa_not_enabled: MFA_NOT_ENABLED, invalid_mfa_code: INVALID_MFA_CODE },
];
/** @internal */
export const HISTORY: EndpointRef = ["history", history];
/** @internal */
export const SESSIONS: EndpointRef = ["sessions", sessions];
/** @internal */
export const SESSION_REVOKE: EndpointRef = ["sessionRevoke", sessionRevoke];
/** @internal */
export const SESSIONS_REVOKE_OTHERS: EndpointRef = ["sessionsRevokeOthers", sessionsRevokeOthers];
/** @internal */
export const PRIVACY: EndpointRef = ["privacy", privacy];
/** @internal */
export const LAST_LOGIN: EndpointRef = ["lastLogin", lastLogin, { user_not_found: USER_NOT_FOUND }];
/** @internal */
export const ACCOUNT_DELETE: EndpointRef = [
  "accountDelete",
  accountDelete,
  {
    invalid_credentials: INVALID_CREDENTIALS,
    invalid_mfa_code: INVALID_MFA_CODE,
    mfa_not_enabled: MFA_NOT_ENABLED,
    user_not_found: USER_NOT_FOUND,
  },
];
/** @internal */
export const IDENTITY_SIGN_IN: EndpointRef = [
  "identitySignIn",
  identitySignIn,
  {
    unknown_provider: UNKNOWN_PROVIDER,
    invalid_id_token: INVALID_ID_TOKEN,
    identity_conflict: IDENTITY_CONFLICT,
    email_blocked: EMAIL_BLOCKED,
    mfa_required: MFA_REQUIRED,
  },
];
/** @internal */
export const IDENTITIES: EndpointRef = ["identities", identities];
/** @internal */
export const IDENTITY_LINK: EndpointRef = [
  "identityLink",
  identityLink,
  {
    unknown_provider: UNKNOWN_PROVIDER,
    invalid_id_token: INVALID_ID_TOKEN,
    invalid_credentials: INVALID_CREDENTIALS,
    invalid_mfa_code: INVALID_MFA_CODE,
    mfa_not_enabled: MFA_NOT_ENABLED,
    identity_conflict: IDENTITY_CONFLICT,
  },
];
/** @internal */
export const IDENTITY_UNLINK: EndpointRef = [
  "identityUnlink",
  identityUnlink,
  { last_sign_in_method: LAST_SIGN_IN_METHOD },
];
/** @internal */
export const PASSKEY_REGISTER_OPTIONS: EndpointRef = ["passkeyRegisterOptions", passkeyRegisterOptions];
/** @internal */
export const PASSKEY_REGISTER: EndpointRef = [
  "passkeyRegister",
  passkeyRegister,
  {
    invalid_passkey: INVALID_PASSKEY,
    passkey_challenge_expired: PASSKEY_CHALLENGE_EXPIRED,
    passkey_exists: PASSKEY_EXISTS,
  },
];
/** @internal */
export const PASSKEY_SIGN_IN_OPTIONS: EndpointRef = ["passkeySignInOptions", passkeySignInOptions];
/** @internal */
export const PASSKEY_SIGN_IN: EndpointRef = [
  "passkeySignIn",
  passkeySignIn,
  {
    invalid_passkey: INVALID_PASSKEY,
    passkey_challenge_expired: PASSKEY_CHALLENGE_EXPIRED,
    mfa_required: MFA_REQUIRED,
  },
];
/** @internal */
export const PASSKEYS: EndpointRef = ["passkeys", passkeys];
/** @internal */
export const PASSKEY_RENAME: EndpointRef = ["passkeyRename", passkeyRename];
/** @internal */
export const PASSKEY_REMOVE: EndpointRef = [
  "passkeyRemove",
  passkeyRemove,
  { last_sign_in_method: LAST_SIGN_IN_METHOD },
];
/** @internal */
export const TOKEN: EndpointRef = ["token", token];
/** @internal */
export const REVOKE: EndpointRef = ["revoke", revoke];
/** @internal */
export const JWKS: EndpointRef = ["jwks", jwks];
