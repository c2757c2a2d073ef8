import type { AuthClient } from "../core/client";
import type { Session } from "../core/session";
import type { SignInResult } from "../credentials/sign-in";
import type { OAuthProvider } from "./providers";

/** Options of {@link handleRedirectCallback}. */
export interface RedirectCallbackOptions {
  /**
   * The providers this app uses. Needed for confidential clients (the client secret is never
   * stored with the pending sign-in); when given, a callback of another provider is refused.
   */
  providers?: readonly OAuthProvider[];
  /** Tolerance for `exp` and `iat` of the ID token, in seconds. Default 60. */
  clockToleranceSeconds?: number;
  /** Aborts the code exchange and the JWKS fetch (`AbortedError`). */
  signal?: AbortSignal;
}

/**
 * Options of {@link handleRedirectCallback} that hand the provider's ID token to the tegata
 * server (`signInWithIdToken`) instead of keeping the provider's tokens as the session.
 */
export interface ServerSignInCallbackOptions extends RedirectCallbackOptions {
  /**
   * Sign in at the tegata server with the validated ID token and this sign-in's nonce: the session
   * is then the server's (its `signed_in` or `mfa_required` answer), and the provider's tokens
   * are dropped. The provider's id (`google`, …) must be the one the server's `providers` option
   * names. Apple's first-sign-in name (the form_post `user` field) goes along for a new account.
   */
  signInAtServer: true;
  /** "Keep me signed in" at the server. Default: the server's (true). */
  remember?: boolean;
}

/** The result of {@link handleRedirectCallback} with `signInAtServer`: the server's answer. */
export type ServerSignInCallbackResult = SignInResult & {
  /** As in {@link RedirectCallbackResult}. */
  returnTo: string | null;
  /** The provider's id, such as `google`. */
  providerId: string;
  /** The ID token's claims as validated here (the server validated them again). */
  claims: Record<string, unknown>;
};

/** The result of {@link handleRedirectCallback}. */
export interface RedirectCallbackResult {
  session: Session;
  /**
   * The `returnTo` given to `createAuthorizationUrl`, as the canonical path on this site it was
   * normalised to (`pathname + search + hash`, never `//…`), or `null`.
   */
  returnTo: string | null;
  /** The provider's id, such as `google`. */
  providerId: string;
  /** The validated ID token's claims, when there was one. */
  claims: Record<string, unknown> | null;
}

/**
 * Completes a sign-in on the redirect URI: checks `state` (and the RFC 9207 `iss`), turns a
 * provider error into an `OAuthError`, exchanges the code with the PKCE verifier, validates the ID
 * token (signature, `iss`, `aud`/`azp`, `exp`, `iat`, `nonce`), stores the session (refreshable and
 * revocable at the provider through `tegata/session`) and emits `SIGNED_IN`.
 *
 * The pending sign-in is removed before anything can fail, so a callback is usable once: replaying
 * it, even after a success, gives `StateMismatchError`.
 *
 * @param input - the callback URL (a string or a `URL`; a path such as `/callback?code=…` is read
 * for its parameters), its query string, a `form_post` body (string or `URLSearchParams`).
 * Default: `location.href` in a browser.
 * @throws InvalidCallbackError for an input that is not a URL, or a callback without `code`;
 * StateMismatchError, IssuerMismatchError, OAuthError, UnknownProviderError; InvalidReturnToError
 * when the stored `returnTo` was changed (the sign-in is abandoned); IdTokenValidationError (with
 * `reason`); DiscoveryError; NetworkError, TimeoutError, HttpError, ResponseValidationError or
 * AbortedError for the token endpoint, the JWKS and discovery. TypeError for arguments of the
 * wrong type.
 * With `signInAtServer: true`, the validated ID token then goes to the tegata server
 * (`signInWithIdToken`, with this sign-in's nonce and Apple's first-sign-in name), whose session
 * is stored instead of the provider's: the result is the server's `signed_in` (or `mfa_required`)
 * answer, plus `returnTo`, `providerId` and `claims`. It also throws what `signInWithIdToken`
 * throws.
 *
 * @example
 * ```ts
 * const { returnTo } = await handleRedirectCallback(auth, location.href);
 * history.replaceState(null, "", returnTo ?? "/");
 * ```
 */
export function handleRedirectCallback(
  auth: AuthClient,
  input: string | URL | URLSearchParams | undefined,
  options: ServerSignInCallbackOptions,
): Promise<ServerSignInCallbackResult>;
export function handleRedirectCallback(
  auth: AuthClient,
  input?: string | URL | URLSearchParams,
  options?: RedirectCallbackOptions,
): Promise<RedirectCallbackResult>;
export async function handleRedirectCallback(
  auth: AuthClient,
  input?: string | URL | URLSearchParams,
  options: RedirectCallbackOptions | ServerSignInCallbackOptions = {},
): Promise<RedirectCallbackResult | ServerSignInCallbackResult> {
  // The code exchange and the ID token's validation (jose) load when a callback arrives: the pages
  // that only start a sign-in, or use the session, do not carry them.
  const { completeRedirect } = await import("./callback-flow");
  return completeRedirect(auth, input, options);
}
