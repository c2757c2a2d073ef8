import type { AuthClient } from "../core/client";
import { getValidAccessToken, refreshSession } from "../core/state";

/** Options of {@link getAccessToken}. */
export interface GetAccessTokenOptions {
  /** Refresh when the token expires within this many seconds. Default: the client's `refreshLeewaySeconds` (60). */
  leewaySeconds?: number;
  /** Refresh even when the token is still valid. */
  forceRefresh?: boolean;
}

/**
 * Returns an access token that is valid now, refreshing it first when it expires within the
 * leeway. Any number of concurrent callers share one refresh request.
 *
 * @throws NotSignedInError without a session; SessionExpiredError when the server refused the
 * refresh token (the session is then removed and `SIGNED_OUT` emitted); NetworkError, TimeoutError
 * or HttpError when the refresh could not be done now (the session is kept).
 * @example
 * ```ts
 * const token = await getAccessToken(auth);
 * await fetch("/api/orders", { headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export async function getAccessToken(auth: AuthClient, options: GetAccessTokenOptions = {}): Promise<string> {
  return getValidAccessToken(auth, options);
}

/**
 * Refreshes the session now, whatever the expiry of its access token (one request for any number
 * of concurrent callers).
 *
 * @returns the new session
 * @throws as {@link getAccessToken}
 */
export async function refreshSessionNow(auth: AuthClient) {
  return refreshSession(auth);
}
