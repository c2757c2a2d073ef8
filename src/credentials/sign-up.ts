import type { AuthClient } from "../core/client";
import { SIGN_UP } from "../core/endpoints";
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
  /**
   * The language of the mails the server sends this user (`ja` or `en`; changed later with
   * `updateAccountSettings`). Default: the server takes the request's `Accept-Language`.
   */
  locale?: "ja" | "en";
  /**
   * Where the link of the verification mail leads: a path, or a URL on one of the server's
   * `appOrigins`. Default: the server's `/verify-email` page.
   */
  redirectTo?: string;
  /** Checked before anything is sent, such as `presets.nist` from `tegata/password`. */
  policy?: PasswordChecker;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * Creates an account and signs it in. The server mails a verification link to the address
 * (`verifyEmail` takes its token).
 *
 * @throws PasswordPolicyError (with `issues`) when `policy` refuses the password (nothing is
 * sent) or the server's policy does; EmailTakenError when the address is registered; InvalidRequestError for a malformed
 * address or a refused `redirectTo`; EmailNotVerifiedError when the server requires a verified
 * address (`requireVerifiedEmail`): the account was created, unverified and without a session —
 * open the mailed link, then sign in.
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
  if (params.locale !== undefined) {
    if (params.locale !== "ja" && params.locale !== "en") {
      throw new TypeError('tegata: "locale" must be "ja" or "en"');
    }
    body.locale = params.locale;
  }
  if (params.redirectTo !== undefined) body.redirect_to = params.redirectTo;
  const result = await postJson(auth, SIGN_UP, body, SignedInSchema, { signal: params.signal });
  const receivedAt = context(auth).clock.now();
  return { status: "signed_in", session: await acceptSignedIn(auth, result, receivedAt) };
}
