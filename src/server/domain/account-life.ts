/**
 * An account's life after sign-up: deletion (退会, by the user or the operator) with the
 * re-registration block, suspension (アカウント停止) by the operator, and the last-login time as
 * other users see it.
 *
 * **What deletion keeps.** Everything personal goes in one store step: the user record (name,
 * address, password hash), factors and recovery codes, sessions and refresh tokens, pending
 * links, challenges, the login history (and attempts on the address before it was registered),
 * linked identities, the lockout counter. What stays is a tombstone — the user id, when and by
 * whom it was deleted, and the SHA-256 of the email key — only until the re-registration block
 * ends (`deletedEmailBlockSeconds`), and the audit trail's entries about the account (by id).
 *
 * @module
 */
import { hashToken } from "../crypto/tokens";
import type { MailMessage } from "../http/env";
import { sealMail } from "../mail/outbox";
import type { AuthStore, StoredUser } from "../store/types";
import type { DomainContext } from "./context";
import { DomainError } from "./errors";

/** The default re-registration block after a deletion: 30 days (the seed: "a few weeks to months"). */
export const DEFAULT_DELETED_EMAIL_BLOCK_SECONDS = 30 * 24 * 3600;

const userNotFound = () => new DomainError("user_not_found", "No such user");

/**
 * Deletes the account and everything personal of it in one store step, keeping a tombstone that
 * blocks its address from registering again for `blockSeconds`.
 *
 * @param notice - The notice of the deletion to the account's address (`account_deleted`): queued
 *   in the outbox in the deletion's transaction (no deletion without its notice, and no notice of
 *   a deletion that did not happen).
 * @throws DomainError `user_not_found` when it no longer exists (deleted meanwhile).
 */
export async function deleteAccount(
  ctx: DomainContext,
  user: Pick<StoredUser, "id" | "emailKey">,
  by: "user" | "operator",
  blockSeconds: number,
  notice?: MailMessage,
): Promise<void> {
  const now = ctx.now();
  const tombstone = {
    userId: user.id,
    emailKeyHash: await hashToken(user.emailKey),
    deletedAt: now,
    blockedUntil: now + blockSeconds * 1000,
    deletedBy: by,
  };
  if (notice === undefined) {
    if (!(await ctx.store.deleteUser(user.id, tombstone))) throw userNotFound();
    return;
  }
  const mail = await sealMail(ctx.sealer, notice, now);
  await ctx.store.transaction(async (store) => {
    if (!(await store.deleteUser(user.id, tombstone))) throw userNotFound();
    await store.enqueueMail(mail);
  });
}

/**
 * Refuses an address whose account was deleted less than the block ago (sign-up, social sign-up,
 * an email change to it).
 *
 * @param store - The store to read: inside a transaction, the transaction's.
 * @throws DomainError `email_blocked` with the seconds left (`retryAfterSeconds`).
 */
export async function assertEmailNotBlocked(
  ctx: DomainContext,
  emailKey: string,
  store: Pick<AuthStore, "findTombstone"> = ctx.store,
): Promise<void> {
  const now = ctx.now();
  const tombstone = await store.findTombstone(await hashToken(emailKey), now);
  if (tombstone === null) return;
  throw new DomainError(
    "email_blocked",
    "The address belonged to an account deleted recently: it cannot register yet",
    { retryAfterSeconds: Math.max(1, Math.ceil((tombstone.blockedUntil - now) / 1000)) },
  );
}

/**
 * Suspends the account (or updates the reason of a suspension) and ends all its sessions: its
 * refresh tokens stop working at once, its access tokens at the server's endpoints at once (and
 * at your API when they expire, or at once with introspection of the session).
 *
 * @param notice - The notice to the account's address (`account_suspended`), made of the user:
 *   queued with the suspension, in one transaction, only when the account was not suspended
 *   already (a new reason mails nothing).
 * @returns The updated user and how many sessions ended.
 * @throws DomainError `user_not_found`.
 */
export async function suspendAccount(
  ctx: DomainContext,
  userId: string,
  reason: string,
  notice?: (user: StoredUser) => MailMessage,
): Promise<{ user: StoredUser; sessionsEnded: number }> {
  const now = ctx.now();
  const current = await ctx.store.getUserById(userId);
  if (current === null) throw userNotFound();
  const mail =
    notice === undefined || current.suspendedAt !== null
      ? null
      : await sealMail(ctx.sealer, notice(current), now);
  const user = await ctx.store.transaction(async (store) => {
    const updated = await store.updateUser(
      userId,
      { suspendedAt: current.suspendedAt ?? now, suspendedReason: reason },
      now,
    );
    if (updated === null || updated === "email_taken") throw userNotFound();
    if (mail !== null) await store.enqueueMail(mail);
    return updated;
  });
  const sessionsEnded = await ctx.store.revokeUserSessions(userId, now);
  return { user, sessionsEnded };
}

/**
 * Lifts a suspension. The account signs in again from now on (its ended sessions stay ended).
 *
 * @throws DomainError `user_not_found`.
 */
export async function unsuspendAccount(ctx: DomainContext, userId: string): Promise<StoredUser> {
  const user = await ctx.store.updateUser(userId, { suspendedAt: null, suspendedReason: null }, ctx.now());
  if (user === null || user === "email_taken") throw userNotFound();
  return user;
}

/**
 * The last successful sign-in of a user as *other* users see it: `null` when they hid it
 * (`showLastLogin: false`, effective at once), when they never signed in, and for a suspended
 * account (its state is not told to others).
 *
 * @throws DomainError `user_not_found` for an unknown or deleted user.
 */
export async function lastLoginSeenByOthers(
  ctx: DomainContext,
  userId: string,
): Promise<{ userId: string; lastLoginAt: number | null }> {
  const user = await ctx.store.getUserById(userId);
  if (user === null) throw userNotFound();
  const visible = user.showLastLogin && user.suspendedAt === null;
  return { userId: user.id, lastLoginAt: visible ? user.lastLoginAt : null };
}
