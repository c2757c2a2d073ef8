import type { AuthClient } from "../core/client";
import { HISTORY } from "../core/endpoints";
import { AbortedError } from "../core/errors";
import { callJson } from "../core/request";
import { HistoryPageSchema, type WireHistoryItem } from "../wire/history";
import { type Device, parseUserAgent } from "./device";

/** How a sign-in was made: `password`, `totp`, `recovery_code`, `google`, `apple`, `yahoo_japan`, … */
export type LoginMethod =
  | "password"
  | "totp"
  | "recovery_code"
  | "refresh_token"
  | "google"
  | "apple"
  | "yahoo_japan"
  | (string & {});

/** One sign-in attempt of the signed-in user. */
export interface LoginHistoryItem {
  id: string;
  at: Date;
  ip: string;
  userAgent: string | null;
  /** Parsed from `userAgent`. */
  device: Device;
  method: LoginMethod;
  result: "success" | "failure" | "locked";
  /** This attempt started the current session. */
  current: boolean;
  /** Where it came from, when the server knows. */
  location?: { country?: string | null; region?: string | null; city?: string | null };
}

/** Filters and paging of {@link listLoginHistory}. */
export interface LoginHistoryQuery {
  /** Only attempts at or after this time. */
  from?: Date | number;
  /** Only attempts before this time. */
  to?: Date | number;
  result?: "success" | "failure" | "locked";
  method?: LoginMethod;
  /** Page size, 1–100. Default: the server's (20 for the mock). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  signal?: AbortSignal;
}

/** One page of login history. */
export interface LoginHistoryPage {
  items: LoginHistoryItem[];
  /** Pass as `cursor` for the next (older) page; `null` on the last page. */
  nextCursor: string | null;
}

const iso = (t: Date | number | undefined) =>
  t === undefined ? undefined : new Date(typeof t === "number" ? t : t.getTime()).toISOString();

const RESULTS = ["success", "failure", "locked"];

/** Refuses a malformed query before anything is sent, naming the field and what it accepts. */
function checkQuery(query: LoginHistoryQuery): void {
  if (typeof query !== "object" || query === null) {
    throw new TypeError('tegata: the login-history query must be an object such as { result: "failure" }');
  }
  if (query.result !== undefined && !RESULTS.includes(query.result)) {
    throw new TypeError(
      `tegata: "result" must be one of "success", "failure", "locked", got ${JSON.stringify(query.result)}`,
    );
  }
  if (query.method !== undefined && (typeof query.method !== "string" || query.method === "")) {
    throw new TypeError('tegata: "method" must be a non-empty string such as "password" or "google"');
  }
  if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 100)) {
    throw new TypeError(`tegata: "limit" must be an integer from 1 to 100, got ${String(query.limit)}`);
  }
  for (const name of ["from", "to"] as const) {
    const t = query[name];
    if (t === undefined) continue;
    const ms = typeof t === "number" ? t : t instanceof Date ? t.getTime() : Number.NaN;
    if (!Number.isFinite(ms))
      throw new TypeError(`tegata: "${name}" must be a valid Date or epoch milliseconds`);
  }
  if (query.cursor !== undefined && typeof query.cursor !== "string") {
    throw new TypeError('tegata: "cursor" must be the string nextCursor of the previous page');
  }
}

function toItem(w: WireHistoryItem): LoginHistoryItem {
  const item: LoginHistoryItem = {
    id: w.id,
    at: new Date(w.at),
    ip: w.ip,
    userAgent: w.user_agent,
    device: parseUserAgent(w.user_agent),
    method: w.method,
    result: w.result,
    current: w.current ?? false,
  };
  if (w.location) {
    const location: NonNullable<LoginHistoryItem["location"]> = {};
    if (w.location.country !== undefined) location.country = w.location.country;
    if (w.location.region !== undefined) location.region = w.location.region;
    if (w.location.city !== undefined) location.city = w.location.city;
    item.location = location;
  }
  return item;
}

/**
 * One page of the signed-in user's login history, newest first.
 *
 * @throws NotSignedInError without a session; TypeError for a malformed query (a `result` other
 * than `success`, `failure` or `locked`, a `limit` outside 1–100, an invalid date), naming the field.
 * @example
 * ```ts
 * const { items, nextCursor } = await listLoginHistory(auth, { result: "failure", limit: 50 });
 * ```
 */
export async function listLoginHistory(
  auth: AuthClient,
  query: LoginHistoryQuery = {},
): Promise<LoginHistoryPage> {
  checkQuery(query);
  const page = await callJson(auth, HISTORY, undefined, HistoryPageSchema, {
    authenticated: true,
    signal: query.signal,
    query: {
      from: iso(query.from),
      to: iso(query.to),
      result: query.result,
      method: query.method,
      limit: query.limit,
      cursor: query.cursor,
    },
  });
  return { items: page.items.map(toItem), nextCursor: page.next_cursor };
}

/**
 * Every entry of the login history matching the filters, page by page, as an async iterable.
 * Stops cleanly (an `AbortedError`) when `signal` aborts; breaking out of the loop stops fetching.
 *
 * @throws TypeError at once (not at the first iteration) for a malformed query, as {@link listLoginHistory}.
 * @example
 * ```ts
 * for await (const item of loginHistory(auth, { method: "password" })) console.log(item.at, item.device.browser);
 * ```
 */
export function loginHistory(
  auth: AuthClient,
  query: Omit<LoginHistoryQuery, "cursor"> = {},
): AsyncGenerator<LoginHistoryItem, void, undefined> {
  checkQuery(query);
  return pages(auth, query);
}

async function* pages(
  auth: AuthClient,
  query: Omit<LoginHistoryQuery, "cursor">,
): AsyncGenerator<LoginHistoryItem, void, undefined> {
  let cursor: string | undefined;
  do {
    if (query.signal?.aborted) throw new AbortedError("Paging was aborted");
    const page = await listLoginHistory(auth, cursor === undefined ? query : { ...query, cursor });
    for (const item of page.items) {
      if (query.signal?.aborted) throw new AbortedError("Paging was aborted");
      yield item;
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}
