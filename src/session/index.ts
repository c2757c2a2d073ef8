/**
 * `tegata/session`: valid access tokens on demand, one refresh for any number of callers, an
 * authorized `fetch` and ky instance, proactive refresh with jitter, cross-tab sync and revocation.
 *
 * @example
 * ```ts
 * import { authFetch, enableCrossTabSync, startAutoRefresh } from "tegata/session";
 * enableCrossTabSync(auth);
 * startAutoRefresh(auth);
 * const res = await authFetch(auth, "https://api.example.com/me");
 * ```
 * @module
 */

export type { GetAccessTokenOptions } from "./access-token";
export { getAccessToken, refreshSessionNow } from "./access-token";
export type { AutoRefreshOptions, VisibilitySource } from "./auto-refresh";
export { refreshDelay, startAutoRefresh, stopAutoRefresh } from "./auto-refresh";
export type { BroadcastChannelLike, CrossTabOptions, LockManagerLike } from "./cross-tab";
export { enableCrossTabSync } from "./cross-tab";
export { authFetch, createAuthorizedKy } from "./fetch";
export { revokeTokens } from "./revoke";
