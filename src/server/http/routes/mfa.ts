/**
 * MFA management (`tegata/totp`): `POST /auth/mfa/totp/enroll`, `POST /auth/mfa/totp/activate`,
 * `GET /auth/mfa/factors`, `POST /auth/mfa/factors/remove` and `POST /auth/mfa/recovery-codes`;
 * and `POST /auth/mfa/email-code`, which mails a code for a pending sign-in challenge. All but the
 * last need the bearer token, checked before the body. Every code is checked by the domain
 * (`domain/mfa.ts`): counted on the account's lockout before it is evaluated, TOTP steps shared
 * with `/auth/mfa/verify` so that one code never works twice. The TOTP secret leaves the server
 * once (the enrolment response) and the recovery codes once (activation and regeneration).
 *
 * @module
 */
import { MfaEmailCodeRequestSchema } from "../../../wire";
import { CodeRequestSchema, FactorCodeRequestSchema, TotpEnrollRequestSchema } from "../../../wire/totp";
import {
  activateTotp,
  enrollTotp,
  type FactorInfo,
  listFactors,
  regenerateRecoveryCodes,
  removeFactor,
  sendEmailCode,
} from "../../domain/mfa";
import { sealMail } from "../../mail/outbox";
import type { Route } from "../env";
import { renderEmailCodeMail } from "../mail-code";
import { userMailLocale } from "../notices";
import { readJson } from "../request";
import { json, noContent } from "../responses";
import { requireUser } from "./session";

/** A factor as the wire describes it (`FactorSchema`): no secret. */
function wireFactor(factor: FactorInfo) {
  return {
    id: factor.id,
    type: factor.type,
    status: factor.status,
    created_at: new Date(factor.createdAt).toISOString(),
    last_used_at: factor.lastUsedAt === null ? null : new Date(factor.lastUsedAt).toISOString(),
  };
}

/** @internal */
export const mfaRoutes: Route[] = [
  {
    // Part of the sign-in (no bearer: the challenge id is the proof of the correct password).
    method: "POST",
    path: "/auth/mfa/email-code",
    async handle(request, env) {
      const body = await readJson(request, MfaEmailCodeRequestSchema);
      const { expiresIn } = await sendEmailCode(
        env.ctx,
        body.challenge_id,
        ({ user, code, validSeconds }) => {
          // The user's mail language, else this request's: the sign-in screen they are looking at.
          const locale = userMailLocale(user, request);
          const rendered = renderEmailCodeMail({
            locale,
            code,
            validSeconds,
            serviceName: env.mail.serviceName,
          });
          return sealMail(
            env.ctx.sealer,
            { to: user.email, kind: "mfa_code", locale, ...rendered },
            env.ctx.now(),
          );
        },
      );
      env.mailQueued();
      return json({ expires_in: expiresIn }, 202);
    },
  },
  {
    method: "POST",
    path: "/auth/mfa/totp/enroll",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      const body = await readJson(request, TotpEnrollRequestSchema);
      const enrollment = await enrollTotp(env.ctx, user, {
        ...(body.issuer === undefined ? {} : { issuer: body.issuer }),
        ...(body.account_name === undefined ? {} : { accountName: body.account_name }),
      });
      env.emit({
        type: "mfa_enroll_started",
        userId: user.id,
        ip: env.meta.ip,
        detail: { factorId: enrollment.factorId },
      });
      return json({ factor_id: enrollment.factorId, secret: enrollment.secret, uri: enrollment.uri });
    },
  },
  {
    method: "POST",
    path: "/auth/mfa/totp/activate",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      const body = await readJson(request, FactorCodeRequestSchema);
      const { recoveryCodes } = await activateTotp(env.ctx, user, {
        factorId: body.factor_id,
        code: body.code,
      });
      env.emit({
        type: "mfa_enabled",
        userId: user.id,
        ip: env.meta.ip,
        detail: { factorId: body.factor_id },
      });
      return json({ recovery_codes: recoveryCodes });
    },
  },
  {
    method: "GET",
    path: "/auth/mfa/factors",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      return json({ factors: (await listFactors(env.ctx, user)).map(wireFactor) });
    },
  },
  {
    method: "POST",
    path: "/auth/mfa/factors/remove",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      const body = await readJson(request, FactorCodeRequestSchema);
      await removeFactor(env.ctx, user, { factorId: body.factor_id, code: body.code });
      env.emit({
        type: "mfa_factor_removed",
        userId: user.id,
        ip: env.meta.ip,
        detail: { factorId: body.factor_id },
      });
      return noContent();
    },
  },
  {
    method: "POST",
    path: "/auth/mfa/recovery-codes",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      const body = await readJson(request, CodeRequestSchema);
      const { recoveryCodes } = await regenerateRecoveryCodes(env.ctx, user, { code: body.code });
      env.emit({ type: "mfa_recovery_codes_regenerated", userId: user.id, ip: env.meta.ip });
      return json({ recovery_codes: recoveryCodes });
    },
  },
];
