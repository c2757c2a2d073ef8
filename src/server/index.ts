/**
 * `tegata/server`: Node-side helpers. Verifies tegata access tokens against the auth server's
 * JWKS (jose), with typed errors.
 *
 * @example
 * ```ts
 * import { createAccessTokenVerifier } from "tegata/server";
 * const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience: "tegata" });
 * const { userId } = await verify(req.headers.authorization);
 * ```
 * @module
 */

export type { AccessTokenVerifierOptions, VerifiedAccessToken } from "./verify";
export { createAccessTokenVerifier, verifyAccessToken } from "./verify";
