import type { AuthClient } from "../core/client";
import { PASSWORD_CHANGE, PASSWORD_RESET, PASSWORD_RESET_REQUEST } from "../core/endpoints";
import { NotSignedInError } from "../core/errors";
import type { PasswordChecker } from "../core/password-checker";
import { loadSession } from "../core/state";
import { enforcePolicy, postVoid, requireString } from "./shared";

/**
 * Asks the server to email a password-reset link. The server answers the same whether or not the
 * address has an account, so this never reveals who is registered.
 *
 * @param params.redirectTo - where the link in the email should lead (the server may restrict it)
 * @example
 * ```ts
 * await requestPasswordReset(auth, { email });
 * ```
 */
export async function requestPasswordReset(
  auth: AuthClient,
  params: { email: string; redirectTo?: string; signal?: AbortSignal },
): Promise<void> {
  requireString("email", params?.email);
  const body: Record<string, string> = { email: params.email.trim() };
  if (params.redirectTo !== undefined) body.redirect_to = params.redirectTo;
  await postVoid(auth, PASSWORD_RESET_REQUEST, body, { signal: params.signal });
}

/**
 * Sets a new password with the token from the reset email. The server ends every session of the
 * account; sign in again afterwards.
 *
 * @param params.policy - checked before anything is sent (with `email` as context, when given)
 * @throws InvalidTokenError when the token is unknown, expired or already used;
 * PasswordPolicyError when the new password breaks the policy (the local one or the server's).
 * @example
 * ```ts
 * await resetPassword(auth, { token: new URL(location.href).searchParams.get("token")!, password });
 * ```
 */
export async function resetPassword(
  auth: AuthClient,
  params: { token: string; password: string; policy?: PasswordChecker; email?: string; signal?: AbortSignal },
): Promise<void> {
  requireString("token", params?.token);
  requireString("password", params.password);
  await enforcePolicy(
    params.policy,
    params.password,
    params.email === undefined ? {} : { email: params.email },
  );
  await postVoid(
    auth,
    PASSWORD_RESET,
    { token: params.token, password: params.password },
    { signal: params.signal },
  );
}

/**
 * Changes the signed-in user's password. The server ends the account's other sessions; this one
 * stays signed in.
 *
 * @param params.policy - checked before anything is sent, with the user's email and name as context
 * @throws NotSignedInError without a session; InvalidCredentialsError when `currentPassword` is
 * wrong; PasswordPolicyError when the new password breaks the policy (the local one or the server's).
 * @example
 * ```ts
 * await changePassword(auth, { currentPassword, newPassword });
 * ```
 */
export async function changePassword(
  auth: AuthClient,
  params: { currentPassword: string; newPassword: string; policy?: PasswordChecker; signal?: AbortSignal },
): Promise<void> {
  requireString("currentPassword", params?.currentPassword);
  requireString("newPassword", params.newPassword);
  const session = await loadSession(auth);
  if (!session) throw new NotSignedInError("Nobody is signed in");
  const user = session.user;
  await enforcePolicy(params.policy, params.newPassword, {
    ...(user?.email ? { email: user.email } : {}),
    ...(user?.name ? { name: user.name } : {}),
  });
  await postVoid(
    auth,
    PASSWORD_CHANGE,
    { current_password: params.currentPassword, new_password: params.newPassword },
    { signal: params.signal, authenticated: true },
  );
}
