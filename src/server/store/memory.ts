/**
 * `memoryStore()`: an {@link AuthStore} in the memory of one process, for tests, demos and
 * single-process deployments that accept losing everything on restart.
 *
 * Atomicity: JavaScript runs one synchronous section at a time, so every method does its check
 * and its write in one synchronous section (no `await` between them) and only then returns a
 * settled promise. Concurrent calls therefore see each other's writes in full or not at all,
 * which is what the race cases of the conformance suite check.
 *
 * @module
 */

import { emailKey } from "./email-key";
import type {
  AttemptReservation,
  AuthStore,
  ChallengeAttempt,
  LoginEventQuery,
  OneTimePurpose,
  RateLimitResult,
  RotateResult,
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
  UnlinkResult,
} from "./types";

/**
 * How long `deleteExpired` keeps a revoked session after `revokedAt`: one day.
 *
 * Nothing in the store's behaviour depends on it: `rotateRefreshToken` answers `invalid` for a
 * token of a revoked session and for a token whose session is gone alike, and the `reused`
 * answer (the moment of detection) is given while the session is still active. The retention
 * keeps `getSession` answering "revoked at …" rather than "unknown" for longer than any access
 * token of that session lives, so that a server checking an access token's `sid`, a support
 * request or the login history ("this session was ended") can still see how it ended.
 */
const REVOKED_SESSION_RETENTION_MS = 86_400_000;

/** The page size bounds of `listLoginEvents`. */
const MIN_PAGE = 1;
const MAX_PAGE = 100;

/** A lockout counter. `lockedUntil` is set by the reservation that reached `maxAttempts`. */
interface AttemptCounter {
  failures: number;
  lockedUntil: number | null;
}

/** One fixed rate-limit window of a key. */
interface RateWindow {
  windowMs: number;
  index: number;
  /** When the window ends (ms). */
  end: number;
  count: number;
}

/** Everything a memory store holds; replaced wholesale when a transaction rolls back. */
interface State {
  users: Map<string, StoredUser>;
  userIdByEmailKey: Map<string, string>;
  factors: Map<string, StoredFactor>;
  factorIdsByUser: Map<string, Set<string>>;
  /** userId → code hash → when it was used (`null`: unused). */
  recoveryCodes: Map<string, Map<string, number | null>>;
  attempts: Map<string, AttemptCounter>;
  rateLimits: Map<string, RateWindow>;
  challenges: Map<string, StoredChallenge>;
  sessions: Map<string, StoredSession>;
  sessionIdsByUser: Map<string, Set<string>>;
  refreshTokens: Map<string, StoredRefreshToken>;
  tokenHashesBySession: Map<string, Set<string>>;
  oneTimeTokens: Map<string, StoredOneTimeToken>;
  /** `userId \0 purpose` → the hash of the one live token (issuing retires the older one). */
  oneTimeByUserPurpose: Map<string, string>;
  /** userId → events sorted by `id`, oldest first. */
  loginEvents: Map<string, StoredLoginEvent[]>;
  /** Events of attempts on unknown addresses (`userId: null`). */
  anonymousLoginEvents: StoredLoginEvent[];
  signingKeys: Map<string, StoredSigningKey>;
  mails: Map<string, StoredMail>;
  /** `provider \0 subject` → the identity. */
  identities: Map<string, StoredIdentity>;
  identityKeysByUser: Map<string, Set<string>>;
  /** credential id → the passkey. */
  passkeys: Map<string, StoredPasskey>;
  passkeyIdsByUser: Map<string, Set<string>>;
  /** challengeHash → the WebAuthn challenge. */
  webauthnChallenges: Map<string, StoredWebAuthnChallenge>;
  /** `claimOnce` keys → when the claim ends. */
  onceClaims: Map<string, number>;
  /** emailKeyHash → the tombstone blocking it. */
  tombstones: Map<string, StoredTombstone>;
  /** Sorted by `id`, oldest first. */
  auditEvents: StoredAuditEvent[];
}

function emptyState(): State {
  return {
    users: new Map(),
    userIdByEmailKey: new Map(),
    factors: new Map(),
    factorIdsByUser: new Map(),
    recoveryCodes: new Map(),
    attempts: new Map(),
    rateLimits: new Map(),
    challenges: new Map(),
    sessions: new Map(),
    sessionIdsByUser: new Map(),
    refreshTokens: new Map(),
    tokenHashesBySession: new Map(),
    oneTimeTokens: new Map(),
    oneTimeByUserPurpose: new Map(),
    loginEvents: new Map(),
    anonymousLoginEvents: [],
    signingKeys: new Map(),
    mails: new Map(),
    identities: new Map(),
    identityKeysByUser: new Map(),
    passkeys: new Map(),
    passkeyIdsByUser: new Map(),
    webauthnChallenges: new Map(),
    onceClaims: new Map(),
    tombstones: new Map(),
    auditEvents: [],
  };
}

// Copies: records go in and come out as fresh objects, so no caller holds a store's internals.

function copyUser(u: StoredUser): StoredUser {
  return {
    id: u.id,
    email: u.email,
    emailKey: u.emailKey,
    name: u.name,
    passwordHash: u.passwordHash,
    emailVerified: u.emailVerified,
    showLastLogin: u.showLastLogin,
    lastLoginAt: u.lastLoginAt,
    suspendedAt: u.suspendedAt,
    suspendedReason: u.suspendedReason,
    mailLocale: u.mailLocale,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
  };
}

function copyIdentity(i: StoredIdentity): StoredIdentity {
  return {
    provider: i.provider,
    subject: i.subject,
    userId: i.userId,
    email: i.email,
    emailVerified: i.emailVerified,
    createdAt: i.createdAt,
    lastUsedAt: i.lastUsedAt,
  };
}

function copyPasskey(p: StoredPasskey): StoredPasskey {
  return {
    id: p.id,
    userId: p.userId,
    publicKey: p.publicKey,
    signCount: p.signCount,
    transports: [...p.transports],
    deviceType: p.deviceType,
    backedUp: p.backedUp,
    name: p.name,
    createdAt: p.createdAt,
    lastUsedAt: p.lastUsedAt,
  };
}

function identityKey(provider: string, subject: string): string {
  return `${provider}\0${subject}`;
}

function copyFactor(f: StoredFactor): StoredFactor {
  return {
    id: f.id,
    userId: f.userId,
    kind: f.kind,
    secretSealed: f.secretSealed,
    status: f.status,
    lastStep: f.lastStep,
    createdAt: f.createdAt,
    lastUsedAt: f.lastUsedAt,
  };
}

function copySession(s: StoredSession): StoredSession {
  return {
    id: s.id,
    userId: s.userId,
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    ip: s.ip,
    userAgent: s.userAgent,
    remember: s.remember,
    amr: [...s.amr],
    expiresAt: s.expiresAt,
    revokedAt: s.revokedAt,
  };
}

function copyRefresh(r: StoredRefreshToken): StoredRefreshToken {
  return { tokenHash: r.tokenHash, sessionId: r.sessionId, expiresAt: r.expiresAt, usedAt: r.usedAt };
}

function copyChallenge(c: StoredChallenge): StoredChallenge {
  return {
    idHash: c.idHash,
    userId: c.userId,
    remember: c.remember,
    methods: [...c.methods],
    amr: [...c.amr],
    attempts: c.attempts,
    emailCodeSealed: c.emailCodeSealed,
    emailCodeExpiresAt: c.emailCodeExpiresAt,
    emailCodesSent: c.emailCodesSent,
    expiresAt: c.expiresAt,
    completedAt: c.completedAt,
    createdAt: c.createdAt,
  };
}

function copyOneTime(t: StoredOneTimeToken): StoredOneTimeToken {
  return {
    tokenHash: t.tokenHash,
    purpose: t.purpose,
    userId: t.userId,
    data: { ...t.data },
    expiresAt: t.expiresAt,
    createdAt: t.createdAt,
  };
}

function copyEvent(e: StoredLoginEvent): StoredLoginEvent {
  return {
    id: e.id,
    userId: e.userId,
    email: e.email,
    at: e.at,
    ip: e.ip,
    userAgent: e.userAgent,
    method: e.method,
    result: e.result,
    sessionId: e.sessionId,
    location: e.location === null ? null : { ...e.location },
  };
}

function copySigningKey(k: StoredSigningKey): StoredSigningKey {
  return {
    kid: k.kid,
    alg: k.alg,
    publicJwk: structuredClone(k.publicJwk),
    privateSealed: k.privateSealed,
    createdAt: k.createdAt,
    retiredAt: k.retiredAt,
    expiresAt: k.expiresAt,
  };
}

function copyMail(m: StoredMail): StoredMail {
  return {
    id: m.id,
    to: m.to,
    kind: m.kind,
    locale: m.locale,
    bodySealed: m.bodySealed,
    createdAt: m.createdAt,
    status: m.status,
    attempts: m.attempts,
    nextAttemptAt: m.nextAttemptAt,
    sentAt: m.sentAt,
  };
}

function addToIndex(index: Map<string, Set<string>>, key: string, value: string): void {
  const set = index.get(key);
  if (set === undefined) index.set(key, new Set([value]));
  else set.add(value);
}

function removeFromIndex(index: Map<string, Set<string>>, key: string, value: string): void {
  const set = index.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}

function oneTimeKey(userId: string, purpose: OneTimePurpose): string {
  return `${userId}\u0000${purpose}`;
}

/** Index of the first event whose `id` is `>= id` (code-unit order), by binary search. */
function lowerBound(list: readonly { id: string }[], id: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as StoredLoginEvent).id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function byNewest(a: { createdAt: number }, b: { createdAt: number }): number {
  return b.createdAt - a.createdAt;
}

function duplicate(what: string, id: string): Error {
  return new Error(`tegata: memoryStore already holds a ${what} with the key ${JSON.stringify(id)}`);
}

/** Runs one operation on the current state and settles with its result. */
type Exec = <T>(op: (s: State) => T) => Promise<T>;

/**
 * Creates an empty {@link AuthStore} held in memory.
 *
 * - Every method runs its check and its write in one synchronous section, so concurrent calls
 *   cannot interleave inside it (a `reserveAttempt` burst counts exactly, a refresh token rotates
 *   once, a one-time token is consumed once).
 * - Records are copied on the way in and on the way out: mutating an argument after the call, or
 *   a returned record, changes nothing in the store.
 * - `transaction(fn)` is exclusive: transactions run one after another, and while one runs every
 *   other call on the store waits for it to end, so a rollback (the state restored to a snapshot
 *   taken at its start) never undoes a write made outside it. Inside `fn`, use the store `fn`
 *   receives: calling the outer store from `fn` waits for the transaction itself and never ends.
 *   A transaction started on that inner store runs within the outer one, and a throw in it
 *   restores the state of its own start (a savepoint). The snapshot is a `structuredClone` of
 *   the whole state, so a transaction costs time in proportion to the data held.
 * - `listLoginEvents` keeps each user's events sorted by `id` (compared by UTF-16 code units) and
 *   finds the cursor by binary search: a page costs the same at any depth.
 * - `deleteExpired(now)` removes one-time tokens, challenges and refresh tokens whose
 *   `expiresAt <= now`; sessions whose `expiresAt <= now` or that were revoked at least one day
 *   before `now` (kept that long so that `getSession` can still tell how a session ended), with
 *   their refresh tokens; finished rate-limit windows; lockout counters whose lock has expired
 *   (such a counter would start afresh anyway); signing keys whose `expiresAt <= now`; and
 *   finished mails (`sent` or `failed`: their bodies are dropped already, the record goes too). It keeps counters that never locked, used recovery codes and the login history.
 * - `close()` makes every later call reject.
 *
 * The store reads no clock and imports nothing runtime-specific: it runs in Node, Deno, Bun,
 * browsers and workers alike.
 *
 * @returns A new, empty store with state of its own.
 *
 * @example
 * ```ts
 * import { emailKey, memoryStore } from "tegata/server";
 * const store = memoryStore();
 * const now = Date.now();
 * await store.createUser(
 *   { id: "usr_1", email: "taro@example.jp", emailKey: emailKey("taro@example.jp"), name: null,
 *     passwordHash: null, emailVerified: false, showLastLogin: true, createdAt: now },
 *   now,
 * );
 * ```
 */
export function memoryStore(): AuthStore {
  let state = emptyState();
  let closed = false;
  /** Settles when the transaction in progress ends; `null` when none runs. Never rejects. */
  let running: Promise<void> | null = null;
  /** The tail of the transaction queue. Never rejects. */
  let queue: Promise<void> = Promise.resolve();

  const direct: Exec = (op) => {
    if (closed) return Promise.reject(new Error("tegata: this memoryStore is closed"));
    try {
      return Promise.resolve(op(state));
    } catch (error) {
      return Promise.reject(error);
    }
  };

  /** Outside a transaction: runs now unless a transaction is in progress, else after it. */
  const gated: Exec = (op) => (running === null ? direct(op) : running.then(() => gated(op)));

  function runTransaction<T>(fn: (store: AuthStore) => Promise<T>): Promise<T> {
    const result = queue.then(async () => {
      if (closed) throw new Error("tegata: this memoryStore is closed");
      let release = () => {};
      running = new Promise<void>((resolve) => {
        release = resolve;
      });
      const scope = { open: true };
      const snapshot = structuredClone(state);
      try {
        return await fn(api(scope));
      } catch (error) {
        state = snapshot;
        throw error;
      } finally {
        scope.open = false;
        running = null;
        release();
      }
    });
    queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * The store's methods. `scope` is `null` for the store itself, else the transaction whose
   * inner store this is: its calls run at once while the transaction is open, and like outside
   * calls once it has ended.
   */
  function api(scope: { open: boolean } | null): AuthStore {
    const exec: Exec = scope === null ? gated : (op) => (scope.open ? direct(op) : gated(op));
    const store: AuthStore = {
      // Users

      createUser: (user, now) =>
        exec((s) => {
          if (s.userIdByEmailKey.has(user.emailKey)) return "email_taken" as const;
          if (s.users.has(user.id)) throw duplicate("user", user.id);
          const record = copyUser({
            ...user,
            lastLoginAt: user.lastLoginAt ?? null,
            suspendedAt: user.suspendedAt ?? null,
            suspendedReason: user.suspendedReason ?? null,
            mailLocale: user.mailLocale ?? null,
            updatedAt: now,
          });
          s.users.set(record.id, record);
          s.userIdByEmailKey.set(record.emailKey, record.id);
          return copyUser(record);
        }),

      getUserById: (id) =>
        exec((s) => {
          const user = s.users.get(id);
          return user === undefined ? null : copyUser(user);
        }),

      getUserByEmailKey: (emailKey) =>
        exec((s) => {
          const id = s.userIdByEmailKey.get(emailKey);
          const user = id === undefined ? undefined : s.users.get(id);
          return user === undefined ? null : copyUser(user);
        }),

      updateUser: (id, patch, now) =>
        exec((s) => {
          const user = s.users.get(id);
          if (user === undefined) return null;
          const owner = patch.emailKey === undefined ? undefined : s.userIdByEmailKey.get(patch.emailKey);
          if (owner !== undefined && owner !== id) return "email_taken" as const;
          const take = <K extends keyof typeof patch & keyof StoredUser>(key: K): StoredUser[K] =>
            (patch[key] === undefined ? user[key] : patch[key]) as StoredUser[K];
          const updated: StoredUser = {
            ...user,
            email: take("email"),
            emailKey: take("emailKey"),
            name: take("name"),
            passwordHash: take("passwordHash"),
            emailVerified: take("emailVerified"),
            showLastLogin: take("showLastLogin"),
            lastLoginAt: take("lastLoginAt"),
            suspendedAt: take("suspendedAt"),
            suspendedReason: take("suspendedReason"),
            mailLocale: take("mailLocale"),
            updatedAt: now,
          };
          s.userIdByEmailKey.delete(user.emailKey);
          s.userIdByEmailKey.set(updated.emailKey, id);
          s.users.set(id, updated);
          return copyUser(updated);
        }),

      // Factors

      addFactor: (factor) =>
        exec((s) => {
          if (s.factors.has(factor.id)) throw duplicate("factor", factor.id);
          s.factors.set(factor.id, copyFactor(factor));
          addToIndex(s.factorIdsByUser, factor.userId, factor.id);
        }),

      listFactors: (userId) =>
        exec((s) => {
          const out: StoredFactor[] = [];
          for (const id of s.factorIdsByUser.get(userId) ?? []) {
            const factor = s.factors.get(id);
            if (factor !== undefined) out.push(copyFactor(factor));
          }
          return out.sort((a, b) => a.createdAt - b.createdAt);
        }),

      activateFactor: (userId, factorId, step, now) =>
        exec((s) => {
          const factor = s.factors.get(factorId);
          if (factor === undefined || factor.userId !== userId || factor.status !== "pending") return false;
          factor.status = "active";
          factor.lastStep = Math.max(factor.lastStep, step);
          factor.lastUsedAt = now;
          return true;
        }),

      removeFactor: (userId, factorId) =>
        exec((s) => {
          const factor = s.factors.get(factorId);
          if (factor === undefined || factor.userId !== userId) return false;
          s.factors.delete(factorId);
          removeFromIndex(s.factorIdsByUser, userId, factorId);
          return true;
        }),

      advanceTotpStep: (factorId, step, now) =>
        exec((s) => {
          const factor = s.factors.get(factorId);
          if (factor === undefined || step <= factor.lastStep) return false;
          factor.lastStep = step;
          factor.lastUsedAt = now;
          return true;
        }),

      // Recovery codes

      replaceRecoveryCodes: (userId, codeHashes) =>
        exec((s) => {
          if (codeHashes.length === 0) s.recoveryCodes.delete(userId);
          else s.recoveryCodes.set(userId, new Map(codeHashes.map((hash) => [hash, null])));
        }),

      consumeRecoveryCode: (userId, codeHash, now) =>
        exec((s) => {
          const codes = s.recoveryCodes.get(userId);
          if (codes === undefined || codes.get(codeHash) !== null) return false;
          codes.set(codeHash, now);
          return true;
        }),

      countRecoveryCodes: (userId) =>
        exec((s) => {
          let count = 0;
          for (const usedAt of s.recoveryCodes.get(userId)?.values() ?? []) if (usedAt === null) count++;
          return count;
        }),

      // Lockout

      reserveAttempt: (key, policy, now) =>
        exec((s): AttemptReservation => {
          const counter = s.attempts.get(key);
          let failures = counter?.failures ?? 0;
          if (counter !== undefined && counter.lockedUntil !== null) {
            if (now < counter.lockedUntil) return { kind: "locked", until: counter.lockedUntil };
            failures = 0; // the lock has expired: a fresh counter
          }
          failures += 1;
          const lockedNow = failures >= policy.maxAttempts;
          s.attempts.set(key, {
            failures,
            lockedUntil: lockedNow ? now + policy.lockSeconds * 1000 : null,
          });
          return { kind: "reserved", remaining: Math.max(0, policy.maxAttempts - failures), lockedNow };
        }),

      clearAttempts: (key) =>
        exec((s) => {
          s.attempts.delete(key);
        }),

      releaseAttempt: (key, policy) =>
        exec((s) => {
          const counter = s.attempts.get(key);
          if (counter === undefined) return;
          const failures = Math.max(0, counter.failures - 1);
          // The lock stands only while the failures that remain reach the limit.
          const lockedUntil = failures >= policy.maxAttempts ? counter.lockedUntil : null;
          if (failures === 0 && lockedUntil === null) s.attempts.delete(key);
          else s.attempts.set(key, { failures, lockedUntil });
        }),

      unlock: (key) =>
        exec((s) => {
          // The counter goes too: kept at maxAttempts, the next failure would lock again at once.
          s.attempts.delete(key);
        }),

      lockedUntil: (key, now) =>
        exec((s) => {
          const until = s.attempts.get(key)?.lockedUntil ?? null;
          return until !== null && now < until ? until : null;
        }),

      // Rate limits

      consumeRateLimit: (key, limit, now) =>
        exec((s): RateLimitResult => {
          const windowMs = limit.windowSeconds * 1000;
          const index = Math.floor(now / windowMs);
          let window = s.rateLimits.get(key);
          if (window === undefined || window.windowMs !== windowMs || window.index !== index) {
            window = { windowMs, index, end: (index + 1) * windowMs, count: 0 };
          }
          if (window.count >= limit.max) {
            return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.end - now) / 1000)) };
          }
          window.count += 1;
          s.rateLimits.set(key, window);
          return { allowed: true, remaining: limit.max - window.count };
        }),

      // MFA challenges

      createChallenge: (challenge) =>
        exec((s) => {
          if (s.challenges.has(challenge.idHash)) throw duplicate("challenge", challenge.idHash);
          s.challenges.set(challenge.idHash, copyChallenge(challenge));
        }),

      claimChallengeAttempt: (idHash, maxAttempts, now) =>
        exec((s): ChallengeAttempt => {
          const challenge = s.challenges.get(idHash);
          if (challenge === undefined || challenge.completedAt !== null || challenge.expiresAt <= now) {
            return { kind: "invalid" };
          }
          if (challenge.attempts >= maxAttempts) {
            return { kind: "exhausted", challenge: copyChallenge(challenge) };
          }
          challenge.attempts += 1;
          return { kind: "ok", challenge: copyChallenge(challenge), attempt: challenge.attempts };
        }),

      completeChallenge: (idHash, now) =>
        exec((s) => {
          const challenge = s.challenges.get(idHash);
          if (challenge === undefined || challenge.completedAt !== null || challenge.expiresAt <= now) {
            return false;
          }
          challenge.completedAt = now;
          return true;
        }),

      setChallengeEmailCode: (idHash, code, maxSends, now) =>
        exec((s) => {
          const challenge = s.challenges.get(idHash);
          if (challenge === undefined || challenge.completedAt !== null || challenge.expiresAt <= now) {
            return { kind: "invalid" as const };
          }
          if (challenge.emailCodesSent >= maxSends) return { kind: "limit" as const };
          challenge.emailCodeSealed = code.sealed;
          challenge.emailCodeExpiresAt = code.expiresAt;
          challenge.emailCodesSent += 1;
          return { kind: "set" as const, challenge: copyChallenge(challenge) };
        }),

      // Sessions and refresh-token families

      createSession: (session, refresh) =>
        exec((s) => {
          if (refresh.sessionId !== session.id) {
            throw new Error("tegata: the refresh token of createSession must belong to that session");
          }
          if (s.sessions.has(session.id)) throw duplicate("session", session.id);
          if (s.refreshTokens.has(refresh.tokenHash)) throw duplicate("refresh token", refresh.tokenHash);
          const user = s.users.get(session.userId);
          if (user === undefined || user.suspendedAt !== null) return false;
          s.sessions.set(session.id, copySession(session));
          addToIndex(s.sessionIdsByUser, session.userId, session.id);
          s.refreshTokens.set(refresh.tokenHash, copyRefresh(refresh));
          addToIndex(s.tokenHashesBySession, session.id, refresh.tokenHash);
          return true;
        }),

      getSession: (id) =>
        exec((s) => {
          const session = s.sessions.get(id);
          return session === undefined ? null : copySession(session);
        }),

      touchSession: (id, seen, now, minIntervalMs) =>
        exec((s) => {
          const session = s.sessions.get(id);
          if (session === undefined || session.revokedAt !== null || session.expiresAt <= now) return false;
          if (now - session.lastSeenAt < minIntervalMs) return false;
          session.lastSeenAt = now;
          session.ip = seen.ip;
          session.userAgent = seen.userAgent;
          return true;
        }),

      listSessions: (userId, now) =>
        exec((s) => {
          const out: StoredSession[] = [];
          for (const id of s.sessionIdsByUser.get(userId) ?? []) {
            const session = s.sessions.get(id);
            if (session !== undefined && session.revokedAt === null && session.expiresAt > now) {
              out.push(copySession(session));
            }
          }
          return out.sort((a, b) => byNewest(a, b) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
        }),

      rotateRefreshToken: (tokenHash, next, seen, now) =>
        exec((s): RotateResult => {
          const token = s.refreshTokens.get(tokenHash);
          if (token === undefined || token.expiresAt <= now) return { kind: "invalid" };
          const session = s.sessions.get(token.sessionId);
          if (session === undefined || session.revokedAt !== null || session.expiresAt <= now) {
            return { kind: "invalid" };
          }
          if (token.usedAt !== null) {
            session.revokedAt = now;
            return { kind: "reused", sessionId: session.id };
          }
          if (s.refreshTokens.has(next.tokenHash)) throw duplicate("refresh token", next.tokenHash);
          token.usedAt = now;
          s.refreshTokens.set(next.tokenHash, {
            tokenHash: next.tokenHash,
            sessionId: session.id,
            expiresAt: next.expiresAt,
            usedAt: null,
          });
          addToIndex(s.tokenHashesBySession, session.id, next.tokenHash);
          session.expiresAt = next.expiresAt;
          session.lastSeenAt = now;
          session.ip = seen.ip;
          session.userAgent = seen.userAgent;
          return { kind: "rotated", session: copySession(session) };
        }),

      revokeSession: (userId, sessionId, now) =>
        exec((s) => {
          const session = s.sessions.get(sessionId);
          if (
            session === undefined ||
            session.userId !== userId ||
            session.revokedAt !== null ||
            session.expiresAt <= now
          ) {
            return false;
          }
          session.revokedAt = now;
          return true;
        }),

      revokeUserSessions: (userId, now, exceptSessionId) =>
        exec((s) => {
          let count = 0;
          for (const id of s.sessionIdsByUser.get(userId) ?? []) {
            const session = s.sessions.get(id);
            if (
              session === undefined ||
              id === exceptSessionId ||
              session.revokedAt !== null ||
              session.expiresAt <= now
            ) {
              continue;
            }
            session.revokedAt = now;
            count++;
          }
          return count;
        }),

      // One-time tokens

      issueOneTimeToken: (token) =>
        exec((s) => {
          const key = oneTimeKey(token.userId, token.purpose);
          const older = s.oneTimeByUserPurpose.get(key);
          if (s.oneTimeTokens.has(token.tokenHash) && older !== token.tokenHash) {
            throw duplicate("one-time token", token.tokenHash);
          }
          if (older !== undefined) s.oneTimeTokens.delete(older);
          s.oneTimeTokens.set(token.tokenHash, copyOneTime(token));
          s.oneTimeByUserPurpose.set(key, token.tokenHash);
        }),

      consumeOneTimeToken: (tokenHash, purpose, now) =>
        exec((s) => {
          const token = s.oneTimeTokens.get(tokenHash);
          if (token === undefined || token.purpose !== purpose || token.expiresAt <= now) return null;
          s.oneTimeTokens.delete(tokenHash);
          const key = oneTimeKey(token.userId, token.purpose);
          if (s.oneTimeByUserPurpose.get(key) === tokenHash) s.oneTimeByUserPurpose.delete(key);
          return copyOneTime(token);
        }),

      // Login history

      appendLoginEvent: (event) =>
        exec((s) => {
          const record = copyEvent(event);
          if (record.userId === null) {
            s.anonymousLoginEvents.push(record);
            return;
          }
          let list = s.loginEvents.get(record.userId);
          if (list === undefined) {
            list = [];
            s.loginEvents.set(record.userId, list);
          }
          const last = list[list.length - 1];
          if (last === undefined || last.id < record.id) {
            list.push(record); // the usual case: ids grow with time
            return;
          }
          const at = lowerBound(list, record.id);
          if (list[at]?.id === record.id) throw duplicate("login event", record.id);
          list.splice(at, 0, record);
        }),

      linkLoginEvent: (userId, eventId, sessionId) =>
        exec((s) => {
          const list = s.loginEvents.get(userId) ?? [];
          const event = list[lowerBound(list, eventId)];
          if (event === undefined || event.id !== eventId || event.sessionId !== null) return false;
          event.sessionId = sessionId;
          return true;
        }),

      listLoginEvents: (userId, query) =>
        exec((s) => pageLoginEvents(s.loginEvents.get(userId) ?? [], query)),

      // Signing keys

      addSigningKey: (key) =>
        exec((s) => {
          if (s.signingKeys.has(key.kid)) throw duplicate("signing key", key.kid);
          s.signingKeys.set(key.kid, copySigningKey(key));
        }),

      listSigningKeys: (now) =>
        exec((s) => {
          const out: StoredSigningKey[] = [];
          for (const key of s.signingKeys.values()) {
            if (key.expiresAt === null || key.expiresAt > now) out.push(copySigningKey(key));
          }
          return out.sort((a, b) => byNewest(a, b) || (a.kid < b.kid ? 1 : a.kid > b.kid ? -1 : 0));
        }),

      retireSigningKey: (kid, retiredAt, expiresAt) =>
        exec((s) => {
          const key = s.signingKeys.get(kid);
          if (key === undefined) return;
          key.retiredAt = retiredAt;
          key.expiresAt = expiresAt;
        }),

      // Outbox

      enqueueMail: (mail) =>
        exec((s) => {
          if (s.mails.has(mail.id)) throw duplicate("mail", mail.id);
          s.mails.set(mail.id, copyMail(mail));
        }),

      getMail: (id) =>
        exec((s) => {
          const mail = s.mails.get(id);
          return mail === undefined ? null : copyMail(mail);
        }),

      claimMail: (now, limit, leaseMs) =>
        exec((s) => {
          const due: StoredMail[] = [];
          for (const mail of s.mails.values()) {
            // `sending` past its lease: the sender that claimed it died.
            if ((mail.status === "queued" || mail.status === "sending") && mail.nextAttemptAt <= now) {
              due.push(mail);
            }
          }
          due.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
          const claimed = due.slice(0, Math.max(0, Math.floor(limit)));
          for (const mail of claimed) {
            mail.status = "sending";
            mail.attempts += 1;
            mail.nextAttemptAt = now + leaseMs;
          }
          return claimed.map(copyMail);
        }),

      markMailSent: (id, attempt, now) =>
        exec((s) => {
          const mail = s.mails.get(id);
          if (mail === undefined || mail.status !== "sending" || mail.attempts !== attempt) return false;
          mail.status = "sent";
          mail.sentAt = now;
          mail.bodySealed = null;
          return true;
        }),

      markMailFailed: (id, attempt, nextAttemptAt, giveUp) =>
        exec((s) => {
          const mail = s.mails.get(id);
          if (mail === undefined || mail.status !== "sending" || mail.attempts !== attempt) return false;
          if (giveUp) {
            mail.status = "failed";
            mail.bodySealed = null;
          } else {
            mail.status = "queued";
            mail.nextAttemptAt = nextAttemptAt;
          }
          return true;
        }),

      // Housekeeping

      transaction: <T>(fn: (store: AuthStore) => Promise<T>): Promise<T> => {
        if (scope === null || !scope.open) return runTransaction(fn);
        // Nested: runs within the open transaction; a throw restores the state of its start.
        if (closed) return Promise.reject(new Error("tegata: this memoryStore is closed"));
        const savepoint = structuredClone(state);
        return (async () => {
          try {
            return await fn(store);
          } catch (error) {
            state = savepoint;
            throw error;
          }
        })();
      },

      // Social identities

      linkIdentity: (identity) =>
        exec((s) => {
          const key = identityKey(identity.provider, identity.subject);
          if (s.identities.has(key)) return "taken" as const;
          s.identities.set(key, copyIdentity(identity));
          addToIndex(s.identityKeysByUser, identity.userId, key);
          return "linked" as const;
        }),

      getIdentity: (provider, subject) =>
        exec((s) => {
          const identity = s.identities.get(identityKey(provider, subject));
          return identity === undefined ? null : copyIdentity(identity);
        }),

      listIdentities: (userId) =>
        exec((s) =>
          [...(s.identityKeysByUser.get(userId) ?? [])]
            .map((key) => s.identities.get(key))
            .filter((i): i is StoredIdentity => i !== undefined)
            .sort((a, b) => a.createdAt - b.createdAt)
            .map(copyIdentity),
        ),

      touchIdentity: (provider, subject, seen, now) =>
        exec((s) => {
          const identity = s.identities.get(identityKey(provider, subject));
          if (identity === undefined) return;
          identity.email = seen.email;
          identity.emailVerified = seen.emailVerified;
          identity.lastUsedAt = now;
        }),

      unlinkIdentity: (userId, provider, subject) =>
        exec((s): UnlinkResult => {
          const key = identityKey(provider, subject);
          const identity = s.identities.get(key);
          if (identity === undefined || identity.userId !== userId) return "not_found";
          const user = s.users.get(userId);
          const others = (s.identityKeysByUser.get(userId)?.size ?? 1) - 1;
          if ((user?.passwordHash ?? null) === null && others === 0) return "last";
          s.identities.delete(key);
          removeFromIndex(s.identityKeysByUser, userId, key);
          return "unlinked";
        }),

      // Passkeys

      addPasskey: (passkey) =>
        exec((s) => {
          if (s.passkeys.has(passkey.id)) return "taken" as const;
          s.passkeys.set(passkey.id, copyPasskey(passkey));
          addToIndex(s.passkeyIdsByUser, passkey.userId, passkey.id);
          return "added" as const;
        }),

      getPasskey: (id) =>
        exec((s) => {
          const passkey = s.passkeys.get(id);
          return passkey === undefined ? null : copyPasskey(passkey);
        }),

      listPasskeys: (userId) =>
        exec((s) =>
          [...(s.passkeyIdsByUser.get(userId) ?? [])]
            .map((id) => s.passkeys.get(id))
            .filter((p): p is StoredPasskey => p !== undefined)
            .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
            .map(copyPasskey),
        ),

      recordPasskeyUse: (id, use, now) =>
        exec((s) => {
          const passkey = s.passkeys.get(id);
          if (passkey === undefined) return false;
          const grows = use.signCount > passkey.signCount || (use.signCount === 0 && passkey.signCount === 0);
          if (!grows) return false;
          passkey.signCount = use.signCount;
          passkey.backedUp = use.backedUp;
          passkey.lastUsedAt = now;
          return true;
        }),

      renamePasskey: (userId, id, name) =>
        exec((s) => {
          const passkey = s.passkeys.get(id);
          if (passkey === undefined || passkey.userId !== userId) return false;
          passkey.name = name;
          return true;
        }),

      removePasskey: (userId, id) =>
        exec((s) => {
          const passkey = s.passkeys.get(id);
          if (passkey === undefined || passkey.userId !== userId) return false;
          s.passkeys.delete(id);
          removeFromIndex(s.passkeyIdsByUser, userId, id);
          return true;
        }),

      createWebAuthnChallenge: (challenge) =>
        exec((s) => {
          if (s.webauthnChallenges.has(challenge.challengeHash)) {
            throw duplicate("WebAuthn challenge", challenge.challengeHash);
          }
          s.webauthnChallenges.set(challenge.challengeHash, { ...challenge });
        }),

      consumeWebAuthnChallenge: (challengeHash, purpose, now) =>
        exec((s) => {
          const challenge = s.webauthnChallenges.get(challengeHash);
          if (challenge === undefined || challenge.purpose !== purpose || challenge.expiresAt <= now)
            return null;
          s.webauthnChallenges.delete(challengeHash);
          return { ...challenge };
        }),

      // Single use

      claimOnce: (key, expiresAt, now) =>
        exec((s) => {
          const until = s.onceClaims.get(key);
          if (until !== undefined && until > now) return false;
          s.onceClaims.set(key, expiresAt);
          return true;
        }),

      // Account deletion and the audit trail

      deleteUser: (userId, tombstone) =>
        exec((s) => {
          const user = s.users.get(userId);
          if (user === undefined) return false;
          s.users.delete(userId);
          s.userIdByEmailKey.delete(user.emailKey);
          for (const id of s.factorIdsByUser.get(userId) ?? []) s.factors.delete(id);
          s.factorIdsByUser.delete(userId);
          s.recoveryCodes.delete(userId);
          s.attempts.delete(user.emailKey);
          for (const id of s.sessionIdsByUser.get(userId) ?? []) {
            s.sessions.delete(id);
            for (const hash of s.tokenHashesBySession.get(id) ?? []) s.refreshTokens.delete(hash);
            s.tokenHashesBySession.delete(id);
          }
          s.sessionIdsByUser.delete(userId);
          for (const [hash, token] of s.oneTimeTokens) {
            if (token.userId !== userId) continue;
            s.oneTimeTokens.delete(hash);
            s.oneTimeByUserPurpose.delete(oneTimeKey(userId, token.purpose));
          }
          for (const [idHash, challenge] of s.challenges) {
            if (challenge.userId === userId) s.challenges.delete(idHash);
          }
          s.loginEvents.delete(userId);
          // Attempts on the address before it was registered name it too.
          s.anonymousLoginEvents = s.anonymousLoginEvents.filter((e) => emailKey(e.email) !== user.emailKey);
          for (const key of s.identityKeysByUser.get(userId) ?? []) s.identities.delete(key);
          s.identityKeysByUser.delete(userId);
          for (const id of s.passkeyIdsByUser.get(userId) ?? []) s.passkeys.delete(id);
          s.passkeyIdsByUser.delete(userId);
          for (const [hash, challenge] of s.webauthnChallenges) {
            if (challenge.userId === userId) s.webauthnChallenges.delete(hash);
          }
          s.tombstones.set(tombstone.emailKeyHash, { ...tombstone });
          return true;
        }),

      findTombstone: (emailKeyHash, now) =>
        exec((s) => {
          const tombstone = s.tombstones.get(emailKeyHash);
          return tombstone === undefined || tombstone.blockedUntil <= now ? null : { ...tombstone };
        }),

      appendAuditEvent: (event) =>
        exec((s) => {
          const list = s.auditEvents;
          const record = { ...event };
          const last = list[list.length - 1];
          if (last === undefined || last.id < record.id) {
            list.push(record);
            return;
          }
          const at = lowerBound(list, record.id);
          if (list[at]?.id === record.id) throw duplicate("audit event", record.id);
          list.splice(at, 0, record);
        }),

      listAuditEvents: (query) =>
        exec((s) => {
          const limit = Math.min(MAX_PAGE, Math.max(MIN_PAGE, Math.floor(query.limit) || MIN_PAGE));
          const list = s.auditEvents;
          let i = (query.before === undefined ? list.length : lowerBound(list, query.before)) - 1;
          const matches = (e: StoredAuditEvent) => query.userId === undefined || e.userId === query.userId;
          const items: StoredAuditEvent[] = [];
          for (; i >= 0 && items.length < limit; i--) {
            const event = list[i] as StoredAuditEvent;
            if (matches(event)) items.push({ ...event });
          }
          let more = false;
          for (; i >= 0 && !more; i--) more = matches(list[i] as StoredAuditEvent);
          const last = items[items.length - 1];
          return { items, next: more && last !== undefined ? last.id : null };
        }),

      deleteExpired: (now) => exec((s) => deleteExpiredIn(s, now)),

      close: () => {
        closed = true;
        return Promise.resolve();
      },
    };
    return store;
  }

  const store = api(null);
  liveStates.set(store, () => state);
  return store;
}

/** @internal the state of a memory store, as {@link memoryStoreState} gives it. */
export type MemoryStoreState = State;

/** The live state behind each store `memoryStore()` made (for the mock's test controls). */
const liveStates = new WeakMap<AuthStore, () => State>();

/**
 * @internal The live state of a store made by `memoryStore()` (`undefined` for any other store),
 * read synchronously by the mock's test controls (`users.get`, `sessions()`, `loginAttempts`).
 * Read it, do not write it: writes go through the store's methods.
 */
export function memoryStoreState(store: AuthStore): MemoryStoreState | undefined {
  return liveStates.get(store)?.();
}

/** One page of `listLoginEvents` over a user's events sorted oldest first. */
function pageLoginEvents(
  list: readonly StoredLoginEvent[],
  query: LoginEventQuery,
): { items: StoredLoginEvent[]; next: string | null } {
  const limit = Math.min(MAX_PAGE, Math.max(MIN_PAGE, Math.floor(query.limit) || MIN_PAGE));
  const matches = (e: StoredLoginEvent) =>
    (query.result === undefined || e.result === query.result) &&
    (query.method === undefined || e.method === query.method) &&
    (query.from === undefined || e.at >= query.from) &&
    (query.to === undefined || e.at < query.to);
  let i = (query.before === undefined ? list.length : lowerBound(list, query.before)) - 1;
  const items: StoredLoginEvent[] = [];
  for (; i >= 0 && items.length < limit; i--) {
    const event = list[i] as StoredLoginEvent;
    if (matches(event)) items.push(copyEvent(event));
  }
  // A next page only when one more event matches, so the last page is never empty.
  let more = false;
  for (; i >= 0 && !more; i--) more = matches(list[i] as StoredLoginEvent);
  const last = items[items.length - 1];
  return { items, next: more && last !== undefined ? last.id : null };
}

/** The body of `deleteExpired`: removes what is over at `now`, returns how many records. */
function deleteExpiredIn(s: State, now: number): number {
  let removed = 0;
  for (const [hash, token] of s.oneTimeTokens) {
    if (token.expiresAt > now) continue;
    s.oneTimeTokens.delete(hash);
    const key = oneTimeKey(token.userId, token.purpose);
    if (s.oneTimeByUserPurpose.get(key) === hash) s.oneTimeByUserPurpose.delete(key);
    removed++;
  }
  for (const [idHash, challenge] of s.challenges) {
    if (challenge.expiresAt > now) continue;
    s.challenges.delete(idHash);
    removed++;
  }
  for (const [id, session] of s.sessions) {
    const over =
      session.expiresAt <= now ||
      (session.revokedAt !== null && session.revokedAt + REVOKED_SESSION_RETENTION_MS <= now);
    if (!over) continue;
    s.sessions.delete(id);
    removeFromIndex(s.sessionIdsByUser, session.userId, id);
    for (const hash of s.tokenHashesBySession.get(id) ?? []) {
      if (s.refreshTokens.delete(hash)) removed++;
    }
    s.tokenHashesBySession.delete(id);
    removed++;
  }
  for (const [hash, token] of s.refreshTokens) {
    if (token.expiresAt > now) continue;
    s.refreshTokens.delete(hash);
    removeFromIndex(s.tokenHashesBySession, token.sessionId, hash);
    removed++;
  }
  for (const [key, window] of s.rateLimits) {
    if (window.end > now) continue;
    s.rateLimits.delete(key);
    removed++;
  }
  for (const [key, counter] of s.attempts) {
    if (counter.lockedUntil === null || counter.lockedUntil > now) continue;
    s.attempts.delete(key);
    removed++;
  }
  for (const [kid, key] of s.signingKeys) {
    if (key.expiresAt === null || key.expiresAt > now) continue;
    s.signingKeys.delete(kid);
    removed++;
  }
  for (const [id, mail] of s.mails) {
    if (mail.status !== "sent" && mail.status !== "failed") continue;
    s.mails.delete(id);
    removed++;
  }
  for (const [hash, challenge] of s.webauthnChallenges) {
    if (challenge.expiresAt > now) continue;
    s.webauthnChallenges.delete(hash);
    removed++;
  }
  for (const [key, until] of s.onceClaims) {
    if (until > now) continue;
    s.onceClaims.delete(key);
    removed++;
  }
  for (const [hash, tombstone] of s.tombstones) {
    if (tombstone.blockedUntil > now) continue;
    s.tombstones.delete(hash);
    removed++;
  }
  return removed;
}
