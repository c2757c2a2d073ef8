import type { z } from "zod/mini";
import type { AuthClient } from "../core/client";
import type { EndpointRef } from "../core/endpoints";
import { PasswordPolicyError } from "../core/errors";
import { processJson, validate } from "../core/http";
import type { PasswordChecker } from "../core/password-checker";
import { acceptTokens, type CallOptions, call, callJson, callVoid, requireString } from "../core/request";
import type { Session } from "../core/session";
import { context } from "../core/state";
import { MfaRequiredSchema, SignedInSchema, SignInStatusSchema, type WireSignedIn } from "../wire";
import type { SignInResult } from "./sign-in";

export { requireString };

/** @internal POSTs JSON to an endpoint and validates the answer. */
export function postJson<S extends z.ZodMiniType>(
  auth: AuthClient,
  endpoint: EndpointRef,
  body: unknown,
  schema: S,
  options: CallOptions = {},
): Promise<z.infer<S>> {
  return callJson(auth, endpoint, body, schema, { ...options, method: "POST" });
}

/** @internal POSTs JSON to an endpoint whose success carries nothing the client needs. */
export function postVoid(
  auth: AuthClient,
  endpoint: EndpointRef,
  body: unknown,
  options: CallOptions = {},
): Promise<void> {
  return callVoid(auth, endpoint, body, { ...options, method: "POST" });
}

/**
 * @internal POSTs to an endpoint that signs in (password, provider ID token): the session, or
 * the second-factor challenge to answer. The body is validated by its `status`.
 */
export async function postSignIn(
  auth: AuthClient,
  endpoint: EndpointRef,
  body: unknown,
  signal: AbortSignal | undefined,
): Promise<SignInResult> {
  const response = await call(auth, endpoint, body, { method: "POST", signal });
  const data = await processJson(response, SignInStatusSchema, auth.options.timeoutMs);
  const receivedAt = context(auth).clock.now();
  if (data.status === "signed_in") {
    const signedIn = validate(SignedInSchema, data, response.status);
    return { status: "signed_in", session: await acceptSignedIn(auth, signedIn, receivedAt) };
  }
  const { challenge } = validate(MfaRequiredSchema, data, response.status);
  return {
    status: "mfa_required",
    challenge: {
      id: challenge.id,
      methods: challenge.methods,
      expiresAt: new Date(receivedAt + challenge.expires_in * 1000),
    },
  };
}

/** @internal stores the session of a `signed_in` response and emits `SIGNED_IN`. */
export function acceptSignedIn(auth: AuthClient, body: WireSignedIn, receivedAt: number): Promise<Session> {
  return acceptTokens(auth, body, receivedAt);
}

/** @internal refuses to send a password that fails the policy. */
export async function enforcePolicy(
  policy: PasswordChecker | undefined,
  password: string,
  context: { email?: string; name?: string },
): Promise<void> {
  if (!policy) return;
  const { ok, issues } = await policy.check(password, context);
  if (!ok) throw new PasswordPolicyError("The password does not meet the policy", { issues });
}
