import type { AuthClient } from "../core/client";
import { context } from "../core/state";
import { discover } from "./discovery";
import { pkceChallenge, randomString } from "./pkce";
import { assertProvider, type OAuthProvider } from "./providers";
import { appOrigin, safeReturnTo } from "./return-to";
import { saveTransaction } from "./transaction";

/** Options of {@link createAuthorizationUrl}. */
export interface AuthorizationUrlOptions {
  /** Default: the provider's scopes, or `["openid", "email", "profile"]`. */
  scopes?: readonly string[];
  /**
   * A path on this site to go back to after sign-in, such as `"/account?tab=security"` (or an
   * absolute URL on the redirect URI's origin). It is normalised as a browser would and the
   * result must stay on the site: `handleRedirectCallback` gives back that canonical path.
   */
  returnTo?: string;
  /** `login`, `consent`, `select_account` or `none`. */
  prompt?: string;
  /** Pre-fills the provider's account field. */
  loginHint?: string;
  /** More authorization parameters (they cannot override state, nonce or the PKCE challenge). */
  extraParams?: Record<string, string>;
}

const RESERVED = new Set([
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
  "response_type",
  "client_id",
  "redirect_uri",
]);

/**
 * Starts a sign-in with an OpenID Connect provider: makes a fresh `state`, `nonce` and PKCE code
 * verifier (S256 only), stores them for the redirect in the client's `transactionStorage` (keyed
 * by `state`, so several sign-ins can be pending at once; they expire after 10 minutes), and
 * returns the authorization URL to send the browser to.
 *
 * @throws InvalidReturnToError for a `returnTo` that leaves the redirect URI's origin once
 * normalised (`//host`, `/.//host`, backslashes, control characters, other origins or schemes),
 * before any request; IssuerMismatchError or DiscoveryError when discovery fails; TypeError for a
 * `provider` that is not an {@link OAuthProvider}.
 * @example
 * ```ts
 * const url = await createAuthorizationUrl(auth, google({ clientId, redirectUri }), { returnTo: "/settings" });
 * location.assign(url);
 * ```
 */
export async function createAuthorizationUrl(
  auth: AuthClient,
  provider: OAuthProvider,
  options: AuthorizationUrlOptions = {},
): Promise<URL> {
  context(auth);
  assertProvider(provider, "createAuthorizationUrl(auth, provider, options)");
  const returnTo =
    options.returnTo === undefined ? null : safeReturnTo(options.returnTo, appOrigin(provider.redirectUri));
  const metadata = await discover(auth, provider);
  const scopes = [...(options.scopes ?? provider.scopes ?? ["openid", "email", "profile"])];
  const state = randomString(32);
  const nonce = randomString(32);
  const verifier = randomString(32);
  const challenge = await pkceChallenge(verifier);

  const url = new URL(metadata.authorization_endpoint);
  const params = url.searchParams;
  for (const [key, value] of Object.entries({ ...provider.authorizationParams, ...options.extraParams })) {
    if (!RESERVED.has(key)) params.set(key, value);
  }
  params.set("response_type", "code");
  params.set("client_id", provider.clientId);
  params.set("redirect_uri", provider.redirectUri);
  params.set("scope", scopes.join(" "));
  params.set("state", state);
  if (scopes.includes("openid")) params.set("nonce", nonce);
  params.set("code_challenge", challenge);
  params.set("code_challenge_method", "S256");
  if (options.prompt) params.set("prompt", options.prompt);
  if (options.loginHint) params.set("login_hint", options.loginHint);
  const responseMode = provider.responseMode?.(scopes);
  if (responseMode) params.set("response_mode", responseMode);

  await saveTransaction(auth, {
    state,
    providerId: provider.id,
    issuer: provider.issuer,
    clientId: provider.clientId,
    redirectUri: provider.redirectUri,
    verifier,
    nonce,
    scopes,
    returnTo,
    createdAt: context(auth).clock.now(),
  });
  return url;
}
