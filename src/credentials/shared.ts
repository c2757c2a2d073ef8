import type { z } from "zod/mini";
import type { AuthClient } from "../core/client";
import type { EndpointRef } from "../core/endpoints";
import { PasswordPolicyError } from "../core/errors";
import type { PasswordChecker } from "../core/password-checker";
import { acceptTokens, type CallOptions, callJson, callVoid, requireString } from "../core/request";
import type { Session } from "../core/session";
import type { WireSignedIn } from "../wire";

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
