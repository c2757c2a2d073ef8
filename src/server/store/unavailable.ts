/**
 * Telling "the database cannot be reached now" from every other failure of a store, so that the
 * server answers `503 service_unavailable` (try again later) rather than `500 internal_error` (a
 * bug), and reports both.
 *
 * @module
 */

/** Node's network error codes of a connection refused, lost or timed out. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/**
 * PostgreSQL SQLSTATEs of a server that is not there for now: connection exceptions (class 08),
 * `admin_shutdown`, `crash_shutdown`, `cannot_connect_now` (57P01–57P03), `too_many_connections`
 * (53300).
 */
const POSTGRES_CODES = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;

/** What pg's client says when its connection ends under it. */
const LOST_CONNECTION =
  /connection terminated|terminating connection|connection timeout|timeout exceeded when trying to connect|client has encountered a connection error/i;

/** SQLite's `SQLITE_BUSY` (5) and `SQLITE_LOCKED` (6), after `busy_timeout` has run out. */
const SQLITE_BUSY = new Set([5, 6]);

/**
 * Whether `error` (or an error it wraps: `cause`, `errors` of an `AggregateError`) means the store
 * is unreachable or too busy for now, so that the same request may succeed later.
 */
export function isStoreUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== "object" || error === null) return false;
  const e = error as {
    code?: unknown;
    errcode?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof e.code === "string" && (NETWORK_CODES.has(e.code) || POSTGRES_CODES.test(e.code))) return true;
  if (typeof e.errcode === "number" && SQLITE_BUSY.has(e.errcode & 0xff)) return true;
  if (typeof e.message === "string" && LOST_CONNECTION.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isStoreUnavailable(inner, depth + 1))) return true;
  return isStoreUnavailable(e.cause, depth + 1);
}
