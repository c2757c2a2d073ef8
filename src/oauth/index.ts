/**
 * `tegata/oauth`: sign-in with OpenID Connect providers (Authorization Code + PKCE), with presets
 * for Google, Apple and Yahoo! JAPAN.
 *
 * @example
 * ```ts
 * import { createAuthorizationUrl, google, handleRedirectCallback } from "tegata/oauth";
 * const provider = google({ clientId, redirectUri: `${location.origin}/callback` });
 * location.assign(await createAuthorizationUrl(auth, provider, { returnTo: "/account" }));
 * // on /callback:
 * const { returnTo } = await handleRedirectCallback(auth, location.href);
 * ```
 * @module
 */

export type { AuthorizationUrlOptions } from "./authorize";
export { createAuthorizationUrl } from "./authorize";
export type {
  RedirectCallbackOptions,
  RedirectCallbackResult,
  ServerSignInCallbackOptions,
  ServerSignInCallbackResult,
} from "./callback";
export { handleRedirectCallback } from "./callback";
export type { ProviderMetadata } from "./discovery";
export { discover } from "./discovery";
export type { LinkedIdentity, LinkIdentityParams, SignInWithIdTokenParams } from "./identities";
export { appleUserName, linkIdentity, listIdentities, signInWithIdToken, unlinkIdentity } from "./identities";
export { pkceChallenge } from "./pkce";
export type { OAuthProvider, OidcProviderOptions } from "./providers";
export { apple, google, oidcProvider, yahooJapan } from "./providers";
