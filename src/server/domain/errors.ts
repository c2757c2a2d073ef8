/**
 * Refusals decided by the domain. The domain never picks an HTTP status: the HTTP layer alone maps
 * a {@link DomainError}'s `code` to a status and a problem+json (RFC 9457) or RFC 6749 body.
 *
 * @module
 */
import type { PasswordIssue } from "../../core/errors";
import type { ProblemCode } from "../../wire/problems";

/** RFC 6749 section 5.2 errors of the token endpoint. */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unsupported_grant_type";

/** What a refusal may tell the client besides its code. */
export interface DomainErrorDetails {
  /** Attempts left before a lock (`invalid_credentials`, `invalid_mfa_code`). */
  remainingAttempts?: number;
  /** Seconds until a lock or a rate limit ends (`account_locked`, `rate_limited`). */
  retryAfterSeconds?: number;
  /** Why a password was refused (`password_policy`). */
  issues?: readonly PasswordIssue[];
}

/**
 * A refusal of the domain: a problem code of the contract (or, at the token endpoint, an RFC 6749
 * error), a message for developers that holds no secret, and the details the client may show.
 */
export class DomainError extends Error {
  /** The machine code: a {@link ProblemCode}, or an RFC 6749 error at the token endpoint. */
  readonly code: ProblemCode | `oauth:${OAuthErrorCode}`;
  readonly details: DomainErrorDetails;
  constructor(code: DomainError["code"], message: string, details: DomainErrorDetails = {}) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.details = details;
  }
}

/** The refusal of a suspended account (sign-in with the right password, second factor, social sign-in). */
export function accountSuspended(): DomainError {
  return new DomainError("account_suspended", "The account is suspended");
}
