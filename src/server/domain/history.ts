/**
 * Login history and privacy settings of the auth server: a page of the caller's own sign-in
 * attempts, newest first, the "show my last login" setting, and the assessment of a new sign-in
 * against the history (the "was this you?" notice).
 *
 * @module
 */
import { assessLogin, type LoginAssessment } from "../../history/assess";
import type { WireHistoryItem } from "../../wire/history";
import type { StoredLoginEvent, StoredSession, StoredUser } from "../store/types";
import type { DomainContext, RequestMeta } from "./context";
import { DomainError } from "./errors";

/** The page size of the history when the query names none (docs/api.md). */
export const DEFAULT_HISTORY_LIMIT = 20;
/** The largest page size of the history. */
export const MAX_HISTORY_LIMIT = 100;

/** What {@link loginHistoryPage} takes: filters, a page size and a cursor, all checked by the HTTP layer. */
export interface LoginHistoryQuery {
  /** Only attempts at or after this time (ms since the epoch). */
  from?: number;
  /** Only attempts before this time (ms since the epoch). */
  to?: number;
  result?: StoredLoginEvent["result"];
  /** `password`, `totp`, `recovery_code`, or a provider name. */
  method?: string;
  /** 1–100. */
  limit: number;
  /** The id of the last item of the previous page: this page holds strictly older attempts. */
  cursor?: string;
}

/** A page of the history as the wire describes it (`HistoryPageSchema`). */
export interface WireHistoryPage {
  items: WireHistoryItem[];
  /** The `cursor` of the next (older) page, `null` on the last page. */
  next_cursor: string | null;
}

/** The privacy settings as the wire describes them (`PrivacySchema`). */
export interface WirePrivacy {
  show_last_login: boolean;
  /** The last successful sign-in as other users see it: `null` when hidden or when there is none. */
  last_login_at: string | null;
}

/** One stored attempt as a wire item; `current` when it is linked to the caller's session. */
function wireItem(event: StoredLoginEvent, sessionId: string): WireHistoryItem {
  return {
    id: event.id,
    at: new Date(event.at).toISOString(),
    ip: event.ip,
    user_agent: event.userAgent,
    method: event.method,
    result: event.result,
    current: event.sessionId !== null && event.sessionId === sessionId,
    location: event.location === null ? null : { ...event.location },
  };
}

/**
 * One page of the caller's login history, newest first, paged by the store (`listLoginEvents`):
 * a cursor names the last item returned, so sign-ins made while the user pages never shift pages.
 *
 * `current` is true only for an attempt whose stored `sessionId` is the caller's session, as in
 * the mock. The sign-in flow does not link attempts to sessions yet (the store has no method to
 * set `sessionId` after the session starts), so today every item answers `current: false`. Guessing
 * the link from times (the attempt at the session's `createdAt`) is deliberately not done: with a
 * store that takes milliseconds per write the times differ, and two sign-ins of the same
 * millisecond (a user and an attacker) would both be marked as "this device".
 *
 * @param auth The caller, from `authenticate`.
 * @throws DomainError `invalid_request` for a limit outside 1–100 (the HTTP layer refuses it first).
 *
 * @example
 * ```ts
 * const auth = await authenticate(ctx, bearer);
 * return json(await loginHistoryPage(ctx, auth, { limit: 20, result: "failure" }));
 * ```
 */
export async function loginHistoryPage(
  ctx: DomainContext,
  auth: { user: Pick<StoredUser, "id">; session: Pick<StoredSession, "id"> },
  query: LoginHistoryQuery,
): Promise<WireHistoryPage> {
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_HISTORY_LIMIT) {
    throw new DomainError("invalid_request", `limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}`);
  }
  const page = await ctx.store.listLoginEvents(auth.user.id, {
    limit: query.limit,
    ...(query.from === undefined ? {} : { from: query.from }),
    ...(query.to === undefined ? {} : { to: query.to }),
    ...(query.result === undefined ? {} : { result: query.result }),
    ...(query.method === undefined ? {} : { method: query.method }),
    ...(query.cursor === undefined ? {} : { before: query.cursor }),
  });
  return {
    items: page.items.map((event) => wireItem(event, auth.session.id)),
    next_cursor: page.next,
  };
}

/**
 * The user's privacy settings: `show_last_login`, and `last_login_at` (the user's `lastLoginAt`,
 * the start of their latest session) only while it is shown.
 *
 * @example
 * ```ts
 * return json(privacySettings(auth.user));
 * ```
 */
export function privacySettings(user: Pick<StoredUser, "showLastLogin" | "lastLoginAt">): WirePrivacy {
  return {
    show_last_login: user.showLastLogin,
    last_login_at:
      user.showLastLogin && user.lastLoginAt !== null ? new Date(user.lastLoginAt).toISOString() : null,
  };
}

/**
 * Saves whether other users may see the user's last-login time.
 *
 * @returns The settings as saved.
 * @throws DomainError `unauthorized` when the user no longer exists (deleted during the request).
 *
 * @example
 * ```ts
 * return json(await updatePrivacy(ctx, auth.user, body.show_last_login));
 * ```
 */
export async function updatePrivacy(
  ctx: DomainContext,
  user: Pick<StoredUser, "id">,
  showLastLogin: boolean,
): Promise<WirePrivacy> {
  const updated = await ctx.store.updateUser(user.id, { showLastLogin }, ctx.now());
  // The patch holds no email: "email_taken" cannot happen; a missing user ends the request.
  if (updated === null || updated === "email_taken") {
    throw new DomainError("unauthorized", "The account no longer exists");
  }
  return privacySettings(updated);
}

/** How many of the newest history events the sign-in assessment compares with. */
const ASSESSED_EVENTS = 100;

/**
 * Assesses a successful sign-in against the user's recent history (the same rules as
 * `assessLogin` of `tegata/history`: new device, new network, another country, a burst of
 * failures before it). The sign-in's own event (`eventId`) is left out of the comparison.
 */
export async function assessSignIn(
  ctx: DomainContext,
  userId: string,
  eventId: string,
  meta: RequestMeta,
): Promise<LoginAssessment> {
  const page = await ctx.store.listLoginEvents(userId, { limit: ASSESSED_EVENTS });
  const own = page.items.find((e) => e.id === eventId);
  const history = page.items
    .filter((e) => e.id !== eventId)
    .map((e) => ({ at: e.at, ip: e.ip, userAgent: e.userAgent, result: e.result, location: e.location }));
  return assessLogin(history, {
    at: own?.at ?? ctx.now(),
    ip: meta.ip,
    userAgent: meta.userAgent,
    location: own?.location ?? null,
  });
}
