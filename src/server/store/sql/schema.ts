/**
 * The SQL stores' schema and its versioned migrations, the same tables on SQLite and PostgreSQL.
 *
 * Times are BIGINT milliseconds since the epoch, booleans INTEGER 0/1, lists and objects JSON in
 * TEXT: one set of statements runs on both databases. On PostgreSQL every key column is
 * `COLLATE "C"`, so that ids sort by code unit as they do in JavaScript (and on SQLite's default
 * BINARY collation) whatever the database's locale: the history's paging key depends on it.
 *
 * @module
 */

import { type Kysely, sql } from "kysely";

/** The two databases. */
export type SqlDialect = "sqlite" | "postgres";

/** One migration: its version (1, 2, …), a name, and its statements for a dialect. */
export interface Migration {
  version: number;
  name: string;
  up(dialect: SqlDialect): string[];
}

/** The table of applied migrations. */
export const MIGRATIONS_TABLE = "tegata_migrations";

/** The PostgreSQL advisory lock that serialises migrations of instances starting at once. */
const PG_MIGRATION_LOCK = 7_465_676_174;

function initial(dialect: SqlDialect): string[] {
  const key = dialect === "postgres" ? 'TEXT COLLATE "C"' : "TEXT";
  return [
    `CREATE TABLE tegata_users (
      id ${key} PRIMARY KEY,
      email TEXT NOT NULL,
      email_key ${key} NOT NULL,
      name TEXT,
      password_hash TEXT,
      email_verified INTEGER NOT NULL,
      show_last_login INTEGER NOT NULL,
      last_login_at BIGINT,
      suspended_at BIGINT,
      suspended_reason TEXT,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      CONSTRAINT tegata_users_email_key_unique UNIQUE (email_key)
    )`,
    `CREATE TABLE tegata_factors (
      id ${key} PRIMARY KEY,
      user_id ${key} NOT NULL,
      kind TEXT NOT NULL,
      secret_sealed TEXT NOT NULL,
      status TEXT NOT NULL,
      last_step BIGINT NOT NULL,
      created_at BIGINT NOT NULL,
      last_used_at BIGINT
    )`,
    "CREATE INDEX tegata_factors_user ON tegata_factors (user_id, created_at)",
    `CREATE TABLE tegata_recovery_codes (
      user_id ${key} NOT NULL,
      code_hash ${key} NOT NULL,
      used_at BIGINT,
      PRIMARY KEY (user_id, code_hash)
    )`,
    `CREATE TABLE tegata_lockout (
      key ${key} PRIMARY KEY,
      failures INTEGER NOT NULL,
      locked_until BIGINT,
      reserved_by TEXT
    )`,
    "CREATE INDEX tegata_lockout_until ON tegata_lockout (locked_until)",
    `CREATE TABLE tegata_rate_limits (
      key ${key} PRIMARY KEY,
      window_ms BIGINT NOT NULL,
      window_index BIGINT NOT NULL,
      window_end BIGINT NOT NULL,
      count INTEGER NOT NULL,
      reserved_by TEXT
    )`,
    "CREATE INDEX tegata_rate_limits_end ON tegata_rate_limits (window_end)",
    `CREATE TABLE tegata_challenges (
      id_hash ${key} PRIMARY KEY,
      user_id ${key} NOT NULL,
      remember INTEGER NOT NULL,
      methods TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      expires_at BIGINT NOT NULL,
      completed_at BIGINT,
      created_at BIGINT NOT NULL
    )`,
    "CREATE INDEX tegata_challenges_user ON tegata_challenges (user_id)",
    "CREATE INDEX tegata_challenges_expires ON tegata_challenges (expires_at)",
    `CREATE TABLE tegata_sessions (
      id ${key} PRIMARY KEY,
      user_id ${key} NOT NULL,
      created_at BIGINT NOT NULL,
      last_seen_at BIGINT NOT NULL,
      ip TEXT NOT NULL,
      user_agent TEXT,
      remember INTEGER NOT NULL,
      amr TEXT NOT NULL,
      expires_at BIGINT NOT NULL,
      revoked_at BIGINT
    )`,
    "CREATE INDEX tegata_sessions_user ON tegata_sessions (user_id, created_at)",
    "CREATE INDEX tegata_sessions_expires ON tegata_sessions (expires_at)",
    "CREATE INDEX tegata_sessions_revoked ON tegata_sessions (revoked_at)",
    `CREATE TABLE tegata_refresh_tokens (
      token_hash ${key} PRIMARY KEY,
      session_id ${key} NOT NULL REFERENCES tegata_sessions (id) ON DELETE CASCADE,
      expires_at BIGINT NOT NULL,
      used_at BIGINT
    )`,
    "CREATE INDEX tegata_refresh_tokens_session ON tegata_refresh_tokens (session_id)",
    "CREATE INDEX tegata_refresh_tokens_expires ON tegata_refresh_tokens (expires_at)",
    `CREATE TABLE tegata_one_time_tokens (
      token_hash ${key} PRIMARY KEY,
      purpose ${key} NOT NULL,
      user_id ${key} NOT NULL,
      data TEXT NOT NULL,
      expires_at BIGINT NOT NULL,
      created_at BIGINT NOT NULL,
      CONSTRAINT tegata_one_time_tokens_live UNIQUE (user_id, purpose)
    )`,
    "CREATE INDEX tegata_one_time_tokens_expires ON tegata_one_time_tokens (expires_at)",
    `CREATE TABLE tegata_login_events (
      id ${key} PRIMARY KEY,
      user_id ${key},
      email TEXT NOT NULL,
      email_key ${key} NOT NULL,
      at BIGINT NOT NULL,
      ip TEXT NOT NULL,
      user_agent TEXT,
      method TEXT NOT NULL,
      result TEXT NOT NULL,
      session_id ${key},
      location TEXT
    )`,
    // The history's paging key: a page at any depth is one index range scan.
    "CREATE INDEX tegata_login_events_user ON tegata_login_events (user_id, id)",
    "CREATE INDEX tegata_login_events_anonymous ON tegata_login_events (email_key) WHERE user_id IS NULL",
    `CREATE TABLE tegata_signing_keys (
      kid ${key} PRIMARY KEY,
      alg TEXT NOT NULL,
      public_jwk TEXT NOT NULL,
      private_sealed TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      retired_at BIGINT,
      expires_at BIGINT
    )`,
    `CREATE TABLE tegata_mails (
      id ${key} PRIMARY KEY,
      recipient TEXT NOT NULL,
      kind TEXT NOT NULL,
      locale TEXT NOT NULL,
      subject TEXT NOT NULL,
      text_body TEXT NOT NULL,
      html_body TEXT,
      created_at BIGINT NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      next_attempt_at BIGINT NOT NULL,
      sent_at BIGINT
    )`,
    "CREATE INDEX tegata_mails_queue ON tegata_mails (status, created_at, id)",
    `CREATE TABLE tegata_identities (
      provider ${key} NOT NULL,
      subject ${key} NOT NULL,
      user_id ${key} NOT NULL,
      email TEXT,
      email_verified INTEGER NOT NULL,
      created_at BIGINT NOT NULL,
      last_used_at BIGINT,
      PRIMARY KEY (provider, subject)
    )`,
    "CREATE INDEX tegata_identities_user ON tegata_identities (user_id, created_at)",
    `CREATE TABLE tegata_once_claims (
      key ${key} PRIMARY KEY,
      expires_at BIGINT NOT NULL
    )`,
    "CREATE INDEX tegata_once_claims_expires ON tegata_once_claims (expires_at)",
    `CREATE TABLE tegata_tombstones (
      email_key_hash ${key} PRIMARY KEY,
      user_id ${key} NOT NULL,
      deleted_at BIGINT NOT NULL,
      blocked_until BIGINT NOT NULL,
      deleted_by TEXT NOT NULL
    )`,
    `CREATE TABLE tegata_audit_events (
      id ${key} PRIMARY KEY,
      at BIGINT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      user_id ${key},
      reason TEXT
    )`,
    "CREATE INDEX tegata_audit_events_user ON tegata_audit_events (user_id, id)",
  ];
}

/** Every migration, oldest first. A released migration is never edited: a change is a new one. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial", up: initial },
  {
    version: 2,
    name: "challenge_amr",
    // How a challenge's first step authenticated: a session's `amr` starts with it.
    up: () => [`ALTER TABLE tegata_challenges ADD COLUMN amr TEXT NOT NULL DEFAULT '["pwd"]'`],
  },
  {
    version: 3,
    name: "mail_outbox",
    // The outbox of the mail sender: the body sealed (dropped once sent), a lease on `sending`
    // rows in `next_attempt_at`. No release wrote tegata_mails (there was no sender): it is made
    // anew rather than altered (SQLite cannot drop the old NOT NULL body columns in place).
    up: (dialect) => {
      const key = dialect === "postgres" ? 'TEXT COLLATE "C"' : "TEXT";
      return [
        "DROP TABLE tegata_mails",
        `CREATE TABLE tegata_mails (
          id ${key} PRIMARY KEY,
          recipient TEXT NOT NULL,
          kind TEXT NOT NULL,
          locale TEXT NOT NULL,
          body_sealed TEXT,
          created_at BIGINT NOT NULL,
          status TEXT NOT NULL,
          attempts INTEGER NOT NULL,
          next_attempt_at BIGINT NOT NULL,
          sent_at BIGINT
        )`,
        "CREATE INDEX tegata_mails_due ON tegata_mails (next_attempt_at) WHERE status IN ('queued', 'sending')",
        "CREATE INDEX tegata_mails_created ON tegata_mails (created_at, id)",
      ];
    },
  },
  {
    version: 4,
    name: "user_mail_locale",
    // The language of a user's mails (their setting): NULL for accounts made before it existed.
    up: () => ["ALTER TABLE tegata_users ADD COLUMN mail_locale TEXT"],
  },
  {
    version: 5,
    name: "challenge_email_code",
    // The second factor by mail: the code of a challenge (sealed), when it ends, how many were sent.
    up: () => [
      "ALTER TABLE tegata_challenges ADD COLUMN email_code_sealed TEXT",
      "ALTER TABLE tegata_challenges ADD COLUMN email_code_expires_at BIGINT",
      "ALTER TABLE tegata_challenges ADD COLUMN email_codes_sent INTEGER NOT NULL DEFAULT 0",
    ],
  },
  {
    version: 6,
    name: "passkeys",
    // Passkeys (WebAuthn credentials, public material only) and the challenges of their
    // ceremonies, consumed once (by hash; `user_id` NULL for a sign-in with a discoverable one).
    up: (dialect) => {
      const key = dialect === "postgres" ? 'TEXT COLLATE "C"' : "TEXT";
      return [
        `CREATE TABLE tegata_passkeys (
          id ${key} PRIMARY KEY,
          user_id ${key} NOT NULL,
          public_key TEXT NOT NULL,
          sign_count BIGINT NOT NULL,
          transports TEXT NOT NULL,
          device_type TEXT NOT NULL,
          backed_up INTEGER NOT NULL,
          name TEXT NOT NULL,
          created_at BIGINT NOT NULL,
          last_used_at BIGINT
        )`,
        "CREATE INDEX tegata_passkeys_user ON tegata_passkeys (user_id, created_at)",
        `CREATE TABLE tegata_webauthn_challenges (
          challenge_hash ${key} PRIMARY KEY,
          purpose TEXT NOT NULL,
          user_id ${key},
          expires_at BIGINT NOT NULL,
          created_at BIGINT NOT NULL
        )`,
        "CREATE INDEX tegata_webauthn_challenges_expires ON tegata_webauthn_challenges (expires_at)",
        "CREATE INDEX tegata_webauthn_challenges_user ON tegata_webauthn_challenges (user_id)",
      ];
    },
  },
];

/**
 * Applies the migrations the database lacks, in one transaction that also serialises instances
 * starting at once (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: an advisory lock). Idempotent.
 *
 * @returns The versions applied now (empty when the schema was current).
 */
// biome-ignore lint/suspicious/noExplicitAny: the schema is untyped SQL.
export async function migrate(db: Kysely<any>, dialect: SqlDialect, now: number): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    if (dialect === "postgres") await sql`SELECT pg_advisory_xact_lock(${PG_MIGRATION_LOCK})`.execute(trx);
    await sql
      .raw(
        `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
      )
      .execute(trx);
    const applied = new Set(
      (await sql<{ version: number | string }>`SELECT version FROM tegata_migrations`.execute(trx)).rows.map(
        (r) => Number(r.version),
      ),
    );
    const known = new Set(MIGRATIONS.map((m) => m.version));
    const unknown = [...applied].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new Error(
        `tegata: the database has schema version ${Math.max(...unknown)}, newer than this tegata knows (${Math.max(...known)}): upgrade tegata`,
      );
    }
    const done: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.up(dialect)) await sql.raw(statement).execute(trx);
      await sql`INSERT INTO tegata_migrations (version, name, applied_at) VALUES (${migration.version}, ${migration.name}, ${now})`.execute(
        trx,
      );
      done.push(migration.version);
    }
    return done;
  });
}
