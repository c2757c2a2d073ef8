import type { z } from "zod/mini";
import type { AuthClient } from "../core/client";
import { processEmpty, processJson, send } from "../core/http";
import { type Session, sessionFromTokens, toUser } from "../core/session";
import { endpointUrl, getValidAccessToken, setSession } from "../core/state";
import type { WireSignedIn } from "../wire";

/** @internal */
export type EndpointName = keyof AuthClient["options"]["endpoints"];

/** @internal asserts a string argument (a programming error otherwise). */
export function requireString(name: string, value: unknown): asserts value is string {
  if (typeof value !== "string") throw new TypeError(`tegata: "${name}" must be a string`);
}

/** @internal POSTs JSON to an endpoint and validates the answer. */
export async function postJson<S extends z.ZodMiniType>(
  auth: AuthClient,
  endpoint: EndpointName,
  body: unknown,
  schema: S,
  options: { signal?: AbortSignal | undefined; authenticated?: boolean } = {},
): Promise<z.infer<S>> {
  const bearer = options.authenticated ? await getValidAccessToken(auth) : undefined;
  const response = await send(auth._internal.http, {
    method: "POST",
    url: endpointUrl(auth, endpoint),
    json: body,
    signal: options.signal,
    ...(bearer === undefined ? {} : { bearer }),
  });
  return processJson(response, schema);
}

/** @internal POSTs JSON to an endpoint whose success carries nothing the client needs. */
export async function postVoid(
  auth: AuthClient,
  endpoint: EndpointName,
  body: unknown,
  options: { signal?: AbortSignal | undefined; authenticated?: boolean; bearer?: string } = {},
): Promise<void> {
  const bearer = options.bearer ?? (options.authenticated ? await getValidAccessToken(auth) : undefined);
  const response = await send(auth._internal.http, {
    method: "POST",
    url: endpointUrl(auth, endpoint),
    json: body,
    signal: options.signal,
    ...(bearer === undefined ? {} : { bearer }),
  });
  await processEmpty(response);
}

/** @internal stores the session of a `signed_in` response and emits `SIGNED_IN`. */
export async function acceptSignedIn(
  auth: AuthClient,
  body: WireSignedIn,
  receivedAt: number,
): Promise<Session> {
  const session = sessionFromTokens(body, toUser(body.user), receivedAt);
  await setSession(auth, session, "SIGNED_IN");
  return session;
}
