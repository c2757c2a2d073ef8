/**
 * Social sign-in at the server: an OpenID Connect provider's ID token, verified against that
 * provider's JWKS, signs in the linked account or creates one; identities are listed, linked and
 * unlinked. (Being built: see issue 13.)
 *
 * @module
 */

/** An OpenID Connect provider whose ID tokens the server accepts (`providers` option). */
export interface IdTokenProvider {
  /** The provider's issuer (`iss`), exactly as its tokens carry it. */
  issuer: string;
  /** Your client ID at that provider: the `aud` its ID tokens must carry. */
  clientId: string | string[];
  /** Its JWKS URL. Default: from its discovery document (`/.well-known/openid-configuration`). */
  jwksUri?: string;
}
