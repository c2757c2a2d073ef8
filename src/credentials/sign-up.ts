import type { AuthClient } from "../core/client";
import type { PasswordChecker } from "../core/password-checker";
import type { Session } from "../core/session";
import { context } from "../core/state";
import { SignedInSchema } from "../wire";
import { acceptSignedIn, enforcePolicy, postJson, requireString } from "./shared";

/** Parameters of {@link signUp}. */
export interface SignUpParams {
  email: string;
  password: string;
  /** Display name. */
  name?: string;
  /** Checked before anything is sent, such as `presets.nist` from `tegata/password`. */
  policy?: PasswordChecker;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * Creates an account and signs it in.
 *
 * @throws PasswordPolicyError (with `issues`) when `policy` refuses the password (nothing is
 * sent) or the server's policy does; EmailTakenError when the address is registered; InvalidRequestError for a malformed
 * address.
 * @example
 * ```ts
 * const { session } = await signUp(auth, { email: "new@example.com", password });
 * ```
 */
export async function signUp(
  auth: AuthClient,
  params: SignUpParams,
): Promise<{ status: "signed_in"; session: Session }> {
  requireString("email", params?.email);
  requireString("password", params.password);
  await enforcePolicy(params.policy, params.password, {
    email: params.email,
    ...(params.name === undefined ? {} : { name: params.name }),
  });
  const body: Record<string, string> = { email: params.email.trim(), password: params.password };
  if (params.name !== undefined) body.name = params.name;
  const result = await postJson(auth, "signUp", body, SignedInSchema, { signal: params.signal });
  const receivedAt = context(auth).clock.now();
  return { status: "signed_in", session: await acceptSignedIn(auth, result, receivedAt) };
}
