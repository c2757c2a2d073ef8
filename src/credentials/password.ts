import type { AuthClient } from "../core/client";
import { AcceptedSchema } from "../wire";
import { postJson, postVoid, requireString } from "./shared";

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
  await postJson(auth, "passwordResetRequest", body, AcceptedSchema, { signal: params.signal });
}

/**
 * Sets a new password with the token from the reset email. The server ends every session of the
 * account; sign in again afterwards.
 *
 * @throws InvalidTokenError when the token is unknown, expired or already used;
 * PasswordPolicyError when the new password breaks the policy.
 * @example
 * ```ts
 * await resetPassword(auth, { token: new URL(location.href).searchParams.get("token")!, password });
 * ```
 */
export async function resetPassword(
  auth: AuthClient,
  params: { token: string; password: string; signal?: AbortSignal },
): Promise<void> {
  requireString("token", params?.token);
  requireString("password", params.password);
  await postVoid(
    auth,
    "passwordReset",
    { token: params.token, password: params.password },
    { signal: params.signal },
  );
}

/**
 * Changes the signed-in user's password. The server ends the account's other sessions; this one
 * stays signed in.
 *
 * @throws NotSignedInError without a session; InvalidCredentialsError when `currentPassword` is
 * wrong; PasswordPolicyError when the new password breaks the policy.
 * @example
 * ```ts
 * await changePassword(auth, { currentPassword, newPassword });
 * ```
 */
export async function changePassword(
  auth: AuthClient,
  params: { currentPassword: string; newPassword: string; signal?: AbortSignal },
): Promise<void> {
  requireString("currentPassword", params?.currentPassword);
  requireString("newPassword", params.newPassword);
  await postVoid(
    auth,
    "passwordChange",
    { current_password: params.currentPassword, new_password: params.newPassword },
    { signal: params.signal, authenticated: true },
  );
}
