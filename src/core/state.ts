/**
 * Reading, writing and refreshing the current session of a client.
 *
 * @module
 */
import { TokenResponseSchema } from "../wire";
import { type AuthClient, assertClient, type ChangeOrigin, type ClientContext } from "./client";
import { type EndpointRef, TOKEN } from "./endpoints";
import { isTegataError, NotSignedInError, SessionExpiredError } from "./errors";
import type { AuthEvent } from "./events";
import { oauthRefreshError, processJson, resolveUrl, send } from "./http";
import { deserializeSession, type Session, serializeSession, sessionFromTokens } from "./session";

/**
 * @internal the one way a feature module reaches a client's context (HTTP, clock, storage,
 * caches). The session is not in it: read it with {@link loadSession}, which waits for storage.
 * @throws TypeError when `auth` is not a client made by `createAuthClient`.
 */
export function context(auth: AuthClient): ClientContext {
  assertClient(auth);
  return auth._internal;
}

/** @internal */
export function endpointUrl(auth: AuthClient, [name, defaultPath]: EndpointRef): string {
  assertClient(auth);
  return resolveUrl(auth.options.baseUrl, auth.options.endpoints[name] ?? defaultPath);
}

/** @internal loads the session from storage once; later calls read the cached value. */
export async function loadSession(auth: AuthClient): Promise<Session | null> {
  assertClient(auth);
  const state = auth._internal;
  if (state.loaded) return state.session;
  if (!state.loading) {
    const generation = state.generation;
    state.loading = (async () => {
      let raw: string | null = null;
      try {
        raw = await state.storage.getItem(auth.options.storageKey);
      } catch {
        raw = null;
      }
      const session = deserializeSession(raw);
      if (raw !== null && session === null) {
        // Corrupted, partial or foreign data: "no session", and clean it up.
        try {
          await state.storage.removeItem(auth.options.storageKey);
        } catch {
          // ignore
        }
      }
      // A sign-in that finished while we were reading wins over what storage held.
      if (state.generation === generation) {
        state.session = session;
      }
      state.loaded = true;
      state.loading = null;
      return state.session;
    })();
  }
  return state.loading;
}

function persist(auth: AuthClient, session: Session | null): Promise<void> {
  const state = auth._internal;
  const key = auth.options.storageKey;
  const keepRefresh = state.storage.persistRefreshToken !== false;
  const write = async () => {
    try {
      if (session) await state.storage.setItem(key, serializeSession(session, keepRefresh));
      else await state.storage.removeItem(key);
    } catch {
      // Storage failures keep the in-memory session; they must never break sign-in.
    }
  };
  state.writeQueue = state.writeQueue.then(write, write);
  return state.writeQueue;
}

/**
 * @internal replaces the session, persists it and emits `event`. A change that came from another
 * tab (`origin: "remote"`) is not broadcast back.
 */
export async function setSession(
  auth: AuthClient,
  session: Session,
  event: AuthEvent,
  origin: ChangeOrigin = "local",
): Promise<void> {
  const state = auth._internal;
  state.generation++;
  state.session = session;
  state.loaded = true;
  await persist(auth, session);
  if (origin === "local") state.broadcast?.(event, session);
  state.emitter.emit(event, session);
}

/** @internal removes the session; emits `SIGNED_OUT` when there was one. */
export async function clearSession(auth: AuthClient, origin: ChangeOrigin = "local"): Promise<void> {
  const state = auth._internal;
  const had = state.session !== null || !state.loaded;
  state.generation++;
  state.session = null;
  state.loaded = true;
  state.refreshing = null;
  await persist(auth, null);
  if (had && origin === "local") state.broadcast?.("SIGNED_OUT", null);
  if (had) state.emitter.emit("SIGNED_OUT", null);
}

/**
 * Returns the current session, or `null` when nobody is signed in. Reads storage on first use;
 * corrupted or foreign data in storage counts as no session. The access token may be expired:
 * call `getAccessToken` from `tegata/session` for a token that is valid now.
 *
 * @example
 * ```ts
 * const session = await getSession(auth);
 * if (session) console.log(session.user?.email);
 * ```
 */
export async function getSession(auth: AuthClient): Promise<Session | null> {
  return loadSession(auth);
}

/** @internal true when the access token expires within the leeway. */
export function isExpiring(auth: AuthClient, session: Session, leewaySeconds?: number): boolean {
  if (!session.expiresAt) return false;
  const leeway = (leewaySeconds ?? auth.options.refreshLeewaySeconds) * 1000;
  return session.expiresAt.getTime() - leeway <= auth._internal.clock.now();
}

/**
 * @internal refreshes the session with the refresh-token grant. Concurrent callers share one
 * request (no caller's AbortSignal can cancel it for the others). `invalid_grant` ends the session (`SESSION_EXPIRED`, then `SIGNED_OUT`); network
 * errors and 5xx keep it.
 */
export function refreshSession(auth: AuthClient): Promise<Session> {
  const state = auth._internal;
  if (state.refreshing) return state.refreshing;
  // With cross-tab sync, the refresh runs under the tabs' lock, which may adopt another tab's
  // tokens instead (tegata/session, cross-tab.ts); without it, it runs at once.
  const promise = state.lock
    ? state.lock(() => performRefresh(auth), state.generation)
    : performRefresh(auth);
  state.refreshing = promise;
  const release = () => {
    if (state.refreshing === promise) state.refreshing = null;
  };
  promise.then(release, release);
  return promise;
}

/**
 * @internal the session a refresh by another tab brought since `requestedAt` (a session
 * generation), when it is still fresh: cross-tab sync uses it instead of refreshing again.
 */
export function refreshedSince(auth: AuthClient, requestedAt: number): Session | null {
  const state = auth._internal;
  const session = state.session;
  return state.generation !== requestedAt && session && !isExpiring(auth, session) ? session : null;
}

async function performRefresh(auth: AuthClient): Promise<Session> {
  const state = auth._internal;
  const current = await loadSession(auth);
  if (!current) throw new NotSignedInError("Nobody is signed in");
  if (!current.refreshToken) {
    await expire(auth);
    throw new SessionExpiredError("The session has expired and cannot be refreshed");
  }
  const generation = state.generation;
  const form: Record<string, string> = {
    grant_type: "refresh_token",
    refresh_token: current.refreshToken,
  };
  const clientId = current.provider?.clientId ?? auth.options.clientId;
  if (clientId) form.client_id = clientId;
  try {
    const response = await send(state, {
      method: "POST",
      url: current.provider?.tokenEndpoint ?? endpointUrl(auth, TOKEN),
      form,
      oauthError: oauthRefreshError,
    });
    const receivedAt = state.clock.now();
    const tokens = await processJson(response, TokenResponseSchema, auth.options.timeoutMs);
    if (state.generation !== generation) {
      // Signed out or signed in as someone else meanwhile: do not resurrect the old session.
      throw new SessionExpiredError("The session changed while it was being refreshed");
    }
    const next = sessionFromTokens(tokens, null, receivedAt, current);
    await setSession(auth, next, "TOKEN_REFRESHED");
    return next;
  } catch (error) {
    if (isTegataError(error, "session_expired") && state.generation === generation) {
      await expire(auth);
    }
    throw error;
  }
}

async function expire(auth: AuthClient): Promise<void> {
  auth._internal.emitter.emit("SESSION_EXPIRED", auth._internal.session);
  await clearSession(auth);
}

/**
 * @internal the one "give me a valid access token" path (core's authenticated calls and
 * `getAccessToken` of `tegata/session` both use it): the stored token while it is valid beyond
 * the leeway; otherwise one shared refresh. Without a refresh token, a token that is within the
 * leeway but not yet expired is still returned; an expired one ends the session.
 * @throws NotSignedInError when nobody is signed in; SessionExpiredError when the session ended.
 */
export async function getValidAccessToken(
  auth: AuthClient,
  options: { leewaySeconds?: number | undefined; forceRefresh?: boolean | undefined } = {},
): Promise<string> {
  const session = await loadSession(auth);
  if (!session) throw new NotSignedInError("Nobody is signed in");
  if (!options.forceRefresh) {
    if (!isExpiring(auth, session, options.leewaySeconds)) return session.accessToken;
    // Cannot refresh: a token that has not expired yet is still usable.
    if (!session.refreshToken && !isExpiring(auth, session, 0)) return session.accessToken;
  }
  // Without a refresh token, the refresh ends the session (SESSION_EXPIRED, then SIGNED_OUT).
  return (await refreshSession(auth)).accessToken;
}
