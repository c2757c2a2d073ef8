/**
 * The conformance suite of {@link AuthStore}: every store (memory now, SQL later) runs it with
 * `describeStoreConformance(name, makeStore)` from a test file of its own.
 *
 * Each test takes a fresh store from `makeStore` and closes it afterwards. The suite relies on
 * nothing but the interface: no timers, no real clock (every call gets `now` from the constants
 * below), no knowledge of how a store keeps its data. The race cases issue all their calls before
 * any of them resolves (`Promise.all` over calls made in one synchronous loop), so a store that
 * checks and writes in two steps fails them.
 */

import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type {
  AuthStore,
  NewUser,
  OneTimePurpose,
  StoredAuditEvent,
  StoredChallenge,
  StoredFactor,
  StoredIdentity,
  StoredLoginEvent,
  StoredMail,
  StoredOneTimeToken,
  StoredPasskey,
  StoredRefreshToken,
  StoredSession,
  StoredSigningKey,
  StoredTombstone,
  StoredUser,
  StoredWebAuthnChallenge,
} from "../../src/server/store/index";

/** The suite's clock: 2026-11-25T12:00:00Z, on a whole hour (so on every window boundary used). */
export const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
/** One second in ms. */
export const SECOND = 1000;
/** One minute in ms. */
export const MINUTE = 60 * SECOND;
/** One hour in ms. */
export const HOUR = 60 * MINUTE;
/** One day in ms. */
export const DAY = 24 * HOUR;

// Fixtures: plain records with fixed times, overridable field by field.

/** A new user `usr_<n>` with the key `user<n>@example.jp`. */
export function newUser(n: number | string, over: Partial<NewUser> = {}): NewUser {
  return {
    id: `usr_${n}`,
    email: `User${n}@Example.jp`,
    emailKey: `user${n}@example.jp`,
    name: `User ${n}`,
    passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
    emailVerified: false,
    showLastLogin: true,
    createdAt: T0,
    ...over,
  };
}

/** An active TOTP factor that has accepted no code yet. */
export function newFactor(id: string, userId: string, over: Partial<StoredFactor> = {}): StoredFactor {
  return {
    id,
    userId,
    kind: "totp",
    secretSealed: `sealed:${id}`,
    status: "active",
    lastStep: -1,
    createdAt: T0,
    lastUsedAt: null,
    ...over,
  };
}

/** An active session, created at `T0`, ending a day later. */
export function newSession(id: string, userId: string, over: Partial<StoredSession> = {}): StoredSession {
  return {
    id,
    userId,
    createdAt: T0,
    lastSeenAt: T0,
    ip: "203.0.113.7",
    userAgent: "Mozilla/5.0 (test)",
    remember: false,
    amr: ["pwd"],
    expiresAt: T0 + DAY,
    revokedAt: null,
    ...over,
  };
}

/** The current (unused) refresh token of a session, ending a day after `T0`. */
export function newRefresh(
  tokenHash: string,
  sessionId: string,
  over: Partial<StoredRefreshToken> = {},
): StoredRefreshToken {
  return { tokenHash, sessionId, expiresAt: T0 + DAY, usedAt: null, ...over };
}

/** A challenge with no attempt yet, live for five minutes after `T0`. */
export function newChallenge(
  idHash: string,
  userId: string,
  over: Partial<StoredChallenge> = {},
): StoredChallenge {
  return {
    idHash,
    userId,
    remember: false,
    methods: ["totp", "recovery_code"],
    amr: ["pwd"],
    attempts: 0,
    emailCodeSealed: null,
    emailCodeExpiresAt: null,
    emailCodesSent: 0,
    expiresAt: T0 + 5 * MINUTE,
    completedAt: null,
    createdAt: T0,
    ...over,
  };
}

/** A one-time token live for an hour after `T0`. */
export function newOneTime(
  tokenHash: string,
  userId: string,
  purpose: OneTimePurpose = "password_reset",
  over: Partial<StoredOneTimeToken> = {},
): StoredOneTimeToken {
  return { tokenHash, purpose, userId, data: {}, expiresAt: T0 + HOUR, createdAt: T0, ...over };
}

/** A time-sortable id: zero-padded, so string order is numeric order. */
export function eventId(n: number): string {
  return `evt_${String(n).padStart(9, "0")}`;
}

/** Event `n` of a user, at `T0 + n` minutes (so `id` order is time order). */
export function newEvent(
  n: number,
  userId: string | null,
  over: Partial<StoredLoginEvent> = {},
): StoredLoginEvent {
  return {
    id: eventId(n),
    userId,
    email: "user@example.jp",
    at: T0 + n * MINUTE,
    ip: "203.0.113.7",
    userAgent: null,
    method: "password",
    result: "success",
    sessionId: null,
    location: { country: "JP", city: "Tokyo" },
    ...over,
  };
}

/** A signing key in use (neither retired nor expiring). */
export function newSigningKey(kid: string, over: Partial<StoredSigningKey> = {}): StoredSigningKey {
  return {
    kid,
    alg: "ES256",
    publicJwk: { kty: "EC", crv: "P-256", x: `x-${kid}`, y: `y-${kid}`, kid },
    privateSealed: `sealed:${kid}`,
    createdAt: T0,
    retiredAt: null,
    expiresAt: null,
    ...over,
  };
}

/** A queued mail, due at `T0`. */
export function newMail(id: string, over: Partial<StoredMail> = {}): StoredMail {
  return {
    id,
    to: "user@example.jp",
    kind: "password_reset",
    locale: "ja",
    bodySealed: `sealed:${id}`,
    createdAt: T0,
    status: "queued",
    attempts: 0,
    nextAttemptAt: T0,
    sentAt: null,
    ...over,
  };
}

/** An identity `provider`/`subject` of a user, linked at `T0`, never used since. */
export function newIdentity(
  provider: string,
  subject: string,
  userId: string,
  over: Partial<StoredIdentity> = {},
): StoredIdentity {
  return {
    provider,
    subject,
    userId,
    email: `${subject}@${provider}.example`,
    emailVerified: true,
    createdAt: T0,
    lastUsedAt: null,
    ...over,
  };
}

/** The tombstone of a user deleted at `T0`, blocking the address for 30 days. */
/** A passkey `id` of `userId`, created at `T0`, never used, without a counter yet. */
export function newPasskey(id: string, userId: string, over: Partial<StoredPasskey> = {}): StoredPasskey {
  return {
    id,
    userId,
    publicKey: `pk_${id}`,
    signCount: 0,
    transports: ["internal", "hybrid"],
    deviceType: "multiDevice",
    backedUp: true,
    name: `Passkey ${id}`,
    createdAt: T0,
    lastUsedAt: null,
    ...over,
  };
}

/** A WebAuthn challenge by hash, live for five minutes from `T0`. */
export function newWebAuthnChallenge(
  challengeHash: string,
  over: Partial<StoredWebAuthnChallenge> = {},
): StoredWebAuthnChallenge {
  return {
    challengeHash,
    purpose: "sign_in",
    userId: null,
    expiresAt: T0 + 5 * MINUTE,
    createdAt: T0,
    ...over,
  };
}

export function newTombstone(userId: string, over: Partial<StoredTombstone> = {}): StoredTombstone {
  return {
    userId,
    emailKeyHash: `hash:${userId}`,
    deletedAt: T0,
    blockedUntil: T0 + 30 * DAY,
    deletedBy: "user",
    ...over,
  };
}

/** A time-sortable audit-event id: zero-padded, so string order is numeric order. */
export function auditId(n: number): string {
  return `aud_${String(n).padStart(9, "0")}`;
}

/** Audit event `n`, at `T0 + n` seconds (so `id` order is time order). */
export function newAuditEvent(
  n: number,
  userId: string | null,
  over: Partial<StoredAuditEvent> = {},
): StoredAuditEvent {
  return {
    id: auditId(n),
    at: T0 + n * SECOND,
    actor: "operator:sato",
    action: "suspend",
    userId,
    reason: `case ${n}`,
    ...over,
  };
}

/** Issues `n` calls in one synchronous loop (none has resolved when the last is made), then awaits all. */
export function concurrently<T>(n: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const calls: Promise<T>[] = [];
  for (let i = 0; i < n; i++) calls.push(call(i));
  return Promise.all(calls);
}

function countWhere<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  return items.filter(predicate).length;
}

/** `createUser` that must succeed. */
async function createUser(store: AuthStore, user: NewUser, now = T0): Promise<StoredUser> {
  const created = await store.createUser(user, now);
  if (created === "email_taken") throw new Error(`fixture: ${user.emailKey} is taken`);
  return created;
}

/** A user with one session and its refresh token `rt_<sessionId>_0`. */
async function withSession(
  store: AuthStore,
  sessionId = "ses_1",
  over: Partial<StoredSession> = {},
): Promise<{ session: StoredSession; token: string }> {
  const session = newSession(sessionId, over.userId ?? "usr_1", over);
  const token = `rt_${sessionId}_0`;
  await ensureUser(store, session.userId);
  expect(
    await store.createSession(session, newRefresh(token, sessionId, { expiresAt: session.expiresAt })),
  ).toBe(true);
  return { session, token };
}

/** Creates the fixture user `usr_<n>` unless it exists (a session needs its user). */
export async function ensureUser(store: AuthStore, userId: string): Promise<void> {
  if ((await store.getUserById(userId)) === null)
    await createUser(store, newUser(userId.replace(/^usr_/, "")));
}

const SEEN = { ip: "198.51.100.9", userAgent: "Mozilla/5.0 (rotated)" };

/** Every page of a login-event query, walked with `next`. */
async function walkPages(
  store: AuthStore,
  userId: string,
  query: Omit<Parameters<AuthStore["listLoginEvents"]>[1], "before">,
): Promise<{ ids: string[]; pages: number; sizes: number[] }> {
  const ids: string[] = [];
  const sizes: number[] = [];
  let before: string | undefined;
  for (let pages = 1; ; pages++) {
    const page = await store.listLoginEvents(userId, before === undefined ? query : { ...query, before });
    ids.push(...page.items.map((e) => e.id));
    sizes.push(page.items.length);
    if (page.next === null) return { ids, pages, sizes };
    if (pages > 10_000) throw new Error("paging does not end");
    before = page.next;
  }
}

/** Every page of an audit-trail query, walked with `next`. */
async function walkAuditPages(
  store: AuthStore,
  query: Omit<Parameters<AuthStore["listAuditEvents"]>[0], "before">,
): Promise<{ ids: string[]; pages: number; sizes: number[] }> {
  const ids: string[] = [];
  const sizes: number[] = [];
  let before: string | undefined;
  for (let pages = 1; ; pages++) {
    const page = await store.listAuditEvents(before === undefined ? query : { ...query, before });
    ids.push(...page.items.map((e) => e.id));
    sizes.push(page.items.length);
    if (page.next === null) return { ids, pages, sizes };
    if (pages > 10_000) throw new Error("paging does not end");
    before = page.next;
  }
}

/**
 * Registers the conformance suite of an {@link AuthStore}.
 *
 * @param name - Shown in the suite's title.
 * @param makeStore - Makes a fresh, empty store; called once per test. The suite closes it.
 */
export function describeStoreConformance(name: string, makeStore: () => Promise<AuthStore>): void {
  describe(`AuthStore conformance: ${name}`, () => {
    const opened: AuthStore[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });
    async function fresh(): Promise<AuthStore> {
      const store = await makeStore();
      opened.push(store);
      return store;
    }

    describe("users", () => {
      it("creates a user (updatedAt = now, lastLoginAt null) and finds it by id and email key", async () => {
        const store = await fresh();
        const created = await createUser(store, newUser(1), T0 + 5);
        expect(created).toEqual({
          ...newUser(1),
          lastLoginAt: null,
          suspendedAt: null,
          suspendedReason: null,
          mailLocale: null,
          updatedAt: T0 + 5,
        });
        expect(await store.getUserById("usr_1")).toEqual(created);
        expect(await store.getUserByEmailKey("user1@example.jp")).toEqual(created);
        expect(await store.getUserById("usr_2")).toBeNull();
        expect(await store.getUserByEmailKey("User1@Example.jp")).toBeNull(); // the key, verbatim
      });

      it("keeps a given lastLoginAt", async () => {
        const store = await fresh();
        const created = await createUser(store, newUser(1, { lastLoginAt: T0 - HOUR }));
        expect(created.lastLoginAt).toBe(T0 - HOUR);
      });

      it("refuses a second user with the same email key", async () => {
        const store = await fresh();
        await createUser(store, newUser(1));
        expect(await store.createUser(newUser(2, { emailKey: "user1@example.jp" }), T0)).toBe("email_taken");
        expect(await store.getUserById("usr_2")).toBeNull();
        expect((await store.getUserByEmailKey("user1@example.jp"))?.id).toBe("usr_1");
      });

      it("updates the patched fields only, sets updatedAt, and answers null for an unknown user", async () => {
        const store = await fresh();
        await createUser(store, newUser(1));
        const updated = await store.updateUser(
          "usr_1",
          { name: null, emailVerified: true, lastLoginAt: T0 + 1, showLastLogin: false, passwordHash: null },
          T0 + MINUTE,
        );
        expect(updated).toEqual({
          ...newUser(1),
          name: null,
          emailVerified: true,
          lastLoginAt: T0 + 1,
          showLastLogin: false,
          passwordHash: null,
          suspendedAt: null,
          suspendedReason: null,
          mailLocale: null,
          updatedAt: T0 + MINUTE,
        });
        expect(await store.getUserById("usr_1")).toEqual(updated);
        expect(await store.updateUser("usr_9", { name: "x" }, T0)).toBeNull();
      });

      it("moves the email key, frees the old one, and refuses a key of another user", async () => {
        const store = await fresh();
        await createUser(store, newUser(1));
        await createUser(store, newUser(2));
        expect(await store.updateUser("usr_1", { emailKey: "user2@example.jp" }, T0 + 1)).toBe("email_taken");
        expect((await store.getUserById("usr_1"))?.emailKey).toBe("user1@example.jp");
        expect((await store.getUserById("usr_1"))?.updatedAt).toBe(T0);

        const same = await store.updateUser("usr_1", { emailKey: "user1@example.jp", name: "Same" }, T0 + 2);
        expect(same).toMatchObject({ emailKey: "user1@example.jp", name: "Same" });

        const moved = await store.updateUser(
          "usr_1",
          { email: "New@Example.jp", emailKey: "new@example.jp" },
          T0 + 3,
        );
        expect(moved).toMatchObject({ email: "New@Example.jp", emailKey: "new@example.jp" });
        expect((await store.getUserByEmailKey("new@example.jp"))?.id).toBe("usr_1");
        expect(await store.getUserByEmailKey("user1@example.jp")).toBeNull();
        expect(await store.createUser(newUser(3, { emailKey: "user1@example.jp" }), T0 + 4)).not.toBe(
          "email_taken",
        );
      });

      it("race: 20 concurrent createUser with one email key make exactly one user", async () => {
        const store = await fresh();
        const results = await concurrently(20, (i) =>
          store.createUser(newUser(i, { emailKey: "taro@example.jp" }), T0),
        );
        const users = results.filter((r): r is StoredUser => r !== "email_taken");
        expect(users).toHaveLength(1);
        expect(countWhere(results, (r) => r === "email_taken")).toBe(19);
        expect((await store.getUserByEmailKey("taro@example.jp"))?.id).toBe(users[0]?.id);
        let found = 0;
        for (let i = 0; i < 20; i++) if (await store.getUserById(`usr_${i}`)) found++;
        expect(found).toBe(1);
      });

      it("race: 10 users concurrently taking one new email key: exactly one gets it", async () => {
        const store = await fresh();
        for (let i = 0; i < 10; i++) await createUser(store, newUser(i));
        const results = await concurrently(10, (i) =>
          store.updateUser(`usr_${i}`, { emailKey: "wanted@example.jp" }, T0 + 1),
        );
        expect(countWhere(results, (r) => r === "email_taken")).toBe(9);
        const winner = results.find((r): r is StoredUser => r !== null && r !== "email_taken");
        expect((await store.getUserByEmailKey("wanted@example.jp"))?.id).toBe(winner?.id);
      });
    });

    describe("factors", () => {
      it("adds and lists the factors of a user only", async () => {
        const store = await fresh();
        const a = newFactor("fac_a", "usr_1");
        const b = newFactor("fac_b", "usr_1", { status: "pending", createdAt: T0 + 1 });
        await store.addFactor(a);
        await store.addFactor(b);
        await store.addFactor(newFactor("fac_c", "usr_2"));
        const listed = await store.listFactors("usr_1");
        expect(listed.map((f) => f.id).sort()).toEqual(["fac_a", "fac_b"]);
        expect(listed.find((f) => f.id === "fac_b")).toEqual(b);
        expect(await store.listFactors("usr_3")).toEqual([]);
      });

      it("activates a pending factor of that user once, recording the step", async () => {
        const store = await fresh();
        await store.addFactor(newFactor("fac_1", "usr_1", { status: "pending" }));
        expect(await store.activateFactor("usr_2", "fac_1", 100, T0)).toBe(false);
        expect(await store.activateFactor("usr_1", "fac_9", 100, T0)).toBe(false);
        expect(await store.activateFactor("usr_1", "fac_1", 100, T0 + 1)).toBe(true);
        expect(await store.activateFactor("usr_1", "fac_1", 101, T0 + 2)).toBe(false);
        const [factor] = await store.listFactors("usr_1");
        expect(factor).toMatchObject({ status: "active", lastStep: 100, lastUsedAt: T0 + 1 });
        // The activation code cannot be replayed.
        expect(await store.advanceTotpStep("fac_1", 100, T0 + 3)).toBe(false);
        expect(await store.advanceTotpStep("fac_1", 101, T0 + 3)).toBe(true);
      });

      it("removes a factor of that user only", async () => {
        const store = await fresh();
        await store.addFactor(newFactor("fac_1", "usr_1"));
        expect(await store.removeFactor("usr_2", "fac_1")).toBe(false);
        expect(await store.removeFactor("usr_1", "fac_1")).toBe(true);
        expect(await store.removeFactor("usr_1", "fac_1")).toBe(false);
        expect(await store.listFactors("usr_1")).toEqual([]);
      });

      it("advances the TOTP step only forward (RFC 6238 replay refusal)", async () => {
        const store = await fresh();
        await store.addFactor(newFactor("fac_1", "usr_1", { lastStep: 10 }));
        expect(await store.advanceTotpStep("fac_1", 10, T0)).toBe(false);
        expect(await store.advanceTotpStep("fac_1", 9, T0)).toBe(false);
        expect(await store.advanceTotpStep("fac_1", 11, T0 + 1)).toBe(true);
        expect(await store.advanceTotpStep("fac_1", 11, T0 + 2)).toBe(false);
        expect(await store.advanceTotpStep("fac_9", 12, T0)).toBe(false);
        const [factor] = await store.listFactors("usr_1");
        expect(factor).toMatchObject({ lastStep: 11, lastUsedAt: T0 + 1 });
      });

      it("race: 50 concurrent advanceTotpStep with one step: exactly one true", async () => {
        const store = await fresh();
        await store.addFactor(newFactor("fac_1", "usr_1", { lastStep: 100 }));
        const results = await concurrently(50, () => store.advanceTotpStep("fac_1", 101, T0));
        expect(countWhere(results, (r) => r)).toBe(1);
        expect((await store.listFactors("usr_1"))[0]?.lastStep).toBe(101);
      });

      it("race: concurrent advances with different steps end at the highest", async () => {
        const store = await fresh();
        await store.addFactor(newFactor("fac_1", "usr_1"));
        const results = await concurrently(30, (i) => store.advanceTotpStep("fac_1", (i * 7) % 30, T0));
        expect(countWhere(results, (r) => r)).toBeGreaterThanOrEqual(1);
        expect((await store.listFactors("usr_1"))[0]?.lastStep).toBe(29);
      });
    });

    describe("recovery codes", () => {
      it("consumes each code once, counts the unused ones, and replaces the set", async () => {
        const store = await fresh();
        await store.replaceRecoveryCodes("usr_1", ["h1", "h2", "h3"]);
        expect(await store.countRecoveryCodes("usr_1")).toBe(3);
        expect(await store.consumeRecoveryCode("usr_1", "h2", T0)).toBe(true);
        expect(await store.consumeRecoveryCode("usr_1", "h2", T0)).toBe(false);
        expect(await store.consumeRecoveryCode("usr_2", "h1", T0)).toBe(false);
        expect(await store.consumeRecoveryCode("usr_1", "nope", T0)).toBe(false);
        expect(await store.countRecoveryCodes("usr_1")).toBe(2);

        await store.replaceRecoveryCodes("usr_1", ["n1", "n2"]);
        expect(await store.countRecoveryCodes("usr_1")).toBe(2);
        expect(await store.consumeRecoveryCode("usr_1", "h1", T0)).toBe(false);
        expect(await store.consumeRecoveryCode("usr_1", "n1", T0)).toBe(true);
        expect(await store.countRecoveryCodes("usr_2")).toBe(0);

        await store.replaceRecoveryCodes("usr_1", []);
        expect(await store.countRecoveryCodes("usr_1")).toBe(0);
        expect(await store.consumeRecoveryCode("usr_1", "n2", T0)).toBe(false);
      });

      it("race: 30 concurrent consumeRecoveryCode of one code: exactly one true", async () => {
        const store = await fresh();
        await store.replaceRecoveryCodes("usr_1", ["h1", "h2"]);
        const results = await concurrently(30, () => store.consumeRecoveryCode("usr_1", "h1", T0));
        expect(countWhere(results, (r) => r)).toBe(1);
        expect(await store.countRecoveryCodes("usr_1")).toBe(1);
      });
    });

    describe("lockout", () => {
      const policy = { maxAttempts: 3, lockSeconds: 60 };

      it("counts before evaluating, locks on the last slot (lockedNow once), then refuses", async () => {
        const store = await fresh();
        expect(await store.reserveAttempt("k", policy, T0)).toEqual({
          kind: "reserved",
          remaining: 2,
          lockedNow: false,
        });
        expect(await store.reserveAttempt("k", policy, T0 + 1)).toEqual({
          kind: "reserved",
          remaining: 1,
          lockedNow: false,
        });
        expect(await store.lockedUntil("k", T0 + 1)).toBeNull();
        expect(await store.reserveAttempt("k", policy, T0 + 2)).toEqual({
          kind: "reserved",
          remaining: 0,
          lockedNow: true,
        });
        const until = T0 + 2 + 60 * SECOND;
        expect(await store.reserveAttempt("k", policy, T0 + 3)).toEqual({ kind: "locked", until });
        expect(await store.lockedUntil("k", T0 + 3)).toBe(until);
        expect(await store.reserveAttempt("k", policy, until - 1)).toEqual({ kind: "locked", until });
      });

      it("an expired lock starts a fresh counter", async () => {
        const store = await fresh();
        for (let i = 0; i < 3; i++) await store.reserveAttempt("k", policy, T0);
        const until = T0 + 60 * SECOND;
        expect(await store.lockedUntil("k", until)).toBeNull();
        expect(await store.reserveAttempt("k", policy, until)).toEqual({
          kind: "reserved",
          remaining: 2,
          lockedNow: false,
        });
      });

      it("releaseAttempt gives one reservation back and lifts the lock it set", async () => {
        const store = await fresh();
        await store.reserveAttempt("k", policy, T0);
        await store.releaseAttempt("k", policy);
        expect(await store.reserveAttempt("k", policy, T0)).toMatchObject({ remaining: 2, lockedNow: false });
        await store.reserveAttempt("k", policy, T0);
        const last = await store.reserveAttempt("k", policy, T0);
        expect(last).toMatchObject({ kind: "reserved", remaining: 0, lockedNow: true });
        await store.releaseAttempt("k", policy); // the last slot was a correct password
        expect(await store.lockedUntil("k", T0)).toBeNull();
        expect(await store.reserveAttempt("k", policy, T0)).toMatchObject({ remaining: 0, lockedNow: true });
        await store.releaseAttempt("never-used", policy); // nothing to give back: no error
        expect(await store.lockedUntil("never-used", T0)).toBeNull();
      });

      it("clearAttempts restarts the counter; unlock ends a lock and restarts it too", async () => {
        const store = await fresh();
        await store.reserveAttempt("k", policy, T0);
        await store.reserveAttempt("k", policy, T0);
        await store.clearAttempts("k");
        expect(await store.reserveAttempt("k", policy, T0)).toMatchObject({ remaining: 2, lockedNow: false });

        for (let i = 0; i < 3; i++) await store.reserveAttempt("u", policy, T0);
        expect(await store.lockedUntil("u", T0)).not.toBeNull();
        await store.unlock("u");
        expect(await store.lockedUntil("u", T0)).toBeNull();
        expect(await store.reserveAttempt("u", policy, T0)).toEqual({
          kind: "reserved",
          remaining: 2,
          lockedNow: false,
        });
      });

      it("keys are independent; an unknown key is not locked", async () => {
        const store = await fresh();
        for (let i = 0; i < 3; i++) await store.reserveAttempt("a", policy, T0);
        expect(await store.reserveAttempt("b", policy, T0)).toMatchObject({ kind: "reserved", remaining: 2 });
        expect(await store.lockedUntil("c", T0)).toBeNull();
        await store.clearAttempts("c");
        await store.unlock("c");
      });

      it("race: 100 concurrent reserveAttempt with maxAttempts 5: 5 reserved (one lockedNow), 95 locked", async () => {
        const store = await fresh();
        const strict = { maxAttempts: 5, lockSeconds: 900 };
        const results = await concurrently(100, () => store.reserveAttempt("taro@example.jp", strict, T0));
        const reserved = results.filter((r) => r.kind === "reserved");
        expect(reserved).toHaveLength(5);
        expect(reserved.map((r) => r.remaining).sort()).toEqual([0, 1, 2, 3, 4]);
        expect(reserved.filter((r) => r.lockedNow)).toEqual([
          { kind: "reserved", remaining: 0, lockedNow: true },
        ]);
        const locked = results.filter((r) => r.kind === "locked");
        expect(locked).toHaveLength(95);
        for (const r of locked) expect(r.until).toBe(T0 + 900 * SECOND);
        expect(await store.lockedUntil("taro@example.jp", T0)).toBe(T0 + 900 * SECOND);
      });
    });

    describe("rate limits", () => {
      const limit = { max: 3, windowSeconds: 60 };

      it("allows max requests per fixed window, then says when the window ends", async () => {
        const store = await fresh();
        const t = T0 + 15 * SECOND; // T0 is on a window boundary
        expect(await store.consumeRateLimit("ip:login", limit, t)).toEqual({ allowed: true, remaining: 2 });
        expect(await store.consumeRateLimit("ip:login", limit, t)).toEqual({ allowed: true, remaining: 1 });
        expect(await store.consumeRateLimit("ip:login", limit, t)).toEqual({ allowed: true, remaining: 0 });
        expect(await store.consumeRateLimit("ip:login", limit, t)).toEqual({
          allowed: false,
          retryAfterSeconds: 45,
        });
        expect(await store.consumeRateLimit("ip:login", limit, T0 + 59_001)).toEqual({
          allowed: false,
          retryAfterSeconds: 1,
        });
        expect(await store.consumeRateLimit("ip:login", limit, T0 + 59_999)).toEqual({
          allowed: false,
          retryAfterSeconds: 1,
        });
        // The next window starts afresh, whatever happened in the last one.
        expect(await store.consumeRateLimit("ip:login", limit, T0 + 60 * SECOND)).toEqual({
          allowed: true,
          remaining: 2,
        });
        expect(await store.consumeRateLimit("ip:other", limit, t)).toEqual({ allowed: true, remaining: 2 });
      });

      it("windows are aligned to multiples of the window, not to the first request", async () => {
        const store = await fresh();
        const hour = { max: 1, windowSeconds: 3600 };
        expect(await store.consumeRateLimit("k", hour, T0 + 59 * MINUTE)).toMatchObject({ allowed: true });
        expect(await store.consumeRateLimit("k", hour, T0 + 59 * MINUTE + 30 * SECOND)).toEqual({
          allowed: false,
          retryAfterSeconds: 30,
        });
        expect(await store.consumeRateLimit("k", hour, T0 + HOUR)).toMatchObject({ allowed: true });
      });

      it("race: 50 concurrent requests with max 10: exactly 10 allowed", async () => {
        const store = await fresh();
        const results = await concurrently(50, () =>
          store.consumeRateLimit("k", { max: 10, windowSeconds: 60 }, T0),
        );
        const allowed = results.filter((r) => r.allowed);
        expect(allowed).toHaveLength(10);
        expect(allowed.map((r) => r.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        for (const r of results) if (!r.allowed) expect(r.retryAfterSeconds).toBe(60);
      });
    });

    describe("MFA challenges", () => {
      it("keeps a mailed code: set, replaced, counted up to maxSends; never on an ended challenge", async () => {
        const store = await fresh();
        await store.createChallenge(newChallenge("ch_1", "usr_1"));
        const code = (n: number) => ({ sealed: `sealed-${n}`, expiresAt: T0 + 10 * MINUTE });
        expect(await store.setChallengeEmailCode("ch_1", code(1), 2, T0)).toEqual({
          kind: "set",
          challenge: {
            ...newChallenge("ch_1", "usr_1"),
            emailCodeSealed: "sealed-1",
            emailCodeExpiresAt: T0 + 10 * MINUTE,
            emailCodesSent: 1,
          },
        });
        expect((await store.setChallengeEmailCode("ch_1", code(2), 2, T0 + 1)).kind).toBe("set");
        expect(await store.setChallengeEmailCode("ch_1", code(3), 2, T0 + 2)).toEqual({ kind: "limit" });
        const claim = await store.claimChallengeAttempt("ch_1", 5, T0 + 3);
        expect(claim.kind === "ok" && claim.challenge).toMatchObject({
          emailCodeSealed: "sealed-2",
          emailCodeExpiresAt: T0 + 10 * MINUTE,
          emailCodesSent: 2,
        });
        expect(await store.setChallengeEmailCode("ch_unknown", code(4), 2, T0)).toEqual({ kind: "invalid" });
        await store.createChallenge(newChallenge("ch_2", "usr_1"));
        expect(await store.completeChallenge("ch_2", T0)).toBe(true);
        expect(await store.setChallengeEmailCode("ch_2", code(5), 2, T0)).toEqual({ kind: "invalid" });
        await store.createChallenge(newChallenge("ch_3", "usr_1", { expiresAt: T0 + MINUTE }));
        expect(await store.setChallengeEmailCode("ch_3", code(6), 2, T0 + MINUTE)).toEqual({
          kind: "invalid",
        });
      });

      it("race: 10 concurrent mailed codes with maxSends 3: exactly 3 set", async () => {
        const store = await fresh();
        await store.createChallenge(newChallenge("ch_1", "usr_1"));
        const results = await concurrently(10, (i) =>
          store.setChallengeEmailCode("ch_1", { sealed: `s${i}`, expiresAt: T0 + MINUTE }, 3, T0),
        );
        expect(results.filter((r) => r.kind === "set")).toHaveLength(3);
        expect(results.filter((r) => r.kind === "limit")).toHaveLength(7);
      });

      it("hands out attempts 1..max, then exhausted", async () => {
        const store = await fresh();
        await store.createChallenge(newChallenge("ch_1", "usr_1"));
        for (let n = 1; n <= 3; n++) {
          const claim = await store.claimChallengeAttempt("ch_1", 3, T0 + n);
          expect(claim).toEqual({
            kind: "ok",
            attempt: n,
            challenge: newChallenge("ch_1", "usr_1", { attempts: n }),
          });
        }
        expect(await store.claimChallengeAttempt("ch_1", 3, T0 + 4)).toEqual({
          kind: "exhausted",
          challenge: newChallenge("ch_1", "usr_1", { attempts: 3 }),
        });
      });

      it("an unknown, expired or completed challenge is invalid", async () => {
        const store = await fresh();
        await store.createChallenge(newChallenge("ch_1", "usr_1"));
        expect(await store.claimChallengeAttempt("ch_9", 5, T0)).toEqual({ kind: "invalid" });
        expect(await store.claimChallengeAttempt("ch_1", 5, T0 + 5 * MINUTE)).toEqual({ kind: "invalid" });
        expect(await store.claimChallengeAttempt("ch_1", 5, T0 + 5 * MINUTE - 1)).toMatchObject({
          kind: "ok",
        });
        expect(await store.completeChallenge("ch_1", T0 + 1)).toBe(true);
        expect(await store.claimChallengeAttempt("ch_1", 5, T0 + 2)).toEqual({ kind: "invalid" });
      });

      it("completes a live challenge once", async () => {
        const store = await fresh();
        await store.createChallenge(newChallenge("ch_1", "usr_1"));
        await store.createChallenge(newChallenge("ch_2", "usr_1"));
        expect(await store.completeChallenge("ch_9", T0)).toBe(false);
        expect(await store.completeChallenge("ch_2", T0 + 5 * MINUTE)).toBe(false); // expired
        expect(await store.completeChallenge("ch_1", T0 + 1)).toBe(true);
        expect(await store.completeChallenge("ch_1", T0 + 2)).toBe(false);
      });

      it("race: 30 concurrent claims with maxAttempts 5: exactly 5 ok with attempts 1..5", async () => {
        const store = await fresh();
        await store.createChallenge(newChallenge("ch_1", "usr_1"));
        const results = await concurrently(30, () => store.claimChallengeAttempt("ch_1", 5, T0));
        const ok = results.flatMap((r) => (r.kind === "ok" ? [r.attempt] : []));
        expect(ok.sort()).toEqual([1, 2, 3, 4, 5]);
        expect(countWhere(results, (r) => r.kind === "exhausted")).toBe(25);
      });

      it("race: 30 concurrent completeChallenge: exactly one true", async () => {
        const store = await fresh();
        await store.createChallenge(newChallenge("ch_1", "usr_1"));
        const results = await concurrently(30, () => store.completeChallenge("ch_1", T0));
        expect(countWhere(results, (r) => r)).toBe(1);
      });
    });

    describe("sessions and refresh tokens", () => {
      it("refuses a session of an unknown, deleted or suspended user, storing nothing", async () => {
        const store = await fresh();
        const refresh = (id: string) => newRefresh(`rt_${id}`, id);
        expect(await store.createSession(newSession("ses_a", "usr_404"), refresh("ses_a"))).toBe(false);
        await createUser(store, newUser(1));
        await store.updateUser("usr_1", { suspendedAt: T0, suspendedReason: "spam" }, T0);
        expect(await store.createSession(newSession("ses_b", "usr_1"), refresh("ses_b"))).toBe(false);
        await createUser(store, newUser(2));
        await store.deleteUser("usr_2", {
          userId: "usr_2",
          emailKeyHash: "h2",
          deletedAt: T0,
          blockedUntil: T0 + DAY,
          deletedBy: "user",
        });
        expect(await store.createSession(newSession("ses_c", "usr_2"), refresh("ses_c"))).toBe(false);
        for (const id of ["ses_a", "ses_b", "ses_c"]) expect(await store.getSession(id)).toBeNull();
        const next = { tokenHash: "rt_next", expiresAt: T0 + DAY };
        expect(await store.rotateRefreshToken("rt_ses_b", next, SEEN, T0)).toEqual({ kind: "invalid" });
        // Lifted: sessions again.
        await store.updateUser("usr_1", { suspendedAt: null, suspendedReason: null }, T0);
        expect(await store.createSession(newSession("ses_d", "usr_1"), refresh("ses_d"))).toBe(true);
      });

      it("race: a session created while its user is deleted is either refused or deleted with the user", async () => {
        const store = await fresh();
        await createUser(store, newUser(1));
        const tombstone = {
          userId: "usr_1",
          emailKeyHash: "h1",
          deletedAt: T0,
          blockedUntil: T0 + DAY,
          deletedBy: "user" as const,
        };
        const results = await Promise.all([
          store.createSession(newSession("ses_1", "usr_1"), newRefresh("rt_1", "ses_1")),
          store.deleteUser("usr_1", tombstone),
          store.createSession(newSession("ses_2", "usr_1"), newRefresh("rt_2", "ses_2")),
        ]);
        expect(results[1]).toBe(true);
        expect(await store.getSession("ses_1")).toBeNull();
        expect(await store.getSession("ses_2")).toBeNull();
      });

      it("creates and gets a session", async () => {
        const store = await fresh();
        const { session } = await withSession(store, "ses_1", { amr: ["pwd", "otp"], remember: true });
        expect(await store.getSession("ses_1")).toEqual(session);
        expect(await store.getSession("ses_9")).toBeNull();
      });

      it("touchSession moves last seen at most once per interval, only on an active session", async () => {
        const store = await fresh();
        await withSession(store, "ses_1");
        const seen = { ip: "198.51.100.4", userAgent: "Other/1.0" };
        expect(await store.touchSession("ses_1", seen, T0 + 30_000, 60_000)).toBe(false);
        expect(await store.touchSession("ses_1", seen, T0 + 60_000, 60_000)).toBe(true);
        expect(await store.getSession("ses_1")).toMatchObject({ lastSeenAt: T0 + 60_000, ...seen });
        expect(await store.touchSession("ses_1", seen, T0 + 90_000, 60_000)).toBe(false);
        const results = await concurrently(20, () => store.touchSession("ses_1", seen, T0 + 200_000, 60_000));
        expect(countWhere(results, (r) => r)).toBe(1);
        await withSession(store, "ses_ended", { revokedAt: T0 });
        expect(await store.touchSession("ses_ended", seen, T0 + DAY / 2, 60_000)).toBe(false);
        expect(await store.touchSession("ses_none", seen, T0 + 60_000, 60_000)).toBe(false);
      });

      it("lists the active sessions of a user, newest first", async () => {
        const store = await fresh();
        await withSession(store, "ses_old", { createdAt: T0 - 2 * HOUR });
        await withSession(store, "ses_new", { createdAt: T0 - HOUR });
        await withSession(store, "ses_mid", { createdAt: T0 - 90 * MINUTE });
        await withSession(store, "ses_expired", { createdAt: T0 - HOUR, expiresAt: T0 });
        await withSession(store, "ses_revoked", { createdAt: T0 - HOUR, revokedAt: T0 - 1 });
        await withSession(store, "ses_other", { userId: "usr_2" });
        expect((await store.listSessions("usr_1", T0)).map((s) => s.id)).toEqual([
          "ses_new",
          "ses_mid",
          "ses_old",
        ]);
        expect(await store.listSessions("usr_3", T0)).toEqual([]);
      });

      it("rotates the current token: used, next stored, session extended and seen", async () => {
        const store = await fresh();
        const { session, token } = await withSession(store);
        const result = await store.rotateRefreshToken(
          token,
          { tokenHash: "rt_1", expiresAt: T0 + 2 * DAY },
          SEEN,
          T0 + HOUR,
        );
        const expected = { ...session, expiresAt: T0 + 2 * DAY, lastSeenAt: T0 + HOUR, ...SEEN };
        expect(result).toEqual({ kind: "rotated", session: expected });
        expect(await store.getSession("ses_1")).toEqual(expected);
        const again = await store.rotateRefreshToken(
          "rt_1",
          { tokenHash: "rt_2", expiresAt: T0 + 3 * DAY },
          { ip: "192.0.2.1", userAgent: null },
          T0 + 2 * HOUR,
        );
        expect(again).toMatchObject({
          kind: "rotated",
          session: { expiresAt: T0 + 3 * DAY, userAgent: null },
        });
      });

      it("reuse of a used token revokes the session; the family's tokens are then invalid", async () => {
        const store = await fresh();
        const { token } = await withSession(store);
        await store.rotateRefreshToken(token, { tokenHash: "rt_1", expiresAt: T0 + DAY }, SEEN, T0 + 1);
        expect(
          await store.rotateRefreshToken(token, { tokenHash: "rt_x", expiresAt: T0 + DAY }, SEEN, T0 + 2),
        ).toEqual({
          kind: "reused",
          sessionId: "ses_1",
        });
        expect((await store.getSession("ses_1"))?.revokedAt).toBe(T0 + 2);
        expect(await store.listSessions("usr_1", T0 + 2)).toEqual([]);
        expect(
          await store.rotateRefreshToken("rt_1", { tokenHash: "rt_y", expiresAt: T0 + DAY }, SEEN, T0 + 3),
        ).toEqual({
          kind: "invalid",
        });
        expect(
          await store.rotateRefreshToken("rt_x", { tokenHash: "rt_z", expiresAt: T0 + DAY }, SEEN, T0 + 3),
        ).toEqual({
          kind: "invalid",
        });
        expect(
          await store.rotateRefreshToken(token, { tokenHash: "rt_w", expiresAt: T0 + DAY }, SEEN, T0 + 3),
        ).toEqual({
          kind: "invalid",
        });
      });

      it("an unknown or expired token, or a revoked or expired session, is invalid and changes nothing", async () => {
        const store = await fresh();
        const next = { tokenHash: "rt_next", expiresAt: T0 + 2 * DAY };
        expect(await store.rotateRefreshToken("rt_unknown", next, SEEN, T0)).toEqual({ kind: "invalid" });

        // A token that expires before its session does.
        const short = newSession("ses_short", "usr_1");
        await ensureUser(store, "usr_1");
        await store.createSession(short, newRefresh("rt_short", "ses_short", { expiresAt: T0 + HOUR }));
        expect(await store.rotateRefreshToken("rt_short", next, SEEN, T0 + HOUR)).toEqual({
          kind: "invalid",
        });
        expect(await store.getSession("ses_short")).toEqual(short);

        const { session: ended, token: endedToken } = await withSession(store, "ses_ended", {
          expiresAt: T0 + HOUR,
        });
        expect(await store.rotateRefreshToken(endedToken, next, SEEN, T0 + HOUR)).toEqual({
          kind: "invalid",
        });
        expect(await store.getSession("ses_ended")).toEqual(ended);

        const { token: revokedToken } = await withSession(store, "ses_revoked");
        expect(await store.revokeSession("usr_1", "ses_revoked", T0 + 1)).toBe(true);
        expect(await store.rotateRefreshToken(revokedToken, next, SEEN, T0 + 2)).toEqual({ kind: "invalid" });
        expect((await store.getSession("ses_revoked"))?.revokedAt).toBe(T0 + 1);

        // None of those stored the next token.
        expect(
          await store.rotateRefreshToken(
            "rt_next",
            { tokenHash: "rt_n2", expiresAt: T0 + DAY },
            SEEN,
            T0 + 3,
          ),
        ).toEqual({ kind: "invalid" });
      });

      it("revokes one session of its user, once", async () => {
        const store = await fresh();
        await withSession(store, "ses_1");
        await withSession(store, "ses_exp", { expiresAt: T0 });
        expect(await store.revokeSession("usr_2", "ses_1", T0)).toBe(false);
        expect(await store.revokeSession("usr_1", "ses_9", T0)).toBe(false);
        expect(await store.revokeSession("usr_1", "ses_exp", T0)).toBe(false);
        expect(await store.revokeSession("usr_1", "ses_1", T0 + 1)).toBe(true);
        expect(await store.revokeSession("usr_1", "ses_1", T0 + 2)).toBe(false);
        expect((await store.getSession("ses_1"))?.revokedAt).toBe(T0 + 1);
      });

      it("revokes every active session of a user except one, and says how many", async () => {
        const store = await fresh();
        for (const id of ["ses_a", "ses_b", "ses_c", "ses_keep"]) await withSession(store, id);
        await withSession(store, "ses_gone", { revokedAt: T0 - 1 });
        await withSession(store, "ses_exp", { expiresAt: T0 });
        await withSession(store, "ses_other", { userId: "usr_2" });
        expect(await store.revokeUserSessions("usr_1", T0, "ses_keep")).toBe(3);
        expect((await store.listSessions("usr_1", T0)).map((s) => s.id)).toEqual(["ses_keep"]);
        expect((await store.getSession("ses_gone"))?.revokedAt).toBe(T0 - 1);
        expect(await store.listSessions("usr_2", T0)).toHaveLength(1);
        expect(await store.revokeUserSessions("usr_1", T0 + 1)).toBe(1);
        expect(await store.revokeUserSessions("usr_1", T0 + 2)).toBe(0);
      });

      it("race: 50 concurrent rotations of one token: exactly one rotated; revoked iff a reuse followed", async () => {
        const store = await fresh();
        const { token } = await withSession(store);
        const results = await concurrently(50, (i) =>
          store.rotateRefreshToken(
            token,
            { tokenHash: `rt_next_${i}`, expiresAt: T0 + 2 * DAY },
            SEEN,
            T0 + 1,
          ),
        );
        const rotated = results.flatMap((r, i) => (r.kind === "rotated" ? [i] : []));
        const reused = countWhere(results, (r) => r.kind === "reused");
        const invalid = countWhere(results, (r) => r.kind === "invalid");
        expect(rotated).toHaveLength(1);
        expect(reused + invalid).toBe(49);
        // Only a reuse revokes, and nothing else makes the token invalid here.
        if (invalid > 0) expect(reused).toBeGreaterThan(0);
        const revokedAt = (await store.getSession("ses_1"))?.revokedAt;
        expect(revokedAt !== null).toBe(reused > 0);
        // Exactly one next token was stored; it works iff the session survived.
        const follow = await concurrently(50, (i) =>
          store.rotateRefreshToken(
            `rt_next_${i}`,
            { tokenHash: `rt_after_${i}`, expiresAt: T0 + 3 * DAY },
            SEEN,
            T0 + 2,
          ),
        );
        expect(countWhere(follow, (r) => r.kind === "rotated")).toBe(reused > 0 ? 0 : 1);
        expect(countWhere(follow, (r) => r.kind !== "invalid")).toBe(reused > 0 ? 0 : 1);
      });

      it("race: concurrent revokeSession: exactly one true", async () => {
        const store = await fresh();
        await withSession(store);
        const results = await concurrently(20, () => store.revokeSession("usr_1", "ses_1", T0));
        expect(countWhere(results, (r) => r)).toBe(1);
      });
    });

    describe("one-time tokens", () => {
      it("consumes a live token of its purpose once, returning the record", async () => {
        const store = await fresh();
        const token = newOneTime("ot_1", "usr_1", "email_change", { data: { email: "new@example.jp" } });
        await store.issueOneTimeToken(token);
        expect(await store.consumeOneTimeToken("ot_1", "password_reset", T0)).toBeNull(); // other purpose
        expect(await store.consumeOneTimeToken("ot_1", "email_change", T0 + 1)).toEqual(token);
        expect(await store.consumeOneTimeToken("ot_1", "email_change", T0 + 2)).toBeNull();
        expect(await store.consumeOneTimeToken("ot_9", "email_change", T0)).toBeNull();
      });

      it("an expired token is not consumed", async () => {
        const store = await fresh();
        await store.issueOneTimeToken(newOneTime("ot_1", "usr_1"));
        expect(await store.consumeOneTimeToken("ot_1", "password_reset", T0 + HOUR)).toBeNull();
        expect(await store.consumeOneTimeToken("ot_1", "password_reset", T0 + HOUR - 1)).not.toBeNull();
      });

      it("issuing retires the older token of the same user and purpose, and only that", async () => {
        const store = await fresh();
        await store.issueOneTimeToken(newOneTime("ot_old", "usr_1", "password_reset"));
        await store.issueOneTimeToken(newOneTime("ot_verify", "usr_1", "email_verify"));
        await store.issueOneTimeToken(newOneTime("ot_u2", "usr_2", "password_reset"));
        await store.issueOneTimeToken(newOneTime("ot_new", "usr_1", "password_reset", { createdAt: T0 + 1 }));
        expect(await store.consumeOneTimeToken("ot_old", "password_reset", T0 + 2)).toBeNull();
        expect(await store.consumeOneTimeToken("ot_new", "password_reset", T0 + 2)).not.toBeNull();
        expect(await store.consumeOneTimeToken("ot_verify", "email_verify", T0 + 2)).not.toBeNull();
        expect(await store.consumeOneTimeToken("ot_u2", "password_reset", T0 + 2)).not.toBeNull();
      });

      it("race: 50 concurrent consumeOneTimeToken: exactly one gets the record", async () => {
        const store = await fresh();
        await store.issueOneTimeToken(newOneTime("ot_1", "usr_1", "unlock"));
        const results = await concurrently(50, () => store.consumeOneTimeToken("ot_1", "unlock", T0));
        expect(countWhere(results, (r) => r !== null)).toBe(1);
      });

      it("race: 20 concurrent issues for one user and purpose leave exactly one live token", async () => {
        const store = await fresh();
        await concurrently(20, (i) =>
          store.issueOneTimeToken(newOneTime(`ot_${i}`, "usr_1", "email_verify")),
        );
        let live = 0;
        for (let i = 0; i < 20; i++)
          if (await store.consumeOneTimeToken(`ot_${i}`, "email_verify", T0)) live++;
        expect(live).toBe(1);
      });
    });

    describe("login history", () => {
      it("linkLoginEvent sets an event's session once", async () => {
        const store = await fresh();
        await store.appendLoginEvent(newEvent(1, "usr_1"));
        expect(await store.linkLoginEvent("usr_1", eventId(1), "ses_a")).toBe(true);
        expect(await store.linkLoginEvent("usr_1", eventId(1), "ses_b")).toBe(false);
        expect(await store.linkLoginEvent("usr_2", eventId(1), "ses_b")).toBe(false);
        expect(await store.linkLoginEvent("usr_1", eventId(9), "ses_b")).toBe(false);
        expect((await store.listLoginEvents("usr_1", { limit: 10 })).items[0]?.sessionId).toBe("ses_a");
      });

      it("lists a user's events newest first; other users' and unknown-address events are not listed", async () => {
        const store = await fresh();
        for (const n of [1, 2, 3]) await store.appendLoginEvent(newEvent(n, "usr_1"));
        await store.appendLoginEvent(newEvent(4, "usr_2"));
        await store.appendLoginEvent(newEvent(5, null, { result: "failure", email: "nobody@example.jp" }));
        const page = await store.listLoginEvents("usr_1", { limit: 10 });
        expect(page).toEqual({
          items: [newEvent(3, "usr_1"), newEvent(2, "usr_1"), newEvent(1, "usr_1")],
          next: null,
        });
        expect((await store.listLoginEvents("usr_2", { limit: 10 })).items.map((e) => e.id)).toEqual([
          eventId(4),
        ]);
        expect(await store.listLoginEvents("usr_3", { limit: 10 })).toEqual({ items: [], next: null });
      });

      it("sorts by id whatever the order of arrival", async () => {
        const store = await fresh();
        for (const n of [5, 1, 4, 2, 3]) await store.appendLoginEvent(newEvent(n, "usr_1"));
        const { ids } = await walkPages(store, "usr_1", { limit: 2 });
        expect(ids).toEqual([5, 4, 3, 2, 1].map(eventId));
      });

      it("filters by result, method and time (from inclusive, to exclusive)", async () => {
        const store = await fresh();
        const results = ["success", "failure", "locked"] as const;
        const methods = ["password", "totp", "google", "recovery_code"];
        for (let n = 0; n < 24; n++) {
          await store.appendLoginEvent(
            newEvent(n, "usr_1", { result: results[n % 3], method: methods[n % 4] ?? "password" }),
          );
        }
        const ids = async (q: Omit<Parameters<AuthStore["listLoginEvents"]>[1], "limit">) =>
          (await store.listLoginEvents("usr_1", { limit: 100, ...q })).items.map((e) => e.id);
        expect(await ids({ result: "failure" })).toEqual([22, 19, 16, 13, 10, 7, 4, 1].map(eventId));
        expect(await ids({ method: "totp" })).toEqual([21, 17, 13, 9, 5, 1].map(eventId));
        expect(await ids({ result: "failure", method: "totp" })).toEqual([13, 1].map(eventId));
        expect(await ids({ from: T0 + 20 * MINUTE })).toEqual([23, 22, 21, 20].map(eventId));
        expect(await ids({ to: T0 + 3 * MINUTE })).toEqual([2, 1, 0].map(eventId));
        expect(await ids({ from: T0 + 5 * MINUTE, to: T0 + 8 * MINUTE, method: "password" })).toEqual([]);
        expect(await ids({ from: T0 + 4 * MINUTE, to: T0 + 9 * MINUTE, method: "password" })).toEqual([
          eventId(8),
          eventId(4),
        ]);
        expect(await ids({ method: "apple" })).toEqual([]);
      });

      it("pages with next; the last page has next null, and is never empty", async () => {
        const store = await fresh();
        for (let n = 1; n <= 9; n++) await store.appendLoginEvent(newEvent(n, "usr_1"));
        const p1 = await store.listLoginEvents("usr_1", { limit: 3 });
        expect(p1.items.map((e) => e.id)).toEqual([9, 8, 7].map(eventId));
        expect(p1.next).toBe(eventId(7));
        const p3 = await store.listLoginEvents("usr_1", { limit: 3, before: eventId(4) });
        expect(p3).toEqual({ items: [3, 2, 1].map((n) => newEvent(n, "usr_1")), next: null });
        expect(await walkPages(store, "usr_1", { limit: 3 })).toMatchObject({ pages: 3, sizes: [3, 3, 3] });
        // A filtered last page: next is null as soon as no older event matches.
        const only = await store.listLoginEvents("usr_1", { limit: 1, to: T0 + 2 * MINUTE });
        expect(only).toEqual({ items: [newEvent(1, "usr_1")], next: null });
      });

      it("a cursor is strictly older, and need not be the id of a stored event", async () => {
        const store = await fresh();
        for (let n = 10; n <= 50; n += 10) await store.appendLoginEvent(newEvent(n, "usr_1"));
        const ids = async (before: string) =>
          (await store.listLoginEvents("usr_1", { limit: 100, before })).items.map((e) => e.id);
        expect(await ids(eventId(30))).toEqual([20, 10].map(eventId));
        expect(await ids(eventId(31))).toEqual([30, 20, 10].map(eventId));
        expect(await ids(eventId(10))).toEqual([]);
        expect(await ids("evt_")).toEqual([]);
        expect(await ids("evt_~")).toEqual([50, 40, 30, 20, 10].map(eventId));
      });

      it("a cursor stays valid when newer events arrive: no duplicates, no gaps", async () => {
        const store = await fresh();
        for (let n = 1; n <= 10; n++) await store.appendLoginEvent(newEvent(n, "usr_1"));
        const p1 = await store.listLoginEvents("usr_1", { limit: 4 });
        for (let n = 11; n <= 20; n++) await store.appendLoginEvent(newEvent(n, "usr_1"));
        const p2 = await store.listLoginEvents("usr_1", { limit: 4, before: p1.next ?? "" });
        const p3 = await store.listLoginEvents("usr_1", { limit: 4, before: p2.next ?? "" });
        expect([...p1.items, ...p2.items, ...p3.items].map((e) => e.id)).toEqual(
          [10, 9, 8, 7, 6, 5, 4, 3, 2, 1].map(eventId),
        );
        expect(p3.next).toBeNull();
      });

      it("deep pages: 1,000 events in pages of 7 come back once each, in order", async () => {
        const store = await fresh();
        for (let n = 0; n < 1000; n++) {
          await store.appendLoginEvent(
            newEvent(n, "usr_1", { result: n % 10 === 0 ? "failure" : "success" }),
          );
        }
        const all = await walkPages(store, "usr_1", { limit: 7 });
        expect(all.ids).toEqual(Array.from({ length: 1000 }, (_, i) => eventId(999 - i)));
        expect(all.pages).toBe(143);
        const failures = await walkPages(store, "usr_1", { limit: 7, result: "failure" });
        expect(failures.ids).toEqual(Array.from({ length: 100 }, (_, i) => eventId(990 - 10 * i)));
        const deep = await store.listLoginEvents("usr_1", { limit: 5, before: eventId(3) });
        expect(deep).toEqual({
          items: [2, 1, 0].map((n) => newEvent(n, "usr_1", { result: n === 0 ? "failure" : "success" })),
          next: null,
        });
      });

      it("property: walking the pages gives the filtered events, newest first, once each", async () => {
        const event = fc.record({
          n: fc.integer({ min: 0, max: 500 }),
          result: fc.constantFrom("success", "failure", "locked") as fc.Arbitrary<StoredLoginEvent["result"]>,
          method: fc.constantFrom("password", "totp", "google"),
        });
        const query = fc.record(
          {
            result: fc.constantFrom("success", "failure", "locked") as fc.Arbitrary<
              StoredLoginEvent["result"]
            >,
            method: fc.constantFrom("password", "totp", "google"),
            from: fc.integer({ min: 0, max: 500 }).map((n) => T0 + n * MINUTE),
            to: fc.integer({ min: 0, max: 500 }).map((n) => T0 + n * MINUTE),
          },
          { requiredKeys: [] },
        );
        // One store for every run (a SQL store need not make 40 databases); a user per run.
        const store = await fresh();
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.uniqueArray(event, { selector: (e) => e.n, maxLength: 60 }),
            query,
            fc.integer({ min: 1, max: 8 }),
            async (picked, q, limit) => {
              const userId = `usr_run_${run++}`;
              // In the generated order, so mostly out of order.
              const events = picked.map(({ n, ...fields }) =>
                newEvent(n, userId, { ...fields, id: `${eventId(n)}_${userId}` }),
              );
              for (const e of events) await store.appendLoginEvent(e);
              const expected = events
                .filter(
                  (e) =>
                    (q.result === undefined || e.result === q.result) &&
                    (q.method === undefined || e.method === q.method) &&
                    (q.from === undefined || e.at >= q.from) &&
                    (q.to === undefined || e.at < q.to),
                )
                .map((e) => e.id)
                .sort()
                .reverse();
              const walked = await walkPages(store, userId, { ...q, limit });
              expect(walked.ids).toEqual(expected);
              expect(walked.sizes.slice(0, -1).every((size) => size === limit)).toBe(true);
              expect(walked.sizes.at(-1)).toBe(
                expected.length === 0 ? 0 : ((expected.length - 1) % limit) + 1,
              );
            },
          ),
          { numRuns: 40 },
        );
      });
    });

    describe("signing keys", () => {
      it("lists the keys not yet expired, newest first; retiring keeps a key listed until it expires", async () => {
        const store = await fresh();
        const a = newSigningKey("k_a", { createdAt: T0 - 2 * DAY });
        const b = newSigningKey("k_b", { createdAt: T0 - DAY });
        const c = newSigningKey("k_c", { createdAt: T0 - 3 * DAY, retiredAt: T0 - 2 * DAY, expiresAt: T0 });
        for (const key of [a, b, c]) await store.addSigningKey(key);
        expect(await store.listSigningKeys(T0 - 1)).toEqual([b, a, c]);
        expect(await store.listSigningKeys(T0)).toEqual([b, a]);

        await store.retireSigningKey("k_a", T0 + 1, T0 + HOUR);
        expect(await store.listSigningKeys(T0 + 2)).toEqual([
          b,
          { ...a, retiredAt: T0 + 1, expiresAt: T0 + HOUR },
        ]);
        expect(await store.listSigningKeys(T0 + HOUR)).toEqual([b]);
        await store.retireSigningKey("k_unknown", T0, T0);
        expect(await store.listSigningKeys(T0 + HOUR)).toEqual([b]);
      });
    });

    describe("outbox", () => {
      const LEASE = 5 * MINUTE;

      it("claims queued mails that are due, oldest first, up to the limit, as sending under a lease", async () => {
        const store = await fresh();
        await store.enqueueMail(newMail("m_late", { createdAt: T0 - 1, nextAttemptAt: T0 + MINUTE }));
        await store.enqueueMail(newMail("m_2", { createdAt: T0 - 2 }));
        await store.enqueueMail(newMail("m_3", { createdAt: T0 - 3 }));
        await store.enqueueMail(newMail("m_1", { createdAt: T0 - 1 }));
        await store.enqueueMail(
          newMail("m_sent", { createdAt: T0 - 9, status: "sent", sentAt: T0 - 1, bodySealed: null }),
        );
        await store.enqueueMail(
          newMail("m_failed", { createdAt: T0 - 9, status: "failed", bodySealed: null }),
        );
        const first = await store.claimMail(T0, 2, LEASE);
        expect(first).toEqual([
          {
            ...newMail("m_3", { createdAt: T0 - 3 }),
            status: "sending",
            attempts: 1,
            nextAttemptAt: T0 + LEASE,
          },
          {
            ...newMail("m_2", { createdAt: T0 - 2 }),
            status: "sending",
            attempts: 1,
            nextAttemptAt: T0 + LEASE,
          },
        ]);
        expect((await store.claimMail(T0, 10, LEASE)).map((m) => m.id)).toEqual(["m_1"]);
        expect(await store.claimMail(T0, 10, LEASE)).toEqual([]);
        expect((await store.claimMail(T0 + MINUTE, 10, LEASE)).map((m) => m.id)).toEqual(["m_late"]);
        expect(await store.claimMail(T0, 0, LEASE)).toEqual([]);
      });

      it("a sent mail drops its body; a failed send goes back to the queue, or stops when given up", async () => {
        const store = await fresh();
        await store.enqueueMail(newMail("m_1"));
        await store.enqueueMail(newMail("m_2"));
        await store.enqueueMail(newMail("m_3"));
        expect(await store.claimMail(T0, 10, LEASE)).toHaveLength(3);
        expect(await store.markMailFailed("m_1", 1, T0 + 2 * MINUTE, false)).toBe(true);
        expect(await store.markMailFailed("m_2", 1, T0 + 2 * MINUTE, true)).toBe(true);
        expect(await store.markMailSent("m_3", 1, T0 + 1)).toBe(true);
        // Done once: the same claim cannot be marked again.
        expect(await store.markMailSent("m_3", 1, T0 + 2)).toBe(false);
        expect(await store.markMailFailed("m_2", 1, T0, false)).toBe(false);
        expect(await store.claimMail(T0 + 2 * MINUTE - 1, 10, LEASE)).toEqual([]);
        const retry = await store.claimMail(T0 + 2 * MINUTE, 10, LEASE);
        expect(retry).toEqual([
          { ...newMail("m_1"), status: "sending", attempts: 2, nextAttemptAt: T0 + 2 * MINUTE + LEASE },
        ]);
        expect(await store.markMailSent("m_1", 2, T0 + 3 * MINUTE)).toBe(true);
        // Sent and failed mails are never claimed again, whatever the time.
        expect(await store.claimMail(T0 + DAY, 10, LEASE)).toEqual([]);
        // Marking an unknown mail changes nothing and is not an error.
        expect(await store.markMailSent("m_9", 1, T0)).toBe(false);
        expect(await store.markMailFailed("m_9", 1, T0, true)).toBe(false);
      });

      it("a mail whose sender died is claimed again when its lease runs out; the stale claim can mark nothing", async () => {
        const store = await fresh();
        await store.enqueueMail(newMail("m_1"));
        const [first] = await store.claimMail(T0, 10, LEASE);
        expect(first).toMatchObject({ status: "sending", attempts: 1, nextAttemptAt: T0 + LEASE });
        expect(await store.claimMail(T0 + LEASE - 1, 10, LEASE)).toEqual([]);
        const [again] = await store.claimMail(T0 + LEASE, 10, LEASE);
        expect(again).toMatchObject({
          id: "m_1",
          status: "sending",
          attempts: 2,
          nextAttemptAt: T0 + 2 * LEASE,
        });
        // The first claim (a sender that was only slow) is fenced off by its attempt number.
        expect(await store.markMailFailed("m_1", 1, T0 + LEASE, false)).toBe(false);
        expect(await store.markMailSent("m_1", 1, T0 + LEASE)).toBe(false);
        expect(await store.markMailSent("m_1", 2, T0 + LEASE + 1)).toBe(true);
        expect(await store.claimMail(T0 + DAY, 10, LEASE)).toEqual([]);
      });

      it("the record of a sent or failed mail keeps who, what kind and when, and no body", async () => {
        const store = await fresh();
        await store.enqueueMail(newMail("m_1", { createdAt: T0 - 1 }));
        await store.enqueueMail(newMail("m_2"));
        expect(await store.getMail("m_1")).toEqual(newMail("m_1", { createdAt: T0 - 1 }));
        await store.claimMail(T0, 10, LEASE);
        await store.markMailSent("m_1", 1, T0 + 5);
        await store.markMailFailed("m_2", 1, T0, true);
        expect(await store.getMail("m_1")).toEqual({
          ...newMail("m_1", { createdAt: T0 - 1 }),
          status: "sent",
          attempts: 1,
          nextAttemptAt: T0 + LEASE,
          sentAt: T0 + 5,
          bodySealed: null,
        });
        expect(await store.getMail("m_2")).toMatchObject({ status: "failed", attempts: 1, bodySealed: null });
        expect(await store.getMail("m_9")).toBeNull();
      });

      it("a mail queued in a transaction that throws is not queued", async () => {
        const store = await fresh();
        await store
          .transaction(async (tx) => {
            await tx.enqueueMail(newMail("m_1"));
            throw new Error("rolled back");
          })
          .catch(() => {});
        expect(await store.claimMail(T0, 10, LEASE)).toEqual([]);
      });

      it("race: 5 concurrent claimers never take the same mail", async () => {
        const store = await fresh();
        for (let i = 0; i < 20; i++)
          await store.enqueueMail(newMail(`m_${String(i).padStart(2, "0")}`, { createdAt: T0 - 100 + i }));
        const batches = await concurrently(5, () => store.claimMail(T0, 3, LEASE));
        const ids = batches.flat().map((m) => m.id);
        expect(ids).toHaveLength(15);
        expect(new Set(ids).size).toBe(15);
        const rest = await concurrently(5, () => store.claimMail(T0, 10, LEASE));
        const restIds = rest.flat().map((m) => m.id);
        expect(restIds).toHaveLength(5);
        expect(new Set([...ids, ...restIds]).size).toBe(20);
      });

      it("race: 5 concurrent claimers of expired leases never take the same mail", async () => {
        const store = await fresh();
        for (let i = 0; i < 10; i++)
          await store.enqueueMail(newMail(`m_${String(i).padStart(2, "0")}`, { createdAt: T0 - 100 + i }));
        expect(await store.claimMail(T0, 10, LEASE)).toHaveLength(10);
        const batches = await concurrently(5, () => store.claimMail(T0 + LEASE, 4, LEASE));
        const ids = batches.flat().map((m) => m.id);
        expect(ids).toHaveLength(10);
        expect(new Set(ids).size).toBe(10);
        expect(batches.flat().every((m) => m.attempts === 2)).toBe(true);
      });

      it("race: a sent mark and a failed mark of one claim: exactly one wins", async () => {
        const store = await fresh();
        await store.enqueueMail(newMail("m_1"));
        await store.claimMail(T0, 10, LEASE);
        const [sent, failed] = await Promise.all([
          store.markMailSent("m_1", 1, T0 + 1),
          store.markMailFailed("m_1", 1, T0 + MINUTE, false),
        ]);
        expect([sent, failed].filter(Boolean)).toHaveLength(1);
      });
    });

    describe("transactions", () => {
      it("keeps every write of a transaction that resolves, and resolves with its value", async () => {
        const store = await fresh();
        const value = await store.transaction(async (tx) => {
          await createUser(tx, newUser(1));
          await withSession(tx, "ses_1");
          expect((await tx.getUserById("usr_1"))?.id).toBe("usr_1"); // reads its own writes
          return 42;
        });
        expect(value).toBe(42);
        expect(await store.getUserById("usr_1")).not.toBeNull();
        expect(await store.getSession("ses_1")).not.toBeNull();
      });

      it("undoes every write of a transaction that throws, and rejects with its error", async () => {
        const store = await fresh();
        await createUser(store, newUser(1));
        await store.issueOneTimeToken(newOneTime("ot_1", "usr_1"));
        await store.reserveAttempt("k", { maxAttempts: 5, lockSeconds: 60 }, T0);
        const { token } = await withSession(store, "ses_1");
        const boom = new Error("boom");
        const outcome = store.transaction(async (tx) => {
          await createUser(tx, newUser(2));
          await tx.updateUser("usr_1", { name: "Changed", emailKey: "changed@example.jp" }, T0 + 1);
          expect(await tx.consumeOneTimeToken("ot_1", "password_reset", T0 + 1)).not.toBeNull();
          await tx.reserveAttempt("k", { maxAttempts: 5, lockSeconds: 60 }, T0 + 1);
          await tx.rotateRefreshToken(token, { tokenHash: "rt_tx", expiresAt: T0 + 2 * DAY }, SEEN, T0 + 1);
          await tx.appendLoginEvent(newEvent(1, "usr_1"));
          await tx.revokeUserSessions("usr_1", T0 + 1);
          throw boom;
        });
        await expect(outcome).rejects.toBe(boom);
        expect(await store.getUserById("usr_2")).toBeNull();
        expect(await store.getUserById("usr_1")).toEqual({
          ...newUser(1),
          lastLoginAt: null,
          suspendedAt: null,
          suspendedReason: null,
          mailLocale: null,
          updatedAt: T0,
        });
        expect(await store.getUserByEmailKey("changed@example.jp")).toBeNull();
        expect(await store.consumeOneTimeToken("ot_1", "password_reset", T0 + 2)).not.toBeNull();
        expect(await store.reserveAttempt("k", { maxAttempts: 5, lockSeconds: 60 }, T0 + 2)).toMatchObject({
          remaining: 3,
        });
        expect((await store.listLoginEvents("usr_1", { limit: 10 })).items).toEqual([]);
        expect(await store.getSession("ses_1")).toEqual(newSession("ses_1", "usr_1"));
        expect(
          await store.rotateRefreshToken("rt_tx", { tokenHash: "rt_2", expiresAt: T0 + DAY }, SEEN, T0 + 2),
        ).toEqual({
          kind: "invalid",
        });
        expect(
          await store.rotateRefreshToken(token, { tokenHash: "rt_3", expiresAt: T0 + DAY }, SEEN, T0 + 2),
        ).toMatchObject({ kind: "rotated" });
      });

      it("a failed transaction leaves the store usable for the next one", async () => {
        const store = await fresh();
        await expect(
          store.transaction(async (tx) => {
            await createUser(tx, newUser(1));
            throw new Error("first");
          }),
        ).rejects.toThrow("first");
        await store.transaction(async (tx) => {
          await createUser(tx, newUser(1));
        });
        expect(await store.getUserById("usr_1")).not.toBeNull();
      });
    });

    describe("deleteExpired", () => {
      it("removes what is over and keeps what is live", async () => {
        const store = await fresh();
        const now = T0 + 30 * DAY;
        // Over at `now`:
        await store.issueOneTimeToken(newOneTime("ot_old", "usr_1", "password_reset", { expiresAt: now }));
        await store.createChallenge(newChallenge("ch_old", "usr_1", { expiresAt: now - 1 }));
        await withSession(store, "ses_expired", { expiresAt: now });
        const { token: revokedToken } = await withSession(store, "ses_revoked_long_ago", {
          expiresAt: now + 30 * DAY,
        });
        expect(await store.revokeSession("usr_1", "ses_revoked_long_ago", T0)).toBe(true);
        await store.addSigningKey(newSigningKey("k_old", { retiredAt: T0, expiresAt: now }));
        await store.consumeRateLimit("ip", { max: 5, windowSeconds: 60 }, now - MINUTE);
        for (let i = 0; i < 3; i++)
          await store.reserveAttempt("locked_before", { maxAttempts: 3, lockSeconds: 60 }, T0);
        // Live at `now`:
        await store.issueOneTimeToken(newOneTime("ot_live", "usr_1", "email_verify", { expiresAt: now + 1 }));
        await store.createChallenge(newChallenge("ch_live", "usr_1", { expiresAt: now + MINUTE }));
        const { token: liveToken } = await withSession(store, "ses_live", { expiresAt: now + DAY });
        await store.addSigningKey(newSigningKey("k_live", { createdAt: T0 + DAY }));
        await store.consumeRateLimit("ip", { max: 5, windowSeconds: 60 }, now);
        for (let i = 0; i < 3; i++)
          await store.reserveAttempt("locked_now", { maxAttempts: 3, lockSeconds: 600 }, now);

        const removed = await store.deleteExpired(now);
        expect(removed).toBeGreaterThanOrEqual(7);
        expect(await store.deleteExpired(now)).toBe(0);

        expect(await store.consumeOneTimeToken("ot_old", "password_reset", T0)).toBeNull();
        expect(await store.claimChallengeAttempt("ch_old", 5, T0)).toEqual({ kind: "invalid" });
        expect(await store.getSession("ses_expired")).toBeNull();
        expect(await store.getSession("ses_revoked_long_ago")).toBeNull();
        expect(
          await store.rotateRefreshToken(revokedToken, { tokenHash: "x1", expiresAt: now + DAY }, SEEN, now),
        ).toEqual({
          kind: "invalid",
        });
        expect((await store.listSigningKeys(T0)).map((k) => k.kid)).toEqual(["k_live"]);
        expect(
          await store.reserveAttempt("locked_before", { maxAttempts: 3, lockSeconds: 60 }, now),
        ).toMatchObject({
          kind: "reserved",
          remaining: 2,
        });

        expect(await store.consumeOneTimeToken("ot_live", "email_verify", now)).not.toBeNull();
        expect(await store.claimChallengeAttempt("ch_live", 5, now)).toMatchObject({
          kind: "ok",
          attempt: 1,
        });
        expect(await store.getSession("ses_live")).not.toBeNull();
        expect(await store.consumeRateLimit("ip", { max: 5, windowSeconds: 60 }, now)).toEqual({
          allowed: true,
          remaining: 3,
        });
        expect(await store.lockedUntil("locked_now", now)).toBe(now + 600 * SECOND);
        expect(
          await store.rotateRefreshToken(liveToken, { tokenHash: "x2", expiresAt: now + 2 * DAY }, SEEN, now),
        ).toMatchObject({ kind: "rotated" });
      });

      it("keeps the used tokens of a live family, so that reuse is still detected", async () => {
        const store = await fresh();
        const { token } = await withSession(store, "ses_1", { expiresAt: T0 + 30 * DAY });
        await store.rotateRefreshToken(token, { tokenHash: "rt_1", expiresAt: T0 + 30 * DAY }, SEEN, T0 + 1);
        await store.deleteExpired(T0 + DAY);
        expect(
          await store.rotateRefreshToken(token, { tokenHash: "rt_x", expiresAt: T0 + DAY }, SEEN, T0 + DAY),
        ).toEqual({
          kind: "reused",
          sessionId: "ses_1",
        });
      });

      it("a revoked session's tokens stay invalid before and after it is removed", async () => {
        const store = await fresh();
        const { token } = await withSession(store, "ses_1", { expiresAt: T0 + 60 * DAY });
        await store.revokeSession("usr_1", "ses_1", T0);
        const next = { tokenHash: "rt_x", expiresAt: T0 + 61 * DAY };
        expect(await store.rotateRefreshToken(token, next, SEEN, T0 + 1)).toEqual({ kind: "invalid" });
        await store.deleteExpired(T0 + 1);
        expect(await store.rotateRefreshToken(token, next, SEEN, T0 + 2)).toEqual({ kind: "invalid" });
        await store.deleteExpired(T0 + 30 * DAY);
        expect(await store.rotateRefreshToken(token, next, SEEN, T0 + 30 * DAY)).toEqual({ kind: "invalid" });
      });
    });

    describe("suspension fields", () => {
      it("a new user is not suspended (both fields null); given values are kept", async () => {
        const store = await fresh();
        const plain = await createUser(store, newUser(1));
        expect(plain).toMatchObject({ suspendedAt: null, suspendedReason: null });
        const given = await createUser(store, newUser(2, { suspendedAt: T0 - DAY, suspendedReason: "spam" }));
        expect(given).toEqual({
          ...newUser(2),
          lastLoginAt: null,
          suspendedAt: T0 - DAY,
          suspendedReason: "spam",
          mailLocale: null,
          updatedAt: T0,
        });
        expect(await store.getUserById("usr_2")).toEqual(given);
        expect(await store.getUserByEmailKey("user2@example.jp")).toEqual(given);
      });

      it("the mail locale: null unless given, set and changed by updateUser, left by other patches", async () => {
        const store = await fresh();
        expect(await createUser(store, newUser(1))).toMatchObject({ mailLocale: null });
        expect(await createUser(store, newUser(2, { mailLocale: "ja" }))).toMatchObject({ mailLocale: "ja" });
        expect(await store.updateUser("usr_1", { mailLocale: "en" }, T0)).toMatchObject({ mailLocale: "en" });
        expect(await store.updateUser("usr_1", { name: "x" }, T0)).toMatchObject({ mailLocale: "en" });
        expect(await store.getUserById("usr_1")).toMatchObject({ mailLocale: "en" });
        expect(await store.getUserByEmailKey("user2@example.jp")).toMatchObject({ mailLocale: "ja" });
      });

      it("updateUser sets and clears the suspension; other patches leave it; the record round-trips", async () => {
        const store = await fresh();
        const created = await createUser(store, newUser(1));
        const suspended = await store.updateUser(
          "usr_1",
          { suspendedAt: T0 + MINUTE, suspendedReason: "規約違反 (terms)" },
          T0 + MINUTE,
        );
        expect(suspended).toEqual({
          ...created,
          suspendedAt: T0 + MINUTE,
          suspendedReason: "規約違反 (terms)",
          updatedAt: T0 + MINUTE,
        });
        expect(await store.getUserById("usr_1")).toEqual(suspended);
        expect(await store.getUserByEmailKey("user1@example.jp")).toEqual(suspended);

        // A patch without the fields keeps them, also across a change of the email key.
        const renamed = await store.updateUser(
          "usr_1",
          { name: "Renamed", email: "Moved@Example.jp", emailKey: "moved@example.jp" },
          T0 + 2 * MINUTE,
        );
        expect(renamed).toMatchObject({ suspendedAt: T0 + MINUTE, suspendedReason: "規約違反 (terms)" });
        expect(await store.getUserByEmailKey("moved@example.jp")).toEqual(renamed);

        const cleared = await store.updateUser(
          "usr_1",
          { suspendedAt: null, suspendedReason: null },
          T0 + 3 * MINUTE,
        );
        expect(cleared).toEqual({
          ...created,
          name: "Renamed",
          email: "Moved@Example.jp",
          emailKey: "moved@example.jp",
          suspendedAt: null,
          suspendedReason: null,
          updatedAt: T0 + 3 * MINUTE,
        });
        expect(await store.getUserById("usr_1")).toEqual(cleared);
      });
    });

    describe("social identities", () => {
      it("links, gets, lists (oldest first, the user's only) and touches identities", async () => {
        const store = await fresh();
        const google = newIdentity("google", "g-1", "usr_1");
        const apple = newIdentity("apple", "a-1", "usr_1", { createdAt: T0 - HOUR, email: null });
        const yahoo = newIdentity("yahoo_japan", "y-1", "usr_1", { createdAt: T0 + HOUR });
        const other = newIdentity("google", "g-2", "usr_2");
        for (const identity of [google, yahoo, apple, other]) {
          expect(await store.linkIdentity(identity)).toBe("linked");
        }
        expect(await store.getIdentity("google", "g-1")).toEqual(google);
        expect(await store.getIdentity("apple", "a-1")).toEqual(apple);
        expect(await store.getIdentity("google", "a-1")).toBeNull(); // the pair, not the subject
        expect(await store.getIdentity("github", "g-1")).toBeNull();
        expect(await store.listIdentities("usr_1")).toEqual([apple, google, yahoo]);
        expect(await store.listIdentities("usr_2")).toEqual([other]);
        expect(await store.listIdentities("usr_3")).toEqual([]);

        await store.touchIdentity(
          "google",
          "g-1",
          { email: "new@gmail.example", emailVerified: false },
          T0 + 5,
        );
        const touched = { ...google, email: "new@gmail.example", emailVerified: false, lastUsedAt: T0 + 5 };
        expect(await store.getIdentity("google", "g-1")).toEqual(touched);
        await store.touchIdentity("apple", "a-1", { email: null, emailVerified: false }, T0 + 6);
        expect(await store.getIdentity("apple", "a-1")).toEqual({
          ...apple,
          emailVerified: false,
          lastUsedAt: T0 + 6,
        });
        expect(await store.getIdentity("google", "g-2")).toEqual(other); // untouched
        await store.touchIdentity("google", "g-unknown", { email: null, emailVerified: false }, T0); // no error
        expect(await store.getIdentity("google", "g-unknown")).toBeNull();
      });

      it("a provider and subject already linked is taken, even for another user; the link stays", async () => {
        const store = await fresh();
        const google = newIdentity("google", "g-1", "usr_1");
        expect(await store.linkIdentity(google)).toBe("linked");
        expect(await store.linkIdentity(newIdentity("google", "g-1", "usr_1", { createdAt: T0 + 1 }))).toBe(
          "taken",
        );
        expect(
          await store.linkIdentity(newIdentity("google", "g-1", "usr_2", { email: "x@example.jp" })),
        ).toBe("taken");
        expect(await store.getIdentity("google", "g-1")).toEqual(google);
        expect(await store.listIdentities("usr_1")).toEqual([google]);
        expect(await store.listIdentities("usr_2")).toEqual([]);
        // The same subject at another provider is another identity.
        expect(await store.linkIdentity(newIdentity("apple", "g-1", "usr_2"))).toBe("linked");
      });

      it("race: 20 concurrent linkIdentity of one provider and subject: exactly one linked", async () => {
        const store = await fresh();
        const results = await concurrently(20, (i) =>
          store.linkIdentity(newIdentity("google", "g-1", `usr_${i}`, { createdAt: T0 + i })),
        );
        expect(countWhere(results, (r) => r === "linked")).toBe(1);
        expect(countWhere(results, (r) => r === "taken")).toBe(19);
        const winner = results.indexOf("linked");
        expect(await store.getIdentity("google", "g-1")).toEqual(
          newIdentity("google", "g-1", `usr_${winner}`, { createdAt: T0 + winner }),
        );
        let listed = 0;
        for (let i = 0; i < 20; i++) listed += (await store.listIdentities(`usr_${i}`)).length;
        expect(listed).toBe(1);
      });

      it("unlinking another user's or an unknown identity is not_found and changes nothing", async () => {
        const store = await fresh();
        await createUser(store, newUser(1));
        await createUser(store, newUser(2));
        const google = newIdentity("google", "g-1", "usr_1");
        await store.linkIdentity(google);
        await store.linkIdentity(newIdentity("apple", "a-1", "usr_1"));
        expect(await store.unlinkIdentity("usr_2", "google", "g-1")).toBe("not_found");
        expect(await store.unlinkIdentity("usr_1", "google", "g-9")).toBe("not_found");
        expect(await store.unlinkIdentity("usr_1", "apple", "g-1")).toBe("not_found");
        expect(await store.getIdentity("google", "g-1")).toEqual(google);
        expect(await store.listIdentities("usr_1")).toHaveLength(2);
      });

      it("the only identity of a user without a password is their last way in: last, nothing removed", async () => {
        const store = await fresh();
        await createUser(store, newUser(1, { passwordHash: null }));
        const google = newIdentity("google", "g-1", "usr_1");
        await store.linkIdentity(google);
        expect(await store.unlinkIdentity("usr_1", "google", "g-1")).toBe("last");
        expect(await store.getIdentity("google", "g-1")).toEqual(google);
        expect(await store.listIdentities("usr_1")).toEqual([google]);
        // With a second identity, either can go, and then the other is the last.
        await store.linkIdentity(newIdentity("apple", "a-1", "usr_1", { createdAt: T0 + 1 }));
        expect(await store.unlinkIdentity("usr_1", "google", "g-1")).toBe("unlinked");
        expect(await store.unlinkIdentity("usr_1", "apple", "a-1")).toBe("last");
        expect((await store.listIdentities("usr_1")).map((i) => i.subject)).toEqual(["a-1"]);
      });

      it("a user with a password can unlink their last identity", async () => {
        const store = await fresh();
        await createUser(store, newUser(1));
        await store.linkIdentity(newIdentity("google", "g-1", "usr_1"));
        expect(await store.unlinkIdentity("usr_1", "google", "g-1")).toBe("unlinked");
        expect(await store.getIdentity("google", "g-1")).toBeNull();
        expect(await store.listIdentities("usr_1")).toEqual([]);
        expect(await store.unlinkIdentity("usr_1", "google", "g-1")).toBe("not_found");
        // Unlinked, the pair is free to link again.
        expect(await store.linkIdentity(newIdentity("google", "g-1", "usr_2"))).toBe("linked");
      });

      it("race: concurrent unlink of both identities of a user without a password: one unlinked, one last", async () => {
        const store = await fresh();
        await createUser(store, newUser(1, { passwordHash: null }));
        const pairs = [
          ["google", "g-1"],
          ["apple", "a-1"],
        ] as const;
        for (const [provider, subject] of pairs)
          await store.linkIdentity(newIdentity(provider, subject, "usr_1"));
        const results = await concurrently(2, (i) => {
          const [provider, subject] = pairs[i] ?? pairs[0];
          return store.unlinkIdentity("usr_1", provider, subject);
        });
        expect([...results].sort()).toEqual(["last", "unlinked"]);
        const left = await store.listIdentities("usr_1");
        expect(left).toHaveLength(1);
        expect(left[0]?.subject).toBe(pairs[results.indexOf("last")]?.[1]);
      });
    });

    describe("passkeys", () => {
      it("adds, gets and lists passkeys (oldest first, the user's only); a credential id is taken once", async () => {
        const store = await fresh();
        const a = newPasskey("cred-a", "usr_1", { createdAt: T0 + 2, transports: [] });
        const b = newPasskey("cred-b", "usr_1", {
          createdAt: T0 + 1,
          signCount: 7,
          deviceType: "singleDevice",
          backedUp: false,
          lastUsedAt: T0 + 1,
        });
        const other = newPasskey("cred-c", "usr_2");
        for (const p of [a, b, other]) expect(await store.addPasskey(p)).toBe("added");
        expect(await store.getPasskey("cred-a")).toEqual(a);
        expect(await store.getPasskey("cred-b")).toEqual(b);
        expect(await store.getPasskey("cred-x")).toBeNull();
        expect(await store.listPasskeys("usr_1")).toEqual([b, a]);
        expect(await store.listPasskeys("usr_2")).toEqual([other]);
        expect(await store.listPasskeys("usr_3")).toEqual([]);
        // The same credential id again, for the same or another user: taken, the first one stays.
        expect(await store.addPasskey(newPasskey("cred-a", "usr_2", { name: "stolen" }))).toBe("taken");
        expect(await store.addPasskey(newPasskey("cred-a", "usr_1", { name: "again" }))).toBe("taken");
        expect(await store.getPasskey("cred-a")).toEqual(a);
        expect(await store.listPasskeys("usr_2")).toEqual([other]);
      });

      it("credential ids are case-sensitive (base64url)", async () => {
        const store = await fresh();
        expect(await store.addPasskey(newPasskey("AbC", "usr_1"))).toBe("added");
        expect(await store.addPasskey(newPasskey("abc", "usr_1"))).toBe("added");
        expect(await store.getPasskey("ABC")).toBeNull();
        expect((await store.listPasskeys("usr_1")).map((p) => p.id)).toEqual(["AbC", "abc"]);
      });

      it("records a use only when the counter grows, or stays 0 without a counter", async () => {
        const store = await fresh();
        await store.addPasskey(newPasskey("zero", "usr_1"));
        await store.addPasskey(newPasskey("counted", "usr_1", { signCount: 5, backedUp: false }));
        // No counter: 0 → 0 is a use, again and again.
        expect(await store.recordPasskeyUse("zero", { signCount: 0, backedUp: false }, T0 + 1)).toBe(true);
        expect(await store.recordPasskeyUse("zero", { signCount: 0, backedUp: true }, T0 + 2)).toBe(true);
        expect(await store.getPasskey("zero")).toMatchObject({
          signCount: 0,
          backedUp: true,
          lastUsedAt: T0 + 2,
        });
        // A counter: only greater values; equal or smaller change nothing.
        expect(await store.recordPasskeyUse("counted", { signCount: 5, backedUp: true }, T0 + 3)).toBe(false);
        expect(await store.recordPasskeyUse("counted", { signCount: 4, backedUp: true }, T0 + 3)).toBe(false);
        expect(await store.recordPasskeyUse("counted", { signCount: 0, backedUp: true }, T0 + 3)).toBe(false);
        expect(await store.getPasskey("counted")).toMatchObject({
          signCount: 5,
          backedUp: false,
          lastUsedAt: null,
        });
        expect(await store.recordPasskeyUse("counted", { signCount: 6, backedUp: true }, T0 + 4)).toBe(true);
        expect(await store.getPasskey("counted")).toMatchObject({
          signCount: 6,
          backedUp: true,
          lastUsedAt: T0 + 4,
        });
        // An authenticator that starts counting later: 0 → 3 grows.
        expect(await store.recordPasskeyUse("zero", { signCount: 3, backedUp: true }, T0 + 5)).toBe(true);
        expect(await store.recordPasskeyUse("zero", { signCount: 0, backedUp: true }, T0 + 6)).toBe(false);
        expect(await store.recordPasskeyUse("unknown", { signCount: 1, backedUp: true }, T0)).toBe(false);
        // Large counters (32-bit) survive the round trip.
        expect(
          await store.recordPasskeyUse("counted", { signCount: 4_294_967_295, backedUp: true }, T0 + 7),
        ).toBe(true);
        expect((await store.getPasskey("counted"))?.signCount).toBe(4_294_967_295);
      });

      it("race: 10 concurrent uses with the same counter: one winner per value", async () => {
        const store = await fresh();
        await store.addPasskey(newPasskey("cred", "usr_1", { signCount: 1 }));
        const same = await concurrently(10, (i) =>
          store.recordPasskeyUse("cred", { signCount: 2, backedUp: true }, T0 + i),
        );
        expect(countWhere(same, (r) => r)).toBe(1);
        expect((await store.getPasskey("cred"))?.signCount).toBe(2);
        // Counters 3..12 at once: whatever the order, each value is accepted at most once, the
        // counter ends at the largest accepted one and never goes down.
        const values = Array.from({ length: 10 }, (_, i) => 3 + ((i * 7) % 10));
        const mixed = await concurrently(10, (i) =>
          store.recordPasskeyUse("cred", { signCount: values[i] ?? 0, backedUp: true }, T0 + 20 + i),
        );
        const accepted = values.filter((_, i) => mixed[i]);
        expect(accepted.length).toBeGreaterThanOrEqual(1);
        expect(new Set(accepted).size).toBe(accepted.length);
        expect((await store.getPasskey("cred"))?.signCount).toBe(Math.max(...accepted));
      });

      it("10 concurrent uses of a passkey without a counter all count (replays are the challenge's to refuse)", async () => {
        const store = await fresh();
        await store.addPasskey(newPasskey("cred", "usr_1"));
        const results = await concurrently(10, (i) =>
          store.recordPasskeyUse("cred", { signCount: 0, backedUp: true }, T0 + i),
        );
        // Without a counter the store cannot tell uses apart: replays are refused by the
        // challenge, consumed once (see WebAuthn challenges).
        expect(countWhere(results, (r) => r)).toBe(10);
      });

      it("renames and removes only the owner's passkeys", async () => {
        const store = await fresh();
        await store.addPasskey(newPasskey("cred-1", "usr_1"));
        await store.addPasskey(newPasskey("cred-2", "usr_2"));
        expect(await store.renamePasskey("usr_2", "cred-1", "mine now")).toBe(false);
        expect(await store.removePasskey("usr_2", "cred-1")).toBe(false);
        expect(await store.renamePasskey("usr_1", "cred-x", "x")).toBe(false);
        expect(await store.removePasskey("usr_1", "cred-x")).toBe(false);
        expect(await store.getPasskey("cred-1")).toEqual(newPasskey("cred-1", "usr_1"));
        expect(await store.renamePasskey("usr_1", "cred-1", "iPhone 「仕事」")).toBe(true);
        expect((await store.getPasskey("cred-1"))?.name).toBe("iPhone 「仕事」");
        expect(await store.removePasskey("usr_1", "cred-1")).toBe(true);
        expect(await store.removePasskey("usr_1", "cred-1")).toBe(false);
        expect(await store.getPasskey("cred-1")).toBeNull();
        expect(await store.listPasskeys("usr_1")).toEqual([]);
        expect(await store.listPasskeys("usr_2")).toEqual([newPasskey("cred-2", "usr_2")]);
        // Its id may be added again (the authenticator registers it anew).
        expect(await store.addPasskey(newPasskey("cred-1", "usr_1"))).toBe("added");
      });

      it("race: 5 concurrent removals of one passkey: exactly one true", async () => {
        const store = await fresh();
        await store.addPasskey(newPasskey("cred", "usr_1"));
        const results = await concurrently(5, () => store.removePasskey("usr_1", "cred"));
        expect(countWhere(results, (r) => r)).toBe(1);
      });
    });

    describe("WebAuthn challenges", () => {
      it("a challenge is consumed once, for its purpose, while it lives", async () => {
        const store = await fresh();
        const reg = newWebAuthnChallenge("wc_reg", { purpose: "register", userId: "usr_1" });
        const signIn = newWebAuthnChallenge("wc_in");
        await store.createWebAuthnChallenge(reg);
        await store.createWebAuthnChallenge(signIn);
        // The wrong purpose takes nothing, and leaves it.
        expect(await store.consumeWebAuthnChallenge("wc_reg", "sign_in", T0 + 1)).toBeNull();
        expect(await store.consumeWebAuthnChallenge("wc_reg", "register", T0 + 1)).toEqual(reg);
        expect(await store.consumeWebAuthnChallenge("wc_reg", "register", T0 + 2)).toBeNull();
        expect(await store.consumeWebAuthnChallenge("wc_in", "sign_in", T0 + 1)).toEqual(signIn);
        expect(await store.consumeWebAuthnChallenge("wc_in", "sign_in", T0 + 1)).toBeNull();
        expect(await store.consumeWebAuthnChallenge("wc_unknown", "sign_in", T0)).toBeNull();
      });

      it("an expired challenge is not consumed; deleteExpired removes it", async () => {
        const store = await fresh();
        const challenge = newWebAuthnChallenge("wc");
        await store.createWebAuthnChallenge(challenge);
        expect(await store.consumeWebAuthnChallenge("wc", "sign_in", challenge.expiresAt)).toBeNull();
        await store.createWebAuthnChallenge(newWebAuthnChallenge("wc_live", { expiresAt: T0 + HOUR }));
        expect(await store.deleteExpired(challenge.expiresAt)).toBeGreaterThanOrEqual(1);
        expect(await store.consumeWebAuthnChallenge("wc", "sign_in", T0)).toBeNull();
        expect(await store.consumeWebAuthnChallenge("wc_live", "sign_in", T0 + 1)).not.toBeNull();
      });

      it("race: 10 concurrent consumptions of one challenge: exactly one gets it", async () => {
        const store = await fresh();
        await store.createWebAuthnChallenge(
          newWebAuthnChallenge("wc", { purpose: "register", userId: "usr_1" }),
        );
        const results = await concurrently(10, () =>
          store.consumeWebAuthnChallenge("wc", "register", T0 + 1),
        );
        expect(countWhere(results, (r) => r !== null)).toBe(1);
      });
    });

    describe("claimOnce", () => {
      it("claims a key once while the claim is live; keys are independent", async () => {
        const store = await fresh();
        expect(await store.claimOnce("nonce:a", T0 + 10 * MINUTE, T0)).toBe(true);
        expect(await store.claimOnce("nonce:a", T0 + 10 * MINUTE, T0)).toBe(false);
        expect(await store.claimOnce("nonce:a", T0 + HOUR, T0 + 10 * MINUTE - 1)).toBe(false);
        expect(await store.claimOnce("nonce:b", T0 + 10 * MINUTE, T0 + 1)).toBe(true);
      });

      it("is claimable again once the claim has expired (at expiresAt)", async () => {
        const store = await fresh();
        expect(await store.claimOnce("k", T0 + MINUTE, T0)).toBe(true);
        expect(await store.claimOnce("k", T0 + 2 * MINUTE, T0 + MINUTE)).toBe(true);
        expect(await store.claimOnce("k", T0 + 3 * MINUTE, T0 + MINUTE + 1)).toBe(false); // the new claim holds
        expect(await store.claimOnce("k", T0 + 3 * MINUTE, T0 + 2 * MINUTE)).toBe(true);
      });

      it("race: 20 concurrent claims of one key: exactly one true, also after it expired", async () => {
        const store = await fresh();
        const first = await concurrently(20, () => store.claimOnce("nonce", T0 + MINUTE, T0));
        expect(countWhere(first, (r) => r)).toBe(1);
        const again = await concurrently(20, () => store.claimOnce("nonce", T0 + 2 * MINUTE, T0 + MINUTE));
        expect(countWhere(again, (r) => r)).toBe(1);
      });

      it("deleteExpired removes expired claims and keeps live ones", async () => {
        const store = await fresh();
        await store.claimOnce("old", T0 + MINUTE, T0);
        await store.claimOnce("live", T0 + HOUR, T0);
        expect(await store.deleteExpired(T0 + MINUTE)).toBeGreaterThanOrEqual(1);
        expect(await store.deleteExpired(T0 + MINUTE)).toBe(0);
        // Asked at a time when the old claim would still hold: it is gone.
        expect(await store.claimOnce("old", T0 + HOUR, T0)).toBe(true);
        expect(await store.claimOnce("live", T0 + 2 * HOUR, T0 + MINUTE)).toBe(false);
      });
    });

    describe("account deletion", () => {
      const lock = { maxAttempts: 3, lockSeconds: 900 };

      /**
       * User `usr_<n>` with something of every kind: a factor, recovery codes, an active and a
       * revoked session, a one-time token, a challenge, a login event, an identity, an audit event
       * and a lock on the email key.
       */
      async function seedAccount(store: AuthStore, n: number): Promise<{ token: string }> {
        const userId = `usr_${n}`;
        const user = await createUser(store, newUser(n));
        await store.addFactor(newFactor(`fac_${n}`, userId));
        await store.replaceRecoveryCodes(userId, [`rc_${n}_a`, `rc_${n}_b`]);
        const { token } = await withSession(store, `ses_${n}`, { userId });
        await withSession(store, `ses_${n}_old`, { userId, revokedAt: T0 - 1 });
        await store.issueOneTimeToken(newOneTime(`ot_${n}`, userId, "password_reset"));
        await store.createChallenge(newChallenge(`ch_${n}`, userId));
        await store.appendLoginEvent(newEvent(n, userId, { email: user.email }));
        await store.linkIdentity(newIdentity("google", `g-${n}`, userId));
        await store.addPasskey(newPasskey(`cred-${n}`, userId));
        await store.createWebAuthnChallenge(
          newWebAuthnChallenge(`wc_${n}`, { purpose: "register", userId, expiresAt: T0 + HOUR }),
        );
        await store.appendAuditEvent(newAuditEvent(n, userId));
        for (let i = 0; i < lock.maxAttempts; i++) await store.reserveAttempt(user.emailKey, lock, T0);
        return { token };
      }

      /** Every read about user `usr_<n>` that changes nothing. */
      async function reads(store: AuthStore, n: number) {
        const userId = `usr_${n}`;
        return {
          byId: await store.getUserById(userId),
          byKey: await store.getUserByEmailKey(`user${n}@example.jp`),
          factors: await store.listFactors(userId),
          codes: await store.countRecoveryCodes(userId),
          sessions: await store.listSessions(userId, T0 + 1),
          session: await store.getSession(`ses_${n}`),
          revokedSession: await store.getSession(`ses_${n}_old`),
          events: await store.listLoginEvents(userId, { limit: 100 }),
          identities: await store.listIdentities(userId),
          identity: await store.getIdentity("google", `g-${n}`),
          passkeys: await store.listPasskeys(userId),
          passkey: await store.getPasskey(`cred-${n}`),
          lockedUntil: await store.lockedUntil(`user${n}@example.jp`, T0 + 1),
        };
      }

      it("erases everything of the user; every read about them answers nothing", async () => {
        const store = await fresh();
        const { token } = await seedAccount(store, 1);
        const before = await reads(store, 1);
        expect(before.byId).not.toBeNull();
        expect(before.factors).toHaveLength(1);
        expect(before.codes).toBe(2);
        expect(before.sessions).toHaveLength(1);
        expect(before.revokedSession).not.toBeNull();
        expect(before.events.items).toHaveLength(1);
        expect(before.identities).toHaveLength(1);
        expect(before.lockedUntil).toBe(T0 + 900 * SECOND);

        expect(await store.deleteUser("usr_1", newTombstone("usr_1"))).toBe(true);
        expect(await reads(store, 1)).toEqual({
          byId: null,
          byKey: null,
          factors: [],
          codes: 0,
          sessions: [],
          session: null,
          revokedSession: null,
          events: { items: [], next: null },
          identities: [],
          identity: null,
          passkeys: [],
          passkey: null,
          lockedUntil: null,
        });
        expect(await store.consumeWebAuthnChallenge("wc_1", "register", T0 + 1)).toBeNull();
        const next = { tokenHash: "rt_after", expiresAt: T0 + 2 * DAY };
        expect(await store.rotateRefreshToken(token, next, SEEN, T0 + 1)).toEqual({ kind: "invalid" });
        expect(await store.consumeOneTimeToken("ot_1", "password_reset", T0 + 1)).toBeNull();
        expect(await store.claimChallengeAttempt("ch_1", 5, T0 + 1)).toEqual({ kind: "invalid" });
        expect(await store.consumeRecoveryCode("usr_1", "rc_1_a", T0 + 1)).toBe(false);
        expect(await store.advanceTotpStep("fac_1", 1, T0 + 1)).toBe(false);
        // The lockout counter went with the user: a fresh one starts.
        expect(await store.reserveAttempt("user1@example.jp", lock, T0 + 1)).toMatchObject({
          kind: "reserved",
          remaining: 2,
        });
        // The audit trail keeps the account's id.
        expect((await store.listAuditEvents({ userId: "usr_1", limit: 10 })).items).toEqual([
          newAuditEvent(1, "usr_1"),
        ]);
      });

      it("leaves another user's data untouched", async () => {
        const store = await fresh();
        await seedAccount(store, 1);
        const { token } = await seedAccount(store, 2);
        const before = await reads(store, 2);
        expect(await store.deleteUser("usr_1", newTombstone("usr_1"))).toBe(true);
        expect(await reads(store, 2)).toEqual(before);
        expect(
          await store.rotateRefreshToken(token, { tokenHash: "rt_2_1", expiresAt: T0 + DAY }, SEEN, T0 + 1),
        ).toMatchObject({ kind: "rotated" });
        expect(await store.consumeOneTimeToken("ot_2", "password_reset", T0 + 1)).not.toBeNull();
        expect(await store.claimChallengeAttempt("ch_2", 5, T0 + 1)).toMatchObject({
          kind: "ok",
          attempt: 1,
        });
        expect(await store.consumeRecoveryCode("usr_2", "rc_2_a", T0 + 1)).toBe(true);
        expect(await store.advanceTotpStep("fac_2", 1, T0 + 1)).toBe(true);
        expect(await store.consumeWebAuthnChallenge("wc_2", "register", T0 + 1)).not.toBeNull();
      });

      it("the email key can register again: the block is the caller's, through findTombstone", async () => {
        const store = await fresh();
        await seedAccount(store, 1);
        const tombstone = newTombstone("usr_1", { deletedBy: "operator" });
        await store.deleteUser("usr_1", tombstone);
        const again = await store.createUser(newUser("1b", { emailKey: "user1@example.jp" }), T0 + 1);
        expect(again).toMatchObject({ id: "usr_1b", emailKey: "user1@example.jp" });
        expect((await store.getUserByEmailKey("user1@example.jp"))?.id).toBe("usr_1b");
        expect(await store.listIdentities("usr_1b")).toEqual([]);

        expect(await store.findTombstone("hash:usr_1", T0 + 1)).toEqual(tombstone);
        expect(await store.findTombstone("hash:usr_1", tombstone.blockedUntil - 1)).toEqual(tombstone);
        expect(await store.findTombstone("hash:usr_1", tombstone.blockedUntil)).toBeNull();
        expect(await store.findTombstone("hash:usr_9", T0 + 1)).toBeNull();
      });

      it("deleteExpired removes a tombstone once its block is over, not before", async () => {
        const store = await fresh();
        await createUser(store, newUser(1));
        const tombstone = newTombstone("usr_1");
        await store.deleteUser("usr_1", tombstone);
        await store.deleteExpired(tombstone.blockedUntil - 1);
        expect(await store.findTombstone("hash:usr_1", T0 + 1)).toEqual(tombstone);
        expect(await store.deleteExpired(tombstone.blockedUntil)).toBeGreaterThanOrEqual(1);
        expect(await store.deleteExpired(tombstone.blockedUntil)).toBe(0);
        // Asked at a time within the old block: it is gone.
        expect(await store.findTombstone("hash:usr_1", T0 + 1)).toBeNull();
      });

      it("an unknown user is not deleted, and no tombstone is kept", async () => {
        const store = await fresh();
        await createUser(store, newUser(1));
        expect(await store.deleteUser("usr_9", newTombstone("usr_9"))).toBe(false);
        expect(await store.findTombstone("hash:usr_9", T0)).toBeNull();
        expect(await store.getUserById("usr_1")).not.toBeNull();
        await store.deleteUser("usr_1", newTombstone("usr_1"));
        expect(await store.deleteUser("usr_1", newTombstone("usr_1", { deletedAt: T0 + 1 }))).toBe(false);
        expect((await store.findTombstone("hash:usr_1", T0 + 1))?.deletedAt).toBe(T0);
      });

      it("race: 5 concurrent deleteUser of one user: exactly one true, its tombstone kept", async () => {
        const store = await fresh();
        await seedAccount(store, 1);
        const results = await concurrently(5, (i) =>
          store.deleteUser("usr_1", newTombstone("usr_1", { deletedAt: T0 + i })),
        );
        expect(countWhere(results, (r) => r)).toBe(1);
        const winner = results.indexOf(true);
        expect(await store.findTombstone("hash:usr_1", T0 + 10)).toEqual(
          newTombstone("usr_1", { deletedAt: T0 + winner }),
        );
        expect(await store.getUserById("usr_1")).toBeNull();
        expect(await store.listSessions("usr_1", T0 + 1)).toEqual([]);
      });
    });

    describe("audit trail", () => {
      /** Event `n` belongs to usr_1, usr_2 or nobody, by `n % 3`. */
      const owner = (n: number) => [`usr_1`, `usr_2`, null][n % 3] ?? null;

      /** Events 0..count-1, appended in a scrambled order (7919 is prime, so `n * 7919 % count` permutes). */
      async function seedAudit(store: AuthStore, count: number): Promise<void> {
        for (let i = 0; i < count; i++) {
          const n = (i * 7919) % count;
          await store.appendAuditEvent(newAuditEvent(n, owner(n)));
        }
      }

      const newest = (count: number, keep: (n: number) => boolean = () => true) =>
        Array.from({ length: count }, (_, i) => count - 1 - i)
          .filter(keep)
          .map(auditId);

      it("lists newest first with a cursor; the last page has next null and is never empty", async () => {
        const store = await fresh();
        expect(await store.listAuditEvents({ limit: 10 })).toEqual({ items: [], next: null });
        await seedAudit(store, 250);
        const first = await store.listAuditEvents({ limit: 3 });
        expect(first).toEqual({
          items: [249, 248, 247].map((n) => newAuditEvent(n, owner(n))),
          next: auditId(247),
        });
        const second = await store.listAuditEvents({ limit: 3, before: first.next ?? "" });
        expect(second.items.map((e) => e.id)).toEqual([246, 245, 244].map(auditId));

        const all = await walkAuditPages(store, { limit: 100 });
        expect(all).toEqual({ ids: newest(250), pages: 3, sizes: [100, 100, 50] });
        // 250 in pages of 10: the 25th page is full and the last.
        expect(await walkAuditPages(store, { limit: 10 })).toMatchObject({ pages: 25 });
        const odd = await walkAuditPages(store, { limit: 7 });
        expect(odd.ids).toEqual(newest(250));
        expect(odd.sizes).toEqual([...Array(35).fill(7), 5]);
        const last = await store.listAuditEvents({ limit: 5, before: auditId(3) });
        expect(last).toEqual({ items: [2, 1, 0].map((n) => newAuditEvent(n, owner(n))), next: null });
      });

      it("filters by user; next is null as soon as no older event of theirs is left", async () => {
        const store = await fresh();
        await seedAudit(store, 250);
        const usr1 = await walkAuditPages(store, { userId: "usr_1", limit: 7 });
        expect(usr1.ids).toEqual(newest(250, (n) => n % 3 === 0));
        expect(usr1.sizes.slice(0, -1).every((size) => size === 7)).toBe(true);
        expect(usr1.sizes.at(-1)).toBe(((84 - 1) % 7) + 1);
        const usr2 = await walkAuditPages(store, { userId: "usr_2", limit: 100 });
        expect(usr2.ids).toEqual(newest(250, (n) => n % 3 === 1));
        expect(await store.listAuditEvents({ userId: "usr_1", limit: 1, before: auditId(3) })).toEqual({
          items: [newAuditEvent(0, "usr_1")],
          next: null,
        });
        expect(await store.listAuditEvents({ userId: "usr_2", limit: 1, before: auditId(4) })).toEqual({
          items: [newAuditEvent(1, "usr_2")],
          next: null,
        });
        expect(await store.listAuditEvents({ userId: "usr_9", limit: 10 })).toEqual({
          items: [],
          next: null,
        });
      });

      it("a cursor is strictly older, and need not be the id of a stored event", async () => {
        const store = await fresh();
        for (let n = 10; n <= 50; n += 10) await store.appendAuditEvent(newAuditEvent(n, "usr_1"));
        const ids = async (before: string) =>
          (await store.listAuditEvents({ limit: 100, before })).items.map((e) => e.id);
        expect(await ids(auditId(30))).toEqual([20, 10].map(auditId));
        expect(await ids(auditId(31))).toEqual([30, 20, 10].map(auditId));
        expect(await ids(auditId(10))).toEqual([]);
        expect(await ids("aud_")).toEqual([]);
        expect(await ids("aud_~")).toEqual([50, 40, 30, 20, 10].map(auditId));
      });

      it("bounds the page size to 1..100, as listLoginEvents does", async () => {
        const store = await fresh();
        await seedAudit(store, 250);
        for (let n = 0; n < 250; n++) await store.appendLoginEvent(newEvent(n, "usr_1"));
        for (const limit of [1000, 101, 100, 0, -5, Number.NaN, 2.5]) {
          const audit = await store.listAuditEvents({ limit });
          const login = await store.listLoginEvents("usr_1", { limit });
          expect(audit.items).toHaveLength(login.items.length);
          expect(audit.next).toBe(audit.items.at(-1)?.id);
        }
        expect((await store.listAuditEvents({ limit: 1000 })).items).toHaveLength(100);
        expect((await store.listAuditEvents({ limit: 0 })).items).toHaveLength(1);
        expect((await store.listAuditEvents({ limit: Number.NaN })).items).toHaveLength(1);
        expect((await store.listAuditEvents({ userId: "usr_2", limit: 1000 })).items).toHaveLength(83);
      });
    });
  });
}
