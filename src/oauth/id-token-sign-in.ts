/**
 * @internal {@link signInWithIdToken}'s work, in a module reached only by `import()` (from
 * `signInWithIdToken` and from the callback's chunk), so that no first page carries it.
 *
 * @module
 */
import type { AuthClient } from "../core/client";
import { IDENTITY_SIGN_IN } from "../core/endpoints";
import { requireString } from "../core/request";
import { postSignIn } from "../credentials/shared";
import type { SignInResult } from "../credentials/sign-in";
import type { SignInWithIdTokenParams, signInWithIdToken } from "./identities";

/** @internal see {@link signInWithIdToken}. */
export async function idTokenSignIn(
  auth: AuthClient,
  params: SignInWithIdTokenParams,
): Promise<SignInResult> {
  requireString("provider", params?.provider);
  requireString("idToken", params.idToken);
  requireString("nonce", params.nonce);
  const body: Record<string, unknown> = {
    provider: params.provider,
    id_token: params.idToken,
    nonce: params.nonce,
  };
  if (params.name !== undefined) {
    requireString("name", params.name);
    const name = params.name.trim();
    if (name !== "") body.name = name.slice(0, 256);
  }
  if (params.remember !== undefined) body.remember = params.remember;
  return postSignIn(auth, IDENTITY_SIGN_IN, body, params.signal);
}
