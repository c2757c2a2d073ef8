/**
 * The paths of the HTTP contract. Each default path is a constant of its own, so that a bundle
 * carries only the paths of the functions it imports; {@link defaultEndpoints} gathers them all.
 *
 * @module
 */

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

/** @internal an endpoint as a feature function names it: the key of its override and its default path. */
export type EndpointRef = readonly [name: keyof Endpoints, defaultPath: string];

/** @internal */
export const SIGN_IN = "/auth/sign-in";
/** @internal */
export const MFA_VERIFY = "/auth/mfa/verify";
/** @internal */
export const MFA_EMAIL_CODE = "/auth/mfa/email-code";
/** @internal */
export const SIGN_UP = "/auth/sign-up";
/** @internal */
export const PASSWORD_RESET_REQUEST = "/auth/password/reset-request";
/** @internal */
export const PASSWORD_RESET = "/auth/password/reset";
/** @internal */
export const PASSWORD_CHANGE = "/auth/password/change";
/** @internal */
export const EMAIL_CHANGE_REQUEST = "/auth/email/change-request";
/** @internal */
export const EMAIL_CHANGE_CONFIRM = "/auth/email/confirm";
/** @internal */
export const EMAIL_CHANGE_CANCEL = "/auth/email/change-cancel";
/** @internal */
export const EMAIL_VERIFY = "/auth/email/verify";
/** @internal */
export const EMAIL_VERIFY_RESEND = "/auth/email/verify/resend";
/** @internal */
export const ACCOUNT_UNLOCK = "/auth/account/unlock";
/** @internal */
export const SETTINGS = "/auth/settings";
/** @internal */
export const SIGN_OUT = "/auth/sign-out";
/** @internal */
export const USER = "/auth/user";
/** @internal */
export const MFA_TOTP_ENROLL = "/auth/mfa/totp/enroll";
/** @internal */
export const MFA_TOTP_ACTIVATE = "/auth/mfa/totp/activate";
/** @internal */
export const MFA_FACTORS = "/auth/mfa/factors";
/** @internal */
export const MFA_FACTOR_REMOVE = "/auth/mfa/factors/remove";
/** @internal */
export const MFA_RECOVERY_CODES = "/auth/mfa/recovery-codes";
/** @internal */
export const HISTORY = "/auth/history";
/** @internal */
export const SESSIONS = "/auth/sessions";
/** @internal */
export const SESSION_REVOKE = "/auth/sessions/revoke";
/** @internal */
export const SESSIONS_REVOKE_OTHERS = "/auth/sessions/revoke-others";
/** @internal */
export const PRIVACY = "/auth/privacy";
/** @internal */
export const LAST_LOGIN = "/auth/last-login";
/** @internal */
export const ACCOUNT_DELETE = "/auth/account/delete";
/** @internal */
export const IDENTITY_SIGN_IN = "/auth/identities/sign-in";
/** @internal */
export const IDENTITIES = "/auth/identities";
/** @internal */
export const IDENTITY_LINK = "/auth/identities/link";
/** @internal */
export const IDENTITY_UNLINK = "/auth/identities/unlink";
/** @internal */
export const PASSKEY_REGISTER_OPTIONS = "/auth/passkeys/register/options";
/** @internal */
export const PASSKEY_REGISTER = "/auth/passkeys/register";
/** @internal */
export const PASSKEY_SIGN_IN_OPTIONS = "/auth/passkeys/sign-in/options";
/** @internal */
export const PASSKEY_SIGN_IN = "/auth/passkeys/sign-in";
/** @internal */
export const PASSKEYS = "/auth/passkeys";
/** @internal */
export const PASSKEY_RENAME = "/auth/passkeys/rename";
/** @internal */
export const PASSKEY_REMOVE = "/auth/passkeys/remove";
/** @internal */
export const TOKEN = "/oauth/token";
/** @internal */
export const REVOKE = "/oauth/revoke";
/** @internal */
export const JWKS = "/.well-known/jwks.json";

/** The default paths of the HTTP contract. */
export const defaultEndpoints: Readonly<Endpoints> = {
  signIn: SIGN_IN,
  mfaVerify: MFA_VERIFY,
  mfaEmailCode: MFA_EMAIL_CODE,
  signUp: SIGN_UP,
  passwordResetRequest: PASSWORD_RESET_REQUEST,
  passwordReset: PASSWORD_RESET,
  passwordChange: PASSWORD_CHANGE,
  emailChangeRequest: EMAIL_CHANGE_REQUEST,
  emailChangeConfirm: EMAIL_CHANGE_CONFIRM,
  emailChangeCancel: EMAIL_CHANGE_CANCEL,
  emailVerify: EMAIL_VERIFY,
  emailVerifyResend: EMAIL_VERIFY_RESEND,
  accountUnlock: ACCOUNT_UNLOCK,
  settings: SETTINGS,
  signOut: SIGN_OUT,
  user: USER,
  mfaTotpEnroll: MFA_TOTP_ENROLL,
  mfaTotpActivate: MFA_TOTP_ACTIVATE,
  mfaFactors: MFA_FACTORS,
  mfaFactorRemove: MFA_FACTOR_REMOVE,
  mfaRecoveryCodes: MFA_RECOVERY_CODES,
  history: HISTORY,
  sessions: SESSIONS,
  sessionRevoke: SESSION_REVOKE,
  sessionsRevokeOthers: SESSIONS_REVOKE_OTHERS,
  privacy: PRIVACY,
  lastLogin: LAST_LOGIN,
  accountDelete: ACCOUNT_DELETE,
  identitySignIn: IDENTITY_SIGN_IN,
  identities: IDENTITIES,
  identityLink: IDENTITY_LINK,
  identityUnlink: IDENTITY_UNLINK,
  passkeyRegisterOptions: PASSKEY_REGISTER_OPTIONS,
  passkeyRegister: PASSKEY_REGISTER,
  passkeySignInOptions: PASSKEY_SIGN_IN_OPTIONS,
  passkeySignIn: PASSKEY_SIGN_IN,
  passkeys: PASSKEYS,
  passkeyRename: PASSKEY_RENAME,
  passkeyRemove: PASSKEY_REMOVE,
  token: TOKEN,
  revoke: REVOKE,
  jwks: JWKS,
};
