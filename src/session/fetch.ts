import ky, { type KyInstance, type Options as KyOptions } from "ky";
import type { AuthClient } from "../core/client";
import { AbortedError, NetworkError } from "../core/errors";
import { context, loadSession, refreshSession } from "../core/state";
import { getAccessToken } from "./access-token";

function withBearer(request: Request, token: string): Request {
  const headers = new Headers(request.headers);
  headers.set("authorization", `Bearer ${token}`);
  return new Request(request, { headers });
}

async function fetchWithRefresh(
  auth: AuthClient,
  input: RequestInfo | URL,
  init: RequestInit | undefined,
  call: (fetchFn: typeof globalThis.fetch, request: Request) => Promise<Response>,
): Promise<Response> {
  const fetchFn = context(auth).fetch;
  const original = new Request(input, init);
  const token = await getAccessToken(auth);
  const first = await call(fetchFn, withBearer(original.clone(), token));
  if (first.status !== 401) return first;
  // Refresh once (shared with every concurrent caller), retry once, never loop.
  const current = await loadSession(auth);
  const next =
    current && current.accessToken !== token ? current.accessToken : (await refreshSession(auth)).accessToken;
  await first.body?.cancel().catch(() => {});
  return call(fetchFn, withBearer(original, next));
}

/**
 * Calls fetch; its rejection is a network failure (`NetworkError`) or an abort (`AbortedError`).
 * Errors raised before fetch (an invalid URL or init given by the caller) are not wrapped.
 */
async function sendTyped(fetchFn: typeof globalThis.fetch, request: Request): Promise<Response> {
  try {
    return await fetchFn(request);
  } catch (error) {
    if (request.signal.aborted || (error instanceof Error && error.name === "AbortError")) {
      throw new AbortedError("The request was aborted", { cause: error });
    }
    throw new NetworkError("The server could not be reached", { cause: error });
  }
}

/**
 * `fetch` with the session's bearer token. The token is refreshed first when it is about to
 * expire; on a `401` the session is refreshed once and the request retried once (never more).
 * Other statuses are returned as they are, like `fetch` does.
 *
 * @throws NotSignedInError without a session; SessionExpiredError when the refresh was refused;
 * NetworkError when the request could not be sent; AbortedError when `init.signal` aborted it.
 * @example
 * ```ts
 * const res = await authFetch(auth, "https://api.example.com/me");
 * const me = await res.json();
 * ```
 */
export async function authFetch(
  auth: AuthClient,
  input: RequestInfo | URL,
  init?: RequestInit,
): Promise<Response> {
  return fetchWithRefresh(auth, input, init, sendTyped);
}

/**
 * A ky instance whose requests carry the session's bearer token, refreshed on expiry and once on
 * a `401` (as {@link authFetch}). ky's own options (prefix, retries, hooks) apply on top.
 *
 * @example
 * ```ts
 * const api = createAuthorizedKy(auth, { prefix: "https://api.example.com" });
 * const orders = await api.get("orders").json();
 * ```
 */
export function createAuthorizedKy(auth: AuthClient, options: KyOptions = {}): KyInstance {
  return ky.create({
    ...options,
    // ky sees fetch's own failures, so that its retry policy recognises network errors.
    fetch: (input, init) => fetchWithRefresh(auth, input, init, (fetchFn, request) => fetchFn(request)),
  });
}
