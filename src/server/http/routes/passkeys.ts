/**
 * The passkey endpoints: the registration ceremony of a signed-in user
 * (`POST /auth/passkeys/register/options`, `POST /auth/passkeys/register`), the sign-in ceremony
 * with a discoverable passkey (`POST /auth/passkeys/sign-in/options`, `POST /auth/passkeys/sign-in`,
 * answered like `/auth/sign-in`: a passkey is multi-factor, so never `mfa_required`), and the
 * user's list (`GET /auth/passkeys`, `POST /auth/passkeys/rename`, `POST /auth/passkeys/remove`).
 * Everything but the sign-in ceremony needs the bearer token, checked before the body.
 *
 * @module
 */
import {
  PasskeyRegisterRequestSchema,
  PasskeyRemoveRequestSchema,
  PasskeyRenameRequestSchema,
  PasskeySignInRequestSchema,
} from "../../../wire/passkeys";
import {
  listPasskeys,
  passkeyRegistrationOptions,
  passkeySignInOptions,
  registerPasskey,
  removePasskey,
  renamePasskey,
  signInWithPasskey,
  wirePasskey,
} from "../../domain/passkeys";
import type { Route } from "../env";
import { readJson } from "../request";
import { json, noContent } from "../responses";
import { requireUser, signedIn } from "./session";

/** @internal */
export const passkeyRoutes: Route[] = [
  {
    method: "POST",
    path: "/auth/passkeys/register/options",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      return json(await passkeyRegistrationOptions(env.ctx, env.passkeys, user));
    },
  },
  {
    method: "POST",
    path: "/auth/passkeys/register",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      const body = await readJson(request, PasskeyRegisterRequestSchema);
      const passkey = await registerPasskey(env.ctx, env.passkeys, user, {
        response: body.credential,
        ...(body.name === undefined ? {} : { name: body.name }),
      });
      env.emit({
        type: "passkey_added",
        userId: user.id,
        ip: env.meta.ip,
        detail: { passkeyId: passkey.id },
      });
      return json({ passkey: wirePasskey(passkey) }, 201);
    },
  },
  {
    method: "POST",
    path: "/auth/passkeys/sign-in/options",
    async handle(_request, env) {
      return json(await passkeySignInOptions(env.ctx, env.passkeys));
    },
  },
  {
    method: "POST",
    path: "/auth/passkeys/sign-in",
    async handle(request, env) {
      const body = await readJson(request, PasskeySignInRequestSchema);
      const result = await signInWithPasskey(
        env.ctx,
        env.passkeys,
        { response: body.credential, ...(body.remember === undefined ? {} : { remember: body.remember }) },
        env.meta,
      );
      return json(await signedIn(env, result));
    },
  },
  {
    method: "GET",
    path: "/auth/passkeys",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      return json({ passkeys: (await listPasskeys(env.ctx, user)).map(wirePasskey) });
    },
  },
  {
    method: "POST",
    path: "/auth/passkeys/rename",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      const body = await readJson(request, PasskeyRenameRequestSchema);
      return json({ passkey: wirePasskey(await renamePasskey(env.ctx, user, body.id, body.name)) });
    },
  },
  {
    method: "POST",
    path: "/auth/passkeys/remove",
    async handle(request, env) {
      const { user } = await requireUser(request, env);
      const body = await readJson(request, PasskeyRemoveRequestSchema);
      await removePasskey(env.ctx, user, body.id);
      env.emit({ type: "passkey_removed", userId: user.id, ip: env.meta.ip, detail: { passkeyId: body.id } });
      return noContent();
    },
  },
];
