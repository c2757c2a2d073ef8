import type { AuthClient } from "../core/client";
import { EMAIL_CHANGE_CONFIRM, EMAIL_CHANGE_REQUEST } from "../core/endpoints";
import { toUser, type User } from "../core/session";
import { loadSession, setSession } from "../core/state";
import { UserResponseSchema } from "../wire";
import { postJson, postVoid, requireString } from "./shared";

/**
 * Starts an email change: the server sends a confirmation link to the new address. The address
 * changes only when {@link confirmEmailChange} is called with the link's token.
 *
 * @throws NotSignedInError without a session; InvalidCredentialsError for a wrong password;
 * EmailTakenError when the new address belongs to another account.
 * @example
 * ```ts
 * await requestEmailChange(auth, { newEmail: "new@example.com", password });
 * ```
 */
export async function requestEmailChange(
  auth: AuthClient,
  params: { newEmail: string; password: string; redirectTo?: string; signal?: AbortSignal },
): Promise<void> {
  requireString("newEmail", params?.newEmail);
  requireString("password", params.password);
  const body: Record<string, string> = { new_email: params.newEmail.trim(), password: params.password };
  if (params.redirectTo !== undefined) body.redirect_to = params.redirectTo;
  await postVoid(auth, EMAIL_CHANGE_REQUEST, body, {
    signal: params.signal,
    authenticated: true,
  });
}

/**
 * Confirms an email change with the token from the confirmation link. Works without a session
 * (the link may be opened on another device); when this client's session belongs to the same user,
 * its user is updated and `USER_UPDATED` is emitted.
 *
 * @returns the updated user
 * @throws InvalidTokenError when the token is unknown, expired or already used;
 * EmailTakenError when the address was taken meanwhile.
 */
export async function confirmEmailChange(
  auth: AuthClient,
  params: { token: string; signal?: AbortSignal },
): Promise<User> {
  requireString("token", params?.token);
  const result = await postJson(auth, EMAIL_CHANGE_CONFIRM, { token: params.token }, UserResponseSchema, {
    signal: params.signal,
  });
  const user = toUser(result.user);
  const current = await loadSession(auth);
  if (current?.user && current.user.id === user.id) {
    await setSession(auth, { ...current, user }, "USER_UPDATED");
  }
  return user;
}
