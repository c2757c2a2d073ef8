import type { AuthClient } from "../core/client";
import { LAST_LOGIN } from "../core/endpoints";
import { callJson } from "../core/request";
import { LastLoginSchema } from "../wire/history";

/**
 * When another user last signed in, as the server shows it to others: `null` when that user hid
 * it (their privacy setting, effective at once), never signed in, or is suspended. Any signed-in
 * user may ask, for any user id (a seller's profile page, say).
 *
 * @param userId - The other user's id.
 * @throws TypeError for an empty or non-string `userId`; UserNotFoundError for an unknown or
 *   deleted user; NotSignedInError / SessionExpiredError without a session.
 * @example
 * ```ts
 * const at = await getLastLogin(auth, seller.id);
 * label.textContent = at === null ? "非公開" : `最終ログイン ${at.toLocaleString("ja-JP")}`;
 * ```
 */
export async function getLastLogin(
  auth: AuthClient,
  userId: string,
  options: { signal?: AbortSignal } = {},
): Promise<Date | null> {
  if (typeof userId !== "string" || userId === "") {
    throw new TypeError('tegata: "userId" must be a non-empty string');
  }
  const body = await callJson(auth, LAST_LOGIN, undefined, LastLoginSchema, {
    authenticated: true,
    signal: options.signal,
    query: { user_id: userId },
  });
  return body.last_login_at === null ? null : new Date(body.last_login_at);
}
