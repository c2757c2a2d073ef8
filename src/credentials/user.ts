import type { AuthClient } from "../core/client";
import { processJson, send } from "../core/http";
import { toUser, type User } from "../core/session";
import { endpointUrl, getValidAccessToken, setSession } from "../core/state";
import { UserResponseSchema } from "../wire";

/**
 * Fetches the signed-in user from the server (`GET /auth/user`) and updates the session's copy,
 * emitting `USER_UPDATED` when it changed.
 *
 * @throws NotSignedInError without a session; SessionExpiredError when the server ended it.
 * @example
 * ```ts
 * const user = await getUser(auth);
 * ```
 */
export async function getUser(auth: AuthClient, params: { signal?: AbortSignal } = {}): Promise<User> {
  const bearer = await getValidAccessToken(auth);
  const response = await send(auth._internal.http, {
    method: "GET",
    url: endpointUrl(auth, "user"),
    bearer,
    signal: params.signal,
  });
  const user = toUser((await processJson(response, UserResponseSchema)).user);
  const current = auth._internal.session;
  if (current && JSON.stringify(current.user) !== JSON.stringify(user)) {
    await setSession(auth, { ...current, user }, "USER_UPDATED");
  }
  return user;
}
