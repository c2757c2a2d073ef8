/**
 * Second factors of the auth server: the MFA challenge after a correct password, its completion
 * with a TOTP code or a recovery code, and the management of a user's factors (enrol, activate,
 * list, remove, new recovery codes). The behaviour is the mock's (`src/mock/server.ts`) and
 * docs/api.md's; every step an attacker can race is one atomic store call.
 *
 * Lockout: every code checked here is counted on the account's lockout counter *before* it is
 * checked (`reserveAttempt`, as at sign-in), so wrong codes and wrong passwords share one lock.
 * Secrets reach the store only hashed (challenge ids, recovery codes) or sealed (TOTP secrets).
 *
 * @module
 */

import { generateTotpSecret, totpUri, verifyTotp } from "../../totp/primitives";
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from "../../totp/recovery";
import { hashToken, randomToken, timingSafeEqual } from "../crypto/tokens";
import type {
  AttemptReservation,
  StoredChallenge,
  StoredFactor,
  StoredLoginEvent,
  StoredMail,
  StoredUser,
} from "../store/types";
import type { DomainContext, RequestMeta } from "./context";
import { accountSuspended, DomainError } from "./errors";

/** The purpose under which TOTP secrets are sealed. */
const TOTP_SEAL_PURPOSE = "totp-secret";
/** Recovery codes issued at activation and on regeneration. */
const RECOVERY_CODE_COUNT = 10;
/** TOTP steps accepted either side of the current one (docs/api.md: window 1). */
const TOTP_WINDOW = 1;
/** The longest TOTP label part (issuer, account name), in UTF-16 code units, as the mock. */
const MAX_LABEL_LENGTH = 256;
/** Base36 digits of the time part of a login-event id: enough until the year 5188. */
const EVENT_TIME_DIGITS = 9;
/** Base36 digits of the random part of a login-event id. */
const EVENT_RANDOM_DIGITS = 6;
const BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * A completed sign-in: the HTTP layer starts the session (`sessions.ts`) with `amr` and
 * `remember`, then links it to the login-history event `attemptId` (recorded here with
 * `sessionId: null`, since no session exists yet).
 */
export interface AuthenticatedResult {
  kind: "authenticated";
  /** The user as stored (`startSession` sets `lastLoginAt`). */
  user: StoredUser;
  /** Authentication methods, as in the tokens' `amr`: `["pwd"]`, `["pwd", "otp"]` or `["pwd", "rec"]`. */
  amr: string[];
  /** "Keep me signed in": selects the refresh token's lifetime. */
  remember: boolean;
  /** The id of this sign-in's login-history event (its `sessionId` is still `null`). */
  attemptId: string;
}

/** The challenge of a sign-in that needs a second factor (the wire's `challenge`). */
export interface MfaChallenge {
  /** The challenge id, handed to the client once; the store keeps only its SHA-256. */
  id: string;
  /** `"totp"`, and `"recovery_code"` while the user has unused recovery codes. */
  methods: string[];
  /** Seconds until it expires (`lifetimes.challenge`). */
  expires_in: number;
}

/** What {@link completeMfa} takes: a challenge id and exactly one of `code` and `recoveryCode`. */
export interface CompleteMfaInput {
  challengeId: string;
  /** A TOTP code (spaces ignored). */
  code?: string;
  /** A recovery code (case, spaces and dashes ignored; `o`, `i`, `l` read as `0`, `1`, `1`). */
  recoveryCode?: string;
  /** The code mailed for this challenge (`sendEmailCode`; spaces ignored). */
  emailCode?: string;
}

/** A new, pending TOTP factor: show `secret` (or `uri` as a QR code) once. */
export interface TotpEnrollment {
  factorId: string;
  /** The base32 secret, for typing in by hand. It is stored only sealed. */
  secret: string;
  /** The `otpauth://totp/…` Key URI. */
  uri: string;
}

/** A factor as its owner may see it (no secret). */
export interface FactorInfo {
  id: string;
  type: "totp";
  status: "pending" | "active";
  createdAt: number;
  lastUsedAt: number | null;
}

// ---- shared with credentials.ts --------------------------------------------------------------

/** The last id {@link loginEventId} made in this process: the next of the same ms follows it. */
let lastEvent = { time: "", suffix: "" };

/** Six random base36 digits. */
function randomSuffix(): string {
  let suffix = "";
  while (suffix.length < EVENT_RANDOM_DIGITS) {
    for (const byte of crypto.getRandomValues(new Uint8Array(EVENT_RANDOM_DIGITS))) {
      // 252 = 7 × 36: rejecting the bytes above keeps the digits uniform.
      if (byte < 252 && suffix.length < EVENT_RANDOM_DIGITS) suffix += BASE36[byte % 36];
    }
  }
  return suffix;
}

/**
 * A login-history event id that sorts by time: `att_`, the time in ms as 9 zero-padded base36
 * digits, then 6 base36 digits (the same 15-character shape as the mock's ids). The digits are
 * random, except that within one millisecond the ids one process makes go up by one (as ULID's
 * monotonic mode), so that a history read back keeps arrival order even under a frozen clock.
 * Across processes, events of the same millisecond sort in random order.
 *
 * @internal shared with `credentials.ts`.
 */
export function loginEventId(at: number): string {
  const time = Math.max(0, Math.floor(at)).toString(36).padStart(EVENT_TIME_DIGITS, "0");
  let suffix = randomSuffix();
  if (time === lastEvent.time) {
    const next = (Number.parseInt(lastEvent.suffix, 36) + 1).toString(36).padStart(EVENT_RANDOM_DIGITS, "0");
    if (next.length === EVENT_RANDOM_DIGITS) suffix = next;
  }
  lastEvent = { time, suffix };
  return `att_${time}${suffix}`;
}

/**
 * Where `ip` is, by the server's `locate` option: only its string fields kept; `null` without the
 * option, for an unknown address, or when `locate` throws (a history entry is never lost to it).
 *
 * @internal shared with the mock's `recordLogin`.
 */
export function locateIp(ctx: DomainContext, ip: string): StoredLoginEvent["location"] {
  let found: ReturnType<NonNullable<DomainContext["locate"]>>;
  try {
    found = ctx.locate?.(ip) ?? null;
  } catch {
    return null;
  }
  if (found === null || typeof found !== "object") return null;
  const location: NonNullable<StoredLoginEvent["location"]> = {};
  for (const field of ["country", "region", "city"] as const) {
    const value = found[field];
    if (typeof value === "string") location[field] = value;
  }
  return location;
}

/** What {@link recordLoginAttempt} records besides the request's facts. */
export interface LoginAttemptRecord {
  /** `null` for an address that belongs to no account. */
  userId: string | null;
  /** The address the attempt named. */
  email: string;
  /** `password`, `totp`, `recovery_code`, … */
  method: string;
  result: StoredLoginEvent["result"];
}

/**
 * Appends one attempt to the login history, with `sessionId: null` (the HTTP layer links the
 * session once it exists) and the location `ctx.locate` gives. The HTTP layer also uses it for sign-ups, which the
 * contract records as password sign-ins.
 *
 * @returns The event's id.
 */
export async function recordLoginAttempt(
  ctx: DomainContext,
  attempt: LoginAttemptRecord,
  meta: RequestMeta,
): Promise<string> {
  const at = ctx.now();
  const id = loginEventId(at);
  await ctx.store.appendLoginEvent({
    id,
    userId: attempt.userId,
    email: attempt.email,
    at,
    ip: meta.ip,
    userAgent: meta.userAgent,
    method: attempt.method,
    result: attempt.result,
    sessionId: null,
    location: locateIp(ctx, meta.ip),
  });
  return id;
}

/**
 * The refusal of a locked account: `account_locked` with the seconds left (at least 1).
 *
 * @internal shared with `credentials.ts`.
 */
export function accountLocked(untilOrSeconds: { until: number; now: number } | { seconds: number }) {
  const seconds =
    "seconds" in untilOrSeconds
      ? untilOrSeconds.seconds
      : Math.ceil((untilOrSeconds.until - untilOrSeconds.now) / 1000);
  return new DomainError("account_locked", "The account is locked after repeated failures", {
    retryAfterSeconds: Math.max(1, seconds),
  });
}

/**
 * The refusal of a wrong secret whose reservation was counted: the lock for the reservation that
 * took the last slot, else `code` with the attempts left.
 *
 * @internal shared with `credentials.ts`.
 */
export function countedFailure(
  ctx: DomainContext,
  reservation: Extract<AttemptReservation, { kind: "reserved" }>,
  code: "invalid_credentials" | "invalid_mfa_code",
): DomainError {
  if (reservation.lockedNow) return accountLocked({ seconds: ctx.config.lockout.lockSeconds });
  return new DomainError(
    code,
    code === "invalid_credentials"
      ? "The email or password is incorrect"
      : "The verification code is incorrect",
    { remainingAttempts: reservation.remaining },
  );
}

/**
 * The user's active TOTP factor, if any.
 *
 * @internal shared with `credentials.ts`.
 */
export async function activeTotpFactor(ctx: DomainContext, userId: string): Promise<StoredFactor | null> {
  const factors = await ctx.store.listFactors(userId);
  return factors.find((f) => f.kind === "totp" && f.status === "active") ?? null;
}

// ---- challenge -------------------------------------------------------------------------------

/**
 * Starts the second step of a sign-in whose password was right: a random challenge id (256 bits;
 * the store keeps its SHA-256), accepting `"totp"`, and `"recovery_code"` while the user has
 * unused codes, for `lifetimes.challenge` seconds and at most `lockout.maxAttempts` codes.
 *
 * @param remember - The sign-in's "keep me signed in", carried to the session.
 * @param amr - How the first step authenticated (`pwd`, or `fed` for a provider's ID token): the
 *   session's `amr` starts with it, the second factor adds `otp` or `rec`.
 */
export async function createChallenge(
  ctx: DomainContext,
  user: StoredUser,
  remember: boolean,
  amr: readonly string[] = ["pwd"],
): Promise<MfaChallenge> {
  const now = ctx.now();
  const id = `chl_${randomToken(32)}`;
  const methods = (await ctx.store.countRecoveryCodes(user.id)) > 0 ? ["totp", "recovery_code"] : ["totp"];
  // A code by mail is offered to a verified address only: it is where the code goes.
  if (ctx.config.emailCodeMfa !== false && user.emailVerified) methods.push("email_code");
  const lifetime = ctx.config.lifetimes.challenge;
  await ctx.store.createChallenge({
    idHash: await hashToken(id),
    userId: user.id,
    remember,
    methods,
    amr: [...amr],
    attempts: 0,
    emailCodeSealed: null,
    emailCodeExpiresAt: null,
    emailCodesSent: 0,
    expiresAt: now + lifetime * 1000,
    completedAt: null,
    createdAt: now,
  });
  return { id, methods: [...methods], expires_in: lifetime };
}

/** The seal purpose of a challenge's mailed code: bound to that challenge. */
const emailCodePurpose = (idHash: string) => `mfa-email-code:${idHash}`;

/** Digits of a mailed code. */
const EMAIL_CODE_DIGITS = 6;
/** How long a mailed code works (at most: never past its challenge). */
const EMAIL_CODE_SECONDS = 600;
/** Codes one challenge may mail (a resend replaces the previous code). */
const EMAIL_CODE_MAX_SENDS = 3;

/** A uniformly random code of {@link EMAIL_CODE_DIGITS} decimal digits. */
function randomDigits(): string {
  let code = "";
  while (code.length < EMAIL_CODE_DIGITS) {
    for (const byte of crypto.getRandomValues(new Uint8Array(EMAIL_CODE_DIGITS * 2))) {
      // 250 = 25 × 10: rejecting the bytes above keeps the digits uniform.
      if (byte < 250 && code.length < EMAIL_CODE_DIGITS) code += String(byte % 10);
    }
  }
  return code;
}

/** Checks a mailed code against the challenge's (sealed; constant-time compare), while it works. */
async function acceptEmailCode(ctx: DomainContext, challenge: StoredChallenge, input: string, now: number) {
  if (challenge.emailCodeSealed === null || (challenge.emailCodeExpiresAt ?? 0) <= now) return false;
  const expected = await ctx.sealer.open(challenge.emailCodeSealed, emailCodePurpose(challenge.idHash));
  return timingSafeEqual(input.replace(/\s+/g, ""), expected);
}

/** What {@link sendEmailCode} gives the caller to mail: the code, to whom, and for how long. */
export interface EmailCodeMail {
  user: StoredUser;
  code: string;
  validSeconds: number;
}

/**
 * Mails a one-time code for a pending challenge, as the alternative to the authenticator app: a
 * random 6-digit code, stored sealed on the challenge (a new one replaces the previous), working
 * for 10 minutes at most and never past the challenge, usable once (the challenge completes with
 * it), its attempts counted with the challenge's others. The code and its mail are stored in one
 * transaction (the mail through the outbox, by `compose`).
 *
 * @returns How long the code works, in seconds.
 * @throws DomainError `mfa_challenge_expired` (unknown, expired or completed challenge),
 *   `invalid_request` (this challenge offers no code by mail), `rate_limited` (3 codes were mailed
 *   for this challenge already).
 */
export async function sendEmailCode(
  ctx: DomainContext,
  challengeId: string,
  compose: (mail: EmailCodeMail) => Promise<StoredMail> | StoredMail,
): Promise<{ expiresIn: number }> {
  const idHash = await hashToken(challengeId);
  const code = randomDigits();
  const sealed = await ctx.sealer.seal(code, emailCodePurpose(idHash));
  const now = ctx.now();
  return ctx.store.transaction(async (store) => {
    const set = await store.setChallengeEmailCode(
      idHash,
      { sealed, expiresAt: now + EMAIL_CODE_SECONDS * 1000 },
      EMAIL_CODE_MAX_SENDS,
      now,
    );
    if (set.kind === "invalid") throw challengeExpired();
    if (set.kind === "limit") {
      throw new DomainError("rate_limited", "This challenge has mailed all the codes it may: sign in again");
    }
    const { challenge } = set;
    if (!challenge.methods.includes("email_code")) {
      throw new DomainError("invalid_request", "This challenge offers no code by mail");
    }
    const user = await store.getUserById(challenge.userId);
    if (user === null) throw challengeExpired();
    const validSeconds = Math.max(
      1,
      Math.floor((Math.min(challenge.expiresAt, now + EMAIL_CODE_SECONDS * 1000) - now) / 1000),
    );
    await store.enqueueMail(await compose({ user, code, validSeconds }));
    return { expiresIn: validSeconds };
  });
}

/**
 * Checks a TOTP code against the user's active factor: window 1, only steps newer than the last
 * accepted one (RFC 6238 section 5.2), and the step recorded by `advanceTotpStep`, so that of two
 * concurrent requests with the same code only the one that advanced the step succeeds.
 */
async function acceptTotp(ctx: DomainContext, factor: StoredFactor, code: string, now: number) {
  const secret = await ctx.sealer.open(factor.secretSealed, TOTP_SEAL_PURPOSE);
  const result = await verifyTotp({
    code,
    secret,
    time: now,
    window: TOTP_WINDOW,
    lastUsedStep: factor.lastStep >= 0 ? factor.lastStep : null,
  });
  return result.valid && (await ctx.store.advanceTotpStep(factor.id, result.step, now));
}

/** Uses one recovery code of the user: true for the one caller that consumed it. */
async function acceptRecoveryCode(ctx: DomainContext, userId: string, code: string, now: number) {
  const normalized = normalizeRecoveryCode(code);
  if (normalized === "") return false;
  return ctx.store.consumeRecoveryCode(userId, await hashRecoveryCode(normalized), now);
}

/** Checks a second factor: a TOTP code against the active factor, or a recovery code. */
async function acceptSecondFactor(
  ctx: DomainContext,
  userId: string,
  factor: StoredFactor | null,
  second: { code: string } | { recoveryCode: string },
  now: number,
): Promise<boolean> {
  if ("code" in second) return factor !== null && acceptTotp(ctx, factor, second.code, now);
  return acceptRecoveryCode(ctx, userId, second.recoveryCode, now);
}

const challengeExpired = () =>
  new DomainError("mfa_challenge_expired", "The challenge expired or was already used");

/**
 * Completes a sign-in with its second factor.
 *
 * 1. `claimChallengeAttempt`: an unknown, expired or completed challenge is
 *    `mfa_challenge_expired`; one whose `lockout.maxAttempts` slots are all taken is refused
 *    without evaluating (`account_locked` while the account is locked, else `invalid_mfa_code`).
 *    Every request takes a slot, refused ones included, so a challenge hears at most
 *    `maxAttempts` requests in all.
 * 2. `reserveAttempt` on the account: a locked account is `account_locked`, without evaluating.
 * 3. The code: TOTP (window 1, replay refused, the step advanced atomically) or a recovery code
 *    (consumed atomically). Wrong → `invalid_mfa_code` with `remainingAttempts`, or, for the
 *    failure that took the last slot, `account_locked`.
 * 4. `completeChallenge`: only one request completes it; the lockout counter is cleared.
 *
 * Unlike the mock, a lock does not mark the challenge used: a request refused by the lock could
 * otherwise end a challenge under a concurrent request whose code is right (and whose recovery
 * code would then be used up for nothing). A locked account refuses every code anyway, the
 * challenge's own slots bound what it hears, and with the default lifetimes (challenge 300 s,
 * lock 900 s) it has expired before the lock ends.
 *
 * Every attempt on a live challenge is recorded in the login history (method `totp`,
 * `recovery_code` or `email_code`).
 *
 * @throws DomainError `invalid_request` (not exactly one of `code`, `recoveryCode`, `emailCode`),
 *   `mfa_challenge_expired`, `invalid_mfa_code`, `account_locked`.
 */
export async function completeMfa(
  ctx: DomainContext,
  input: CompleteMfaInput,
  meta: RequestMeta,
): Promise<AuthenticatedResult> {
  const { code, recoveryCode, emailCode } = input;
  if ([code, recoveryCode, emailCode].filter((c) => c !== undefined).length !== 1) {
    throw new DomainError("invalid_request", "Send exactly one of code, recoveryCode and emailCode");
  }
  const second: { code: string } | { recoveryCode: string } | { emailCode: string } =
    code !== undefined
      ? { code }
      : recoveryCode !== undefined
        ? { recoveryCode }
        : { emailCode: emailCode as string };
  const method = code !== undefined ? "totp" : recoveryCode !== undefined ? "recovery_code" : "email_code";
  const now = ctx.now();
  const idHash = await hashToken(input.challengeId);
  const claim = await ctx.store.claimChallengeAttempt(idHash, ctx.config.lockout.maxAttempts, now);
  if (claim.kind === "invalid") throw challengeExpired();
  const user = await ctx.store.getUserById(claim.challenge.userId);
  if (user === null) throw challengeExpired();
  const record = (result: StoredLoginEvent["result"]) =>
    recordLoginAttempt(ctx, { userId: user.id, email: user.email, method, result }, meta);

  if (claim.kind === "exhausted") {
    const until = await ctx.store.lockedUntil(user.emailKey, now);
    await record(until === null ? "failure" : "locked");
    if (until !== null) throw accountLocked({ until, now });
    throw new DomainError("invalid_mfa_code", "This challenge takes no more codes");
  }

  const reservation = await ctx.store.reserveAttempt(user.emailKey, ctx.config.lockout, now);
  if (reservation.kind === "locked") {
    await record("locked");
    throw accountLocked({ until: reservation.until, now });
  }

  const factor = await activeTotpFactor(ctx, user.id);
  const accepted =
    "emailCode" in second
      ? await acceptEmailCode(ctx, claim.challenge, second.emailCode, now)
      : await acceptSecondFactor(ctx, user.id, factor, second, now);
  if (!accepted) {
    await record(reservation.lockedNow ? "locked" : "failure");
    throw countedFailure(ctx, reservation, "invalid_mfa_code");
  }
  // Completing the challenge is what makes a mailed code single-use.
  if (!(await ctx.store.completeChallenge(idHash, now))) {
    // Another request completed (or the clock ended) the challenge meanwhile.
    await record("failure");
    throw challengeExpired();
  }
  // Suspended while the challenge was open: the code was right, the account may not sign in.
  const current = await ctx.store.getUserById(user.id);
  if (current === null) throw challengeExpired();
  if (current.suspendedAt !== null) {
    await ctx.store.clearAttempts(user.emailKey);
    await record("failure");
    throw accountSuspended();
  }
  await ctx.store.clearAttempts(user.emailKey);
  const attemptId = await record("success");
  return {
    kind: "authenticated",
    user,
    amr: [...claim.challenge.amr, recoveryCode !== undefined ? "rec" : "otp"],
    remember: claim.challenge.remember,
    attemptId,
  };
}

// ---- factor management -----------------------------------------------------------------------

/** One code point of a TOTP label: no control character (C0, DEL, C1) and no lone surrogate. */
function labelChar(c: string): boolean {
  const code = c.codePointAt(0) ?? 0;
  return code >= 0x20 && !(code >= 0x7f && code <= 0x9f) && !(code >= 0xd800 && code <= 0xdfff);
}

/**
 * A TOTP label part as given, or refused (`invalid_request`) when blank, longer than 256 UTF-16
 * code units, or holding `:`, a control character or a lone surrogate; without one, `fallback`
 * with those characters dropped (or `last` when nothing is left). As the mock.
 */
function totpLabel(name: string, value: string | undefined, fallback: string, last: string): string {
  if (value === undefined) {
    const cleaned = [...fallback]
      .filter((c) => c !== ":" && labelChar(c))
      .join("")
      .trim();
    return cleaned === "" ? last : cleaned;
  }
  if (
    value.trim() === "" ||
    value.length > MAX_LABEL_LENGTH ||
    value.includes(":") ||
    ![...value].every(labelChar)
  ) {
    throw new DomainError(
      "invalid_request",
      `${name} must be 1 to ${MAX_LABEL_LENGTH} characters, without ':' or control characters`,
    );
  }
  return value;
}

/**
 * Starts a TOTP enrolment: a new random secret, stored sealed in a `pending` factor (replacing
 * any earlier pending one), and its Key URI labelled `issuer` (default `tegata`) and
 * `accountName` (default the user's email).
 *
 * @throws DomainError `invalid_request` for a bad label, `factor_exists` while an active factor exists.
 */
export async function enrollTotp(
  ctx: DomainContext,
  user: StoredUser,
  options: { issuer?: string; accountName?: string } = {},
): Promise<TotpEnrollment> {
  const issuer = totpLabel("issuer", options.issuer, "tegata", "tegata");
  const accountName = totpLabel("account_name", options.accountName, user.email, user.id);
  const factors = await ctx.store.listFactors(user.id);
  if (factors.some((f) => f.status === "active")) {
    throw new DomainError("factor_exists", "Two-step verification is already on");
  }
  for (const pending of factors) await ctx.store.removeFactor(user.id, pending.id);
  const now = ctx.now();
  const secret = generateTotpSecret();
  const factorId = `fac_${randomToken(9)}`;
  await ctx.store.addFactor({
    id: factorId,
    userId: user.id,
    kind: "totp",
    secretSealed: await ctx.sealer.seal(secret, TOTP_SEAL_PURPOSE),
    status: "pending",
    lastStep: -1,
    createdAt: now,
    lastUsedAt: null,
  });
  return { factorId, secret, uri: totpUri({ secret, issuer, accountName }) };
}

/** Issues new recovery codes, replacing the old ones: the codes in clear, once; the store gets hashes. */
async function issueRecoveryCodes(ctx: DomainContext, userId: string): Promise<string[]> {
  const codes = generateRecoveryCodes(RECOVERY_CODE_COUNT);
  await ctx.store.replaceRecoveryCodes(userId, await Promise.all(codes.map((c) => hashRecoveryCode(c))));
  return codes;
}

/** Reserves a lockout slot of the user's account for one code, or refuses a locked account. */
async function reserveForCode(ctx: DomainContext, user: StoredUser, now: number) {
  const reservation = await ctx.store.reserveAttempt(user.emailKey, ctx.config.lockout, now);
  if (reservation.kind === "locked") throw accountLocked({ until: reservation.until, now });
  return reservation;
}

/**
 * Activates a pending TOTP factor with its first code (window 1; counted on the lockout), clears
 * the lockout counter, and issues 10 recovery codes, returned once in clear.
 *
 * @throws DomainError `factor_not_found`, `factor_exists` (already active, or another factor is),
 *   `invalid_mfa_code`, `account_locked`.
 */
export async function activateTotp(
  ctx: DomainContext,
  user: StoredUser,
  input: { factorId: string; code: string },
): Promise<{ recoveryCodes: string[] }> {
  const factors = await ctx.store.listFactors(user.id);
  const factor = factors.find((f) => f.id === input.factorId);
  if (factor === undefined) throw new DomainError("factor_not_found", "No such factor");
  if (factor.status === "active" || factors.some((f) => f.status === "active")) {
    throw new DomainError("factor_exists", "The factor is already active");
  }
  const now = ctx.now();
  const reservation = await reserveForCode(ctx, user, now);
  const secret = await ctx.sealer.open(factor.secretSealed, TOTP_SEAL_PURPOSE);
  const result = await verifyTotp({ code: input.code, secret, time: now, window: TOTP_WINDOW });
  if (!result.valid) throw countedFailure(ctx, reservation, "invalid_mfa_code");
  if (!(await ctx.store.activateFactor(user.id, factor.id, result.step, now))) {
    // A concurrent activation won, or the factor was removed meanwhile.
    const still = (await ctx.store.listFactors(user.id)).some((f) => f.id === factor.id);
    throw still
      ? new DomainError("factor_exists", "The factor is already active")
      : new DomainError("factor_not_found", "No such factor");
  }
  await ctx.store.clearAttempts(user.emailKey);
  return { recoveryCodes: await issueRecoveryCodes(ctx, user.id) };
}

/** The user's factors, oldest first, without their secrets. */
export async function listFactors(ctx: DomainContext, user: StoredUser): Promise<FactorInfo[]> {
  return (await ctx.store.listFactors(user.id)).map((f) => ({
    id: f.id,
    type: f.kind,
    status: f.status,
    createdAt: f.createdAt,
    lastUsedAt: f.lastUsedAt,
  }));
}

/**
 * Removes a factor. An active one needs a current second factor in `code`: digits (and spaces)
 * are read as a TOTP code, anything else as a recovery code (as the mock); it is counted on the
 * lockout, and its removal also drops the recovery codes. A pending one is removed without a
 * code check, but not while the account is locked.
 *
 * @throws DomainError `factor_not_found`, `invalid_mfa_code`, `account_locked`.
 */
export async function removeFactor(
  ctx: DomainContext,
  user: StoredUser,
  input: { factorId: string; code: string },
): Promise<void> {
  const factor = (await ctx.store.listFactors(user.id)).find((f) => f.id === input.factorId);
  if (factor === undefined) throw new DomainError("factor_not_found", "No such factor");
  const now = ctx.now();
  if (factor.status === "active") {
    const reservation = await reserveForCode(ctx, user, now);
    const second = /^[\d\s]+$/.test(input.code) ? { code: input.code } : { recoveryCode: input.code };
    if (!(await acceptSecondFactor(ctx, user.id, factor, second, now))) {
      throw countedFailure(ctx, reservation, "invalid_mfa_code");
    }
    await ctx.store.clearAttempts(user.emailKey);
  } else {
    const until = await ctx.store.lockedUntil(user.emailKey, now);
    if (until !== null) throw accountLocked({ until, now });
  }
  if (!(await ctx.store.removeFactor(user.id, factor.id))) {
    throw new DomainError("factor_not_found", "No such factor");
  }
  if (factor.status === "active") await ctx.store.replaceRecoveryCodes(user.id, []);
}

/**
 * Replaces the user's recovery codes with 10 new ones, after a current TOTP code (counted on the
 * lockout). Returns the codes once, in clear.
 *
 * @throws DomainError `mfa_not_enabled` (no active factor), `invalid_mfa_code`, `account_locked`.
 */
export async function regenerateRecoveryCodes(
  ctx: DomainContext,
  user: StoredUser,
  input: { code: string },
): Promise<{ recoveryCodes: string[] }> {
  const factor = await activeTotpFactor(ctx, user.id);
  if (factor === null) throw new DomainError("mfa_not_enabled", "Two-step verification is off");
  const now = ctx.now();
  const reservation = await reserveForCode(ctx, user, now);
  if (!(await acceptTotp(ctx, factor, input.code, now))) {
    throw countedFailure(ctx, reservation, "invalid_mfa_code");
  }
  await ctx.store.clearAttempts(user.emailKey);
  return { recoveryCodes: await issueRecoveryCodes(ctx, user.id) };
}

/**
 * @internal Gives a user an active TOTP factor with a known secret and, optionally, recovery codes
 * (the mock's `users.add({ totpSecret, recoveryCodes })`): sealed and hashed as enrolment would.
 */
export async function seedSecondFactor(
  ctx: DomainContext,
  userId: string,
  secret: string,
  recoveryCodes: readonly string[] = [],
): Promise<void> {
  const now = ctx.now();
  await ctx.store.addFactor({
    id: `fac_${randomToken(9)}`,
    userId,
    kind: "totp",
    secretSealed: await ctx.sealer.seal(secret, TOTP_SEAL_PURPOSE),
    status: "active",
    lastStep: -1,
    createdAt: now,
    lastUsedAt: null,
  });
  if (recoveryCodes.length > 0) {
    await ctx.store.replaceRecoveryCodes(
      userId,
      await Promise.all(recoveryCodes.map((c) => hashRecoveryCode(c))),
    );
  }
}

/** @internal The secret of the user's active TOTP factor, unsealed (the mock's `totp(email)`), or `null`. */
export async function activeTotpSecret(ctx: DomainContext, userId: string): Promise<string | null> {
  const factor = await activeTotpFactor(ctx, userId);
  return factor === null ? null : ctx.sealer.open(factor.secretSealed, TOTP_SEAL_PURPOSE);
}

/**
 * Re-checks a signed-in user's second factor (a TOTP code, or a recovery code: told apart as the
 * factor removal does), counted on the lockout, before a sensitive action such as deleting the
 * account.
 *
 * @throws DomainError `mfa_not_enabled` (no active factor), `invalid_mfa_code`, `account_locked`.
 */
export async function verifySecondFactor(ctx: DomainContext, user: StoredUser, code: string): Promise<void> {
  const factor = await activeTotpFactor(ctx, user.id);
  if (factor === null) throw new DomainError("mfa_not_enabled", "The account has no active second factor");
  const now = ctx.now();
  const reservation = await reserveForCode(ctx, user, now);
  const second = /^[\d\s]+$/.test(code) ? { code } : { recoveryCode: code };
  if (!(await acceptSecondFactor(ctx, user.id, factor, second, now))) {
    throw countedFailure(ctx, reservation, "invalid_mfa_code");
  }
  await ctx.store.clearAttempts(user.emailKey);
}
