import type { AuthClient } from "../core/client";
import type { Session } from "../core/session";
import { SignedInSchema } from "../wire";
import { acceptSignedIn, postJson, requireString } from "./shared";

/** Parameters of {@link signUp}. */
export interface SignUpParams {
  email: string;
  password: string;
  /** Display name. */
  name?: string;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * Creates an account and signs it in.
 *
 * @throws EmailTakenError when the address is registered, PasswordPolicyError (with `issues`)
 * when the server's password policy refuses the password, InvalidRequestError for a malformed
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
  const body: Record<string, string> = { email: params.email.trim(), password: params.password };
  if (params.name !== undefined) body.name = params.name;
  const result = await postJson(auth, "signUp", body, SignedInSchema, { signal: params.signal });
  const receivedAt = auth._internal.clock.now();
  return { status: "signed_in", session: await acceptSignedIn(auth, result, receivedAt) };
}
