/**
 * The store of the auth server: domain-level methods with the atomic step inside each one.
 *
 * Generic CRUD (`create`/`findOne`/`update`) loses races: a lockout that reads the counter, awaits
 * a slow hash and writes the counter lets every guess in flight through. Here each method that an
 * attacker can race is one atomic step (one SQL statement in the SQL stores): reserve a sign-in
 * attempt, rotate a refresh token, consume a one-time token, advance a TOTP step, claim an MFA
 * challenge attempt. Every method takes `now` (ms since the epoch) from the server's clock; no
 * store reads the time itself.
 *
 * Secrets never reach a store in clear: refresh, reset, email-change and challenge tokens arrive as
 * SHA-256 hashes (`…Hash` fields), passwords as PHC strings, TOTP secrets and private signing keys
 * sealed with the server secret (`…Sealed` fields). A leaked table signs no one in.
 *
 * `memoryStore()` implements it; `test/server/store-conformance.ts` is the suite every store runs.
 *
 * @module
 */

/** A user account. */
export interface StoredUser {
  id: string;
  /** The address as the user typed it (trimmed), shown back to them. */
  email: string;
  /**
   * The lookup key of `email`, unique: NFKC, then lower case (see `emailKey`), so that a
   * full-width or differently cased look-alike cannot register twice.
   */
  emailKey: string;
  name: string | null;
  /** PHC string (`$argon2id$v=19$m=…`, `$scrypt$…`); `null` for an account without a password. */
  passwordHash: string | null;
  emailVerified: boolean;
  /** Whether other users may see `lastLoginAt` (the seed's "hide my last login"). */
  showLastLogin: boolean;
  /** Time of the last successful sign-in, `null` before the first. */
  lastLoginAt: number | null;
  /** When the operator suspended the account (アカウント停止), `null` while it is not suspended. */
  suspendedAt: number | null;
  /** The operator's reason for the suspension (for operators; never shown to other users). */
  suspendedReason: string | null;
  /**
   * The language of the user's mails (their setting; set at sign-up from the request). `null`:
   * never chosen (accounts made before it existed, by an operator or a provider): a mail sent
   * during a request follows its `Accept-Language`, any other is in English.
   */
  mailLocale: "ja" | "en" | null;
  createdAt: number;
  updatedAt: number;
}

/** What `createUser` needs. */
export type NewUser = Omit<
  StoredUser,
  "lastLoginAt" | "updatedAt" | "suspendedAt" | "suspendedReason" | "mailLocale"
> & {
  lastLoginAt?: number | null;
  suspendedAt?: number | null;
  suspendedReason?: string | null;
  mailLocale?: "ja" | "en" | null;
};

/** The fields `updateUser` may change. */
export type UserPatch = Partial<
  Pick<
    StoredUser,
    | "email"
    | "emailKey"
    | "name"
    | "passwordHash"
    | "emailVerified"
    | "showLastLogin"
    | "lastLoginAt"
    | "suspendedAt"
    | "suspendedReason"
    | "mailLocale"
  >
>;

/** A social identity (an OpenID Connect provider's account) linked to a user. */
export interface StoredIdentity {
  /** The provider's id in the server's configuration: `google`, `apple`, `yahoo_japan`, … */
  provider: string;
  /** The provider's `sub`: unique per provider. */
  subject: string;
  userId: string;
  /** The address the provider gave at the last sign-in, if any. */
  email: string | null;
  /** Whether the provider said it verified that address. */
  emailVerified: boolean;
  createdAt: number;
  lastUsedAt: number | null;
}

/** The outcome of {@link AuthStore.unlinkIdentity}, decided in one atomic step. */
export type UnlinkResult =
  | "unlinked"
  /** The user has no password and no other identity: it is their last way to sign in. Nothing changed. */
  | "last"
  | "not_found";

/**
 * What is kept of a deleted account (退会): no name, no address in clear, no history. The hash of
 * the email key blocks the address from registering again until `blockedUntil`; `deleteExpired`
 * then removes the tombstone. The audit trail keeps who deleted it and why, by user id.
 */
export interface StoredTombstone {
  userId: string;
  /** SHA-256 of the account's email key (base64url): the re-registration block. */
  emailKeyHash: string;
  deletedAt: number;
  /** Until then the address cannot register again. */
  blockedUntil: number;
  /** `user` (退会) or `operator`. */
  deletedBy: "user" | "operator";
}

/** One operator or security action, for the audit trail. */
export interface StoredAuditEvent {
  /** Sorts by time, then arrival (the login-event id shape, `aud_` prefix): the paging key. */
  id: string;
  at: number;
  /** Who acted: `operator:<name>`, `user`, `system`. */
  actor: string;
  /** `suspend`, `unsuspend`, `unlock`, `sign_out_everywhere`, `delete`, `lookup`, … */
  action: string;
  /** The account acted on, if any (kept after deletion: an id, no personal data). */
  userId: string | null;
  /** Why, as the actor said. */
  reason: string | null;
}

/**
 * A passkey: a WebAuthn credential of a user (a platform authenticator's "face or fingerprint", a
 * security key, a password manager's passkey). Only public material: the private key never leaves
 * the authenticator.
 */
export interface StoredPasskey {
  /** The credential id, base64url: unique across users. */
  id: string;
  userId: string;
  /** The credential's COSE public key, base64url. */
  publicKey: string;
  /**
   * The authenticator's signature counter as last accepted; `0` for an authenticator that keeps
   * none (most synced passkeys), which then stays `0`.
   */
  signCount: number;
  /** How the client may reach the authenticator (`internal`, `hybrid`, `usb`, …), as it said. */
  transports: string[];
  /** `multiDevice` for a passkey that may be synced (backup eligible), else `singleDevice`. */
  deviceType: "singleDevice" | "multiDevice";
  /** Whether the authenticator said at its last use that the passkey is backed up (synced). */
  backedUp: boolean;
  /** The user's name of it ("MacBook", "iPhone"). */
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/**
 * A WebAuthn challenge handed out by a ceremony's options, consumed once by the response that
 * signs it. Stored by hash (`challengeHash`, SHA-256 of the base64url challenge, base64url).
 */
export interface StoredWebAuthnChallenge {
  challengeHash: string;
  /** `register`: a signed-in user adds a passkey; `sign_in`: anyone, with a discoverable passkey. */
  purpose: "register" | "sign_in";
  /** The registering user; `null` for a sign-in (the passkey names its user). */
  userId: string | null;
  expiresAt: number;
  createdAt: number;
}

/** A second factor of the TOTP kind (passkeys are {@link StoredPasskey}s of their own). */
export interface StoredFactor {
  id: string;
  userId: string;
  kind: "totp";
  /** The TOTP secret, sealed with the server secret. */
  secretSealed: string;
  /** `pending` until the first code activates it. */
  status: "pending" | "active";
  /** The step of the last accepted code, `-1` before the first: only newer steps are accepted. */
  lastStep: number;
  createdAt: number;
  lastUsedAt: number | null;
}

/** A signed-in session: one refresh-token family. */
export interface StoredSession {
  id: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  ip: string;
  userAgent: string | null;
  /** "Keep me signed in": longer refresh-token lifetime. */
  remember: boolean;
  /** Authentication methods used (`pwd`, `otp`, …), as in the ID token's `amr`. */
  amr: string[];
  /** When the newest refresh token of the family expires; after that the session is over. */
  expiresAt: number;
  /** When it was ended (sign-out, reuse detected, operator), `null` while it is active. */
  revokedAt: number | null;
}

/** A refresh token of a session, by hash. */
export interface StoredRefreshToken {
  tokenHash: string;
  sessionId: string;
  expiresAt: number;
  /** When it was rotated (used), `null` while it is the family's current token. */
  usedAt: number | null;
}

/** The outcome of {@link AuthStore.rotateRefreshToken}, decided in one atomic step. */
export type RotateResult =
  /** The token was current: it is now used, `next` is stored, the session extended. */
  | { kind: "rotated"; session: StoredSession }
  /** The token was already used: reuse detected, the whole family (session) is revoked now. */
  | { kind: "reused"; sessionId: string }
  /** Unknown, expired, or its session ended. Nothing changed. */
  | { kind: "invalid" };

/** A pending second-factor challenge after a correct password. */
export interface StoredChallenge {
  idHash: string;
  userId: string;
  remember: boolean;
  /** Methods this challenge accepts. */
  methods: string[];
  /** How the first step authenticated (`pwd`, or `fed` for a provider's ID token): the session's `amr` starts with it. */
  amr: string[];
  /** Codes evaluated so far (claimed attempts), whatever their kind. */
  attempts: number;
  /** The code mailed for this challenge (`email_code`), sealed with the server secret; `null` before one is sent. */
  emailCodeSealed: string | null;
  /** When the mailed code stops working. */
  emailCodeExpiresAt: number | null;
  /** How many codes were mailed for this challenge. */
  emailCodesSent: number;
  expiresAt: number;
  /** Set once, by the one request that completed it. */
  completedAt: number | null;
  createdAt: number;
}

/** The outcome of {@link AuthStore.claimChallengeAttempt}. */
export type ChallengeAttempt =
  /** A slot to evaluate one code; `attempt` is 1-based. */
  | { kind: "ok"; challenge: StoredChallenge; attempt: number }
  /** All `maxAttempts` slots are taken: refuse without evaluating. */
  | { kind: "exhausted"; challenge: StoredChallenge }
  /** Unknown, expired or already completed. */
  | { kind: "invalid" };

/** Purposes of one-time tokens sent by mail. */
export type OneTimePurpose =
  | "password_reset"
  | "email_change"
  | "email_verify"
  | "unlock"
  /** The "this wasn't me" link of the notice to the old address of an email change. */
  | "email_change_cancel";

/** A one-time token (reset link, email-change link, …), by hash. */
export interface StoredOneTimeToken {
  tokenHash: string;
  purpose: OneTimePurpose;
  userId: string;
  /** Purpose-specific data, such as the new address of an email change. */
  data: Record<string, string>;
  expiresAt: number;
  createdAt: number;
}

/** How the account-lockout counter behaves. */
export interface LockoutPolicy {
  /** Failures before the lock. */
  maxAttempts: number;
  /** How long the lock lasts, in seconds. */
  lockSeconds: number;
}

/**
 * The outcome of {@link AuthStore.reserveAttempt}: the attempt is counted as a failure *before*
 * the password or code is checked ("reserve before you verify"), so concurrent guesses cannot
 * exceed `maxAttempts` evaluations.
 */
export type AttemptReservation =
  /**
   * Go ahead and evaluate; `remaining` attempts are left after this one if it fails. `lockedNow`
   * is true for the one reservation that took the last slot: the account is locked from now on
   * (until `clearAttempts` after a success), and that caller alone reports the lock (unlock mail).
   */
  | { kind: "reserved"; remaining: number; lockedNow: boolean }
  /** Locked: refuse without evaluating. */
  | { kind: "locked"; until: number };

/** A sign-in attempt in the login history. */
export interface StoredLoginEvent {
  /** Sorts by time, then arrival: the paging key. */
  id: string;
  /** `null` for an attempt on an unknown address. */
  userId: string | null;
  email: string;
  at: number;
  ip: string;
  userAgent: string | null;
  /** `password`, `totp`, `recovery_code`, `google`, … */
  method: string;
  result: "success" | "failure" | "locked";
  sessionId: string | null;
  location: { country?: string; region?: string; city?: string } | null;
}

/** Filters and paging of {@link AuthStore.listLoginEvents}. */
export interface LoginEventQuery {
  /** Only events at or after this time. */
  from?: number;
  /** Only events before this time. */
  to?: number;
  result?: StoredLoginEvent["result"];
  method?: string;
  /** 1–100. */
  limit: number;
  /** The `id` of the last event of the previous page: the next page is strictly older. */
  before?: string;
}

/** A signing key of access and ID tokens. */
export interface StoredSigningKey {
  kid: string;
  alg: "ES256";
  /** The public JWK (served in the JWKS). */
  publicJwk: Record<string, unknown>;
  /** The private JWK, sealed with the server secret. */
  privateSealed: string;
  createdAt: number;
  /** From then on it no longer signs (a newer key does); it stays in the JWKS. */
  retiredAt: number | null;
  /** From then on it is dropped from the JWKS (its tokens have expired). */
  expiresAt: number | null;
}

/**
 * A mail in the durable outbox. It is queued in the same transaction as the one-time token it
 * carries, so a mail is never lost once its token exists, and the sender of `src/server/mail`
 * delivers it at least once (and, in normal operation, once).
 *
 * **States.** `queued` (waiting until `nextAttemptAt`: at once, or after a backoff) → `sending`
 * (claimed by a sender until `nextAttemptAt`, its lease) → `sent`, or back to `queued` after a
 * failed attempt, or `failed` when the sender gives up. A `sending` mail whose lease ran out (its
 * sender died) is claimed again.
 *
 * **Secrets at rest.** The body (subject, text, HTML, the one-time link) is sealed with the server
 * secret (`bodySealed`) and dropped once the mail is `sent` or `failed`: what stays is who got what
 * kind of mail, when.
 */
export interface StoredMail {
  id: string;
  to: string;
  kind: string;
  locale: string;
  /** The sealed body; `null` once the mail is `sent` or `failed`. */
  bodySealed: string | null;
  createdAt: number;
  status: "queued" | "sending" | "sent" | "failed";
  /** Claims so far: the attempt number of the current claim (the fencing token of `markMail…`). */
  attempts: number;
  /** `queued`: not before this time (backoff). `sending`: the end of the sender's lease. */
  nextAttemptAt: number;
  sentAt: number | null;
}

/** The outcome of {@link AuthStore.consumeRateLimit}. */
export type RateLimitResult =
  | { allowed: true; remaining: number }
  | { allowed: false; retryAfterSeconds: number };

/**
 * Everything the auth server keeps. Methods resolve to `null`/`false` for "not found" and reject
 * only for failures of the store itself.
 */
export interface AuthStore {
  // Users
  /** Creates a user; `"email_taken"` when `emailKey` belongs to another user (unique, atomic). */
  createUser(user: NewUser, now: number): Promise<StoredUser | "email_taken">;
  getUserById(id: string): Promise<StoredUser | null>;
  getUserByEmailKey(emailKey: string): Promise<StoredUser | null>;
  /** Applies `patch`; `"email_taken"` when a new `emailKey` belongs to another user; `null` when there is no such user. */
  updateUser(id: string, patch: UserPatch, now: number): Promise<StoredUser | "email_taken" | null>;

  // Factors
  addFactor(factor: StoredFactor): Promise<void>;
  listFactors(userId: string): Promise<StoredFactor[]>;
  /** Marks a pending factor active; false when it is not pending (or not the user's). */
  activateFactor(userId: string, factorId: string, step: number, now: number): Promise<boolean>;
  removeFactor(userId: string, factorId: string): Promise<boolean>;
  /**
   * Records `step` as the factor's last accepted step only if it is newer than the stored one
   * (RFC 6238 section 5.2 replay refusal): true for the one caller that advanced it.
   */
  advanceTotpStep(factorId: string, step: number, now: number): Promise<boolean>;

  // Recovery codes (stored as hashes)
  /** Replaces the user's recovery codes. */
  replaceRecoveryCodes(userId: string, codeHashes: string[]): Promise<void>;
  /** Uses one code: true for the one caller that consumed it. */
  consumeRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean>;
  /** How many unused codes the user has. */
  countRecoveryCodes(userId: string): Promise<number>;

  // Lockout (per account key, e.g. the email key)
  /** Counts an attempt before it is evaluated; see {@link AttemptReservation}. */
  reserveAttempt(key: string, policy: LockoutPolicy, now: number): Promise<AttemptReservation>;
  /** A successful attempt: the failure counter starts again. */
  clearAttempts(key: string): Promise<void>;
  /**
   * Gives back one reserved attempt that turned out not to be a failure (a correct password of an
   * account whose second factor is still to come): the counter goes down by one, never below 0,
   * and a lock the given-back attempt had set is lifted. Other failures stay counted.
   */
  releaseAttempt(key: string, policy: LockoutPolicy): Promise<void>;
  /** Ends a lock early (operator, unlock link). */
  unlock(key: string): Promise<void>;
  /** The lock in force, if any. */
  lockedUntil(key: string, now: number): Promise<number | null>;

  // Rate limits (per IP and endpoint, across accounts)
  /** Counts one request in a fixed window of `windowSeconds`; refuses over `max`. */
  consumeRateLimit(
    key: string,
    limit: { max: number; windowSeconds: number },
    now: number,
  ): Promise<RateLimitResult>;

  // MFA challenges
  createChallenge(challenge: StoredChallenge): Promise<void>;
  /** Takes one evaluation slot of a live challenge, atomically (at most `maxAttempts` in all). */
  claimChallengeAttempt(idHash: string, maxAttempts: number, now: number): Promise<ChallengeAttempt>;
  /** Marks the challenge completed: true for the one caller that did it. */
  completeChallenge(idHash: string, now: number): Promise<boolean>;
  /**
   * Stores a new mailed code of a live, uncompleted challenge (replacing the previous one), in one
   * step with the count of codes sent, and gives the challenge as it is now: `"limit"` when
   * `maxSends` were sent already, `"invalid"` for an unknown, expired or completed challenge;
   * nothing changes then.
   */
  setChallengeEmailCode(
    idHash: string,
    code: { sealed: string; expiresAt: number },
    maxSends: number,
    now: number,
  ): Promise<{ kind: "set"; challenge: StoredChallenge } | { kind: "limit" } | { kind: "invalid" }>;

  // Sessions and refresh-token families
  /**
   * Creates a session and its first refresh token, in one step with a check that its user exists
   * and is not suspended: `false`, storing nothing, otherwise (a sign-in racing a deletion or a
   * suspension must not leave a session behind).
   */
  createSession(session: StoredSession, refresh: StoredRefreshToken): Promise<boolean>;
  getSession(id: string): Promise<StoredSession | null>;
  /**
   * Records that an active session was just used (`lastSeenAt`, `ip`, `userAgent`), only when its
   * `lastSeenAt` is older than `now - minIntervalMs` (so a busy client writes at most once per
   * interval): true when written.
   */
  touchSession(
    id: string,
    seen: { ip: string; userAgent: string | null },
    now: number,
    minIntervalMs: number,
  ): Promise<boolean>;
  /** Active (not revoked, not expired) sessions of a user, newest first. */
  listSessions(userId: string, now: number): Promise<StoredSession[]>;
  /**
   * Rotates a refresh token in one step: current → `rotated` (it becomes used, `next` is stored,
   * the session's `expiresAt`, `lastSeenAt`, `ip` and `userAgent` updated); already used →
   * `reused` (the session is revoked); anything else → `invalid`.
   */
  rotateRefreshToken(
    tokenHash: string,
    next: { tokenHash: string; expiresAt: number },
    seen: { ip: string; userAgent: string | null },
    now: number,
  ): Promise<RotateResult>;
  /** Ends one session; false when it was not active or not the user's. */
  revokeSession(userId: string, sessionId: string, now: number): Promise<boolean>;
  /** Ends every active session of the user except `exceptSessionId`; returns how many. */
  revokeUserSessions(userId: string, now: number, exceptSessionId?: string): Promise<number>;

  // One-time tokens
  /** Stores a token; older unconsumed tokens of the same user and purpose are retired in the same step. */
  issueOneTimeToken(token: StoredOneTimeToken): Promise<void>;
  /** Takes the token if it is live and of that purpose: the record for the one caller that consumed it. */
  consumeOneTimeToken(
    tokenHash: string,
    purpose: OneTimePurpose,
    now: number,
  ): Promise<StoredOneTimeToken | null>;

  // Login history
  appendLoginEvent(event: StoredLoginEvent): Promise<void>;
  /** Sets the session an event started, once (only while its `sessionId` is `null`): true when set. */
  linkLoginEvent(userId: string, eventId: string, sessionId: string): Promise<boolean>;
  /** Newest first, strictly older than `before`; `next` is the `before` of the next page. */
  listLoginEvents(
    userId: string,
    query: LoginEventQuery,
  ): Promise<{ items: StoredLoginEvent[]; next: string | null }>;

  // Signing keys
  addSigningKey(key: StoredSigningKey): Promise<void>;
  /** Keys not yet expired at `now` (newest first): the JWKS, and the signing key (newest not retired). */
  listSigningKeys(now: number): Promise<StoredSigningKey[]>;
  /** Stops a key from signing at `retiredAt` and drops it from the JWKS at `expiresAt`. */
  retireSigningKey(kid: string, retiredAt: number, expiresAt: number): Promise<void>;

  // Outbox (durable mail, delivered by the sender of src/server/mail)
  enqueueMail(mail: StoredMail): Promise<void>;
  /** One mail of the outbox (its record once sent), `null` when unknown. */
  getMail(id: string): Promise<StoredMail | null>;
  /**
   * Claims up to `limit` mails due at `now`, oldest first, in one atomic step so that two senders
   * (of one process or of several) never hold the same mail: `queued` ones whose `nextAttemptAt`
   * has come, and `sending` ones whose lease ran out (their sender died). Each becomes `sending`
   * with `attempts` + 1 and a lease until `now + leaseMs` (in `nextAttemptAt`). On PostgreSQL the
   * rows are taken `FOR UPDATE SKIP LOCKED`: concurrent claimers skip each other's rows.
   */
  claimMail(now: number, limit: number, leaseMs: number): Promise<StoredMail[]>;
  /**
   * Marks the claim `attempt` of a mail sent and drops its body: true when done; false (nothing
   * changed) when the mail is not `sending` under that claim any more (its lease ran out and
   * another sender claimed it, or it is unknown).
   */
  markMailSent(id: string, attempt: number, now: number): Promise<boolean>;
  /**
   * After the failed claim `attempt`: puts the mail back in the queue for `nextAttemptAt`, or,
   * when `giveUp`, marks it `failed` and drops its body. False (nothing changed) when the mail is
   * not `sending` under that claim any more.
   */
  markMailFailed(id: string, attempt: number, nextAttemptAt: number, giveUp: boolean): Promise<boolean>;

  // Social identities
  /** Links an identity; `"taken"` when (provider, subject) is linked already (to anyone), atomically. */
  linkIdentity(identity: StoredIdentity): Promise<"linked" | "taken">;
  getIdentity(provider: string, subject: string): Promise<StoredIdentity | null>;
  /** The user's identities, oldest first. */
  listIdentities(userId: string): Promise<StoredIdentity[]>;
  /** Records a sign-in with the identity (`lastUsedAt`, and the address the provider gave now). */
  touchIdentity(
    provider: string,
    subject: string,
    seen: { email: string | null; emailVerified: boolean },
    now: number,
  ): Promise<void>;
  /**
   * Unlinks an identity of the user unless it is their last way to sign in (no password, no other
   * identity), in one step.
   */
  unlinkIdentity(userId: string, provider: string, subject: string): Promise<UnlinkResult>;

  // Passkeys (WebAuthn credentials)
  /** Adds a passkey; `"taken"` when its credential id is stored already (for anyone), atomically. */
  addPasskey(passkey: StoredPasskey): Promise<"added" | "taken">;
  getPasskey(id: string): Promise<StoredPasskey | null>;
  /** The user's passkeys, oldest first. */
  listPasskeys(userId: string): Promise<StoredPasskey[]>;
  /**
   * Records a use of a passkey in one step, only if `signCount` is greater than the stored counter,
   * or both are `0` (an authenticator without a counter): `signCount`, `backedUp` and `lastUsedAt`
   * are written and the answer is true. Otherwise (a counter that did not grow: a cloned
   * authenticator or a replay) nothing changes and the answer is false; of concurrent calls with
   * the same count, one wins.
   */
  recordPasskeyUse(id: string, use: { signCount: number; backedUp: boolean }, now: number): Promise<boolean>;
  /** Renames a passkey of the user; false when it is not theirs (or unknown). */
  renamePasskey(userId: string, id: string, name: string): Promise<boolean>;
  /** Removes a passkey of the user; false when it is not theirs (or unknown). */
  removePasskey(userId: string, id: string): Promise<boolean>;
  /** Stores a WebAuthn challenge (its hash is new: 32 random bytes). */
  createWebAuthnChallenge(challenge: StoredWebAuthnChallenge): Promise<void>;
  /**
   * Takes a live challenge of that purpose, once: the record for the one caller that consumed it,
   * `null` for an unknown, expired, already consumed or other-purpose challenge (nothing changes).
   */
  consumeWebAuthnChallenge(
    challengeHash: string,
    purpose: StoredWebAuthnChallenge["purpose"],
    now: number,
  ): Promise<StoredWebAuthnChallenge | null>;

  // Single use
  /**
   * Claims `key` once until `expiresAt` (an ID token's nonce, say): true for the one caller that
   * claimed it; false while a live claim exists.
   */
  claimOnce(key: string, expiresAt: number, now: number): Promise<boolean>;

  // Account deletion and the audit trail
  /**
   * Erases the user and everything of theirs (factors, recovery codes, sessions and refresh
   * tokens, one-time tokens, challenges, login events, identities, passkeys and their WebAuthn
   * challenges, the lockout counter of their email key) and keeps `tombstone`, in one step: false when there is no such user.
   */
  deleteUser(userId: string, tombstone: StoredTombstone): Promise<boolean>;
  /** The tombstone whose block covers `emailKeyHash` at `now`, or `null`. */
  findTombstone(emailKeyHash: string, now: number): Promise<StoredTombstone | null>;
  appendAuditEvent(event: StoredAuditEvent): Promise<void>;
  /** Newest first, optionally of one user, strictly older than `before`. */
  listAuditEvents(query: {
    userId?: string;
    limit: number;
    before?: string;
  }): Promise<{ items: StoredAuditEvent[]; next: string | null }>;

  // Housekeeping
  /**
   * Runs `fn` with a store whose writes are all kept or all undone. `fn` must use the store it
   * receives. What calls to the outer store see meanwhile depends on the store: in memory and on
   * SQLite they wait until the transaction ends (transactions are serialised); on PostgreSQL they
   * run beside it and see its writes once it commits. Never call the outer store from `fn`: on
   * the serialising stores that waits for the transaction itself and never ends.
   */
  transaction<T>(fn: (store: AuthStore) => Promise<T>): Promise<T>;
  /** Removes what expired before `now` (tokens, challenges and WebAuthn challenges, ended sessions, rate-limit windows); returns how many rows. */
  deleteExpired(now: number): Promise<number>;
  /** Releases connections. */
  close(): Promise<void>;
}
