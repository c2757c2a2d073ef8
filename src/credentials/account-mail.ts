import type { AuthClient } from "../core/client";
import {
  ACCOUNT_UNLOCK,
  EMAIL_CHANGE_CANCEL,
  EMAIL_VERIFY,
  EMAIL_VERIFY_RESEND,
  SETTINGS,
} from "../core/endpoints";
import { callJson } from "../core/request";
import { toUser, type User } from "../core/session";
import { loadSession, setSession } from "../core/state";
import { UserResponseSchema } from "../wire";
import { AccountSettingsSchema } from "../wire/account";
import { postJson, postVoid, requireString } from "./shared";

/** The languages of the mails a tegata server sends. */
export type MailLocale = "ja" | "en";

/** The user's account settings. */
export interface AccountSettings {
  /**
   * The language of the mails the server sends to the user. `null` when never chosen (an account
   * made by an operator or a social sign-in): mails then follow the browser's `Accept-Language`,
   * or English.
   */
  mailLocale: MailLocale | null;
}

/**
 * Verifies the address of the account with the token of its verification link (mailed at
 * sign-up, and by {@link resendVerificationEmail}). Works without a session (the link may be
 * opened on another device); when this client's session belongs to the same user, its user is
 * updated (`emailVerified: true`) and `USER_UPDATED` is emitted.
 *
 * @returns the updated user
 * @throws InvalidTokenError when the token is unknown, expired, already used, of another kind of
 * link, or was issued for an address the account no longer has.
 * @example
 * ```ts
 * const token = new URL(location.href).searchParams.get("token") ?? "";
 * await verifyEmail(auth, { token });
 * ```
 */
export async function verifyEmail(
  auth: AuthClient,
  params: { token: string; signal?: AbortSignal },
): Promise<User> {
  requireString("token", params?.token);
  const result = await postJson(auth, EMAIL_VERIFY, { token: params.token }, UserResponseSchema, {
    signal: params.signal,
  });
  const user = toUser(result.user);
  const current = await loadSession(auth);
  if (current?.user && current.user.id === user.id) {
    await setSession(auth, { ...current, user }, "USER_UPDATED");
  }
  return user;
}

/**
 * Mails a new verification link to the signed-in user's address; the older link stops working.
 * Nothing is sent when the address is verified already (the call still succeeds).
 *
 * @param params.redirectTo - Where the link leads: a path, or a URL on one of the server's
 *   `appOrigins`. Default: the server's `/verify-email` page.
 * @throws NotSignedInError without a session; InvalidRequestError for a refused `redirectTo`.
 * @example
 * ```ts
 * await resendVerificationEmail(auth, { redirectTo: "/verify" });
 * ```
 */
export async function resendVerificationEmail(
  auth: AuthClient,
  params: { redirectTo?: string; signal?: AbortSignal } = {},
): Promise<void> {
  const body: Record<string, string> = {};
  if (params.redirectTo !== undefined) body.redirect_to = params.redirectTo;
  await postVoid(auth, EMAIL_VERIFY_RESEND, body, {
    signal: params.signal,
    authenticated: true,
  });
}

/**
 * Ends the lockout of an account early with the token of the unlock link mailed when it locked.
 * Works once, without a session; the user then signs in as usual.
 *
 * @throws InvalidTokenError when the token is unknown, expired (the lock ended by itself), already
 * used or of another kind of link.
 * @example
 * ```ts
 * await unlockAccount(auth, { token });
 * ```
 */
export async function unlockAccount(
  auth: AuthClient,
  params: { token: string; signal?: AbortSignal },
): Promise<void> {
  requireString("token", params?.token);
  await postVoid(auth, ACCOUNT_UNLOCK, { token: params.token }, { signal: params.signal });
}

/**
 * "This wasn't me": with the token of the link in the notice mailed to the old address of an
 * email change, cancels the change (or, when it was confirmed already, puts the old address
 * back) and ends every session of the user, this client's included. Works once, without a
 * session. Change the password next (`requestPasswordReset`).
 *
 * @throws InvalidTokenError when the token is unknown, expired, already used or of another kind
 * of link.
 * @example
 * ```ts
 * await cancelEmailChange(auth, { token });
 * ```
 */
export async function cancelEmailChange(
  auth: AuthClient,
  params: { token: string; signal?: AbortSignal },
): Promise<void> {
  requireString("token", params?.token);
  await postVoid(auth, EMAIL_CHANGE_CANCEL, { token: params.token }, { signal: params.signal });
}

/**
 * Reads the signed-in user's account settings (the language of their mails).
 *
 * @throws NotSignedInError without a session.
 * @example
 * ```ts
 * const { mailLocale } = await getAccountSettings(auth);
 * ```
 */
export async function getAccountSettings(
  auth: AuthClient,
  options: { signal?: AbortSignal } = {},
): Promise<AccountSettings> {
  const body = await callJson(auth, SETTINGS, undefined, AccountSettingsSchema, {
    authenticated: true,
    signal: options.signal,
  });
  return { mailLocale: body.mail_locale };
}

/**
 * Changes the signed-in user's account settings: the language of the mails the server sends
 * them (`"ja"` or `"en"`), from the next mail on.
 *
 * @returns the settings as saved
 * @throws NotSignedInError without a session; TypeError for another language (nothing is sent).
 * @example
 * ```ts
 * await updateAccountSettings(auth, { mailLocale: "ja" });
 * ```
 */
export async function updateAccountSettings(
  auth: AuthClient,
  settings: { mailLocale: MailLocale; signal?: AbortSignal },
): Promise<AccountSettings> {
  if (settings?.mailLocale !== "ja" && settings?.mailLocale !== "en") {
    throw new TypeError('tegata: "mailLocale" must be "ja" or "en"');
  }
  const body = await callJson(auth, SETTINGS, { mail_locale: settings.mailLocale }, AccountSettingsSchema, {
    method: "PATCH",
    authenticated: true,
    signal: settings.signal,
  });
  return { mailLocale: body.mail_locale };
}
