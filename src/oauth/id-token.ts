import { decodeProtectedHeader, errors, type JWTPayload, type JWTVerifyOptions, jwtVerify } from "jose";
import type { AuthClient } from "../core/client";
import {
  type IdTokenFailure,
  IdTokenValidationError,
  isTegataError,
  ResponseValidationError,
} from "../core/errors";
import { context } from "../core/state";
import type { ProviderMetadata } from "./discovery";
import { jwksKeys } from "./jwks";

const DEFAULT_ALGS = [
  "RS256",
  "ES256",
  "PS256",
  "EdDSA",
  "RS384",
  "RS512",
  "ES384",
  "ES512",
  "PS384",
  "PS512",
];

function fail(reason: IdTokenFailure, message: string, cause?: unknown): never {
  throw new IdTokenValidationError(message, { reason, cause });
}

/**
 * Verifies with the JWKS; when several keys match the token's header (no `kid`, several keys of
 * its algorithm), tries each of them in turn.
 */
async function verify(
  idToken: string,
  keys: ReturnType<typeof jwksKeys>,
  options: JWTVerifyOptions,
): Promise<JWTPayload> {
  try {
    return (await jwtVerify(idToken, keys, options)).payload;
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    let last: unknown = error;
    for await (const key of error) {
      try {
        return (await jwtVerify(idToken, key, options)).payload;
      } catch (attempt) {
        last = attempt;
        if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    throw last;
  }
}

/**
 * @internal validates an ID token (OpenID Connect Core 3.1.3.7): signature against the provider's
 * JWKS with an allowed algorithm (never `none`), `iss`, `aud` (and `azp` with several audiences),
 * `exp`, `iat` with a clock tolerance, and `nonce`.
 */
export async function validateIdToken(
  auth: AuthClient,
  idToken: string,
  expected: {
    issuer: string;
    clientId: string;
    nonce: string;
    metadata: ProviderMetadata;
    clockToleranceSeconds: number;
    signal?: AbortSignal | undefined;
  },
): Promise<JWTPayload> {
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(idToken).alg;
  } catch (error) {
    fail("malformed", "The ID token is malformed", error);
  }
  const allowed = (expected.metadata.id_token_signing_alg_values_supported ?? DEFAULT_ALGS).filter(
    (a) => a !== "none" && !a.startsWith("HS"),
  );
  if (!alg || alg === "none" || !allowed.includes(alg)) {
    fail("algorithm", `The ID token's algorithm ${alg ?? "(none)"} is not allowed`);
  }
  if (!expected.metadata.jwks_uri) fail("signature", "The provider publishes no JWKS to verify the ID token");
  const now = context(auth).clock.now();
  let payload: JWTPayload;
  try {
    payload = await verify(idToken, jwksKeys(auth, expected.metadata.jwks_uri, expected.signal), {
      issuer: expected.issuer,
      audience: expected.clientId,
      algorithms: allowed,
      clockTolerance: expected.clockToleranceSeconds,
      currentDate: new Date(now),
      requiredClaims: ["sub", "iat", "exp"],
    });
  } catch (error) {
    // The JWKS could not be fetched or used: NetworkError, TimeoutError, HttpError,
    // ResponseValidationError or AbortedError, already typed by jwksKeys.
    if (isTegataError(error)) throw error;
    if (error instanceof errors.JWTExpired) fail("expired", "The ID token has expired", error);
    if (error instanceof errors.JWTClaimValidationFailed) {
      const claim = error.claim;
      if (claim === "iss") fail("issuer", "The ID token's issuer does not match", error);
      if (claim === "aud") fail("audience", "The ID token is not for this client", error);
      if (claim === "iat" || claim === "nbf") fail("iat", "The ID token is not valid yet", error);
      fail("malformed", `The ID token lacks a valid ${claim} claim`, error);
    }
    if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
      fail("algorithm", `The ID token's algorithm ${alg} is not allowed or not supported`, error);
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      fail("signature", "The ID token's signature is invalid", error);
    }
    if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
      fail("signature", "The provider's JWKS has no key that verifies the ID token (unknown kid)", error);
    }
    if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
      fail("malformed", "The ID token is malformed", error);
    }
    if (error instanceof errors.JOSEError)
      fail("malformed", `The ID token cannot be verified: ${error.message}`, error);
    // A key of the JWKS that WebCrypto refuses for this algorithm (an RSA modulus under 2048 bits,
    // another curve): the provider's keys are at fault, not the token.
    throw new ResponseValidationError(
      `The provider's JWKS (${expected.metadata.jwks_uri}) has a key that cannot verify ${alg}`,
      { cause: error },
    );
  }
  if (typeof payload.iat !== "number" || payload.iat * 1000 > now + expected.clockToleranceSeconds * 1000) {
    fail("iat", "The ID token was issued in the future");
  }
  const aud = payload.aud;
  const azp = (payload as { azp?: unknown }).azp;
  if (Array.isArray(aud) && aud.length > 1 && azp === undefined) {
    fail("azp", "An ID token with several audiences needs azp");
  }
  if (azp !== undefined && azp !== expected.clientId) fail("azp", "The ID token's azp is not this client");
  if (payload.nonce !== expected.nonce) fail("nonce", "The ID token's nonce does not match this sign-in");
  return payload;
}
