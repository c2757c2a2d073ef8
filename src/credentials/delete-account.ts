import type { AuthClient } from "../core/client";
import { ACCOUNT_DELETE } from "../core/endpoints";
import { NotSignedInError } from "../core/errors";
import { clearSession, loadSession } from "../core/state";
import { postVoid } from "./shared";

/** How {@link deleteAccount} proves it is the account's owner. */
export type DeleteAccountProof =
  | { password: string; code?: never }
  /** A current TOTP code or an unused recovery code. */
  | { code: string; password?: never }
  /**
   * Nothing: only for an account with neither a password nor a second factor (social sign-in
   * only), whose session began in the last 5 minutes (sign in again first).
   */
  | { password?: never; code?: never };

/**
 * Deletes the signed-in user's account (退会): the server re-checks the password or a second
 * factor, ends every session, and erases the account's personal data, factors, linked identities
 * and login history. The address cannot register again for a while (the server's
 * `deletedEmailBlockSeconds`; sign-up then answers `EmailBlockedError`). This device is signed out
 * (`SIGNED_OUT`).
 *
 * @throws NotSignedInError without a session; InvalidCredentialsError (with `remainingAttempts`)
 *   for a wrong password; InvalidMfaCodeError for a wrong code; AccountLockedError;
 *   InvalidRequestError when the proof is missing. Nothing is deleted when it throws.
 * @example
 * ```ts
 * await deleteAccount(auth, { password }); // 退会する
 * ```
 */
export async function deleteAccount(
  auth: AuthClient,
  proof: DeleteAccountProof & { signal?: AbortSignal } = {},
): Promise<void> {
  const { password, code, signal } = proof;
  if (password !== undefined && (typeof password !== "string" || password === "")) {
    throw new TypeError('tegata: "password" must be a non-empty string');
  }
  if (code !== undefined && (typeof code !== "string" || code === "")) {
    throw new TypeError('tegata: "code" must be a non-empty string');
  }
  if (password !== undefined && code !== undefined) {
    throw new TypeError('tegata: give "password" or "code", not both');
  }
  if (!(await loadSession(auth))) throw new NotSignedInError("Nobody is signed in");
  await postVoid(
    auth,
    ACCOUNT_DELETE,
    { ...(password === undefined ? {} : { password }), ...(code === undefined ? {} : { code }) },
    { authenticated: true, signal },
  );
  await clearSession(auth);
}
