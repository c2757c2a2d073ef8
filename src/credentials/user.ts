import type { AuthClient } from "../core/client";
import { USER } from "../core/endpoints";
import { callJson } from "../core/request";
import { toUser, type User } from "../core/session";
import { loadSession, setSession } from "../core/state";
import { UserResponseSchema } from "../wire";

/**
 * Fetches the signed-in user from the server (`GET /auth/user`) and updates the session's copy,
 * emitting `USER_UPDATED` when it changed.
 *
 * @throws NotSignedInError without a session; UnauthorizedError when the server refused the access
 * token (revoked or ended elsewhere; the local session is kept); SessionExpiredError when the
 * refresh token was refused.
 * @example
 * ```ts
 * const user = await getUser(auth);
 * ```
 */
export async function getUser(auth: AuthClient, params: { signal?: AbortSignal } = {}): Promise<User> {
  const body = await callJson(auth, USER, undefined, UserResponseSchema, {
    signal: params.signal,
    authenticated: true,
  });
  const user = toUser(body.user);
  const current = await loadSession(auth);
  // Only the session that asked is updated: not one that was replaced meanwhile by another user's.
  if (current && current.user?.id === user.id && JSON.stringify(current.user) !== JSON.stringify(user)) {
    await setSession(auth, { ...current, user }, "USER_UPDATED");
  }
  return user;
}
