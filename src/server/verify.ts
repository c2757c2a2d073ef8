import { createRemoteJWKSet, customFetch, errors, type JWTPayload, jwtVerify } from "jose";
import { type AccessTokenFailure, InvalidAccessTokenError } from "../core/errors";

/** Options of {@link createAccessTokenVerifier} and {@link verifyAccessToken}. */
export interface AccessTokenVerifierOptions {
  /** The auth server's JWKS, such as `https://auth.example.com/.well-known/jwks.json`. */
  jwksUrl: string | URL;
  /** Expected `iss`. */
  issuer: string;
  /** Expected `aud` (one of them). */
  audience: string | string[];
  /** Allowed algorithms. Default: asymmetric ones only (`ES256`, `RS256`, `PS256`, `EdDSA`, …). */
  algorithms?: string[];
  /** Tolerance for `exp` and `nbf`, in seconds. Default 5. */
  clockToleranceSeconds?: number;
  /** The fetch for the JWKS. Default: global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** The time source (ms since the epoch). Default `Date.now`. */
  now?: () => number;
  /** How long a fetched JWKS is used before it is fetched again, in ms. Default 10 minutes. */
  cacheMaxAgeMs?: number;
  /** Timeout of one JWKS request, in ms. Default 5000. */
  timeoutMs?: number;
}

/** A failure to get the signing keys (network, timeout, non-200, not a JWKS), as opposed to a bad token. */
class KeysUnavailable {
  readonly cause: unknown;
  constructor(cause: unknown) {
    this.cause = cause;
  }
}

/** A verified access token. */
export interface VerifiedAccessToken {
  /** The user id (`sub`). */
  userId: string;
  /** The session id (`sid`), when the token has one. */
  sessionId: string | undefined;
  /** Scopes from `scope` (space-separated) or `scp`. */
  scopes: string[];
  /** All claims. */
  claims: JWTPayload;
}

const ALGS = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"];

function fail(reason: AccessTokenFailure, message: string, cause?: unknown): never {
  throw new InvalidAccessTokenError(message, { reason, cause, status: 401 });
}

/**
 * Makes a verifier that checks access tokens (JWT) against a JWKS: signature with an asymmetric
 * algorithm, `iss`, `aud`, `exp` and `nbf`. The JWKS is fetched once and cached by the verifier
 * (refetched after `cacheMaxAgeMs`, or when a token names an unknown `kid`, at most every 30 s).
 * Create one per process and reuse it.
 *
 * @example
 * ```ts
 * const verify = createAccessTokenVerifier({ jwksUrl: "https://auth.example.com/.well-known/jwks.json", issuer: "https://auth.example.com", audience: "tegata" });
 * const { userId } = await verify(request.headers.get("authorization"));
 * ```
 */
export function createAccessTokenVerifier(
  options: AccessTokenVerifierOptions,
): (token: string | null | undefined) => Promise<VerifiedAccessToken> {
  if (!options || typeof options.issuer !== "string" || options.audience === undefined) {
    throw new TypeError("tegata: createAccessTokenVerifier needs jwksUrl, issuer and audience");
  }
  const fetchFn = options.fetch;
  const remote = createRemoteJWKSet(new URL(String(options.jwksUrl)), {
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
    timeoutDuration: options.timeoutMs ?? 5000,
    ...(fetchFn ? { [customFetch]: (url: string, init: RequestInit) => fetchFn(url, init) } : {}),
  });
  // Tells "the keys could not be had" (reason `jwks`: the API should answer 503, not 401) from
  // "no key matches this token" (reason `signature`).
  const jwks = async (header: Parameters<typeof remote>[0], token: Parameters<typeof remote>[1]) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
        throw error;
      }
      throw new KeysUnavailable(error);
    }
  };
  const algorithms = (options.algorithms ?? ALGS).filter((a) => a !== "none" && !a.startsWith("HS"));
  return async (input) => {
    const token = typeof input === "string" ? input.replace(/^Bearer\s+/i, "").trim() : "";
    if (!token) fail("missing", "No access token was presented");
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms,
        clockTolerance: options.clockToleranceSeconds ?? 5,
        currentDate: new Date(options.now ? options.now() : Date.now()),
        requiredClaims: ["sub", "exp"],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) fail("expired", "The access token has expired", error);
      if (error instanceof errors.JWTClaimValidationFailed) {
        if (error.claim === "iss") fail("issuer", "The access token's issuer is not trusted", error);
        if (error.claim === "aud") fail("audience", "The access token is not for this API", error);
        if (error.claim === "nbf") fail("not_yet_valid", "The access token is not valid yet", error);
        fail("malformed", "The access token's claims are invalid", error);
      }
      if (error instanceof errors.JOSEAlgNotAllowed)
        fail("algorithm", "The access token's algorithm is not allowed", error);
      if (
        error instanceof errors.JWSSignatureVerificationFailed ||
        error instanceof errors.JWKSNoMatchingKey
      ) {
        fail("signature", "The access token's signature is invalid", error);
      }
      if (error instanceof KeysUnavailable) {
        fail("jwks", "The signing keys could not be fetched", error.cause);
      }
      fail("malformed", "The access token is malformed", error);
    }
    const scope = typeof claims.scope === "string" ? claims.scope.split(" ").filter(Boolean) : [];
    const scp = Array.isArray(claims.scp) ? claims.scp.filter((s): s is string => typeof s === "string") : [];
    return {
      userId: String(claims.sub),
      sessionId: typeof claims.sid === "string" ? claims.sid : undefined,
      scopes: scope.length > 0 ? scope : scp,
      claims,
    };
  };
}

/**
 * Verifies one access token. Convenient for scripts; servers should keep one
 * {@link createAccessTokenVerifier} so the JWKS is fetched once, not per request.
 *
 * @throws InvalidAccessTokenError with `reason` (`missing`, `malformed`, `signature`, `algorithm`,
 * `issuer`, `audience`, `expired`, `not_yet_valid`, `jwks`) and `status` 401.
 * @example
 * ```ts
 * const { userId } = await verifyAccessToken(token, { jwksUrl, issuer, audience: "tegata" });
 * ```
 */
export function verifyAccessToken(
  token: string | null | undefined,
  options: AccessTokenVerifierOptions,
): Promise<VerifiedAccessToken> {
  return createAccessTokenVerifier(options)(token);
}
