/**
 * Social sign-in at the tegata server: the provider's ID token, from the PKCE flow, is handed to
 * the server, which verifies it against the provider's JWKS and issues a tegata session. Plus
 * the user's linked identities: list, link (with re-authentication), unlink.
 *
 * @module
 */

import type { AuthClient } from "../core/client";
import { IDENTITIES, IDENTITY_LINK, IDENTITY_SIGN_IN, IDENTITY_UNLINK } from "../core/endpoints";
import { callJson, callVoid, requireString } from "../core/request";
import { postSignIn } from "../credentials/shared";
import type { SignInResult } from "../credentials/sign-in";
import { IdentityLinkResponseSchema, IdentityListSchema, type WireIdentity } from "../wire/identities";

/** Parameters of {@link signInWithIdToken}. */
export interface SignInWithIdTokenParams {
  /** The provider's id as the server's `providers` option names it (`google`, `apple`, …). */
  provider: string;
  /** The provider's ID token (from `handleRedirectCallback`'s code exchange, or a native SDK). */
  idToken: string;
  /**
   * The nonce of the authorization request the token answers. The server refuses a token whose
   * `nonce` is neither this value nor its SHA-256 in hex, and accepts each nonce once.
   */
  nonce: string;
  /**
   * The user's name for a new account when the ID token has none: Apple sends it only at the
   * first sign-in, in the `user` field of its form_post ({@link appleUserName} reads it).
   */
  name?: string;
  /** "Keep me signed in". Default: the server's (true). */
  remember?: boolean;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** A social identity linked to the signed-in user. */
export interface LinkedIdentity {
  /** The provider's id at the server (`google`, `apple`, …). */
  provider: string;
  /** The provider's `sub`: pass it to {@link unlinkIdentity}. */
  subject: string;
  /** The address the provider gave at the last sign-in, if any. */
  email: string | null;
  createdAt: Date;
  /** The last sign-in with it, `null` before the first. */
  lastUsedAt: Date | null;
}

/** Parameters of {@link linkIdentity}. */
export interface LinkIdentityParams {
  provider: string;
  idToken: string;
  nonce: string;
  /**
   * Re-authentication: the account's password, or `code`. An account with neither a password
   * nor a second factor sends neither, within 5 minutes of signing in.
   */
  password?: string;
  /** A second-factor code (TOTP or recovery code), instead of the password. */
  code?: string;
  signal?: AbortSignal;
}

function toIdentity(wire: WireIdentity): LinkedIdentity {
  return {
    provider: wire.provider,
    subject: wire.subject,
    email: wire.email,
    createdAt: new Date(wire.created_at),
    lastUsedAt: wire.last_used_at === null ? null : new Date(wire.last_used_at),
  };
}

/**
 * Signs in at the tegata server with a provider's ID token: the server verifies it (the
 * provider's JWKS, `iss`, your client ID as `aud`, `exp`, the nonce, once), signs in the linked
 * account, links an account whose address both the provider and the account have verified, or
 * creates one, and issues a tegata session, stored here as after a password sign-in
 * (`SIGNED_IN`). An account with an active second factor answers `mfa_required`: complete it
 * with `completeMfa` of `tegata/credentials`.
 *
 * @returns `{ status: "signed_in", session }` or `{ status: "mfa_required", challenge }`.
 * @throws IdTokenValidationError (`reason: "rejected"`) for a token of another audience or
 * issuer, an expired, forged or already used one; UnknownProviderError when the server has no
 * such provider; IdentityConflictError when the provider's address belongs to an account and is
 * not verified by both; AccountSuspendedError; EmailBlockedError; RateLimitedError,
 * NetworkError, TimeoutError, AbortedError, ResponseValidationError.
 * @example
 * ```ts
 * const result = await signInWithIdToken(auth, { provider: "google", idToken, nonce });
 * if (result.status === "signed_in") console.log(result.session.user?.email);
 * ```
 */
export async function signInWithIdToken(
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

/**
 * The signed-in user's linked social identities, oldest first.
 *
 * @throws UnauthorizedError, SessionExpiredError when there is no usable session.
 * @example
 * ```ts
 * const identities = await listIdentities(auth);
 * const hasGoogle = identities.some((i) => i.provider === "google");
 * ```
 */
export async function listIdentities(
  auth: AuthClient,
  options: { signal?: AbortSignal } = {},
): Promise<LinkedIdentity[]> {
  const body = await callJson(auth, IDENTITIES, undefined, IdentityListSchema, {
    authenticated: true,
    signal: options.signal,
  });
  return body.identities.map(toIdentity);
}

/**
 * Links a provider's identity (its ID token from a PKCE flow of the signed-in user) to the
 * signed-in account, after re-authentication: the account's `password` or a second-factor
 * `code` (an account with neither sends neither, within 5 minutes of signing in). Linking an
 * identity the account already has answers it again.
 *
 * @returns The linked identity.
 * @throws InvalidCredentialsError for a wrong password, InvalidMfaCodeError for a wrong code,
 * AccountLockedError; InvalidRequestError without a proof the account has (or with a stale
 * sign-in of an account that has none); IdTokenValidationError; UnknownProviderError;
 * IdentityConflictError when the identity belongs to another account.
 * @example
 * ```ts
 * await linkIdentity(auth, { provider: "google", idToken, nonce, password });
 * ```
 */
export async function linkIdentity(auth: AuthClient, params: LinkIdentityParams): Promise<LinkedIdentity> {
  requireString("provider", params?.provider);
  requireString("idToken", params.idToken);
  requireString("nonce", params.nonce);
  const body: Record<string, string> = {
    provider: params.provider,
    id_token: params.idToken,
    nonce: params.nonce,
  };
  if (params.password !== undefined) {
    requireString("password", params.password);
    body.password = params.password;
  }
  if (params.code !== undefined) {
    requireString("code", params.code);
    body.code = params.code.replace(/\s+/g, "");
  }
  const result = await callJson(auth, IDENTITY_LINK, body, IdentityLinkResponseSchema, {
    method: "POST",
    authenticated: true,
    signal: params.signal,
  });
  return toIdentity(result.identity);
}

/**
 * Unlinks one of the signed-in user's identities. The server refuses to remove the account's last
 * way to sign in (no password and no other identity).
 *
 * @throws LastSignInMethodError for the last way to sign in; HttpError 404 (`not_found`) for an
 * identity the account does not have.
 * @example
 * ```ts
 * await unlinkIdentity(auth, { provider: "google", subject: identity.subject });
 * ```
 */
export async function unlinkIdentity(
  auth: AuthClient,
  params: { provider: string; subject: string; signal?: AbortSignal },
): Promise<void> {
  requireString("provider", params?.provider);
  requireString("subject", params.subject);
  await callVoid(
    auth,
    IDENTITY_UNLINK,
    { provider: params.provider, subject: params.subject },
    { method: "POST", authenticated: true, signal: params.signal },
  );
}

/**
 * The user's name from the `user` field of Sign in with Apple's form_post (sent only at the first
 * authorization): `"firstName lastName"`, or `undefined` when the field is absent or unreadable.
 *
 * @param form - The form_post body (a string or `URLSearchParams`).
 * @example
 * ```ts
 * const name = appleUserName(await request.text());
 * ```
 */
export function appleUserName(form: string | URLSearchParams): string | undefined {
  const params = typeof form === "string" ? new URLSearchParams(form) : form;
  const raw = params.get("user");
  if (raw === null) return undefined;
  try {
    const user = JSON.parse(raw) as { name?: { firstName?: unknown; lastName?: unknown } };
    const parts = [user?.name?.firstName, user?.name?.lastName]
      .filter((p): p is string => typeof p === "string")
      .map((p) => p.trim())
      .filter((p) => p !== "");
    return parts.length > 0 ? parts.join(" ") : undefined;
  } catch {
    return undefined;
  }
}
