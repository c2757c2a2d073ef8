/**
 * The social-identity endpoints: sign-in with a provider's ID token, list, link, unlink.
 *
 * @module
 */
import {
  IdentityLinkRequestSchema,
  IdentityUnlinkRequestSchema,
  IdTokenSignInRequestSchema,
} from "../../../wire/identities";
import { linkIdentity, listIdentities, signInWithIdToken, unlinkIdentity } from "../../domain/identities";
import { startSession } from "../../domain/sessions";
import type { Route } from "../env";
import { wireUser } from "../env";
import { readJson } from "../request";
import { json, noContent } from "../responses";
import { noticeIfSuspicious, requireUser } from "./session";

/** @internal */
export const identityRoutes: Route[] = [
  {
    method: "POST",
    path: "/auth/identities/sign-in",
    async handle(request, env) {
      const body = await readJson(request, IdTokenSignInRequestSchema);
      const result = await signInWithIdToken(
        env.ctx,
        env.providers,
        {
          provider: body.provider,
          idToken: body.id_token,
          nonce: body.nonce,
          ...(body.name === undefined ? {} : { name: body.name }),
          ...(body.remember === undefined ? {} : { remember: body.remember }),
        },
        env.meta,
      );
      if (result.kind === "mfa_required") {
        return json({ status: "mfa_required", challenge: result.challenge });
      }
      const { session, tokens } = await startSession(
        env.ctx,
        { user: result.user, remember: result.remember, amr: result.amr },
        env.meta,
      );
      // The login-history event of this sign-in now names its session, as after a password.
      await env.ctx.store.linkLoginEvent(result.user.id, result.attemptId, session.id);
      if (!result.created) await noticeIfSuspicious(env, result.user.id, result.attemptId);
      env.emit({
        type: result.created ? "sign_up" : "sign_in",
        userId: result.user.id,
        ip: env.meta.ip,
        detail: { amr: result.amr, provider: body.provider },
      });
      return json({ status: "signed_in", ...tokens, user: await wireUser(env.ctx, result.user) });
    },
  },
  {
    method: "GET",
    path: "/auth/identities",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      return json({ identities: await listIdentities(env.ctx, user) });
    },
  },
  {
    method: "POST",
    path: "/auth/identities/link",
    async handle(request, env) {
      const auth = await requireUser(request, env);
      const body = await readJson(request, IdentityLinkRequestSchema);
      const identity = await linkIdentity(env.ctx, env.providers, env.credentials, auth, {
        provider: body.provider,
        idToken: body.id_token,
        nonce: body.nonce,
        ...(body.password === undefined ? {} : { password: body.password }),
        ...(body.code === undefined ? {} : { code: body.code }),
      });
      env.emit({
        type: "identity_linked",
        userId: auth.user.id,
        ip: env.meta.ip,
        detail: { provider: identity.provider },
      });
      return json({ identity });
    },
  },
  {
    method: "POST",
    path: "/auth/identities/unlink",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      const body = await readJson(request, IdentityUnlinkRequestSchema);
      await unlinkIdentity(env.ctx, user, body.provider, body.subject);
      env.emit({
        type: "identity_unlinked",
        userId: user.id,
        ip: env.meta.ip,
        detail: { provider: body.provider },
      });
      return noContent();
    },
  },
];
