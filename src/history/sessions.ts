import type { AuthClient } from "../core/client";
import { SESSION_REVOKE, SESSIONS, SESSIONS_REVOKE_OTHERS } from "../core/endpoints";
import { callJson, callVoid, requireString } from "../core/request";
import { SessionListSchema } from "../wire/history";
import { type Device, parseUserAgent } from "./device";

/** One signed-in session of the user, on this or another device. */
export interface ActiveSession {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  ip: string;
  userAgent: string | null;
  device: Device;
  /** This client's session. */
  current: boolean;
}

/**
 * The user's active sessions, current one included.
 *
 * @example
 * ```ts
 * const sessions = await listSessions(auth);
 * const others = sessions.filter((s) => !s.current);
 * ```
 */
export async function listSessions(
  auth: AuthClient,
  options: { signal?: AbortSignal } = {},
): Promise<ActiveSession[]> {
  const body = await callJson(auth, SESSIONS, undefined, SessionListSchema, {
    authenticated: true,
    signal: options.signal,
  });
  return body.sessions.map((s) => ({
    id: s.id,
    createdAt: new Date(s.created_at),
    lastSeenAt: new Date(s.last_seen_at),
    ip: s.ip,
    userAgent: s.user_agent,
    device: parseUserAgent(s.user_agent),
    current: s.current,
  }));
}

/**
 * Ends one of the user's sessions by id ("sign out that device"). Ending the current session this
 * way signs this client out on its next call; use `signOut` for that instead.
 *
 * @throws HttpError (404, problem code `session_not_found`) for an unknown id.
 * @example
 * ```ts
 * await revokeSessionById(auth, session.id);
 * ```
 */
export async function revokeSessionById(
  auth: AuthClient,
  id: string,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  requireString("id", id);
  await callVoid(auth, SESSION_REVOKE, { session_id: id }, { authenticated: true, signal: options.signal });
}

/**
 * Ends every session of the user except this one ("sign out of all other devices").
 *
 * @example
 * ```ts
 * await revokeOtherSessions(auth);
 * ```
 */
export async function revokeOtherSessions(
  auth: AuthClient,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  await callVoid(auth, SESSIONS_REVOKE_OTHERS, {}, { authenticated: true, signal: options.signal });
}
