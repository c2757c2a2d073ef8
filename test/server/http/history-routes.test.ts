/**
 * Login history, active sessions and privacy settings of createAuthServer over real HTTP on
 * 127.0.0.1, driven by the SDK (`tegata/history`): paging across pages with cursors that new
 * sign-ins never shift, filters, query refusals, sessions across several clients, revocation
 * (including a truly concurrent race) and the privacy round trip.
 */
import { afterEach, describe, expect, it } from "vitest";
import { getUser, signIn } from "../../../src/credentials/index";
import {
  getPrivacySettings,
  type LoginHistoryItem,
  listLoginHistory,
  listSessions,
  loginHistory,
  revokeOtherSessions,
  revokeSessionById,
  updatePrivacySettings,
} from "../../../src/history/index";
import {
  type AuthClient,
  createAuthClient,
  getSession,
  HttpError,
  InvalidRequestError,
  SessionExpiredError,
  UnauthorizedError,
} from "../../../src/index";
import type { StoredLoginEvent } from "../../../src/server/store/types";
import { getAccessToken } from "../../../src/session/index";
import { together as gatherConcurrently, type Harness, startServer, T0 } from "./harness";

const EMAIL = "hanako@example.jp";
const PASSWORD = "correct horse battery";
const MINUTE = 60_000;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function setup() {
  harness = await startServer();
  const userId = await harness.addUser(EMAIL, PASSWORD, "山田花子");
  const otherId = await harness.addUser("taro@example.jp", PASSWORD);
  return { h: harness, userId, otherId };
}

function client(h: Harness): AuthClient {
  return createAuthClient({ baseUrl: h.baseUrl, clock: h.clock, retry: 0 });
}

async function signedIn(h: Harness, email = EMAIL): Promise<AuthClient> {
  const auth = client(h);
  expect((await signIn(auth, { email, password: PASSWORD })).status).toBe("signed_in");
  return auth;
}

const accessTokenOf = async (auth: AuthClient) => (await getSession(auth))?.accessToken ?? "";

/** What a promise rejected with (`null` when it resolved). */
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: unknown) => e,
  );

let seq = 0;
/** A time-sortable login-event id: `att_`, the ms as 9 base36 digits, a 6-digit counter. */
const eventId = (at: number) =>
  `att_${at.toString(36).padStart(9, "0")}${(++seq).toString(36).padStart(6, "0")}`;

const RESULTS = ["success", "failure", "failure", "locked"] as const;
const METHODS = ["password", "totp", "recovery_code", "google"] as const;

/** Seeds `count` events of `userId`, one a minute before T0, oldest first; returns them newest first. */
async function seed(h: Harness, userId: string, count: number): Promise<StoredLoginEvent[]> {
  const events: StoredLoginEvent[] = [];
  for (let i = count; i >= 1; i--) {
    const at = T0 - i * MINUTE;
    const event: StoredLoginEvent = {
      id: eventId(at),
      userId,
      email: EMAIL,
      at,
      ip: `203.0.113.${i}`,
      userAgent: i % 5 === 0 ? null : "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Firefox/130.0",
      method: METHODS[i % METHODS.length] as string,
      result: RESULTS[i % RESULTS.length] as StoredLoginEvent["result"],
      sessionId: null,
      location: i % 3 === 0 ? { country: "JP", city: "Tokyo" } : null,
    };
    await h.store.appendLoginEvent(event);
    events.push(event);
  }
  return events.reverse();
}

/** Every item of the history for `query`, through the SDK's async iterator. */
async function all(auth: AuthClient, query: Parameters<typeof loginHistory>[1] = {}) {
  const items: LoginHistoryItem[] = [];
  for await (const item of loginHistory(auth, query)) items.push(item);
  return items;
}

/** Concurrent POSTs of JSON bodies with a bearer token (harness `together`): their statuses. */
async function together(h: Harness, path: string, bodies: unknown[], bearer: string) {
  const responses = await gatherConcurrently(
    h,
    path,
    bodies.map((b) => JSON.stringify(b)),
    {
      "content-type": "application/json",
      authorization: `Bearer ${bearer}`,
    },
  );
  return responses.map((r) => r.status);
}

describe("GET /auth/history with the SDK", () => {
  it("pages newest first; a cursor names the last item, so new sign-ins never shift pages", async () => {
    const { h, userId, otherId } = await setup();
    const seeded = await seed(h, userId, 45);
    const foreign = await seed(h, otherId, 3);
    const auth = await signedIn(h);

    const first = await listLoginHistory(auth, { limit: 20 });
    expect(first.items).toHaveLength(20);
    const own = first.items[0];
    expect(own).toMatchObject({
      at: new Date(T0),
      ip: "127.0.0.1",
      method: "password",
      result: "success",
      current: true, // the sign-in's event is linked to the session it started
    });
    expect(first.items.slice(1).map((i) => i.id)).toEqual(seeded.slice(0, 19).map((e) => e.id));
    expect(first.nextCursor).toBe(first.items[19]?.id);

    // A sign-in between two pages lands on page one, not on page two.
    h.clock.advance(1000);
    await signedIn(h);
    const second = await listLoginHistory(auth, { limit: 20, cursor: first.nextCursor ?? "" });
    expect(second.items.map((i) => i.id)).toEqual(seeded.slice(19, 39).map((e) => e.id));
    const third = await listLoginHistory(auth, { limit: 20, cursor: second.nextCursor ?? "" });
    expect(third.items.map((i) => i.id)).toEqual(seeded.slice(39).map((e) => e.id));
    expect(third.nextCursor).toBeNull();

    // The iterator walks every page; items are the wire's, newest first, the other user's absent.
    const everything = await all(auth, { limit: 7 });
    expect(everything).toHaveLength(47);
    const times = everything.map((i) => i.at.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(new Set(everything.map((i) => i.id)).size).toBe(47);
    for (const e of foreign) expect(everything.map((i) => i.id)).not.toContain(e.id);
    const sample = seeded[1] as StoredLoginEvent;
    expect(everything.find((i) => i.id === sample.id)).toMatchObject({
      at: new Date(sample.at),
      ip: sample.ip,
      userAgent: sample.userAgent,
      method: sample.method,
      result: sample.result,
      current: false,
    });
    const located = everything.find((i) => i.id === seeded[2]?.id); // 3 minutes before T0
    expect(located?.location).toEqual({ country: "JP", city: "Tokyo" });
    const anonymous = everything.find((i) => i.id === seeded[4]?.id); // 5 minutes before T0
    expect(anonymous?.userAgent).toBeNull();
    expect(anonymous?.device.type).toBe("unknown");

    // Without a limit the page holds 20.
    expect((await listLoginHistory(auth)).items).toHaveLength(20);
  });

  it("filters by result, method and time (from inclusive, to exclusive)", async () => {
    const { h, userId } = await setup();
    const seeded = await seed(h, userId, 30);
    const auth = await signedIn(h);
    const ids = (items: LoginHistoryItem[]) => items.map((i) => i.id);

    const failures = await all(auth, { result: "failure", limit: 4 });
    expect(ids(failures)).toEqual(seeded.filter((e) => e.result === "failure").map((e) => e.id));
    const totp = await all(auth, { method: "totp" });
    expect(ids(totp)).toEqual(seeded.filter((e) => e.method === "totp").map((e) => e.id));
    const password = await all(auth, { method: "password", result: "success" });
    expect(password[0]?.at).toEqual(new Date(T0)); // the real sign-in
    expect(password.every((i) => i.method === "password" && i.result === "success")).toBe(true);

    const from = T0 - 20 * MINUTE;
    const to = T0 - 10 * MINUTE;
    const window = await all(auth, { from: new Date(from), to, limit: 3 });
    expect(ids(window)).toEqual(seeded.filter((e) => e.at >= from && e.at < to).map((e) => e.id));
    expect(window).toHaveLength(10);
    expect(window.at(-1)?.at).toEqual(new Date(from));

    const combined = await all(auth, { from, result: "locked", method: "google" });
    expect(ids(combined)).toEqual(
      seeded.filter((e) => e.at >= from && e.result === "locked" && e.method === "google").map((e) => e.id),
    );
    expect(await all(auth, { method: "yahoo_japan" })).toEqual([]);
    expect(await listLoginHistory(auth, { from: T0 + MINUTE })).toEqual({ items: [], nextCursor: null });
  });

  it("marks current the attempt linked to the caller's session", async () => {
    const { h, userId } = await setup();
    const auth = await signedIn(h);
    const mine = (await listSessions(auth)).find((s) => s.current);
    const at = T0 - MINUTE;
    const linked = eventId(at);
    const base = { userId, email: EMAIL, at, ip: "203.0.113.9", userAgent: null, method: "password" };
    await h.store.appendLoginEvent({
      ...base,
      id: linked,
      result: "success",
      sessionId: mine?.id ?? "",
      location: null,
    });
    await h.store.appendLoginEvent({
      ...base,
      id: eventId(at),
      result: "success",
      sessionId: "ses_someone_else",
      location: null,
    });
    const items = (await listLoginHistory(auth)).items;
    // The caller's own sign-in (linked when it started the session) and the seeded event linked to it.
    expect(items.filter((i) => i.current).map((i) => i.id)).toHaveLength(2);
    expect(items.filter((i) => i.current).map((i) => i.id)).toContain(linked);
  });

  it("refuses a malformed query with 400 invalid_request, and a missing token with 401", async () => {
    const { h } = await setup();
    const auth = await signedIn(h);
    const token = await accessTokenOf(auth);
    const get = (query: string, bearer = token) =>
      fetch(`${h.baseUrl}/auth/history?${query}`, { headers: { authorization: `Bearer ${bearer}` } });
    const bad = [
      "limit=0",
      "limit=101",
      "limit=abc",
      "limit=1.5",
      "limit=-1",
      "limit=",
      "limit=5&limit=6",
      "result=bogus",
      "result=",
      "method=",
      `method=${"x".repeat(65)}`,
      "from=yesterday",
      "from=2026-02-30",
      "to=2026-11-25T09:00:00",
      "to=2026-11-25T25:00:00Z",
      "cursor=bad",
      "cursor=att_short",
      "cursor=att_00000000000000%2F",
    ];
    for (const query of bad) {
      const response = await get(query);
      expect(response.status, query).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({ code: "invalid_request" });
    }
    const good = await get(
      "limit=100&from=2026-11-24&to=2026-11-25T18:00:00.001%2B09:00&result=success&method=password&cursor=att_zzzzzzzzzzzzzzz&unknown=1",
    );
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ items: [{ method: "password" }], next_cursor: null });

    expect(await rejection(listLoginHistory(auth, { cursor: "not-a-cursor" }))).toBeInstanceOf(
      InvalidRequestError,
    );
    expect((await fetch(`${h.baseUrl}/auth/history`)).status).toBe(401);
    // The token is checked before the query.
    const both = await get("limit=0", "not-a-token");
    expect(both.status).toBe(401);
  });
});

describe("sessions with the SDK across clients", () => {
  it("lists every client's session, most recently seen first, and ends one by id", async () => {
    const { h } = await setup();
    const a = await signedIn(h);
    h.clock.advance(MINUTE);
    const b = await signedIn(h);
    const fromA = await listSessions(a);
    expect(fromA).toHaveLength(2);
    const [newest, oldest] = fromA;
    expect(newest).toMatchObject({ current: false, createdAt: new Date(T0 + MINUTE), ip: "127.0.0.1" });
    expect(oldest).toMatchObject({ current: true, createdAt: new Date(T0) });
    const fromB = await listSessions(b);
    expect(fromB.map((s) => [s.id, s.current])).toEqual([
      [newest?.id, true],
      [oldest?.id, false],
    ]);

    // A refresh is seen: A's session moves to the top.
    h.clock.advance(16 * MINUTE);
    await getAccessToken(a);
    const after = await listSessions(a);
    expect(after[0]).toMatchObject({ id: oldest?.id, current: true, lastSeenAt: new Date(T0 + 17 * MINUTE) });

    await revokeSessionById(a, newest?.id ?? "");
    expect((await listSessions(a)).map((s) => s.id)).toEqual([oldest?.id]);
    // B's access token has expired meanwhile: its refresh is refused, the session is gone.
    expect(await rejection(getUser(b))).toBeInstanceOf(SessionExpiredError);
    const again = await rejection(revokeSessionById(a, newest?.id ?? ""));
    expect(again).toBeInstanceOf(HttpError);
    expect(again).toMatchObject({ status: 404, problemCode: "session_not_found" });
    expect(await rejection(revokeSessionById(a, "ses_unknown"))).toMatchObject({
      status: 404,
      problemCode: "session_not_found",
    });

    // Another user's session is "not found", and stays.
    const taro = await signedIn(h, "taro@example.jp");
    const taroSession = (await listSessions(taro))[0];
    expect(await rejection(revokeSessionById(a, taroSession?.id ?? ""))).toMatchObject({
      status: 404,
      problemCode: "session_not_found",
    });
    expect(await getUser(taro)).toMatchObject({ email: "taro@example.jp" });

    // Ending one's own session by id is allowed.
    await revokeSessionById(a, oldest?.id ?? "");
    expect(await rejection(getUser(a))).toBeInstanceOf(UnauthorizedError);
  });

  it("ends every other session of the user, and no one else's", async () => {
    const { h } = await setup();
    const keep = await signedIn(h);
    const others = [await signedIn(h), await signedIn(h)];
    const taro = await signedIn(h, "taro@example.jp");
    expect(await listSessions(keep)).toHaveLength(3);
    await revokeOtherSessions(keep);
    expect((await listSessions(keep)).map((s) => s.current)).toEqual([true]);
    for (const other of others) expect(await rejection(getUser(other))).toBeInstanceOf(UnauthorizedError);
    expect(await getUser(keep)).toMatchObject({ email: EMAIL });
    expect(await listSessions(taro)).toHaveLength(1);
    // Nothing left to end: still 204.
    await revokeOtherSessions(keep);
    expect(await listSessions(keep)).toHaveLength(1);
  });

  it("ends a session once when two revocations of it race", async () => {
    const { h } = await setup();
    const a = await signedIn(h);
    await signedIn(h);
    const target = (await listSessions(a)).find((s) => !s.current);
    const statuses = await together(
      h,
      "/auth/sessions/revoke",
      [{ session_id: target?.id }, { session_id: target?.id }],
      await accessTokenOf(a),
    );
    expect(statuses.sort()).toEqual([204, 404]);
  });

  it("refuses malformed bodies and missing tokens", async () => {
    const { h } = await setup();
    const a = await signedIn(h);
    const token = await accessTokenOf(a);
    const post = (body: string, type = "application/json", bearer = token) =>
      fetch(`${h.baseUrl}/auth/sessions/revoke`, {
        method: "POST",
        headers: { "content-type": type, authorization: `Bearer ${bearer}` },
        body,
      });
    expect((await post("{}")).status).toBe(400);
    expect((await post(JSON.stringify({ session_id: "" }))).status).toBe(400);
    expect((await post(JSON.stringify({ session_id: 7 }))).status).toBe(400);
    expect((await post("session_id=x", "application/x-www-form-urlencoded")).status).toBe(415);
    expect((await post("{broken", "application/json", "not-a-token")).status).toBe(401);
    expect((await fetch(`${h.baseUrl}/auth/sessions`)).status).toBe(401);
    const others = await fetch(`${h.baseUrl}/auth/sessions/revoke-others`, { method: "POST" });
    expect(others.status).toBe(401);
  });
});

describe("privacy settings with the SDK", () => {
  it("round-trips show_last_login; last_login_at only while shown", async () => {
    const { h, userId } = await setup();
    const auth = await signedIn(h);
    expect(await getPrivacySettings(auth)).toEqual({ showLastLogin: true, lastLoginAt: new Date(T0) });
    expect(await updatePrivacySettings(auth, { showLastLogin: false })).toEqual({
      showLastLogin: false,
      lastLoginAt: null,
    });
    expect(await getPrivacySettings(auth)).toEqual({ showLastLogin: false, lastLoginAt: null });
    expect((await h.store.getUserById(userId))?.showLastLogin).toBe(false);

    // A later sign-in moves the time, shown once the setting is back on.
    h.clock.advance(5 * MINUTE);
    await signedIn(h);
    expect(await updatePrivacySettings(auth, { showLastLogin: true })).toEqual({
      showLastLogin: true,
      lastLoginAt: new Date(T0 + 5 * MINUTE),
    });
    expect(await getPrivacySettings(auth)).toEqual({
      showLastLogin: true,
      lastLoginAt: new Date(T0 + 5 * MINUTE),
    });

    const token = await accessTokenOf(auth);
    const patch = (body: string, type = "application/json") =>
      fetch(`${h.baseUrl}/auth/privacy`, {
        method: "PATCH",
        headers: { "content-type": type, authorization: `Bearer ${token}` },
        body,
      });
    expect((await patch("{}")).status).toBe(400);
    expect((await patch(JSON.stringify({ show_last_login: "no" }))).status).toBe(400);
    expect((await patch("show_last_login=false", "text/plain")).status).toBe(415);
    expect((await fetch(`${h.baseUrl}/auth/privacy`)).status).toBe(401);
    expect((await h.store.getUserById(userId))?.showLastLogin).toBe(true);
  });
});
