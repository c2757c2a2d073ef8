/**
 * Request helpers shared by the feature modules: JSON calls to a named endpoint, with or without
 * the session's bearer token, validated by a zod schema.
 *
 * @module
 */
import type { z } from "zod/mini";
import type { WireSignedIn, WireTokenResponse } from "../wire";
import type { AuthClient } from "./client";
import type { EndpointRef } from "./endpoints";
import { processEmpty, processJson, send } from "./http";
import { type Session, sessionFromTokens, toUser } from "./session";
import { endpointUrl, getValidAccessToken, setSession } from "./state";

/** @internal asserts a string argument (a programming error otherwise). */
export function requireString(name: string, value: unknown): asserts value is string {
  if (typeof value !== "string") {
    throw new TypeError(`tegata: "${name}" must be a string, got ${value === null ? "null" : typeof value}`);
  }
}

/** @internal options of {@link callJson} and {@link callVoid}. */
export interface CallOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  signal?: AbortSignal | undefined;
  /** Send the session's (refreshed when needed) access token. */
  authenticated?: boolean;
  /** Send this bearer token as it is. */
  bearer?: string;
  /** Query parameters (undefined values are skipped). */
  query?: Record<string, string | number | boolean | undefined>;
}

/** @internal sends one request of the contract; the response is the caller's to process. */
export async function call(auth: AuthClient, endpoint: EndpointRef, body: unknown, options: CallOptions) {
  const bearer = options.bearer ?? (options.authenticated ? await getValidAccessToken(auth) : undefined);
  let url = endpointUrl(auth, endpoint);
  if (options.query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query)) {
      if (value !== undefined) params.set(key, String(value));
    }
    const qs = params.toString();
    if (qs) url += (url.includes("?") ? "&" : "?") + qs;
  }
  const method = options.method ?? (body === undefined ? "GET" : "POST");
  return send(auth._internal, {
    method,
    url,
    ...(body === undefined ? {} : { json: body }),
    signal: options.signal,
    ...(bearer === undefined ? {} : { bearer }),
    problems: endpoint[2],
  });
}

/** @internal calls an endpoint (POST with a body, GET without) and validates the JSON answer. */
export async function callJson<S extends z.ZodMiniType>(
  auth: AuthClient,
  endpoint: EndpointRef,
  body: unknown,
  schema: S,
  options: CallOptions = {},
): Promise<z.infer<S>> {
  return processJson(await call(auth, endpoint, body, options), schema, auth.options.timeoutMs);
}

/** @internal calls an endpoint whose success carries nothing the client needs. */
export async function callVoid(
  auth: AuthClient,
  endpoint: EndpointRef,
  body: unknown,
  options: CallOptions = {},
): Promise<void> {
  await processEmpty(await call(auth, endpoint, body, options));
}

/** @internal stores the session of a token response (plus user) and emits `SIGNED_IN`. */
export async function acceptTokens(
  auth: AuthClient,
  tokens: WireTokenResponse | WireSignedIn,
  receivedAt: number,
): Promise<Session> {
  const user = "user" in tokens && tokens.user ? toUser(tokens.user as WireSignedIn["user"]) : null;
  const session = sessionFromTokens(tokens, user, receivedAt);
  await setSession(auth, session, "SIGNED_IN");
  return session;
}
