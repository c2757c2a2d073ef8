/**
 * `server.admin`: what an operator does to accounts (create, suspend, unsuspend, unlock, sign out
 * everywhere, delete, look up), as server functions for your back office or the CLI. Every
 * action, lookups included, goes to the audit trail with who did it and why.
 *
 * @module
 */
import {
  EmailBlockedError,
  EmailTakenError,
  InvalidRequestError,
  PasswordPolicyError,
  type TegataError,
  UserNotFoundError,
} from "../core/errors";
import type { PasswordChecker } from "../core/password-checker";
import { deleteAccount, suspendAccount, unsuspendAccount } from "./domain/account-life";
import type { DomainContext } from "./domain/context";
import type { Credentials } from "./domain/credentials";
import { DomainError } from "./domain/errors";
import { activeTotpFactor, loginEventId } from "./domain/mfa";
import type { AuthServerEvent } from "./http/env";
import { composeMail, type MailSettings, userMailLocale } from "./http/notices";
import { emailKey } from "./store/email-key";
import type { StoredAuditEvent, StoredLoginEvent, StoredUser } from "./store/types";

/** Who acts, and why. `actor` names the operator (`"sato"`, `"support-bot"`); it is recorded as `operator:<actor>`. */
export interface AdminActor {
  actor: string;
  /** Why. Required for `suspend` and `deleteUser`. */
  reason?: string;
}

/** A user as an operator sees them (no secret: no hash, no TOTP secret, no token). */
export interface AdminUserView {
  id: string;
  email: string;
  name: string | null;
  emailVerified: boolean;
  createdAt: Date;
  lastLoginAt: Date | null;
  /** Whether the user hides their last login from others. */
  showLastLogin: boolean;
  /** Set while the account is suspended. */
  suspended: { at: Date; reason: string | null } | null;
  /** Set while the account is locked after failures. */
  lockedUntil: Date | null;
  mfaEnabled: boolean;
  /** Linked social identities. */
  identities: Array<{ provider: string; subject: string; email: string | null }>;
  /** Active sessions. */
  activeSessions: number;
  /** The newest sign-in attempts (at most 20), newest first. */
  recentHistory: Array<{
    at: Date;
    ip: string;
    userAgent: string | null;
    method: string;
    result: StoredLoginEvent["result"];
  }>;
}

/** One entry of the audit trail. */
export interface AuditEntry {
  id: string;
  at: Date;
  /** `operator:<name>`, `user` (the user's own deletion), `system`. */
  actor: string;
  /** `lookup`, `suspend`, `unsuspend`, `unlock`, `sign_out_everywhere`, `delete`. */
  action: string;
  userId: string | null;
  reason: string | null;
}

/** The operator's functions of a server (`server.admin`). */
export interface AuthServerAdmin {
  /**
   * Creates an account with a password, as an operator: the server's password policy and hasher
   * apply, the address must be free (and not blocked after a deletion); no session is started and
   * no sign-in is recorded. Recorded as `create`.
   *
   * @throws EmailTakenError, EmailBlockedError (`retryAfter`), PasswordPolicyError (`issues`),
   *   InvalidRequestError (a malformed address), TypeError (no actor).
   */
  createUser(
    input: { email: string; password: string; name?: string; emailVerified?: boolean },
    by: AdminActor,
  ): Promise<AdminUserView>;
  /** Looks a user up by id or address, with their recent history; `null` when there is none. Recorded as `lookup`. */
  findUser(query: { id: string } | { email: string }, by: AdminActor): Promise<AdminUserView | null>;
  /**
   * Suspends the account (アカウント停止): its sign-in answers `account_suspended`, its sessions
   * end now, its refresh tokens stop working and its access tokens stop verifying at the server.
   * `by.reason` is required.
   */
  suspend(userId: string, by: AdminActor): Promise<AdminUserView>;
  /** Lifts a suspension. */
  unsuspend(userId: string, by: AdminActor): Promise<AdminUserView>;
  /** Ends a lockout early. */
  unlock(userId: string, by: AdminActor): Promise<AdminUserView>;
  /** Ends every session of the user; returns how many. */
  signOutEverywhere(userId: string, by: AdminActor): Promise<{ sessionsEnded: number }>;
  /**
   * Deletes the account as the user's own deletion does (everything personal erased, the address
   * blocked from re-registering for the server's block). `by.reason` is required.
   */
  deleteUser(userId: string, by: AdminActor): Promise<void>;
  /** The audit trail, newest first, optionally of one user. */
  auditTrail(query?: {
    userId?: string;
    limit?: number;
    cursor?: string;
  }): Promise<{ items: AuditEntry[]; nextCursor: string | null }>;
}

/** @internal what the admin functions need besides the domain context. */
export interface AdminDeps {
  ctx: DomainContext;
  credentials: Credentials;
  policy: PasswordChecker;
  /** Seconds an address stays blocked after its account is deleted. */
  deletedEmailBlockSeconds: number;
  emit(event: Omit<AuthServerEvent, "at">): void;
  /** What every mail shares (the notices of a suspension and a deletion). */
  mail?: MailSettings;
  /** Says that mail was queued (the sender takes it from there). */
  mailQueued?: () => Promise<void>;
}

/** An audit-trail id: sorts by time, then arrival (the login-event id shape, `aud_` prefix). */
export function auditEventId(at: number): string {
  return `aud_${loginEventId(at).slice(4)}`;
}

/**
 * @internal Appends one audit entry (also used for the user's own deletion).
 */
export async function audit(ctx: DomainContext, entry: Omit<StoredAuditEvent, "id" | "at">): Promise<void> {
  const at = ctx.now();
  await ctx.store.appendAuditEvent({ id: auditEventId(at), at, ...entry });
}

function checkActor(by: AdminActor, needsReason: boolean): { actor: string; reason: string | null } {
  if (typeof by !== "object" || by === null || typeof by.actor !== "string" || by.actor.trim() === "") {
    throw new TypeError("tegata admin: say who acts ({ actor: 'name' })");
  }
  const reason = typeof by.reason === "string" && by.reason.trim() !== "" ? by.reason.trim() : null;
  if (needsReason && reason === null) throw new TypeError("tegata admin: this action needs a reason");
  return { actor: `operator:${by.actor.trim()}`, reason };
}

/** Runs a domain step, turning its `user_not_found` into the typed error. */
async function known<T>(step: () => Promise<T>, userId: string): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof DomainError && error.code === "user_not_found") throw notFound(userId);
    throw error;
  }
}

/** A refusal of the domain as the typed error an operator's code catches. */
function typed(error: unknown): unknown {
  if (!(error instanceof DomainError)) return error;
  const d = error.details;
  const map: Partial<Record<string, () => TegataError>> = {
    email_taken: () => new EmailTakenError(error.message),
    email_blocked: () =>
      new EmailBlockedError(
        error.message,
        d.retryAfterSeconds === undefined ? {} : { retryAfter: d.retryAfterSeconds },
      ),
    password_policy: () => new PasswordPolicyError(error.message, { issues: [...(d.issues ?? [])] }),
    invalid_request: () => new InvalidRequestError(error.message),
  };
  return map[error.code]?.() ?? error;
}

function notFound(userId: string): UserNotFoundError {
  return new UserNotFoundError(`No user ${JSON.stringify(userId)}`);
}

/** @internal makes `server.admin`. */
export function createAdmin(deps: AdminDeps): AuthServerAdmin {
  const { ctx } = deps;

  async function view(user: StoredUser): Promise<AdminUserView> {
    const now = ctx.now();
    const [locked, factor, identities, sessions, history] = await Promise.all([
      ctx.store.lockedUntil(user.emailKey, now),
      activeTotpFactor(ctx, user.id),
      ctx.store.listIdentities(user.id),
      ctx.store.listSessions(user.id, now),
      ctx.store.listLoginEvents(user.id, { limit: 20 }),
    ]);
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      emailVerified: user.emailVerified,
      createdAt: new Date(user.createdAt),
      lastLoginAt: user.lastLoginAt === null ? null : new Date(user.lastLoginAt),
      showLastLogin: user.showLastLogin,
      suspended:
        user.suspendedAt === null ? null : { at: new Date(user.suspendedAt), reason: user.suspendedReason },
      lockedUntil: locked === null ? null : new Date(locked),
      mfaEnabled: factor !== null,
      identities: identities.map((i) => ({ provider: i.provider, subject: i.subject, email: i.email })),
      activeSessions: sessions.length,
      recentHistory: history.items.map((e) => ({
        at: new Date(e.at),
        ip: e.ip,
        userAgent: e.userAgent,
        method: e.method,
        result: e.result,
      })),
    };
  }

  async function userById(userId: string): Promise<StoredUser> {
    const user = typeof userId === "string" ? await ctx.store.getUserById(userId) : null;
    if (user === null) throw notFound(String(userId));
    return user;
  }

  async function act(
    action: string,
    userId: string,
    by: AdminActor,
    needsReason: boolean,
    step: (user: StoredUser) => Promise<void>,
  ): Promise<StoredUser> {
    const who = checkActor(by, needsReason);
    const user = await userById(userId);
    await known(() => step(user), userId);
    await audit(ctx, { actor: who.actor, action, userId: user.id, reason: who.reason });
    deps.emit({ type: `admin_${action}`, userId: user.id, detail: { actor: who.actor } });
    return user;
  }

  return {
    async createUser(input, by) {
      const who = checkActor(by, false);
      if (typeof input?.email !== "string" || typeof input.password !== "string") {
        throw new TypeError("tegata admin: createUser needs { email, password }");
      }
      let user: StoredUser;
      try {
        user = await deps.credentials.signUp(
          {
            email: input.email,
            password: input.password,
            ...(input.name === undefined ? {} : { name: input.name }),
          },
          deps.policy,
        );
      } catch (error) {
        throw typed(error);
      }
      if (input.emailVerified === true) {
        const verified = await ctx.store.updateUser(user.id, { emailVerified: true }, ctx.now());
        if (verified !== null && verified !== "email_taken") user = verified;
      }
      await audit(ctx, { actor: who.actor, action: "create", userId: user.id, reason: who.reason });
      deps.emit({ type: "admin_create", userId: user.id, detail: { actor: who.actor } });
      return view(user);
    },

    async findUser(query, by) {
      const who = checkActor(by, false);
      const user =
        "id" in query
          ? await ctx.store.getUserById(query.id)
          : await ctx.store.getUserByEmailKey(emailKey(query.email));
      await audit(ctx, { actor: who.actor, action: "lookup", userId: user?.id ?? null, reason: who.reason });
      return user === null ? null : view(user);
    },

    async suspend(userId, by) {
      const { reason } = checkActor(by, true);
      const settings = deps.mail;
      await act("suspend", userId, by, true, async () => {
        await suspendAccount(
          ctx,
          userId,
          reason as string,
          settings === undefined
            ? undefined
            : (user) =>
                composeMail(settings, "account_suspended", user.email, userMailLocale(user), {
                  at: ctx.now(),
                }),
        );
      });
      if (settings !== undefined) await deps.mailQueued?.();
      return view(await userById(userId));
    },

    async unsuspend(userId, by) {
      await act("unsuspend", userId, by, false, async () => {
        await unsuspendAccount(ctx, userId);
      });
      return view(await userById(userId));
    },

    async unlock(userId, by) {
      const user = await act("unlock", userId, by, false, (u) => ctx.store.unlock(u.emailKey));
      return view(user);
    },

    async signOutEverywhere(userId, by) {
      let sessionsEnded = 0;
      await act("sign_out_everywhere", userId, by, false, async () => {
        sessionsEnded = await ctx.store.revokeUserSessions(userId, ctx.now());
      });
      return { sessionsEnded };
    },

    async deleteUser(userId, by) {
      const settings = deps.mail;
      await act("delete", userId, by, true, (user) =>
        deleteAccount(
          ctx,
          user,
          "operator",
          deps.deletedEmailBlockSeconds,
          settings === undefined
            ? undefined
            : composeMail(settings, "account_deleted", user.email, userMailLocale(user), {
                at: ctx.now(),
                deletedBy: "operator",
              }),
        ),
      );
      if (settings !== undefined) await deps.mailQueued?.();
    },

    async auditTrail(query = {}) {
      const page = await ctx.store.listAuditEvents({
        limit: query.limit ?? 50,
        ...(query.userId === undefined ? {} : { userId: query.userId }),
        ...(query.cursor === undefined ? {} : { before: query.cursor }),
      });
      return {
        items: page.items.map((e) => ({
          id: e.id,
          at: new Date(e.at),
          actor: e.actor,
          action: e.action,
          userId: e.userId,
          reason: e.reason,
        })),
        nextCursor: page.next,
      };
    },
  };
}
