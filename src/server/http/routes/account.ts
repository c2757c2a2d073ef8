/**
 * The account endpoints of the contract (docs/api.md): sign-up (and the verification of its
 * address), the password reset (request and reset), the password change, the email change
 * (request, confirmation, and the "this wasn't me" cancel), the unlock link, account deletion and
 * the account settings (the language of the user's mails).
 *
 * **Links in mails** go only where the server's `appOrigins` allow (see `linkTarget` of
 * `../notices`): a `redirect_to` that is neither a path nor an http(s) URL on an allowed origin is
 * refused with `invalid_request` before any account is looked up, so the refusal says nothing
 * about who is registered. The one-time token goes into the link's `token` query parameter.
 *
 * **A reset request answers the same for every address**: `202 {}`, whether the account exists
 * or not. A mail that carries a token is queued in the durable outbox in the transaction that
 * issues its token, and sent by the server's mail sender after the answer, so neither a slow
 * mailer nor a failing one changes the answer. Notices (password changed, account deleted) are
 * queued the same way, without a token.
 *
 * **The language of a mail** is the user's setting (`GET`/`PATCH /auth/settings`), set at sign-up
 * from the body's `locale` or the request's `Accept-Language`.
 *
 * @module
 */
import {
  AccountDeleteSchema,
  EmailChangeConfirmSchema,
  EmailChangeRequestSchema,
  PasswordChangeSchema,
  PasswordResetRequestSchema,
  PasswordResetSchema,
} from "../../../wire";
import {
  AccountSettingsUpdateSchema,
  MailTokenSchema,
  SignUpBodySchema,
  VerificationResendSchema,
} from "../../../wire/account";
import { audit } from "../../admin";
import { deleteAccount } from "../../domain/account-life";
import { EMAIL_CHANGE_CANCEL_SECONDS } from "../../domain/credentials";
import { DomainError } from "../../domain/errors";
import { activeTotpFactor, recordLoginAttempt } from "../../domain/mfa";
import { startSession } from "../../domain/sessions";
import type { StoredUser } from "../../store/types";
import type { Route, RouteEnv } from "../env";
import { wireUser } from "../env";
import { mailLocale } from "../mail";
import {
  composeMail,
  linkTarget,
  queueNotices,
  userMailLocale,
  verificationMail,
  withToken,
} from "../notices";
import { readJson } from "../request";
import { json, noContent } from "../responses";
import { requireUser } from "./session";

/** Success statuses of the contract that `responses.ts` has no helper for. */
const CREATED = 201;
const ACCEPTED = 202;

/** How recent a session must be to delete an account that has no password nor second factor. */
const RECENT_SIGN_IN_MS = 5 * 60_000;

/** Queues the `password_changed` notice to `user`; a failure to queue it is reported, not thrown. */
async function noticePasswordChanged(env: RouteEnv, user: StoredUser, request: Request): Promise<void> {
  try {
    await queueNotices(env.ctx, [
      composeMail(env.mail, "password_changed", user.email, userMailLocale(user, request), {
        at: env.ctx.now(),
      }),
    ]);
    env.mailQueued();
  } catch {
    env.emit({ type: "mail_not_queued", userId: user.id, detail: { kind: "password_changed" } });
  }
}

/** @internal */
export const accountRoutes: Route[] = [
  {
    method: "POST",
    path: "/auth/sign-up",
    async handle(request, env) {
      const body = await readJson(request, SignUpBodySchema);
      // Checked before anything is stored: a refused redirect_to creates no account.
      const target = linkTarget(env.mail, body.redirect_to, "verify-email");
      const locale = body.locale ?? mailLocale(request);
      const user = await env.credentials.signUp(
        {
          email: body.email,
          password: body.password,
          ...(body.name === undefined ? {} : { name: body.name }),
          mailLocale: locale,
        },
        env.policy,
        verificationMail(env, target, locale),
      );
      env.mailQueued();
      if (env.requireVerifiedEmail) {
        // The account exists and its link is on its way; a session waits for the verified address.
        env.emit({ type: "sign_up", userId: user.id, ip: env.meta.ip, detail: { amr: [], verified: false } });
        throw new DomainError(
          "email_not_verified",
          "The account was created: open the link mailed to the address, then sign in",
        );
      }
      // The contract records a sign-up as a password sign-in.
      const attemptId = await recordLoginAttempt(
        env.ctx,
        { userId: user.id, email: user.email, method: "password", result: "success" },
        env.meta,
      );
      const { session, tokens } = await startSession(
        env.ctx,
        { user, remember: true, amr: ["pwd"] },
        env.meta,
      );
      await env.ctx.store.linkLoginEvent(user.id, attemptId, session.id);
      env.emit({ type: "sign_up", userId: user.id, ip: env.meta.ip, detail: { amr: ["pwd"] } });
      return json({ status: "signed_in", ...tokens, user: await wireUser(env.ctx, user) }, CREATED);
    },
  },
  {
    method: "POST",
    path: "/auth/password/reset-request",
    async handle(request, env) {
      const body = await readJson(request, PasswordResetRequestSchema);
      // Checked before the lookup: a refused redirect_to answers alike for every address.
      const target = linkTarget(env.mail, body.redirect_to, "reset-password");
      const issued = await env.credentials.requestPasswordReset(body.email, ({ user, token }) => [
        composeMail(env.mail, "password_reset", user.email, userMailLocale(user, request), {
          link: withToken(target, token),
          validSeconds: env.ctx.config.lifetimes.oneTimeToken,
        }),
      ]);
      if (issued !== null) {
        env.mailQueued();
        env.emit({ type: "password_reset_requested", userId: issued.user.id, ip: env.meta.ip });
      }
      return json({}, ACCEPTED);
    },
  },
  {
    method: "POST",
    path: "/auth/password/reset",
    async handle(request, env) {
      const body = await readJson(request, PasswordResetSchema);
      const user = await env.credentials.resetPassword(
        { token: body.token, password: body.password },
        env.policy,
      );
      env.emit({ type: "password_reset", userId: user.id, ip: env.meta.ip });
      await noticePasswordChanged(env, user, request);
      return noContent();
    },
  },
  {
    method: "POST",
    path: "/auth/password/change",
    async handle(request, env) {
      const auth = await requireUser(request, env);
      const body = await readJson(request, PasswordChangeSchema);
      const updated = await env.credentials.changePassword(
        auth.user,
        {
          currentPassword: body.current_password,
          newPassword: body.new_password,
          currentSessionId: auth.session.id,
        },
        env.policy,
      );
      env.emit({ type: "password_changed", userId: auth.user.id, ip: env.meta.ip });
      await noticePasswordChanged(env, updated, request);
      return noContent();
    },
  },
  {
    method: "POST",
    path: "/auth/email/change-request",
    async handle(request, env) {
      const auth = await requireUser(request, env);
      const body = await readJson(request, EmailChangeRequestSchema);
      // Checked before the password, so a bad redirect_to costs no lockout attempt.
      const target = linkTarget(env.mail, body.redirect_to, "confirm-email");
      const cancelTarget = linkTarget(env.mail, undefined, "cancel-email-change");
      const locale = userMailLocale(auth.user, request);
      const issued = await env.credentials.requestEmailChange(
        auth.user,
        { newEmail: body.new_email, password: body.password },
        ({ user, token, newEmail, cancelToken }) => [
          composeMail(env.mail, "email_change", newEmail, locale, {
            link: withToken(target, token),
            validSeconds: env.ctx.config.lifetimes.oneTimeToken,
          }),
          composeMail(env.mail, "email_change_notice", user.email, locale, {
            newEmail,
            link: withToken(cancelTarget, cancelToken),
            validSeconds: EMAIL_CHANGE_CANCEL_SECONDS,
          }),
        ],
      );
      env.mailQueued();
      env.emit({ type: "email_change_requested", userId: issued.user.id, ip: env.meta.ip });
      return json({}, ACCEPTED);
    },
  },
  {
    method: "POST",
    path: "/auth/email/confirm",
    async handle(request, env) {
      const body = await readJson(request, EmailChangeConfirmSchema);
      const user = await env.credentials.confirmEmailChange(body.token);
      env.emit({ type: "email_changed", userId: user.id, ip: env.meta.ip });
      return json({ user: await wireUser(env.ctx, user) });
    },
  },
  {
    method: "POST",
    path: "/auth/account/delete",
    async handle(request, env) {
      const auth = await requireUser(request, env);
      const body = await readJson(request, AccountDeleteSchema);
      const { user, session } = auth;
      if (body.password === undefined && body.code === undefined) {
        // An account with neither a password nor a second factor (social sign-in only) proves
        // itself by a session begun in the last few minutes, as other providers ask for.
        const proofless = user.passwordHash === null && (await activeTotpFactor(env.ctx, user.id)) === null;
        if (!proofless || env.ctx.now() - session.createdAt > RECENT_SIGN_IN_MS) {
          throw new DomainError(
            "invalid_request",
            proofless
              ? "Sign in again, then delete the account"
              : "Send the password or a second-factor code",
          );
        }
      } else {
        await env.credentials.reauthenticate(user, {
          ...(body.password === undefined ? {} : { password: body.password }),
          ...(body.code === undefined ? {} : { code: body.code }),
        });
      }
      const notice = composeMail(env.mail, "account_deleted", user.email, userMailLocale(user, request), {
        at: env.ctx.now(),
        deletedBy: "user",
      });
      await deleteAccount(env.ctx, user, "user", env.deletedEmailBlockSeconds, notice);
      env.mailQueued();
      await audit(env.ctx, { actor: "user", action: "delete", userId: user.id, reason: null });
      env.emit({ type: "account_deleted", userId: user.id, ip: env.meta.ip, detail: { by: "user" } });
      return noContent();
    },
  },
  {
    method: "POST",
    path: "/auth/email/verify",
    async handle(request, env) {
      const body = await readJson(request, MailTokenSchema);
      const user = await env.credentials.verifyEmail(body.token);
      env.emit({ type: "email_verified", userId: user.id, ip: env.meta.ip });
      return json({ user: await wireUser(env.ctx, user) });
    },
  },
  {
    method: "POST",
    path: "/auth/email/verify/resend",
    async handle(request, env) {
      const auth = await requireUser(request, env);
      const body = await readJson(request, VerificationResendSchema);
      const target = linkTarget(env.mail, body.redirect_to, "verify-email");
      const issued = await env.credentials.issueEmailVerification(
        auth.user,
        verificationMail(env, target, userMailLocale(auth.user, request)),
      );
      if (issued !== null) {
        env.mailQueued();
        env.emit({ type: "email_verification_sent", userId: auth.user.id, ip: env.meta.ip });
      }
      return json({}, ACCEPTED);
    },
  },
  {
    method: "POST",
    path: "/auth/email/change-cancel",
    async handle(request, env) {
      const body = await readJson(request, MailTokenSchema);
      const { user, reverted } = await env.credentials.cancelEmailChange(body.token);
      env.emit({ type: "email_change_cancelled", userId: user.id, ip: env.meta.ip, detail: { reverted } });
      return noContent();
    },
  },
  {
    method: "POST",
    path: "/auth/account/unlock",
    async handle(request, env) {
      const body = await readJson(request, MailTokenSchema);
      const user = await env.credentials.unlockWithToken(body.token);
      await audit(env.ctx, { actor: "user", action: "unlock", userId: user.id, reason: "unlock link" });
      env.emit({ type: "account_unlocked", userId: user.id, ip: env.meta.ip, detail: { by: "link" } });
      return noContent();
    },
  },
  {
    method: "GET",
    path: "/auth/settings",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      return json({ mail_locale: user.mailLocale });
    },
  },
  {
    method: "PATCH",
    path: "/auth/settings",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      const body = await readJson(request, AccountSettingsUpdateSchema);
      const updated = await env.ctx.store.updateUser(
        user.id,
        { mailLocale: body.mail_locale },
        env.ctx.now(),
      );
      if (updated === null || updated === "email_taken") {
        throw new DomainError("unauthorized", "The account no longer exists");
      }
      return json({ mail_locale: updated.mailLocale });
    },
  },
];
