/**
 * The SQL {@link AuthStore} over Kysely: one implementation for SQLite and PostgreSQL.
 *
 * Every step that an attacker can race is one statement (`INSERT … ON CONFLICT DO UPDATE …
 * RETURNING`, `UPDATE … WHERE <guard> RETURNING`, `DELETE … RETURNING`), or, where it needs more
 * than one, one transaction (SQLite `BEGIN IMMEDIATE`; PostgreSQL with the rows it depends on
 * locked first). Nothing is cached in the process: every answer comes from the database, so any
 * number of instances can share one.
 *
 * @module
 */

import { type Kysely, type RawBuilder, sql } from "kysely";
import { emailKey } from "../email-key";
import type {
  AttemptReservation,
  AuthStore,
  ChallengeAttempt,
  NewUser,
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
  StoredSession,
  StoredSigningKey,
  StoredTombstone,
  StoredUser,
  StoredWebAuthnChallenge,
  UnlinkResult,
  UserPatch,
} from "../types";
import { migrate, type SqlDialect } from "./schema";
import type { SqlStore } from "./types";

// biome-ignore lint/suspicious/noExplicitAny: the schema is untyped SQL; rows are mapped by hand.
type Db = Kysely<any>;
// biome-ignore lint/suspicious/noExplicitAny: a database row.
type Row = Record<string, any>;

/** How long `deleteExpired` keeps a revoked session (as the memory store does): one day. */
const REVOKED_SESSION_RETENTION_MS = 86_400_000;
const MIN_PAGE = 1;
const MAX_PAGE = 100;

/** A parameter as BIGINT, where the database could not infer its type (CASE branches). */
const big = (value: number | null) => sql`CAST(${value} AS BIGINT)`;
const flag = (value: boolean) => (value ? 1 : 0);
const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
const bool = (value: unknown): boolean => Number(value) === 1;

async function rows(q: Db, query: RawBuilder<unknown>): Promise<Row[]> {
  return (await query.execute(q)).rows as Row[];
}

async function first(q: Db, query: RawBuilder<unknown>): Promise<Row | undefined> {
  return (await rows(q, query))[0];
}

async function affected(q: Db, query: RawBuilder<unknown>): Promise<number> {
  return Number((await query.execute(q)).numAffectedRows ?? 0n);
}

function pageSize(limit: number): number {
  return Math.min(MAX_PAGE, Math.max(MIN_PAGE, Math.floor(limit) || MIN_PAGE));
}

/** Whether an error is a unique-key violation (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY). */
function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; errcode?: unknown; message?: unknown } | null;
  if (e === null || typeof e !== "object") return false;
  return (
    e.code === "23505" ||
    e.errcode === 2067 ||
    e.errcode === 1555 ||
    /UNIQUE constraint failed/.test(String(e.message))
  );
}

// Rows to records.

function toUser(r: Row): StoredUser {
  return {
    id: r.id,
    email: r.email,
    emailKey: r.email_key,
    name: r.name,
    passwordHash: r.password_hash,
    emailVerified: bool(r.email_verified),
    showLastLogin: bool(r.show_last_login),
    lastLoginAt: numOrNull(r.last_login_at),
    suspendedAt: numOrNull(r.suspended_at),
    suspendedReason: r.suspended_reason,
    mailLocale: r.mail_locale === "ja" || r.mail_locale === "en" ? r.mail_locale : null,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

function toFactor(r: Row): StoredFactor {
  return {
    id: r.id,
    userId: r.user_id,
    kind: r.kind,
    secretSealed: r.secret_sealed,
    status: r.status,
    lastStep: num(r.last_step),
    createdAt: num(r.created_at),
    lastUsedAt: numOrNull(r.last_used_at),
  };
}

function toSession(r: Row): StoredSession {
  return {
    id: r.id,
    userId: r.user_id,
    createdAt: num(r.created_at),
    lastSeenAt: num(r.last_seen_at),
    ip: r.ip,
    userAgent: r.user_agent,
    remember: bool(r.remember),
    amr: JSON.parse(r.amr),
    expiresAt: num(r.expires_at),
    revokedAt: numOrNull(r.revoked_at),
  };
}

function toChallenge(r: Row): StoredChallenge {
  return {
    idHash: r.id_hash,
    userId: r.user_id,
    remember: bool(r.remember),
    methods: JSON.parse(r.methods),
    amr: JSON.parse(r.amr),
    attempts: num(r.attempts),
    emailCodeSealed: r.email_code_sealed ?? null,
    emailCodeExpiresAt: numOrNull(r.email_code_expires_at),
    emailCodesSent: num(r.email_codes_sent),
    expiresAt: num(r.expires_at),
    completedAt: numOrNull(r.completed_at),
    createdAt: num(r.created_at),
  };
}

function toOneTime(r: Row): StoredOneTimeToken {
  return {
    tokenHash: r.token_hash,
    purpose: r.purpose,
    userId: r.user_id,
    data: JSON.parse(r.data),
    expiresAt: num(r.expires_at),
    createdAt: num(r.created_at),
  };
}

function toEvent(r: Row): StoredLoginEvent {
  return {
    id: r.id,
    userId: r.user_id,
    email: r.email,
    at: num(r.at),
    ip: r.ip,
    userAgent: r.user_agent,
    method: r.method,
    result: r.result,
    sessionId: r.session_id,
    location: r.location === null ? null : JSON.parse(r.location),
  };
}

function toSigningKey(r: Row): StoredSigningKey {
  return {
    kid: r.kid,
    alg: r.alg,
    publicJwk: JSON.parse(r.public_jwk),
    privateSealed: r.private_sealed,
    createdAt: num(r.created_at),
    retiredAt: numOrNull(r.retired_at),
    expiresAt: numOrNull(r.expires_at),
  };
}

function toMail(r: Row): StoredMail {
  return {
    id: r.id,
    to: r.recipient,
    kind: r.kind,
    locale: r.locale,
    bodySealed: r.body_sealed ?? null,
    createdAt: num(r.created_at),
    status: r.status,
    attempts: num(r.attempts),
    nextAttemptAt: num(r.next_attempt_at),
    sentAt: numOrNull(r.sent_at),
  };
}

function toIdentity(r: Row): StoredIdentity {
  return {
    provider: r.provider,
    subject: r.subject,
    userId: r.user_id,
    email: r.email,
    emailVerified: bool(r.email_verified),
    createdAt: num(r.created_at),
    lastUsedAt: numOrNull(r.last_used_at),
  };
}

function toPasskey(r: Row): StoredPasskey {
  return {
    id: r.id,
    userId: r.user_id,
    publicKey: r.public_key,
    signCount: num(r.sign_count),
    transports: JSON.parse(r.transports),
    deviceType: r.device_type === "multiDevice" ? "multiDevice" : "singleDevice",
    backedUp: bool(r.backed_up),
    name: r.name,
    createdAt: num(r.created_at),
    lastUsedAt: numOrNull(r.last_used_at),
  };
}

function toWebAuthnChallenge(r: Row): StoredWebAuthnChallenge {
  return {
    challengeHash: r.challenge_hash,
    purpose: r.purpose,
    userId: r.user_id,
    expiresAt: num(r.expires_at),
    createdAt: num(r.created_at),
  };
}

function toTombstone(r: Row): StoredTombstone {
  return {
    userId: r.user_id,
    emailKeyHash: r.email_key_hash,
    deletedAt: num(r.deleted_at),
    blockedUntil: num(r.blocked_until),
    deletedBy: r.deleted_by,
  };
}

function toAuditEvent(r: Row): StoredAuditEvent {
  return {
    id: r.id,
    at: num(r.at),
    actor: r.actor,
    action: r.action,
    userId: r.user_id,
    reason: r.reason,
  };
}

/** What the store needs besides the database. */
export interface SqlStoreOptions {
  dialect: SqlDialect;
  /** Called once by `close()` after the Kysely instance is destroyed. */
  onClose?: () => Promise<void>;
}

/**
 * An {@link AuthStore} over a Kysely instance whose schema is migrated (see `migrate` in
 * `./schema`). `close()` destroys the Kysely instance.
 */
export function createSqlStore(db: Db, options: SqlStoreOptions): SqlStore {
  const { dialect } = options;
  const pg = dialect === "postgres";
  /** `FOR UPDATE` / `FOR SHARE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already holds the write lock. */
  const forShare = sql.raw(pg ? " FOR SHARE" : "");
  const forUpdate = sql.raw(pg ? " FOR UPDATE" : "");
  const skipLocked = sql.raw(pg ? " FOR UPDATE SKIP LOCKED" : "");
  let closed = false;
  let savepoints = 0;

  function ensureOpen(): void {
    if (closed) throw new Error(`tegata: this ${dialect} store is closed`);
  }

  /** Runs `fn` in a savepoint of the transaction `q`: its writes are undone if it throws. */
  async function savepoint<T>(q: Db, fn: (q: Db) => Promise<T>): Promise<T> {
    const name = sql.id(`tegata_sp_${++savepoints}`);
    await sql`SAVEPOINT ${name}`.execute(q);
    let result: T;
    try {
      result = await fn(q);
    } catch (error) {
      await sql`ROLLBACK TO SAVEPOINT ${name}`.execute(q);
      await sql`RELEASE SAVEPOINT ${name}`.execute(q);
      throw error;
    }
    await sql`RELEASE SAVEPOINT ${name}`.execute(q);
    return result;
  }

  /**
   * The store over `scope`: `null` for the store itself, else an open transaction whose inner
   * store this is (once the transaction has ended, its calls go to the store itself).
   */
  function api(scope: { trx: Db; open: boolean } | null): SqlStore {
    /** The executor for one call. */
    const q = (): Db => {
      ensureOpen();
      return scope?.open ? scope.trx : db;
    };
    /** Several statements as one step: a transaction, or a savepoint inside one. */
    const step = async <T>(fn: (q: Db) => Promise<T>): Promise<T> => {
      const exec = q();
      if (exec.isTransaction) return savepoint(exec, fn);
      return exec.transaction().execute(fn);
    };

    const store: SqlStore = {
      dialect,

      migrate: async () => {
        ensureOpen();
        return migrate(db, dialect, Date.now());
      },

      // Users

      createUser: async (user: NewUser, now) =>
        step(async (t) => {
          // DO NOTHING on either key: the step goes on (a PostgreSQL transaction is not aborted).
          const created = await first(
            t,
            sql`INSERT INTO tegata_users (id, email, email_key, name, password_hash, email_verified,
                  show_last_login, last_login_at, suspended_at, suspended_reason, mail_locale, created_at,
                  updated_at)
                VALUES (${user.id}, ${user.email}, ${user.emailKey}, ${user.name}, ${user.passwordHash},
                  ${flag(user.emailVerified)}, ${flag(user.showLastLogin)}, ${user.lastLoginAt ?? null},
                  ${user.suspendedAt ?? null}, ${user.suspendedReason ?? null}, ${user.mailLocale ?? null},
                  ${user.createdAt}, ${now})
                ON CONFLICT DO NOTHING RETURNING *`,
          );
          if (created !== undefined) return toUser(created);
          const owner = await first(t, sql`SELECT id FROM tegata_users WHERE email_key = ${user.emailKey}`);
          if (owner !== undefined) return "email_taken" as const;
          throw new Error(`tegata: the store already holds a user with the key ${JSON.stringify(user.id)}`);
        }),

      getUserById: async (id) => {
        const row = await first(q(), sql`SELECT * FROM tegata_users WHERE id = ${id}`);
        return row === undefined ? null : toUser(row);
      },

      getUserByEmailKey: async (key) => {
        const row = await first(q(), sql`SELECT * FROM tegata_users WHERE email_key = ${key}`);
        return row === undefined ? null : toUser(row);
      },

      updateUser: async (id, patch: UserPatch, now) => {
        const columns: [string, unknown][] = [];
        const set = (column: string, value: unknown) => {
          if (value !== undefined) columns.push([column, value]);
        };
        set("email", patch.email);
        set("email_key", patch.emailKey);
        set("name", patch.name);
        set("password_hash", patch.passwordHash);
        set("email_verified", patch.emailVerified === undefined ? undefined : flag(patch.emailVerified));
        set("show_last_login", patch.showLastLogin === undefined ? undefined : flag(patch.showLastLogin));
        set("last_login_at", patch.lastLoginAt);
        set("suspended_at", patch.suspendedAt);
        set("suspended_reason", patch.suspendedReason);
        set("mail_locale", patch.mailLocale);
        set("updated_at", now);
        const assignments = sql.join(columns.map(([column, value]) => sql`${sql.ref(column)} = ${value}`));
        const update = sql`UPDATE tegata_users SET ${assignments} WHERE id = ${id} RETURNING *`;
        if (patch.emailKey === undefined) {
          const row = await first(q(), update);
          return row === undefined ? null : toUser(row);
        }
        // The unique key decides a race for an address; in a savepoint, so that a refusal
        // leaves an enclosing PostgreSQL transaction usable.
        try {
          const row = await step((t) => first(t, update));
          return row === undefined ? null : toUser(row);
        } catch (error) {
          if (isUniqueViolation(error)) return "email_taken";
          throw error;
        }
      },

      // Factors

      addFactor: async (f) => {
        await sql`INSERT INTO tegata_factors (id, user_id, kind, secret_sealed, status, last_step, created_at, last_used_at)
          VALUES (${f.id}, ${f.userId}, ${f.kind}, ${f.secretSealed}, ${f.status}, ${f.lastStep}, ${f.createdAt}, ${f.lastUsedAt})`.execute(
          q(),
        );
      },

      listFactors: async (userId) =>
        (
          await rows(q(), sql`SELECT * FROM tegata_factors WHERE user_id = ${userId} ORDER BY created_at, id`)
        ).map(toFactor),

      activateFactor: async (userId, factorId, step, now) =>
        (
          await rows(
            q(),
            sql`UPDATE tegata_factors SET status = 'active', last_used_at = ${now},
                  last_step = CASE WHEN last_step > ${step} THEN last_step ELSE ${big(step)} END
                WHERE id = ${factorId} AND user_id = ${userId} AND status = 'pending' RETURNING id`,
          )
        ).length > 0,

      removeFactor: async (userId, factorId) =>
        (
          await rows(
            q(),
            sql`DELETE FROM tegata_factors WHERE id = ${factorId} AND user_id = ${userId} RETURNING id`,
          )
        ).length > 0,

      advanceTotpStep: async (factorId, step, now) =>
        (
          await rows(
            q(),
            sql`UPDATE tegata_factors SET last_step = ${step}, last_used_at = ${now}
                WHERE id = ${factorId} AND last_step < ${step} RETURNING id`,
          )
        ).length > 0,

      // Recovery codes

      replaceRecoveryCodes: (userId, codeHashes) =>
        step(async (t) => {
          await sql`DELETE FROM tegata_recovery_codes WHERE user_id = ${userId}`.execute(t);
          const unique = [...new Set(codeHashes)];
          if (unique.length === 0) return;
          const values = sql.join(unique.map((hash) => sql`(${userId}, ${hash}, NULL)`));
          await sql`INSERT INTO tegata_recovery_codes (user_id, code_hash, used_at) VALUES ${values}`.execute(
            t,
          );
        }),

      consumeRecoveryCode: async (userId, codeHash, now) =>
        (
          await rows(
            q(),
            sql`UPDATE tegata_recovery_codes SET used_at = ${now}
                WHERE user_id = ${userId} AND code_hash = ${codeHash} AND used_at IS NULL RETURNING code_hash`,
          )
        ).length > 0,

      countRecoveryCodes: async (userId) => {
        const row = await first(
          q(),
          sql`SELECT COUNT(*) AS n FROM tegata_recovery_codes WHERE user_id = ${userId} AND used_at IS NULL`,
        );
        return num(row?.n ?? 0);
      },

      // Lockout

      reserveAttempt: async (key, policy, now): Promise<AttemptReservation> => {
        const token = crypto.randomUUID();
        const until = now + policy.lockSeconds * 1000;
        const inForce = sql`tegata_lockout.locked_until > ${now}`;
        const counted = sql`CASE WHEN tegata_lockout.locked_until IS NOT NULL THEN 1 ELSE tegata_lockout.failures + 1 END`;
        const row = await first(
          q(),
          sql`INSERT INTO tegata_lockout (key, failures, locked_until, reserved_by)
              VALUES (${key}, 1, ${1 >= policy.maxAttempts ? until : null}, ${token})
              ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN ${inForce} THEN tegata_lockout.failures ELSE ${counted} END,
                locked_until = CASE
                  WHEN ${inForce} THEN tegata_lockout.locked_until
                  WHEN ${counted} >= ${policy.maxAttempts} THEN ${big(until)}
                  ELSE NULL END,
                reserved_by = CASE WHEN ${inForce} THEN tegata_lockout.reserved_by ELSE ${token} END
              RETURNING failures, locked_until, reserved_by`,
        );
        if (row === undefined) throw new Error("tegata: reserveAttempt returned no row");
        const lockedUntil = numOrNull(row.locked_until);
        if (row.reserved_by !== token) return { kind: "locked", until: lockedUntil ?? now };
        const failures = num(row.failures);
        return {
          kind: "reserved",
          remaining: Math.max(0, policy.maxAttempts - failures),
          lockedNow: lockedUntil !== null,
        };
      },

      clearAttempts: async (key) => {
        await sql`DELETE FROM tegata_lockout WHERE key = ${key}`.execute(q());
      },

      releaseAttempt: async (key, policy) => {
        const exec = q();
        await sql`UPDATE tegata_lockout SET
              failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END,
              locked_until = CASE WHEN failures - 1 >= ${policy.maxAttempts} THEN locked_until ELSE NULL END
            WHERE key = ${key}`.execute(exec);
        // An empty counter is the same as none; removing it is tidiness, guarded by its state.
        await sql`DELETE FROM tegata_lockout WHERE key = ${key} AND failures = 0 AND locked_until IS NULL`.execute(
          exec,
        );
      },

      unlock: async (key) => {
        await sql`DELETE FROM tegata_lockout WHERE key = ${key}`.execute(q());
      },

      lockedUntil: async (key, now) => {
        const row = await first(
          q(),
          sql`SELECT locked_until FROM tegata_lockout WHERE key = ${key} AND locked_until > ${now}`,
        );
        return row === undefined ? null : num(row.locked_until);
      },

      // Rate limits

      consumeRateLimit: async (key, limit, now): Promise<RateLimitResult> => {
        const token = crypto.randomUUID();
        const windowMs = limit.windowSeconds * 1000;
        const index = Math.floor(now / windowMs);
        const end = (index + 1) * windowMs;
        const opens = limit.max >= 1;
        const row = await first(
          q(),
          sql`INSERT INTO tegata_rate_limits (key, window_ms, window_index, window_end, count, reserved_by)
              VALUES (${key}, ${windowMs}, ${index}, ${end}, ${opens ? 1 : 0}, ${opens ? token : null})
              ON CONFLICT (key) DO UPDATE SET
                count = CASE
                  WHEN tegata_rate_limits.window_ms <> excluded.window_ms
                    OR tegata_rate_limits.window_index <> excluded.window_index THEN excluded.count
                  WHEN tegata_rate_limits.count < ${limit.max} THEN tegata_rate_limits.count + 1
                  ELSE tegata_rate_limits.count END,
                reserved_by = CASE
                  WHEN tegata_rate_limits.window_ms <> excluded.window_ms
                    OR tegata_rate_limits.window_index <> excluded.window_index THEN excluded.reserved_by
                  WHEN tegata_rate_limits.count < ${limit.max} THEN excluded.reserved_by
                  ELSE tegata_rate_limits.reserved_by END,
                window_ms = excluded.window_ms,
                window_index = excluded.window_index,
                window_end = excluded.window_end
              RETURNING count, window_end, reserved_by`,
        );
        if (row === undefined) throw new Error("tegata: consumeRateLimit returned no row");
        if (row.reserved_by === token) return { allowed: true, remaining: limit.max - num(row.count) };
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil((num(row.window_end) - now) / 1000)),
        };
      },

      // MFA challenges

      createChallenge: async (c) => {
        await sql`INSERT INTO tegata_challenges (id_hash, user_id, remember, methods, amr, attempts, expires_at, completed_at, created_at,
            email_code_sealed, email_code_expires_at, email_codes_sent)
          VALUES (${c.idHash}, ${c.userId}, ${flag(c.remember)}, ${JSON.stringify(c.methods)}, ${JSON.stringify(c.amr)},
            ${c.attempts}, ${c.expiresAt}, ${c.completedAt}, ${c.createdAt},
            ${c.emailCodeSealed}, ${c.emailCodeExpiresAt}, ${c.emailCodesSent})`.execute(q());
      },

      claimChallengeAttempt: async (idHash, maxAttempts, now): Promise<ChallengeAttempt> => {
        const exec = q();
        const claimed = await first(
          exec,
          sql`UPDATE tegata_challenges SET attempts = attempts + 1
              WHERE id_hash = ${idHash} AND completed_at IS NULL AND expires_at > ${now} AND attempts < ${maxAttempts}
              RETURNING *`,
        );
        if (claimed !== undefined) {
          const challenge = toChallenge(claimed);
          return { kind: "ok", challenge, attempt: challenge.attempts };
        }
        const row = await first(
          exec,
          sql`SELECT * FROM tegata_challenges
              WHERE id_hash = ${idHash} AND completed_at IS NULL AND expires_at > ${now}`,
        );
        return row === undefined ? { kind: "invalid" } : { kind: "exhausted", challenge: toChallenge(row) };
      },

      completeChallenge: async (idHash, now) =>
        (
          await rows(
            q(),
            sql`UPDATE tegata_challenges SET completed_at = ${now}
                WHERE id_hash = ${idHash} AND completed_at IS NULL AND expires_at > ${now} RETURNING id_hash`,
          )
        ).length > 0,

      setChallengeEmailCode: async (idHash, code, maxSends, now) => {
        const set = await first(
          q(),
          sql`UPDATE tegata_challenges
              SET email_code_sealed = ${code.sealed}, email_code_expires_at = ${code.expiresAt},
                  email_codes_sent = email_codes_sent + 1
              WHERE id_hash = ${idHash} AND completed_at IS NULL AND expires_at > ${now}
                AND email_codes_sent < ${maxSends}
              RETURNING *`,
        );
        if (set !== undefined) return { kind: "set", challenge: toChallenge(set) };
        const live = await first(
          q(),
          sql`SELECT id_hash FROM tegata_challenges
              WHERE id_hash = ${idHash} AND completed_at IS NULL AND expires_at > ${now}`,
        );
        return live === undefined ? { kind: "invalid" } : { kind: "limit" };
      },

      // Sessions and refresh-token families

      createSession: async (s, refresh) => {
        if (refresh.sessionId !== s.id) {
          throw new Error("tegata: the refresh token of createSession must belong to that session");
        }
        return step(async (t) => {
          // The user row stays locked until the end of the step: a deletion or suspension waits
          // for it, or it sees theirs.
          const user = await first(
            t,
            sql`SELECT id FROM tegata_users WHERE id = ${s.userId} AND suspended_at IS NULL${forShare}`,
          );
          if (user === undefined) return false;
          await sql`INSERT INTO tegata_sessions (id, user_id, created_at, last_seen_at, ip, user_agent, remember, amr, expires_at, revoked_at)
            VALUES (${s.id}, ${s.userId}, ${s.createdAt}, ${s.lastSeenAt}, ${s.ip}, ${s.userAgent}, ${flag(s.remember)},
              ${JSON.stringify(s.amr)}, ${s.expiresAt}, ${s.revokedAt})`.execute(t);
          await sql`INSERT INTO tegata_refresh_tokens (token_hash, session_id, expires_at, used_at)
            VALUES (${refresh.tokenHash}, ${refresh.sessionId}, ${refresh.expiresAt}, ${refresh.usedAt})`.execute(
            t,
          );
          return true;
        });
      },

      getSession: async (id) => {
        const row = await first(q(), sql`SELECT * FROM tegata_sessions WHERE id = ${id}`);
        return row === undefined ? null : toSession(row);
      },

      touchSession: async (id, seen, now, minIntervalMs) =>
        (
          await rows(
            q(),
            sql`UPDATE tegata_sessions SET last_seen_at = ${now}, ip = ${seen.ip}, user_agent = ${seen.userAgent}
                WHERE id = ${id} AND revoked_at IS NULL AND expires_at > ${now}
                  AND last_seen_at <= ${now - minIntervalMs} RETURNING id`,
          )
        ).length > 0,

      listSessions: async (userId, now) =>
        (
          await rows(
            q(),
            sql`SELECT * FROM tegata_sessions
                WHERE user_id = ${userId} AND revoked_at IS NULL AND expires_at > ${now}
                ORDER BY created_at DESC, id DESC`,
          )
        ).map(toSession),

      rotateRefreshToken: (tokenHash, next, seen, now) =>
        step(async (t): Promise<RotateResult> => {
          // Claim: only the current token of a live family, once.
          const claimed = await first(
            t,
            sql`UPDATE tegata_refresh_tokens SET used_at = ${now}
                WHERE token_hash = ${tokenHash} AND used_at IS NULL AND expires_at > ${now}
                  AND EXISTS (SELECT 1 FROM tegata_sessions s
                    WHERE s.id = tegata_refresh_tokens.session_id AND s.revoked_at IS NULL AND s.expires_at > ${now})
                RETURNING session_id`,
          );
          if (claimed !== undefined) {
            await sql`INSERT INTO tegata_refresh_tokens (token_hash, session_id, expires_at, used_at)
              VALUES (${next.tokenHash}, ${claimed.session_id}, ${next.expiresAt}, NULL)`.execute(t);
            const session = await first(
              t,
              sql`UPDATE tegata_sessions SET expires_at = ${next.expiresAt}, last_seen_at = ${now},
                    ip = ${seen.ip}, user_agent = ${seen.userAgent}
                  WHERE id = ${claimed.session_id} RETURNING *`,
            );
            if (session === undefined) throw new Error("tegata: a refresh token without its session");
            return { kind: "rotated", session: toSession(session) };
          }
          // Reuse of a used token of a live family: the family ends now.
          const revoked = await first(
            t,
            sql`UPDATE tegata_sessions SET revoked_at = ${now}
                WHERE id = (SELECT session_id FROM tegata_refresh_tokens
                    WHERE token_hash = ${tokenHash} AND used_at IS NOT NULL AND expires_at > ${now})
                  AND revoked_at IS NULL AND expires_at > ${now}
                RETURNING id`,
          );
          return revoked === undefined ? { kind: "invalid" } : { kind: "reused", sessionId: revoked.id };
        }),

      revokeSession: async (userId, sessionId, now) =>
        (
          await rows(
            q(),
            sql`UPDATE tegata_sessions SET revoked_at = ${now}
                WHERE id = ${sessionId} AND user_id = ${userId} AND revoked_at IS NULL AND expires_at > ${now}
                RETURNING id`,
          )
        ).length > 0,

      revokeUserSessions: async (userId, now, exceptSessionId) =>
        (
          await rows(
            q(),
            sql`UPDATE tegata_sessions SET revoked_at = ${now}
                WHERE user_id = ${userId} AND revoked_at IS NULL AND expires_at > ${now}
                  ${exceptSessionId === undefined ? sql`` : sql`AND id <> ${exceptSessionId}`}
                RETURNING id`,
          )
        ).length,

      // One-time tokens

      issueOneTimeToken: async (t) => {
        // One live token per user and purpose (a unique key): the new one replaces the older in
        // the same statement.
        await sql`INSERT INTO tegata_one_time_tokens (token_hash, purpose, user_id, data, expires_at, created_at)
          VALUES (${t.tokenHash}, ${t.purpose}, ${t.userId}, ${JSON.stringify(t.data)}, ${t.expiresAt}, ${t.createdAt})
          ON CONFLICT (user_id, purpose) DO UPDATE SET
            token_hash = excluded.token_hash, data = excluded.data,
            expires_at = excluded.expires_at, created_at = excluded.created_at`.execute(q());
      },

      consumeOneTimeToken: async (tokenHash, purpose, now) => {
        const row = await first(
          q(),
          sql`DELETE FROM tegata_one_time_tokens
              WHERE token_hash = ${tokenHash} AND purpose = ${purpose} AND expires_at > ${now} RETURNING *`,
        );
        return row === undefined ? null : toOneTime(row);
      },

      // Login history

      appendLoginEvent: async (e) => {
        await sql`INSERT INTO tegata_login_events (id, user_id, email, email_key, at, ip, user_agent, method, result, session_id, location)
          VALUES (${e.id}, ${e.userId}, ${e.email}, ${emailKey(e.email)}, ${e.at}, ${e.ip}, ${e.userAgent}, ${e.method},
            ${e.result}, ${e.sessionId}, ${e.location === null ? null : JSON.stringify(e.location)})`.execute(
          q(),
        );
      },

      linkLoginEvent: async (userId, eventId, sessionId) =>
        (
          await rows(
            q(),
            sql`UPDATE tegata_login_events SET session_id = ${sessionId}
                WHERE id = ${eventId} AND user_id = ${userId} AND session_id IS NULL RETURNING id`,
          )
        ).length > 0,

      listLoginEvents: async (userId, query) => {
        const limit = pageSize(query.limit);
        const where = [sql`user_id = ${userId}`];
        if (query.before !== undefined) where.push(sql`id < ${query.before}`);
        if (query.result !== undefined) where.push(sql`result = ${query.result}`);
        if (query.method !== undefined) where.push(sql`method = ${query.method}`);
        if (query.from !== undefined) where.push(sql`at >= ${query.from}`);
        if (query.to !== undefined) where.push(sql`at < ${query.to}`);
        // One more than the page: a next page only when another event matches.
        const found = await rows(
          q(),
          sql`SELECT * FROM tegata_login_events WHERE ${sql.join(where, sql` AND `)}
              ORDER BY id DESC LIMIT ${limit + 1}`,
        );
        const items = found.slice(0, limit).map(toEvent);
        return { items, next: found.length > limit ? (items.at(-1)?.id ?? null) : null };
      },

      // Signing keys

      addSigningKey: async (k) => {
        await sql`INSERT INTO tegata_signing_keys (kid, alg, public_jwk, private_sealed, created_at, retired_at, expires_at)
          VALUES (${k.kid}, ${k.alg}, ${JSON.stringify(k.publicJwk)}, ${k.privateSealed}, ${k.createdAt},
            ${k.retiredAt}, ${k.expiresAt})`.execute(q());
      },

      listSigningKeys: async (now) =>
        (
          await rows(
            q(),
            sql`SELECT * FROM tegata_signing_keys WHERE expires_at IS NULL OR expires_at > ${now}
                ORDER BY created_at DESC, kid DESC`,
          )
        ).map(toSigningKey),

      retireSigningKey: async (kid, retiredAt, expiresAt) => {
        await sql`UPDATE tegata_signing_keys SET retired_at = ${retiredAt}, expires_at = ${expiresAt}
          WHERE kid = ${kid}`.execute(q());
      },

      // Outbox

      enqueueMail: async (m) => {
        await sql`INSERT INTO tegata_mails (id, recipient, kind, locale, body_sealed, created_at,
            status, attempts, next_attempt_at, sent_at)
          VALUES (${m.id}, ${m.to}, ${m.kind}, ${m.locale}, ${m.bodySealed}, ${m.createdAt},
            ${m.status}, ${m.attempts}, ${m.nextAttemptAt}, ${m.sentAt})`.execute(q());
      },

      getMail: async (id) => {
        const row = await first(q(), sql`SELECT * FROM tegata_mails WHERE id = ${id}`);
        return row === undefined ? null : toMail(row);
      },

      claimMail: async (now, limit, leaseMs) => {
        if (limit <= 0) return [];
        // One statement: the rows are picked and taken at once (SQLite: writes are serialised;
        // PostgreSQL: rows another claimer holds are skipped, and a row it changed meanwhile is
        // re-checked against the WHERE before it is locked). No condition on the outer UPDATE: it
        // makes PostgreSQL re-run the LIMIT subquery per row. A `sending` row past its lease is
        // due again: its sender died.
        const claimed = await rows(
          q(),
          sql`UPDATE tegata_mails SET status = 'sending', attempts = attempts + 1,
                next_attempt_at = ${now + leaseMs}
              WHERE id IN (SELECT id FROM tegata_mails
                WHERE status IN ('queued', 'sending') AND next_attempt_at <= ${now}
                ORDER BY created_at, id LIMIT ${Math.floor(limit)}${skipLocked})
              RETURNING *`,
        );
        return claimed
          .map(toMail)
          .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      },

      markMailSent: async (id, attempt, now) =>
        (await affected(
          q(),
          sql`UPDATE tegata_mails SET status = 'sent', sent_at = ${now}, body_sealed = NULL
            WHERE id = ${id} AND status = 'sending' AND attempts = ${attempt}`,
        )) > 0,

      markMailFailed: async (id, attempt, nextAttemptAt, giveUp) =>
        (await affected(
          q(),
          giveUp
            ? sql`UPDATE tegata_mails SET status = 'failed', body_sealed = NULL
                WHERE id = ${id} AND status = 'sending' AND attempts = ${attempt}`
            : sql`UPDATE tegata_mails SET status = 'queued', next_attempt_at = ${nextAttemptAt}
                WHERE id = ${id} AND status = 'sending' AND attempts = ${attempt}`,
        )) > 0,

      // Social identities

      linkIdentity: async (i) =>
        (
          await rows(
            q(),
            sql`INSERT INTO tegata_identities (provider, subject, user_id, email, email_verified, created_at, last_used_at)
                VALUES (${i.provider}, ${i.subject}, ${i.userId}, ${i.email}, ${flag(i.emailVerified)},
                  ${i.createdAt}, ${i.lastUsedAt})
                ON CONFLICT (provider, subject) DO NOTHING RETURNING provider`,
          )
        ).length > 0
          ? "linked"
          : "taken",

      getIdentity: async (provider, subject) => {
        const row = await first(
          q(),
          sql`SELECT * FROM tegata_identities WHERE provider = ${provider} AND subject = ${subject}`,
        );
        return row === undefined ? null : toIdentity(row);
      },

      listIdentities: async (userId) =>
        (
          await rows(
            q(),
            sql`SELECT * FROM tegata_identities WHERE user_id = ${userId} ORDER BY created_at, provider, subject`,
          )
        ).map(toIdentity),

      touchIdentity: async (provider, subject, seen, now) => {
        await sql`UPDATE tegata_identities SET email = ${seen.email}, email_verified = ${flag(seen.emailVerified)},
            last_used_at = ${now}
          WHERE provider = ${provider} AND subject = ${subject}`.execute(q());
      },

      unlinkIdentity: (userId, provider, subject) =>
        step(async (t): Promise<UnlinkResult> => {
          // Lock the user and all their identities first, so that two unlinks of a user's last
          // two identities run one after the other and the second sees the first.
          await sql`SELECT id FROM tegata_users WHERE id = ${userId}${forUpdate}`.execute(t);
          await sql`SELECT provider FROM tegata_identities WHERE user_id = ${userId}${forUpdate}`.execute(t);
          const removed = await first(
            t,
            sql`DELETE FROM tegata_identities
                WHERE provider = ${provider} AND subject = ${subject} AND user_id = ${userId}
                  AND (EXISTS (SELECT 1 FROM tegata_users u WHERE u.id = ${userId} AND u.password_hash IS NOT NULL)
                    OR EXISTS (SELECT 1 FROM tegata_identities o WHERE o.user_id = ${userId}
                      AND NOT (o.provider = ${provider} AND o.subject = ${subject})))
                RETURNING provider`,
          );
          if (removed !== undefined) return "unlinked";
          const exists = await first(
            t,
            sql`SELECT 1 AS x FROM tegata_identities
                WHERE provider = ${provider} AND subject = ${subject} AND user_id = ${userId}`,
          );
          return exists === undefined ? "not_found" : "last";
        }),

      // Passkeys

      addPasskey: async (p) =>
        (
          await rows(
            q(),
            sql`INSERT INTO tegata_passkeys (id, user_id, public_key, sign_count, transports, device_type, backed_up,
                  name, created_at, last_used_at)
                VALUES (${p.id}, ${p.userId}, ${p.publicKey}, ${p.signCount}, ${JSON.stringify(p.transports)},
                  ${p.deviceType}, ${flag(p.backedUp)}, ${p.name}, ${p.createdAt}, ${p.lastUsedAt})
                ON CONFLICT (id) DO NOTHING RETURNING id`,
          )
        ).length > 0
          ? "added"
          : "taken",

      getPasskey: async (id) => {
        const row = await first(q(), sql`SELECT * FROM tegata_passkeys WHERE id = ${id}`);
        return row === undefined ? null : toPasskey(row);
      },

      listPasskeys: async (userId) =>
        (
          await rows(
            q(),
            sql`SELECT * FROM tegata_passkeys WHERE user_id = ${userId} ORDER BY created_at, id`,
          )
        ).map(toPasskey),

      recordPasskeyUse: async (id, use, now) =>
        (
          await rows(
            q(),
            sql`UPDATE tegata_passkeys SET sign_count = ${use.signCount}, backed_up = ${flag(use.backedUp)},
                  last_used_at = ${now}
                WHERE id = ${id}
                  AND (sign_count < ${big(use.signCount)} OR (sign_count = 0 AND ${big(use.signCount)} = 0))
                RETURNING id`,
          )
        ).length > 0,

      renamePasskey: async (userId, id, name) =>
        (
          await rows(
            q(),
            sql`UPDATE tegata_passkeys SET name = ${name} WHERE id = ${id} AND user_id = ${userId} RETURNING id`,
          )
        ).length > 0,

      removePasskey: async (userId, id) =>
        (
          await rows(
            q(),
            sql`DELETE FROM tegata_passkeys WHERE id = ${id} AND user_id = ${userId} RETURNING id`,
          )
        ).length > 0,

      createWebAuthnChallenge: async (c) => {
        await sql`INSERT INTO tegata_webauthn_challenges (challenge_hash, purpose, user_id, expires_at, created_at)
          VALUES (${c.challengeHash}, ${c.purpose}, ${c.userId}, ${c.expiresAt}, ${c.createdAt})`.execute(
          q(),
        );
      },

      consumeWebAuthnChallenge: async (challengeHash, purpose, now) => {
        const row = await first(
          q(),
          sql`DELETE FROM tegata_webauthn_challenges
              WHERE challenge_hash = ${challengeHash} AND purpose = ${purpose} AND expires_at > ${now}
              RETURNING *`,
        );
        return row === undefined ? null : toWebAuthnChallenge(row);
      },

      // Single use

      claimOnce: async (key, expiresAt, now) =>
        (
          await rows(
            q(),
            sql`INSERT INTO tegata_once_claims (key, expires_at) VALUES (${key}, ${expiresAt})
                ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
                  WHERE tegata_once_claims.expires_at <= ${now}
                RETURNING key`,
          )
        ).length > 0,

      // Account deletion and the audit trail

      deleteUser: (userId, tombstone) =>
        step(async (t) => {
          // The user row first: concurrent deletions wait here and then find nothing, and a
          // createSession holding the row (FOR SHARE) finishes before.
          const user = await first(t, sql`DELETE FROM tegata_users WHERE id = ${userId} RETURNING email_key`);
          if (user === undefined) return false;
          const key: string = user.email_key;
          await sql`DELETE FROM tegata_factors WHERE user_id = ${userId}`.execute(t);
          await sql`DELETE FROM tegata_recovery_codes WHERE user_id = ${userId}`.execute(t);
          await sql`DELETE FROM tegata_lockout WHERE key = ${key}`.execute(t);
          await sql`DELETE FROM tegata_refresh_tokens
            WHERE session_id IN (SELECT id FROM tegata_sessions WHERE user_id = ${userId})`.execute(t);
          await sql`DELETE FROM tegata_sessions WHERE user_id = ${userId}`.execute(t);
          await sql`DELETE FROM tegata_one_time_tokens WHERE user_id = ${userId}`.execute(t);
          await sql`DELETE FROM tegata_challenges WHERE user_id = ${userId}`.execute(t);
          await sql`DELETE FROM tegata_login_events WHERE user_id = ${userId}`.execute(t);
          // Attempts on the address before it was registered name it too.
          await sql`DELETE FROM tegata_login_events WHERE user_id IS NULL AND email_key = ${key}`.execute(t);
          await sql`DELETE FROM tegata_identities WHERE user_id = ${userId}`.execute(t);
          await sql`DELETE FROM tegata_passkeys WHERE user_id = ${userId}`.execute(t);
          await sql`DELETE FROM tegata_webauthn_challenges WHERE user_id = ${userId}`.execute(t);
          await sql`INSERT INTO tegata_tombstones (email_key_hash, user_id, deleted_at, blocked_until, deleted_by)
            VALUES (${tombstone.emailKeyHash}, ${tombstone.userId}, ${tombstone.deletedAt}, ${tombstone.blockedUntil},
              ${tombstone.deletedBy})
            ON CONFLICT (email_key_hash) DO UPDATE SET user_id = excluded.user_id, deleted_at = excluded.deleted_at,
              blocked_until = excluded.blocked_until, deleted_by = excluded.deleted_by`.execute(t);
          return true;
        }),

      findTombstone: async (emailKeyHash, now) => {
        const row = await first(
          q(),
          sql`SELECT * FROM tegata_tombstones WHERE email_key_hash = ${emailKeyHash} AND blocked_until > ${now}`,
        );
        return row === undefined ? null : toTombstone(row);
      },

      appendAuditEvent: async (e) => {
        await sql`INSERT INTO tegata_audit_events (id, at, actor, action, user_id, reason)
          VALUES (${e.id}, ${e.at}, ${e.actor}, ${e.action}, ${e.userId}, ${e.reason})`.execute(q());
      },

      listAuditEvents: async (query) => {
        const limit = pageSize(query.limit);
        const where = [sql`1 = 1`];
        if (query.userId !== undefined) where.push(sql`user_id = ${query.userId}`);
        if (query.before !== undefined) where.push(sql`id < ${query.before}`);
        const found = await rows(
          q(),
          sql`SELECT * FROM tegata_audit_events WHERE ${sql.join(where, sql` AND `)}
              ORDER BY id DESC LIMIT ${limit + 1}`,
        );
        const items = found.slice(0, limit).map(toAuditEvent);
        return { items, next: found.length > limit ? (items.at(-1)?.id ?? null) : null };
      },

      // Housekeeping

      transaction: async <T>(fn: (store: AuthStore) => Promise<T>): Promise<T> => {
        const exec = q();
        if (exec.isTransaction) return savepoint(exec, async () => fn(store));
        return db.transaction().execute(async (trx) => {
          const inner = { trx, open: true };
          try {
            return await fn(api(inner));
          } finally {
            inner.open = false;
          }
        });
      },

      deleteExpired: (now) =>
        step(async (t) => {
          const over = sql`expires_at <= ${now} OR (revoked_at IS NOT NULL AND revoked_at <= ${now - REVOKED_SESSION_RETENTION_MS})`;
          let removed = 0;
          removed += await affected(t, sql`DELETE FROM tegata_one_time_tokens WHERE expires_at <= ${now}`);
          removed += await affected(t, sql`DELETE FROM tegata_challenges WHERE expires_at <= ${now}`);
          removed += await affected(
            t,
            sql`DELETE FROM tegata_refresh_tokens WHERE session_id IN (SELECT id FROM tegata_sessions WHERE ${over})`,
          );
          removed += await affected(t, sql`DELETE FROM tegata_sessions WHERE ${over}`);
          removed += await affected(t, sql`DELETE FROM tegata_refresh_tokens WHERE expires_at <= ${now}`);
          removed += await affected(t, sql`DELETE FROM tegata_rate_limits WHERE window_end <= ${now}`);
          removed += await affected(t, sql`DELETE FROM tegata_lockout WHERE locked_until <= ${now}`);
          removed += await affected(t, sql`DELETE FROM tegata_signing_keys WHERE expires_at <= ${now}`);
          removed += await affected(t, sql`DELETE FROM tegata_mails WHERE status IN ('sent', 'failed')`);
          removed += await affected(t, sql`DELETE FROM tegata_once_claims WHERE expires_at <= ${now}`);
          removed += await affected(
            t,
            sql`DELETE FROM tegata_webauthn_challenges WHERE expires_at <= ${now}`,
          );
          removed += await affected(t, sql`DELETE FROM tegata_tombstones WHERE blocked_until <= ${now}`);
          return removed;
        }),

      close: async () => {
        if (closed) return;
        closed = true;
        await db.destroy();
        await options.onClose?.();
      },
    };
    return store;
  }

  return api(null);
}
