/**
 * Passwords and addresses of the auth server: sign-up, sign-in (with the account lockout and the
 * hand-over to a second factor), password change and reset, email change. The behaviour is the
 * mock's (`src/mock/server.ts`) and docs/api.md's; no HTTP here, refusals are {@link DomainError}s,
 * and no session is started: a successful sign-in returns who signed in, and the HTTP layer
 * starts the session (`sessions.ts`).
 *
 * **Reserve before you verify.** Every password check first takes a slot of the account's
 * lockout counter (`reserveAttempt`, one atomic store step) and only then runs the slow hash, so
 * concurrent guesses cannot exceed `lockout.maxAttempts` evaluations. A locked account is refused
 * without evaluating. A correct password gives the slot back by clearing the counter, except on an
 * account with an active second factor: there only a correct second factor clears it (as the
 * mock: the correct password alone does not reset the counter), so knowing the password never
 * buys more guesses at the code; there the correct password's reservation is given back
 * (`releaseAttempt`), so a correct password never counts as a failure, as in the mock.
 *
 * @module
 */
import type { PasswordChecker } from "../../core/password-checker";
import { definePasswordPolicy } from "../../password/policy";
import { hashToken, randomToken } from "../crypto/tokens";
import type { MailMessage } from "../http/env";
import { enqueueMails, MAIL_SEAL_PURPOSE, sealMail } from "../mail/outbox";
import { emailKey } from "../store/email-key";
import type { AuthStore, OneTimePurpose, StoredMail, StoredUser } from "../store/types";
import { assertEmailNotBlocked } from "./account-life";
import type { DomainContext, RequestMeta } from "./context";
import { accountSuspended, DomainError } from "./errors";
import {
  type AuthenticatedResult,
  accountLocked,
  activeTotpFactor,
  countedFailure,
  createChallenge,
  type MfaChallenge,
  recordLoginAttempt,
  verifySecondFactor,
} from "./mfa";

/** What {@link Credentials.signUp} takes. */
export interface SignUpInput {
  /** The address as typed; stored trimmed, looked up by its `emailKey`. */
  email: string;
  password: string;
  name?: string;
  /** The language of the user's mails (from the sign-up request). */
  mailLocale?: "ja" | "en";
}

/** What {@link Credentials.signIn} takes. */
export interface SignInInput {
  email: string;
  password: string;
  /** "Keep me signed in". Default `true`, as the mock. */
  remember?: boolean;
}

/** A correct password of an account with an active TOTP factor: the second step is pending. */
export interface MfaRequired {
  kind: "mfa_required";
  challenge: MfaChallenge;
}

/** The outcome of {@link Credentials.signIn}. */
export type SignInResult = AuthenticatedResult | MfaRequired;

/** What the HTTP layer hears of a sign-in besides its outcome (to mail the user). */
export interface SignInHooks {
  /** The attempt locked the account (`lockedNow`): the unlock mail. Its failure is not the sign-in's. */
  onLocked?: (user: StoredUser) => Promise<void>;
  /**
   * A correct password of an unverified account while `requireVerifiedEmail` holds: a new
   * verification mail. Its failure is not the sign-in's.
   */
  onUnverified?: (user: StoredUser) => Promise<void>;
}

/** What {@link Credentials.changePassword} takes. */
export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
  /** The caller's session: every other session of the user ends. Without it, all of them end. */
  currentSessionId?: string;
}

/** A one-time token to mail: the raw token goes into the link, the store holds its hash. */
export interface IssuedToken {
  user: StoredUser;
  token: string;
}

/**
 * The mails that carry an issued token, made by the caller (the HTTP layer renders them): they are
 * queued in the durable outbox in the same transaction as the token, so a token never exists
 * without its mail, nor a mail without its token.
 */
export type ComposeMails<T extends IssuedToken = IssuedToken> = (issued: T) => MailMessage[];

/** The credential operations over one {@link DomainContext}. */
export interface Credentials {
  /**
   * Creates an account (`emailVerified: false`). Checks, in the mock's order: the address looks
   * like `local@domain.tld` (`invalid_request`), no account has its email key (`email_taken`),
   * the policy accepts the password (`password_policy` with `issues`); stores a PHC hash.
   * Signing the new account in (session, login-history event) is the HTTP layer's part:
   * {@link recordLoginAttempt} records the sign-up as a password sign-in.
   *
   * @param policy - Default: the factory's policy.
   * @param compose - The verification mail: an `email_verify` token (data: the address) is issued
   *   and its mails queued in the transaction that creates the user.
   */
  signUp(input: SignUpInput, policy?: PasswordChecker, compose?: ComposeMails): Promise<StoredUser>;
  /**
   * Signs in with a password: reserve a lockout slot, then verify (against a dummy hash for an
   * unknown address or an account without a password, so timing tells nothing), rehash an
   * outdated hash, and hand over to the second factor when the account has an active TOTP
   * factor. Every attempt is recorded in the login history (method `password`, `sessionId: null`).
   *
   * With `requireVerifiedEmail`, a correct password of an account whose address is unverified is
   * `email_not_verified` (said only to someone who knows the password, as a suspension).
   *
   * @throws DomainError `account_locked` (`retryAfterSeconds`) while locked and for the failure
   *   that locks; `invalid_credentials` (`remainingAttempts`) for an unknown address or a wrong
   *   password; `account_suspended`; `email_not_verified`.
   */
  signIn(input: SignInInput, meta: RequestMeta, hooks?: SignInHooks): Promise<SignInResult>;
  /**
   * Changes the password of a signed-in user: the current password is checked with the lockout
   * (as the mock: wrong ones count), the new one against the policy; every session but
   * `currentSessionId` ends.
   *
   * @returns The updated user.
   * @throws DomainError `account_locked`, `invalid_credentials` (`remainingAttempts`), `password_policy`.
   */
  changePassword(user: StoredUser, input: ChangePasswordInput, policy?: PasswordChecker): Promise<StoredUser>;
  /**
   * Issues a password-reset token (32 random bytes, valid `lifetimes.oneTimeToken` seconds); the
   * store keeps its hash and retires the user's older reset tokens. `null` for an unknown
   * address: the HTTP layer answers the same either way and mails only a token.
   *
   * @param compose - The mails of the token, queued in the outbox in the token's transaction.
   */
  requestPasswordReset(email: string, compose?: ComposeMails): Promise<IssuedToken | null>;
  /**
   * Sets a new password with a reset token, once: the token is consumed (20 concurrent uses: one
   * success), the password checked against the policy (a refused one leaves the token usable),
   * every session of the user ended and the lockout counter cleared.
   *
   * @returns The updated user.
   * @throws DomainError `invalid_token`, `password_policy`.
   */
  resetPassword(input: { token: string; password: string }, policy?: PasswordChecker): Promise<StoredUser>;
  /**
   * Starts an email change: the password is checked with the lockout, the new address must look
   * like one (`invalid_request`) and belong to no account (`email_taken`); returns the token for
   * the link mailed to the new address. The address does not change yet.
   *
   * @param compose - The mails of the token (the link to the new address, the notice to the old
   *   one), queued in the outbox in the token's transaction.
   * @throws DomainError `account_locked`, `invalid_credentials`, `invalid_request`, `email_taken`.
   */
  requestEmailChange(
    user: StoredUser,
    input: { newEmail: string; password: string },
    compose?: ComposeMails<EmailChangeIssued>,
  ): Promise<EmailChangeIssued>;
  /**
   * Confirms an email change with its token, once: the address changes and counts as verified.
   * When the address was registered meanwhile it is `email_taken` and the token stays usable.
   *
   * @returns The updated user.
   * @throws DomainError `invalid_token`, `email_taken`.
   */
  confirmEmailChange(token: string): Promise<StoredUser>;
  /**
   * Re-checks a signed-in user before a sensitive action (deleting the account, linking an
   * identity): their password, or, with `code`, their second factor (TOTP or recovery code), each
   * counted on the lockout. An account without a password must give a code; one without a
   * second factor, its password.
   *
   * @throws DomainError `invalid_request` (neither or both given), `invalid_credentials`,
   *   `invalid_mfa_code`, `mfa_not_enabled`, `account_locked`.
   */
  reauthenticate(user: StoredUser, proof: { password?: string; code?: string }): Promise<void>;
  /**
   * Issues a new `email_verify` token for the user's current address (retiring the older one) and
   * queues its mails in the same transaction; `null`, issuing nothing, when the address is
   * verified already.
   */
  issueEmailVerification(user: StoredUser, compose?: ComposeMails): Promise<IssuedToken | null>;
  /**
   * Marks the address verified with an `email_verify` token, once (10 concurrent uses: one
   * success). A token issued for another address than the account's current one is refused.
   *
   * @returns The updated user.
   * @throws DomainError `invalid_token`.
   */
  verifyEmail(token: string): Promise<StoredUser>;
  /**
   * Issues an `unlock` token (valid as long as the lock: `lockout.lockSeconds`) and queues its
   * mails in the same transaction.
   */
  issueUnlock(user: StoredUser, compose?: ComposeMails): Promise<IssuedToken>;
  /**
   * Ends the lockout of the token's account early, once: the token is consumed and the account's
   * lockout counter cleared.
   *
   * @returns The user.
   * @throws DomainError `invalid_token`.
   */
  unlockWithToken(token: string): Promise<StoredUser>;
  /**
   * "This wasn't me": with the token of the notice to the old address, once, in one transaction:
   * the pending change ends (its link stops working); when it was confirmed already and the
   * account still has the new address, the old address comes back (verified: its owner just
   * proved it) unless another account took it meanwhile; every session of the user ends.
   *
   * @returns The user, and whether the address was put back.
   * @throws DomainError `invalid_token`.
   */
  cancelEmailChange(token: string): Promise<{ user: StoredUser; reverted: boolean }>;
}

/** An email change's tokens: the link to the new address, and the "this wasn't me" link to the old one. */
export interface EmailChangeIssued extends IssuedToken {
  newEmail: string;
  /** The token of the cancel link in the notice to the old address. */
  cancelToken: string;
}

/** How long the "this wasn't me" link of an email-change notice works: 7 days. */
export const EMAIL_CHANGE_CANCEL_SECONDS = 7 * 24 * 3600;

/** What the mock takes for an address: `local@domain.tld`, no spaces (checked on the email key). */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const invalidToken = () => new DomainError("invalid_token", "The link is invalid, expired or already used");
const emailTaken = () => new DomainError("email_taken", "The email address is registered");

/** The policy's refusal, if any, for `password` of this user. */
async function checkPolicy(
  policy: PasswordChecker,
  password: string,
  user: { email: string; name: string | null | undefined },
): Promise<void> {
  const { issues } = await policy.check(password, {
    email: user.email,
    ...(user.name ? { name: user.name } : {}),
  });
  if (issues.length > 0) {
    throw new DomainError("password_policy", "The password does not meet the policy", { issues });
  }
}

/**
 * Makes the credential operations over `ctx`. The factory holds what they share: the dummy hash
 * that unknown addresses are verified against (made on first use by `ctx.hasher`, so it costs
 * what a real hash costs) and the default password policy (`definePasswordPolicy()`: 8 to 64
 * code points, no control characters; the mock's default is "at least 8").
 *
 * @param options.policy - The password policy of sign-up, change and reset (each call may pass its own).
 * @param options.requireVerifiedEmail - Refuse the password sign-in of an unverified address
 *   (`email_not_verified`).
 *
 * @example
 * ```ts
 * const credentials = createCredentials(ctx, { policy: presets.nist });
 * const result = await credentials.signIn({ email, password, remember: true }, meta);
 * if (result.kind === "authenticated") startSession(result.user, result.amr, result.remember);
 * ```
 */
export function createCredentials(
  ctx: DomainContext,
  options: { policy?: PasswordChecker; requireVerifiedEmail?: boolean } = {},
): Credentials {
  const defaultPolicy: PasswordChecker = options.policy ?? definePasswordPolicy();
  let dummy: Promise<string> | undefined;
  const dummyHash = (): Promise<string> => {
    if (dummy === undefined) {
      const made = ctx.hasher.hash(randomToken(32));
      dummy = made;
      made.catch(() => {
        if (dummy === made) dummy = undefined; // a failed hash is retried next time
      });
    }
    return dummy;
  };

  /**
   * Verifies `password` of `user` (or of no one: against the dummy hash). Always exactly one
   * `hasher.verify`, whatever the account.
   */
  async function verify(user: StoredUser | null, password: string) {
    const phc = user?.passwordHash ?? (await dummyHash());
    const { valid, needsRehash } = await ctx.hasher.verify(password, phc);
    return { valid: valid && user !== null && user.passwordHash !== null, needsRehash };
  }

  /**
   * A correct password: clears the lockout counter, unless the account has an active second
   * factor: then only a correct second factor clears it (so that knowing the password does not
   * reset the count of wrong codes), and this attempt's reservation is given back, so a correct
   * password never counts as a failure nor locks the account.
   */
  async function settleCorrectPassword(user: StoredUser, hasSecondFactor: boolean): Promise<void> {
    if (!hasSecondFactor) await ctx.store.clearAttempts(user.emailKey);
    else await ctx.store.releaseAttempt(user.emailKey, ctx.config.lockout);
  }

  /**
   * Checks a signed-in user's password with the lockout (change password, change email).
   * Returns the fresh user record.
   */
  async function checkOwnPassword(user: StoredUser, password: string): Promise<StoredUser> {
    const now = ctx.now();
    const reservation = await ctx.store.reserveAttempt(user.emailKey, ctx.config.lockout, now);
    if (reservation.kind === "locked") throw accountLocked({ until: reservation.until, now });
    const current = await ctx.store.getUserById(user.id);
    const { valid } = await verify(current, password);
    if (current === null || !valid) throw countedFailure(ctx, reservation, "invalid_credentials");
    await settleCorrectPassword(current, (await activeTotpFactor(ctx, current.id)) !== null);
    return current;
  }

  /**
   * Issues a one-time token of `purpose` for `userId` (retiring the user's older one of that
   * purpose) and queues `messages` in the same transaction of `store`.
   */
  async function issueWithMails(
    store: AuthStore,
    token: {
      hash: string;
      purpose: OneTimePurpose;
      userId: string;
      data?: Record<string, string>;
      seconds: number;
    },
    mails: StoredMail[],
    now: number,
  ): Promise<void> {
    await store.issueOneTimeToken({
      tokenHash: token.hash,
      purpose: token.purpose,
      userId: token.userId,
      data: token.data ?? {},
      expiresAt: now + token.seconds * 1000,
      createdAt: now,
    });
    await enqueueMails(store, mails);
  }

  /** Seals the mails `compose` makes of `issued`. */
  async function sealed<T extends IssuedToken>(compose: ComposeMails<T> | undefined, issued: T, now: number) {
    return Promise.all((compose?.(issued) ?? []).map((m) => sealMail(ctx.sealer, m, now)));
  }

  /** Stores the new PHC hash of `user`; the updated record, `null` when the user is gone. */
  async function setPassword(user: StoredUser, password: string, now: number): Promise<StoredUser | null> {
    const updated = await ctx.store.updateUser(
      user.id,
      { passwordHash: await ctx.hasher.hash(password) },
      now,
    );
    return updated === "email_taken" ? null : updated;
  }

  return {
    async reauthenticate(user, proof) {
      if ((proof.password === undefined) === (proof.code === undefined)) {
        throw new DomainError("invalid_request", "Send exactly one of password and code");
      }
      if (proof.code !== undefined) await verifySecondFactor(ctx, user, proof.code);
      else await checkOwnPassword(user, proof.password as string);
    },

    async signUp(input, policy = defaultPolicy, compose) {
      const email = input.email.trim();
      const key = emailKey(email);
      // Checked on the key, so that a full-width address (an IME left in full-width mode) passes.
      if (!EMAIL_SHAPE.test(key)) throw new DomainError("invalid_request", "The email address is malformed");
      if ((await ctx.store.getUserByEmailKey(key)) !== null) throw emailTaken();
      await assertEmailNotBlocked(ctx, key);
      await checkPolicy(policy, input.password, { email, name: input.name });
      const passwordHash = await ctx.hasher.hash(input.password);
      const now = ctx.now();
      const record = {
        id: `usr_${randomToken(9)}`,
        email,
        emailKey: key,
        name: input.name ?? null,
        passwordHash,
        emailVerified: false,
        showLastLogin: true,
        mailLocale: input.mailLocale ?? null,
        createdAt: now,
      };
      if (compose === undefined) {
        const created = await ctx.store.createUser(record, now);
        if (created === "email_taken") throw emailTaken(); // registered meanwhile
        return created;
      }
      // The account, its verification token and its mail: all or nothing.
      const token = randomToken(32);
      const hash = await hashToken(token);
      const user: StoredUser = {
        ...record,
        lastLoginAt: null,
        suspendedAt: null,
        suspendedReason: null,
        updatedAt: now,
      };
      const mails = await sealed(compose, { user, token }, now);
      return ctx.store.transaction(async (store) => {
        const created = await store.createUser(record, now);
        if (created === "email_taken") throw emailTaken(); // registered meanwhile
        const data = { email: created.emailKey };
        const seconds = ctx.config.lifetimes.oneTimeToken;
        await issueWithMails(
          store,
          { hash, purpose: "email_verify", userId: created.id, data, seconds },
          mails,
          now,
        );
        return created;
      });
    },

    async signIn(input, meta, hooks = {}) {
      const email = input.email.trim();
      const key = emailKey(email);
      const now = ctx.now();
      // Reserve before verifying: the slot is taken before the slow hash runs.
      const reservation = await ctx.store.reserveAttempt(key, ctx.config.lockout, now);
      const user = await ctx.store.getUserByEmailKey(key);
      const record = (result: "success" | "failure" | "locked") =>
        recordLoginAttempt(ctx, { userId: user?.id ?? null, email, method: "password", result }, meta);
      if (reservation.kind === "locked") {
        await record("locked");
        throw accountLocked({ until: reservation.until, now });
      }
      const { valid, needsRehash } = await verify(user, input.password);
      if (user === null || !valid) {
        await record(reservation.lockedNow ? "locked" : "failure");
        if (user !== null && reservation.lockedNow) await quietly(hooks.onLocked, user);
        throw countedFailure(ctx, reservation, "invalid_credentials");
      }
      if (user.suspendedAt !== null) {
        // Said only to someone who knows the password: a guesser learns nothing of the suspension.
        await settleCorrectPassword(user, false);
        await record("failure");
        throw accountSuspended();
      }
      if (options.requireVerifiedEmail === true && !user.emailVerified) {
        // Said, as a suspension, only to someone who knows the password.
        await settleCorrectPassword(user, false);
        await record("failure");
        await quietly(hooks.onUnverified, user);
        throw new DomainError("email_not_verified", "The email address is not verified yet");
      }
      const remember = input.remember ?? true;
      const factor = await activeTotpFactor(ctx, user.id);
      if (factor !== null && reservation.lockedNow) {
        // The correct password took the last slot, and only a second factor clears the counter:
        // the account is now locked, and a challenge could not be completed.
        await record("locked");
        await quietly(hooks.onLocked, user);
        throw accountLocked({ seconds: ctx.config.lockout.lockSeconds });
      }
      await settleCorrectPassword(user, factor !== null);
      let current = user;
      if (needsRehash) {
        const passwordHash = await ctx.hasher.hash(input.password);
        const updated = await ctx.store.updateUser(user.id, { passwordHash }, now);
        if (updated !== null && updated !== "email_taken") current = updated;
      }
      if (factor !== null) {
        // The attempt is recorded when the second factor completes it (or fails it).
        return { kind: "mfa_required", challenge: await createChallenge(ctx, current, remember) };
      }
      const attemptId = await record("success");
      return { kind: "authenticated", user: current, amr: ["pwd"], remember, attemptId };
    },

    async changePassword(user, input, policy = defaultPolicy) {
      const current = await checkOwnPassword(user, input.currentPassword);
      await checkPolicy(policy, input.newPassword, current);
      const now = ctx.now();
      const updated = await setPassword(current, input.newPassword, now);
      if (updated === null) throw new Error("tegata: the user was deleted during a password change");
      await ctx.store.revokeUserSessions(user.id, now, input.currentSessionId);
      return updated;
    },

    async requestPasswordReset(email, compose) {
      const user = await ctx.store.getUserByEmailKey(emailKey(email));
      // Made either way, so an unknown address costs about the same.
      const token = randomToken(32);
      const tokenHash = await hashToken(token);
      if (user === null) {
        if (compose !== undefined) await ctx.sealer.seal(randomToken(1200), MAIL_SEAL_PURPOSE);
        return null;
      }
      const now = ctx.now();
      const issued = { user, token };
      const mails = await Promise.all((compose?.(issued) ?? []).map((m) => sealMail(ctx.sealer, m, now)));
      await ctx.store.transaction(async (store) => {
        await store.issueOneTimeToken({
          tokenHash,
          purpose: "password_reset",
          userId: user.id,
          data: {},
          expiresAt: now + ctx.config.lifetimes.oneTimeToken * 1000,
          createdAt: now,
        });
        await enqueueMails(store, mails);
      });
      return issued;
    },

    async resetPassword(input, policy = defaultPolicy) {
      const tokenHash = await hashToken(input.token);
      const now = ctx.now();
      // Consumed in a transaction: a password the policy refuses rolls the consumption back.
      const user = await ctx.store.transaction(async (store) => {
        const record = await store.consumeOneTimeToken(tokenHash, "password_reset", now);
        if (record === null) throw invalidToken();
        const owner = await store.getUserById(record.userId);
        if (owner === null) throw invalidToken();
        await checkPolicy(policy, input.password, owner);
        return owner;
      });
      let updated = await setPassword(user, input.password, now);
      if (updated === null) throw invalidToken(); // the account was deleted meanwhile
      if (!updated.emailVerified) {
        // The link came to the address: it is verified (an unverified account's way back in).
        const verified = await ctx.store.updateUser(user.id, { emailVerified: true }, now);
        if (verified !== null && verified !== "email_taken") updated = verified;
      }
      await ctx.store.revokeUserSessions(user.id, now);
      await ctx.store.clearAttempts(updated.emailKey);
      return updated;
    },

    async requestEmailChange(user, input, compose) {
      const current = await checkOwnPassword(user, input.password);
      const newEmail = input.newEmail.trim();
      const key = emailKey(newEmail);
      if (!EMAIL_SHAPE.test(key)) throw new DomainError("invalid_request", "The email address is malformed");
      if ((await ctx.store.getUserByEmailKey(key)) !== null) throw emailTaken();
      await assertEmailNotBlocked(ctx, key);
      const token = randomToken(32);
      const tokenHash = await hashToken(token);
      const cancelToken = randomToken(32);
      const cancelHash = await hashToken(cancelToken);
      const now = ctx.now();
      const issued = { user: current, token, newEmail, cancelToken };
      const mails = await sealed(compose, issued, now);
      await ctx.store.transaction(async (store) => {
        await store.issueOneTimeToken({
          tokenHash,
          purpose: "email_change",
          userId: current.id,
          data: { newEmail },
          expiresAt: now + ctx.config.lifetimes.oneTimeToken * 1000,
          createdAt: now,
        });
        const data = { oldEmail: current.email, newEmail };
        const seconds = EMAIL_CHANGE_CANCEL_SECONDS;
        const cancel = {
          hash: cancelHash,
          purpose: "email_change_cancel" as const,
          userId: current.id,
          data,
          seconds,
        };
        await issueWithMails(store, cancel, mails, now);
      });
      return issued;
    },

    async confirmEmailChange(token) {
      const tokenHash = await hashToken(token);
      const now = ctx.now();
      // In a transaction: an address registered meanwhile rolls the consumption back.
      return ctx.store.transaction(async (store) => {
        const record = await store.consumeOneTimeToken(tokenHash, "email_change", now);
        const newEmail = record?.data.newEmail;
        if (record === null || newEmail === undefined) throw invalidToken();
        // Blocked meanwhile (its account deleted): the token stays usable once the block ends.
        await assertEmailNotBlocked(ctx, emailKey(newEmail), store);
        const updated = await store.updateUser(
          record.userId,
          { email: newEmail, emailKey: emailKey(newEmail), emailVerified: true },
          now,
        );
        if (updated === null) throw invalidToken();
        if (updated === "email_taken") throw emailTaken();
        return updated;
      });
    },

    async issueEmailVerification(user, compose) {
      const current = await ctx.store.getUserById(user.id);
      if (current === null || current.emailVerified) return null;
      const token = randomToken(32);
      const hash = await hashToken(token);
      const now = ctx.now();
      const issued = { user: current, token };
      const mails = await sealed(compose, issued, now);
      const data = { email: current.emailKey };
      const seconds = ctx.config.lifetimes.oneTimeToken;
      await ctx.store.transaction((store) =>
        issueWithMails(
          store,
          { hash, purpose: "email_verify", userId: current.id, data, seconds },
          mails,
          now,
        ),
      );
      return issued;
    },

    async verifyEmail(token) {
      const tokenHash = await hashToken(token);
      const now = ctx.now();
      return ctx.store.transaction(async (store) => {
        const record = await store.consumeOneTimeToken(tokenHash, "email_verify", now);
        if (record === null) throw invalidToken();
        const owner = await store.getUserById(record.userId);
        // Issued for the address the account had then: after an email change it proves nothing.
        if (owner === null || owner.emailKey !== record.data.email) throw invalidToken();
        if (owner.emailVerified) return owner;
        const updated = await store.updateUser(owner.id, { emailVerified: true }, now);
        if (updated === null || updated === "email_taken") throw invalidToken();
        return updated;
      });
    },

    async issueUnlock(user, compose) {
      const token = randomToken(32);
      const hash = await hashToken(token);
      const now = ctx.now();
      const issued = { user, token };
      const mails = await sealed(compose, issued, now);
      const seconds = ctx.config.lockout.lockSeconds;
      await ctx.store.transaction((store) =>
        issueWithMails(store, { hash, purpose: "unlock", userId: user.id, seconds }, mails, now),
      );
      return issued;
    },

    async unlockWithToken(token) {
      const tokenHash = await hashToken(token);
      const now = ctx.now();
      return ctx.store.transaction(async (store) => {
        const record = await store.consumeOneTimeToken(tokenHash, "unlock", now);
        if (record === null) throw invalidToken();
        const owner = await store.getUserById(record.userId);
        if (owner === null) throw invalidToken();
        await store.unlock(owner.emailKey);
        return owner;
      });
    },

    async cancelEmailChange(token) {
      const tokenHash = await hashToken(token);
      const now = ctx.now();
      return ctx.store.transaction(async (store) => {
        const record = await store.consumeOneTimeToken(tokenHash, "email_change_cancel", now);
        if (record === null) throw invalidToken();
        const owner = await store.getUserById(record.userId);
        if (owner === null) throw invalidToken();
        // The pending change's link stops working: a newer (already expired) token of its purpose
        // retires it in the store's own step.
        await store.issueOneTimeToken({
          tokenHash: await hashToken(randomToken(32)),
          purpose: "email_change",
          userId: owner.id,
          data: {},
          expiresAt: now,
          createdAt: now,
        });
        let user = owner;
        let reverted = false;
        const { oldEmail, newEmail } = record.data;
        if (oldEmail !== undefined && newEmail !== undefined && owner.emailKey === emailKey(newEmail)) {
          const back = await store.updateUser(
            owner.id,
            { email: oldEmail, emailKey: emailKey(oldEmail), emailVerified: true },
            now,
          );
          if (back !== null && back !== "email_taken") {
            user = back;
            reverted = true;
          }
        }
        await store.revokeUserSessions(owner.id, now);
        return { user, reverted };
      });
    },
  };
}

/** Runs a hook of the HTTP layer; its failure (a store outage while mailing) is not the caller's. */
async function quietly(hook: ((user: StoredUser) => Promise<void>) | undefined, user: StoredUser) {
  if (hook === undefined) return;
  try {
    await hook(user);
  } catch {
    // the refusal stands; the mail is lost with the outage that lost it
  }
}
