/**
 * Sign-in, the second factor, tokens, sign-out, the user, the JWKS and the health check.
 *
 * @module
 */
import { MfaVerifyRequestSchema, SignInRequestSchema, SignOutRequestSchema } from "../../../wire";
import { DomainError } from "../../domain/errors";
import { assessSignIn } from "../../domain/history";
import type { AuthenticatedResult } from "../../domain/mfa";
import { completeMfa } from "../../domain/mfa";
import { authenticate, refreshSession, revokeToken, signOut, startSession } from "../../domain/sessions";
import type { Route, RouteEnv } from "../env";
import { wireUser } from "../env";
import {
  composeMail,
  mailUnlockLink,
  mailVerificationLink,
  queueNotices,
  userMailLocale,
  watchLocks,
} from "../notices";
import { bearerToken, readForm, readJson } from "../request";
import { json, noContent } from "../responses";

/** @internal Starts the session of a completed sign-in: the wire's `signed_in` body. */
export async function signedIn(env: RouteEnv, result: AuthenticatedResult) {
  const { session, tokens } = await startSession(
    env.ctx,
    { user: result.user, remember: result.remember, amr: result.amr },
    env.meta,
  );
  // The login-history event of this sign-in now names its session ("this device" in the history).
  await env.ctx.store.linkLoginEvent(result.user.id, result.attemptId, session.id);
  env.emit({ type: "sign_in", userId: result.user.id, ip: env.meta.ip, detail: { amr: result.amr } });
  await noticeIfSuspicious(env, result.user.id, result.attemptId);
  return { status: "signed_in", ...tokens, user: await wireUser(env.ctx, result.user) };
}

/**
 * @internal Assesses a successful sign-in against the user's history and emits a
 * `suspicious_sign_in` event (reasons: `new_device`, `new_network`, `country_change`,
 * `failure_burst`) when it looks unusual, and mails the user the `new_sign_in` notice: when, the
 * IP address, the device (browser and OS), the location when `locate` knows it, why, and what to
 * do if it was not them. Never fails the sign-in: an assessment that cannot run is reported as
 * `assessment_failed`, a notice that cannot be queued as `mail_not_queued`.
 */
export async function noticeIfSuspicious(env: RouteEnv, userId: string, attemptId: string): Promise<void> {
  let assessment: Awaited<ReturnType<typeof assessSignIn>>;
  try {
    assessment = await assessSignIn(env.ctx, userId, attemptId, env.meta);
    if (!assessment.suspicious) return;
    env.emit({
      type: "suspicious_sign_in",
      userId,
      ip: env.meta.ip,
      detail: { reasons: assessment.reasons, recentFailures: assessment.recentFailures },
    });
  } catch {
    env.emit({ type: "assessment_failed", userId });
    return;
  }
  try {
    const user = await env.ctx.store.getUserById(userId);
    if (user === null) return;
    const page = await env.ctx.store.listLoginEvents(userId, { limit: 5 });
    const event = page.items.find((e) => e.id === attemptId);
    await queueNotices(env.ctx, [
      composeMail(env.mail, "new_sign_in", user.email, userMailLocale(user, env.requestLocale), {
        signIn: {
          at: event?.at ?? env.ctx.now(),
          ip: env.meta.ip,
          userAgent: env.meta.userAgent,
          location: event?.location ?? null,
          reasons: assessment.reasons,
        },
      }),
    ]);
    env.mailQueued();
  } catch {
    env.emit({ type: "mail_not_queued", userId, detail: { kind: "new_sign_in" } });
  }
}

/**
 * Runs a second-factor step; when one of its failures locked the account (`watch` saw the
 * reservation that did), mails the unlock link before the refusal goes out.
 */
async function lockMailed<T>(env: RouteEnv, watch: ReturnType<typeof watchLocks>, step: () => Promise<T>) {
  try {
    return await step();
  } catch (error) {
    const key = watch.lockedKey();
    if (key !== null) {
      try {
        const user = await env.ctx.store.getUserByEmailKey(key);
        if (user !== null) await mailUnlockLink(env, user);
      } catch {
        // the refusal stands; the mail is lost with the outage that lost it
      }
    }
    throw error;
  }
}

/** @internal the user behind the request's bearer token, or `unauthorized`. */
export function requireUser(request: Request, env: RouteEnv, allowExpired = false) {
  return authenticate(env.ctx, bearerToken(request), { allowExpired, seen: env.meta });
}

/** @internal */
export const sessionRoutes: Route[] = [
  {
    method: "POST",
    path: "/auth/sign-in",
    async handle(request, env) {
      const body = await readJson(request, SignInRequestSchema);
      const result = await env.credentials.signIn(
        { email: body.email, password: body.password, remember: body.remember ?? true },
        env.meta,
        {
          onLocked: (user) => mailUnlockLink(env, user),
          onUnverified: (user) => mailVerificationLink(env, user),
        },
      );
      if (result.kind === "mfa_required")
        return json({ status: "mfa_required", challenge: result.challenge });
      return json(await signedIn(env, result));
    },
  },
  {
    method: "POST",
    path: "/auth/mfa/verify",
    async handle(request, env) {
      const body = await readJson(request, MfaVerifyRequestSchema);
      // The code that locks the account mails its unlock link (completeMfa knows nothing of mail).
      const watch = watchLocks(env.ctx);
      const result = await lockMailed(env, watch, () =>
        completeMfa(
          watch.ctx,
          {
            challengeId: body.challenge_id,
            ...(body.code === undefined ? {} : { code: body.code }),
            ...(body.recovery_code === undefined ? {} : { recoveryCode: body.recovery_code }),
            ...(body.email_code === undefined ? {} : { emailCode: body.email_code }),
          },
          env.meta,
        ),
      );
      return json(await signedIn(env, result));
    },
  },
  {
    method: "POST",
    path: "/oauth/token",
    async handle(request, env) {
      const form = await readForm(request);
      const grant = form.get("grant_type");
      if (grant !== "refresh_token") {
        throw new DomainError(
          "oauth:unsupported_grant_type",
          "Only grant_type=refresh_token is supported here",
        );
      }
      const token = form.get("refresh_token");
      if (!token) throw new DomainError("oauth:invalid_request", "refresh_token is required");
      const { tokens } = await refreshSession(env.ctx, token, env.meta);
      return json(tokens);
    },
  },
  {
    method: "POST",
    path: "/oauth/revoke",
    async handle(request, env) {
      const form = await readForm(request);
      const token = form.get("token");
      if (!token) throw new DomainError("oauth:invalid_request", "token is required");
      await revokeToken(env.ctx, token);
      return json({});
    },
  },
  {
    method: "POST",
    path: "/auth/sign-out",
    async handle(request, env) {
      const auth = await requireUser(request, env, true);
      const body = await readJson(request, SignOutRequestSchema);
      await signOut(env.ctx, auth, body.scope);
      env.emit({ type: "sign_out", userId: auth.user.id, ip: env.meta.ip, detail: { scope: body.scope } });
      return noContent();
    },
  },
  {
    method: "GET",
    path: "/auth/user",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      return json({ user: await wireUser(env.ctx, user) });
    },
  },
  {
    method: "GET",
    path: "/.well-known/jwks.json",
    async handle(_request, env) {
      // Make the first key now, so a verifier that fetches the JWKS before any sign-in caches it.
      await env.ctx.keys.signingKey();
      const jwks = await env.ctx.keys.jwks();
      return new Response(JSON.stringify(jwks), {
        headers: { "content-type": "application/json", "cache-control": "public, max-age=300" },
      });
    },
  },
  {
    method: "GET",
    path: "/health",
    async handle() {
      return json({ status: "ok" });
    },
  },
];
