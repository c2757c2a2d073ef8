/**
 * Responses of the auth server, and the one place where HTTP statuses live: a {@link DomainError}
 * becomes a problem+json body (RFC 9457) with the status of its code, or an RFC 6749 error at the
 * token endpoint. Every response carries `Cache-Control: no-store` (they hold tokens or account
 * data) and no secret: a refusal says what is wrong, never a token, a password or a stack.
 *
 * @module
 */

import type { ProblemCode } from "../../wire/problems";
import { DomainError, type OAuthErrorCode } from "../domain/errors";
import { isStoreUnavailable } from "../store/unavailable";

/** The HTTP status of each problem code. */
export const PROBLEM_STATUS: Readonly<Record<ProblemCode, number>> = {
  invalid_request: 400,
  invalid_credentials: 401,
  unauthorized: 401,
  account_locked: 423,
  rate_limited: 429,
  mfa_required: 403,
  invalid_mfa_code: 401,
  mfa_challenge_expired: 400,
  mfa_not_enabled: 409,
  not_signed_in: 401,
  session_expired: 401,
  invalid_session: 401,
  email_taken: 409,
  invalid_token: 400,
  password_policy: 422,
  factor_exists: 409,
  factor_not_found: 404,
  session_not_found: 404,
  account_suspended: 403,
  email_not_verified: 403,
  email_blocked: 409,
  user_not_found: 404,
  invalid_id_token: 401,
  unknown_provider: 400,
  identity_conflict: 409,
  last_sign_in_method: 409,
  invalid_passkey: 401,
  passkey_challenge_expired: 400,
  passkey_exists: 409,
  passkey_not_found: 404,
  service_unavailable: 503,
  not_found: 404,
  method_not_allowed: 405,
  internal_error: 500,
};

/** The HTTP status of each RFC 6749 error (RFC 6749 section 5.2). */
const OAUTH_STATUS: Readonly<Record<OAuthErrorCode, number>> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unsupported_grant_type: 400,
};

/** A request refused by the HTTP layer itself (wrong content type, too large, malformed): its response. */
export class RequestRefusal extends Error {
  readonly response: Response;
  constructor(response: Response) {
    super("request refused");
    this.name = "RequestRefusal";
    this.response = response;
  }
}

const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" } as const;

/** A JSON response, never cached. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...NO_STORE, ...headers },
  });
}

/** `204 No Content`, never cached. */
export function noContent(): Response {
  return new Response(null, { status: 204, headers: NO_STORE });
}

/** A problem+json response for a code of the contract. */
export function problem(
  code: ProblemCode,
  title: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  status: number = PROBLEM_STATUS[code],
): Response {
  return new Response(JSON.stringify({ type: "about:blank", title, status, code, ...extra }), {
    status,
    headers: { "content-type": "application/problem+json", ...NO_STORE, ...headers },
  });
}

/** An RFC 6749 error response (token and revocation endpoints). */
export function oauthError(code: OAuthErrorCode, description: string): Response {
  const headers: Record<string, string> = {};
  if (code === "invalid_client") headers["www-authenticate"] = 'Basic realm="tegata"';
  return json({ error: code, error_description: description }, OAUTH_STATUS[code], headers);
}

/** Seconds a client is asked to wait when the database cannot be reached. */
const UNAVAILABLE_RETRY_SECONDS = 5;

/**
 * The response for anything a handler threw: a {@link DomainError} with its status and details;
 * a database that cannot be reached now, `503 service_unavailable` with `Retry-After`; anything
 * else is a bug, answered `500 internal_error` with a fixed title. Both go to `report`, never to
 * the client.
 */
export function errorResponse(error: unknown, report: (error: unknown) => void): Response {
  if (error instanceof RequestRefusal) return error.response;
  if (!(error instanceof DomainError)) {
    report(error);
    if (isStoreUnavailable(error)) {
      return problem(
        "service_unavailable",
        "The service is unavailable for now: try again shortly",
        { retry_after: UNAVAILABLE_RETRY_SECONDS },
        { "retry-after": String(UNAVAILABLE_RETRY_SECONDS) },
      );
    }
    return problem("internal_error", "The server failed to handle the request");
  }
  if (error.code.startsWith("oauth:")) {
    return oauthError(error.code.slice("oauth:".length) as OAuthErrorCode, error.message);
  }
  const code = error.code as ProblemCode;
  const extra: Record<string, unknown> = {};
  const headers: Record<string, string> = {};
  const d = error.details;
  if (d.remainingAttempts !== undefined) extra.remaining_attempts = d.remainingAttempts;
  if (d.retryAfterSeconds !== undefined) {
    extra.retry_after = d.retryAfterSeconds;
    headers["retry-after"] = String(d.retryAfterSeconds);
  }
  if (d.issues !== undefined) extra.issues = d.issues;
  if (code === "unauthorized") headers["www-authenticate"] = 'Bearer error="invalid_token"';
  return problem(code, error.message, extra, headers);
}
