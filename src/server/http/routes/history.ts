/**
 * Login history, active sessions and privacy settings (`tegata/history`): `GET /auth/history`,
 * `GET /auth/sessions`, `POST /auth/sessions/revoke`, `POST /auth/sessions/revoke-others` and
 * `GET`/`PATCH /auth/privacy` and `GET /auth/last-login` (another user's, as others see it). All
 * need the bearer token, checked before anything else is read.
 *
 * @module
 */
import { PrivacyUpdateSchema, SessionRevokeSchema } from "../../../wire/history";
import { lastLoginSeenByOthers } from "../../domain/account-life";
import { DomainError } from "../../domain/errors";
import {
  DEFAULT_HISTORY_LIMIT,
  type LoginHistoryQuery,
  loginHistoryPage,
  MAX_HISTORY_LIMIT,
  privacySettings,
  updatePrivacy,
} from "../../domain/history";
import { listSessions, revokeOtherSessions, revokeSessionById } from "../../domain/sessions";
import type { Route } from "../env";
import { readJson } from "../request";
import { json, noContent } from "../responses";
import { requireUser } from "./session";

/** The query parameters `GET /auth/history` reads; any other is ignored. */
const HISTORY_PARAMS = ["from", "to", "result", "method", "limit", "cursor"] as const;
const RESULTS = new Set<string>(["success", "failure", "locked"]);
/** A cursor is a login-event id: `att_` and 15 base36 digits (see `loginEventId`), as the mock. */
const CURSOR = /^att_[0-9a-z]{15}$/;
/** A method filter: a method or provider name, 1 to 64 printable ASCII characters. */
const METHOD = /^[\x21-\x7e]{1,64}$/;
/** ISO 8601: a calendar date, or a date and time with `Z` or an offset (a time without one is ambiguous). */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d))?$/;

const badQuery = (title: string) => new DomainError("invalid_request", title);
/** A user id as the server makes them (`usr_…`) or a store keeps them: 1 to 128 URL-safe characters. */
const USER_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** An ISO 8601 time of the query as ms, refused unless it names a real calendar day. */
function isoTime(name: string, raw: string): number {
  const match = ISO_TIME.exec(raw);
  const ms = Date.parse(raw);
  if (match === null || Number.isNaN(ms)) throw badQuery(`${name} must be an ISO 8601 time`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  if (month < 1 || month > 12 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw badQuery(`${name} must be an ISO 8601 time`);
  }
  return ms;
}

/**
 * Reads the query of `GET /auth/history` (docs/api.md): `from`, `to` (ISO 8601), `result`,
 * `method`, `limit` (1–100, default 20) and `cursor`. Anything malformed, or given twice, is
 * `invalid_request`; the title names the parameter, never its value.
 */
function historyQuery(url: URL): LoginHistoryQuery {
  const params = url.searchParams;
  const one = (name: (typeof HISTORY_PARAMS)[number]): string | undefined => {
    const values = params.getAll(name);
    if (values.length > 1) throw badQuery(`${name} must be given at most once`);
    return values[0];
  };
  const raw = Object.fromEntries(HISTORY_PARAMS.map((name) => [name, one(name)])) as Record<
    (typeof HISTORY_PARAMS)[number],
    string | undefined
  >;
  const query: LoginHistoryQuery = { limit: DEFAULT_HISTORY_LIMIT };
  if (raw.limit !== undefined) {
    const limit = /^\d{1,3}$/.test(raw.limit) ? Number(raw.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_HISTORY_LIMIT)) {
      throw badQuery(`limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}`);
    }
    query.limit = limit;
  }
  if (raw.result !== undefined) {
    if (!RESULTS.has(raw.result)) throw badQuery("result must be success, failure or locked");
    query.result = raw.result as NonNullable<LoginHistoryQuery["result"]>;
  }
  if (raw.method !== undefined) {
    if (!METHOD.test(raw.method)) throw badQuery("method must be a sign-in method such as password");
    query.method = raw.method;
  }
  if (raw.cursor !== undefined) {
    if (!CURSOR.test(raw.cursor)) throw badQuery("cursor must be the next_cursor of a previous page");
    query.cursor = raw.cursor;
  }
  if (raw.from !== undefined) query.from = isoTime("from", raw.from);
  if (raw.to !== undefined) query.to = isoTime("to", raw.to);
  return query;
}

/** @internal */
export const historyRoutes: Route[] = [
  {
    method: "GET",
    path: "/auth/history",
    async handle(request, env) {
      const auth = await requireUser(request, env);
      return json(await loginHistoryPage(env.ctx, auth, historyQuery(new URL(request.url))));
    },
  },
  {
    method: "GET",
    path: "/auth/sessions",
    async handle(request, env) {
      const auth = await requireUser(request, env);
      return json({ sessions: await listSessions(env.ctx, auth) });
    },
  },
  {
    method: "POST",
    path: "/auth/sessions/revoke",
    async handle(request, env) {
      const auth = await requireUser(request, env);
      const body = await readJson(request, SessionRevokeSchema);
      await revokeSessionById(env.ctx, auth, body.session_id);
      env.emit({
        type: "session_revoked",
        userId: auth.user.id,
        ip: env.meta.ip,
        detail: { sessionId: body.session_id, own: body.session_id === auth.session.id },
      });
      return noContent();
    },
  },
  {
    method: "POST",
    path: "/auth/sessions/revoke-others",
    async handle(request, env) {
      // The body (`{}` from the SDK) is not read: the mock ignores it too, and the call takes no input.
      const auth = await requireUser(request, env);
      const count = await revokeOtherSessions(env.ctx, auth);
      env.emit({ type: "sessions_revoked", userId: auth.user.id, ip: env.meta.ip, detail: { count } });
      return noContent();
    },
  },
  {
    method: "GET",
    path: "/auth/privacy",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      return json(privacySettings(user));
    },
  },
  {
    method: "PATCH",
    path: "/auth/privacy",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      const body = await readJson(request, PrivacyUpdateSchema);
      return json(await updatePrivacy(env.ctx, user, body.show_last_login));
    },
  },
  {
    method: "GET",
    path: "/auth/last-login",
    async handle(request, env) {
      await requireUser(request, env);
      const ids = new URL(request.url).searchParams.getAll("user_id");
      const userId = ids[0];
      if (ids.length !== 1 || userId === undefined || !USER_ID.test(userId)) {
        throw badQuery("user_id must be given once: a user id");
      }
      const seen = await lastLoginSeenByOthers(env.ctx, userId);
      return json({
        user_id: seen.userId,
        last_login_at: seen.lastLoginAt === null ? null : new Date(seen.lastLoginAt).toISOString(),
      });
    },
  },
];
