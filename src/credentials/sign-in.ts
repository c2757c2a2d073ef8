import type { AuthClient } from "../core/client";
import { MFA_EMAIL_CODE, MFA_VERIFY, SIGN_IN } from "../core/endpoints";
import { InvalidRequestError, ResponseValidationError } from "../core/errors";
import type { Session } from "../core/session";
import { context } from "../core/state";
import { MfaEmailCodeSentSchema, SignedInSchema } from "../wire";
import { acceptSignedIn, postJson, postSignIn, requireString } from "./shared";

/**
 * A second factor a challenge accepts: the authenticator app's code, a recovery code, or a code
 * mailed to the account's verified address ({@link sendMfaEmailCode}).
 */
export type MfaMethod = "totp" | "recovery_code" | "email_code";

/** A pending second-factor step of a sign-in. Pass it to {@link completeMfa}. */
export interface MfaChallenge {
  /** Opaque challenge id. */
  id: string;
  /** The factors the user may answer with. */
  methods: MfaMethod[];
  /** When the challenge expires; after that, sign in again. */
  expiresAt: Date;
}

/** The result of {@link signIn}. */
export type SignInResult =
  | { status: "signed_in"; session: Session }
  | { status: "mfa_required"; challenge: MfaChallenge };

/** Parameters of {@link signIn}. */
export interface SignInParams {
  email: string;
  password: string;
  /** "Keep me signed in": asks the server for a long-lived refresh token. */
  remember?: boolean;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * Signs in with email and password.
 *
 * @returns `{ status: "signed_in", session }`, or `{ status: "mfa_required", challenge }` when the
 * account has a second factor: then call {@link completeMfa}.
 * @throws InvalidCredentialsError (with `remainingAttempts` when the server says),
 * AccountLockedError (with `retryAfter` seconds), RateLimitedError, NetworkError, TimeoutError,
 * AbortedError, ResponseValidationError.
 * @example
 * ```ts
 * const result = await signIn(auth, { email, password });
 * if (result.status === "mfa_required") {
 *   await completeMfa(auth, { challenge: result.challenge, code: "123456" });
 * }
 * ```
 */
export async function signIn(auth: AuthClient, params: SignInParams): Promise<SignInResult> {
  requireString("email", params?.email);
  requireString("password", params.password);
  const body: Record<string, unknown> = { email: params.email.trim(), password: params.password };
  if (params.remember !== undefined) body.remember = params.remember;
  return postSignIn(auth, SIGN_IN, body, params.signal);
}

/** Parameters of {@link completeMfa}: a TOTP code, a recovery code, or a code sent by mail. */
export type CompleteMfaParams = { challenge: MfaChallenge | string; signal?: AbortSignal } & (
  | { code: string; recoveryCode?: never; emailCode?: never }
  | { recoveryCode: string; code?: never; emailCode?: never }
  | { emailCode: string; code?: never; recoveryCode?: never }
);

/**
 * Mails a one-time code for the challenge to the account's verified address, as the alternative
 * to the authenticator app (when `challenge.methods` includes `"email_code"`). The code works
 * once, for 10 minutes at most (`expiresIn` seconds), and its wrong tries count with the
 * challenge's others; asking again replaces it (3 codes per challenge at most). Then call
 * {@link completeMfa} with `emailCode`.
 *
 * @throws MfaChallengeExpiredError when the challenge expired or was used; RateLimitedError after
 * 3 codes; InvalidRequestError when the challenge offers no code by mail.
 * @example
 * ```ts
 * if (result.status === "mfa_required" && result.challenge.methods.includes("email_code")) {
 *   await sendMfaEmailCode(auth, { challenge: result.challenge }); // 「認証コードを送信しました」
 *   await completeMfa(auth, { challenge: result.challenge, emailCode: "123456" });
 * }
 * ```
 */
export async function sendMfaEmailCode(
  auth: AuthClient,
  params: { challenge: MfaChallenge | string; signal?: AbortSignal },
): Promise<{ expiresIn: number }> {
  const challengeId = typeof params?.challenge === "string" ? params.challenge : params?.challenge?.id;
  requireString("challenge", challengeId);
  const result = await postJson(auth, MFA_EMAIL_CODE, { challenge_id: challengeId }, MfaEmailCodeSentSchema, {
    signal: params.signal,
  });
  return { expiresIn: result.expires_in };
}

/**
 * Answers the second-factor challenge of {@link signIn} with a TOTP code, a recovery code, or the
 * code {@link sendMfaEmailCode} mailed.
 *
 * @throws InvalidMfaCodeError for a wrong code, MfaChallengeExpiredError when the challenge
 * expired or was already used, AccountLockedError after too many wrong codes.
 * @example
 * ```ts
 * const { session } = await completeMfa(auth, { challenge, code: "123456" });
 * ```
 */
export async function completeMfa(
  auth: AuthClient,
  params: CompleteMfaParams,
): Promise<{ status: "signed_in"; session: Session }> {
  const challengeId = typeof params?.challenge === "string" ? params.challenge : params?.challenge?.id;
  requireString("challenge", challengeId);
  const body: Record<string, string> = { challenge_id: challengeId };
  if (typeof params.code === "string") {
    body.code = params.code.replace(/\s+/g, "");
  } else if (typeof params.recoveryCode === "string") {
    body.recovery_code = params.recoveryCode.trim();
  } else if (typeof params.emailCode === "string") {
    body.email_code = params.emailCode.replace(/\s+/g, "");
  } else {
    throw new TypeError('tegata: completeMfa needs "code", "recoveryCode" or "emailCode"');
  }
  if ((body.code ?? body.recovery_code ?? body.email_code) === "") {
    throw new InvalidRequestError("Enter the verification code");
  }
  const result = await postJson(auth, MFA_VERIFY, body, SignedInSchema, {
    signal: params.signal,
  });
  const receivedAt = context(auth).clock.now();
  if (result.status !== "signed_in") throw new ResponseValidationError("Unexpected MFA response");
  return { status: "signed_in", session: await acceptSignedIn(auth, result, receivedAt) };
}
