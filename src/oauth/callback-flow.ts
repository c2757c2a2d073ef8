import * as z from "zod/mini";
import type { AuthClient } from "../core/client";
import {
  IdTokenValidationError,
  InvalidCallbackError,
  InvalidReturnToError,
  IssuerMismatchError,
  OAuthError,
  StateMismatchError,
  UnknownProviderError,
} from "../core/errors";
import { processJson, send } from "../core/http";
import { sessionFromTokens, type User } from "../core/session";
import { context, setSession } from "../core/state";
import { parseStored } from "../core/storage";
import { TokenResponseSchema } from "../wire";
import { pure } from "../wire/pure";
import type {
  RedirectCallbackOptions,
  RedirectCallbackResult,
  ServerSignInCallbackOptions,
  ServerSignInCallbackResult,
} from "./callback";
import { discover } from "./discovery";
import { validateIdToken } from "./id-token";
import { appleUserName, signInWithIdToken } from "./identities";
import type { OAuthProvider } from "./providers";
import { appOrigin, safeReturnTo, shown } from "./return-to";
import { indexKey, keyOf, readIndex, TRANSACTION_TTL_MS, type Transaction } from "./transaction";

// The pieces below are used by the callback only: they live here, in the chunk loaded when a
// callback arrives, not in the modules the first page shares with it.

/** OpenID Connect UserInfo response (JSON form). */
export const UserInfoSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    sub: z.string().check(z.minLength(1)),
    email: z.optional(z.string()),
    email_verified: z.optional(z.boolean()),
    name: z.optional(z.string()),
  }),
);

/** What a pending sign-in looks like in storage. */
const TransactionSchema = /* @__PURE__ */ pure(() =>
  z.object({
    v: z.literal(1),
    state: z.string(),
    provider_id: z.string(),
    issuer: z.string(),
    client_id: z.string(),
    redirect_uri: z.string(),
    verifier: z.string(),
    nonce: z.string(),
    scopes: z.array(z.string()),
    return_to: z.nullable(z.string()),
    created_at: z.number(),
  }),
);

/** @internal reads and deletes a transaction (single use); `null` when unknown, corrupted or expired. */
export async function takeTransaction(auth: AuthClient, state: string): Promise<Transaction | null> {
  const storage = context(auth).transactionStorage;
  let raw: string | null = null;
  try {
    raw = await storage.getItem(keyOf(auth, state));
  } catch {
    raw = null;
  }
  await storage.removeItem(keyOf(auth, state));
  const index = await readIndex(auth);
  await storage.setItem(indexKey(auth), JSON.stringify(index.filter((entry) => entry.state !== state)));
  const t = parseStored(raw, TransactionSchema);
  if (t?.state !== state) return null;
  if (context(auth).clock.now() - t.created_at > TRANSACTION_TTL_MS) return null;
  return {
    state: t.state,
    providerId: t.provider_id,
    issuer: t.issuer,
    clientId: t.client_id,
    redirectUri: t.redirect_uri,
    verifier: t.verifier,
    nonce: t.nonce,
    scopes: t.scopes,
    returnTo: t.return_to,
    createdAt: t.created_at,
  };
}

/**
 * @internal re-checks the `returnTo` read back with a pending sign-in: it must be exactly what
 * {@link safeReturnTo} stores (a canonical path on the site), or the storage was changed.
 */
export function storedReturnTo(stored: string | null, redirectUri: string): string | null {
  if (stored === null) return null;
  let safe: string | undefined;
  try {
    safe = safeReturnTo(stored, appOrigin(redirectUri));
  } catch {
    safe = undefined;
  }
  if (safe !== stored) {
    throw new InvalidReturnToError(
      `The stored returnTo ${shown(stored)} of this sign-in is not a path on this site as tegata stores it: the transaction storage was changed; the sign-in is abandoned`,
    );
  }
  return safe;
}

/** What the callback input may be, for the messages. */
const ACCEPTED =
  "pass the full callback URL (location.href), its query string, or the body of a form_post callback";

/** The authorization response parameters of a callback URL, its query string or a form_post body. */
function callbackParams(input: string | URL | URLSearchParams): URLSearchParams {
  if (input instanceof URLSearchParams) return input;
  let url: URL | undefined;
  if (input instanceof URL) {
    url = input;
  } else if (/^[a-z][a-z0-9+.-]*:/i.test(input)) {
    try {
      url = new URL(input);
    } catch (error) {
      throw new InvalidCallbackError(`The callback is not a valid URL: ${ACCEPTED}`, { cause: error });
    }
  } else if (input.startsWith("/")) {
    // A path with its query (location.pathname + location.search): only the parameters are read.
    url = new URL(input, "https://callback.invalid");
  } else if (input.startsWith("?") || input.startsWith("#") || input.includes("=")) {
    return new URLSearchParams(input.slice(/^[?#]/.test(input) ? 1 : 0)); // a query string or a form_post body
  } else {
    const shown = input.length > 40 ? `${input.slice(0, 40)}…` : input;
    throw new InvalidCallbackError(
      input === ""
        ? `The callback is an empty string: ${ACCEPTED}`
        : `The callback ${JSON.stringify(shown)} is not a URL, a query string or a form body: ${ACCEPTED}`,
    );
  }
  if (url.searchParams.has("state") || url.searchParams.has("error") || !url.hash) return url.searchParams;
  return new URLSearchParams(url.hash.slice(1)); // response_mode=fragment
}

/** The callback input: the argument, or the page's URL in a browser. */
function callbackInput(input: unknown): string | URL | URLSearchParams {
  if (input === undefined) {
    const href = (globalThis as { location?: { href?: unknown } }).location?.href;
    if (typeof href === "string") return href;
    throw new TypeError(
      "tegata: handleRedirectCallback(auth, input) needs the callback URL outside a browser (there is no location.href)",
    );
  }
  if (typeof input === "string" || input instanceof URL || input instanceof URLSearchParams) return input;
  throw new TypeError(
    `tegata: handleRedirectCallback(auth, input): input must be the callback URL (a string or a URL), its query string or URLSearchParams, got ${input === null ? "null" : typeof input}`,
  );
}

/**
 * UserInfo claims of the signed-in user; its `sub` must be the ID token's (OpenID Connect Core
 * 5.3.4). Failures leave the profile as the ID token gave it: sign-in does not depend on UserInfo.
 */
async function userInfo(
  auth: AuthClient,
  url: string,
  accessToken: string,
  sub: unknown,
): Promise<Record<string, unknown>> {
  try {
    const response = await send(context(auth), { method: "GET", url, bearer: accessToken });
    const body = await processJson(response, UserInfoSchema, auth.options.timeoutMs);
    return body.sub === sub ? body : {};
  } catch {
    return {};
  }
}

function userFromClaims(claims: Record<string, unknown>): User {
  const user: User = { id: String(claims.sub), email: typeof claims.email === "string" ? claims.email : "" };
  if (typeof claims.name === "string") user.name = claims.name;
  if (typeof claims.email_verified === "boolean") user.emailVerified = claims.email_verified;
  return user;
}

/**
 * @internal {@link handleRedirectCallback}'s work, in a module of its own: it is loaded when a
 * callback arrives, with the code exchange and jose's ID-token validation, so that an app's other
 * pages do not carry them.
 */
export async function completeRedirect(
  auth: AuthClient,
  input: string | URL | URLSearchParams | undefined,
  options: RedirectCallbackOptions | ServerSignInCallbackOptions,
): Promise<RedirectCallbackResult | ServerSignInCallbackResult> {
  context(auth);
  if (options.providers !== undefined && !Array.isArray(options.providers)) {
    throw new TypeError(
      `tegata: handleRedirectCallback(auth, input, options): options.providers must be an array of providers, got ${typeof options.providers}`,
    );
  }
  const params = callbackParams(callbackInput(input));
  const state = params.get("state");
  if (!state) {
    const names = [...new Set(params.keys())]
      .slice(0, 5)
      .map((name) => (name.length > 20 ? `${name.slice(0, 20)}…` : name))
      .join(", ");
    throw new StateMismatchError(
      `The callback has no state parameter (${names ? `it has ${names}` : "it has no parameters"}): it is not an authorization response; ${ACCEPTED}`,
    );
  }
  const tx = await takeTransaction(auth, state);
  if (!tx) {
    throw new StateMismatchError(
      "The callback matches no pending sign-in: expired (10 minutes), already used, forged, or started with another transactionStorage",
    );
  }
  // Re-checked as read back: a returnTo changed in storage must not become an open redirect.
  const returnTo = storedReturnTo(tx.returnTo, tx.redirectUri);

  let provider: OAuthProvider | undefined;
  if (options.providers) {
    provider = options.providers.find((p) => p.id === tx.providerId);
    if (!provider || provider.issuer !== tx.issuer || provider.clientId !== tx.clientId) {
      throw new UnknownProviderError(
        `The callback is for provider "${tx.providerId}", which this call was not given`,
      );
    }
  }

  const error = params.get("error");
  if (error) {
    throw new OAuthError(`The provider refused the sign-in (${error})`, {
      error,
      errorDescription: params.get("error_description") ?? undefined,
    });
  }
  const metadata = await discover(auth, provider ?? tx.issuer);
  const iss = params.get("iss");
  if (iss !== null && iss !== tx.issuer) {
    throw new IssuerMismatchError(
      `The callback's iss is ${JSON.stringify(iss.length > 100 ? `${iss.slice(0, 100)}…` : iss)}, not the provider's ${tx.issuer}`,
    );
  }
  if (iss === null && metadata.authorization_response_iss_parameter_supported) {
    throw new IssuerMismatchError(
      `The callback lacks the iss parameter that ${tx.issuer} promises (authorization_response_iss_parameter_supported)`,
    );
  }
  const code = params.get("code");
  if (!code) throw new InvalidCallbackError("The callback has no authorization code");

  const form: Record<string, string> = {
    grant_type: "authorization_code",
    code,
    redirect_uri: tx.redirectUri,
    code_verifier: tx.verifier,
    client_id: tx.clientId,
  };
  const headers: Record<string, string> = {};
  const secret = provider?.clientSecret;
  if (secret !== undefined) {
    const methods = metadata.token_endpoint_auth_methods_supported ?? ["client_secret_basic"];
    if (methods.includes("client_secret_post") && !methods.includes("client_secret_basic")) {
      form.client_secret = secret;
    } else {
      const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, "+");
      headers.authorization = `Basic ${btoa(`${enc(tx.clientId)}:${enc(secret)}`)}`;
    }
  }
  const response = await send(context(auth), {
    method: "POST",
    url: metadata.token_endpoint,
    form,
    headers,
    signal: options.signal,
    // A code exchange refused is the provider's word: an OAuthError with its error code.
    oauthError: ({ error, error_description }, base) =>
      new OAuthError(`The token endpoint answered ${error}`, {
        ...base,
        error,
        errorDescription: error_description,
      }),
  });
  const receivedAt = context(auth).clock.now();
  const tokens = await processJson(response, TokenResponseSchema, auth.options.timeoutMs);

  let claims: Record<string, unknown> | null = null;
  const openid = tx.scopes.includes("openid");
  const atServer = "signInAtServer" in options && options.signInAtServer === true;
  if ((openid || atServer) && !tokens.id_token) {
    throw new IdTokenValidationError("The token response has no ID token although openid was asked", {
      reason: "missing",
    });
  }
  if (tokens.id_token && openid) {
    claims = await validateIdToken(auth, tokens.id_token, {
      issuer: tx.issuer,
      clientId: tx.clientId,
      nonce: tx.nonce,
      metadata,
      clockToleranceSeconds: options.clockToleranceSeconds ?? 60,
      signal: options.signal,
    });
  }
  if (atServer) {
    if (!tokens.id_token || !claims) {
      throw new IdTokenValidationError("signInAtServer needs an ID token: ask for the openid scope", {
        reason: "missing",
      });
    }
    const name = appleUserName(params);
    const remember = (options as ServerSignInCallbackOptions).remember;
    const result = await signInWithIdToken(auth, {
      provider: tx.providerId,
      idToken: tokens.id_token,
      nonce: tx.nonce,
      ...(name === undefined ? {} : { name }),
      ...(remember === undefined ? {} : { remember }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return { ...result, returnTo, providerId: tx.providerId, claims };
  }
  if (claims && typeof claims.email !== "string" && metadata.userinfo_endpoint) {
    // Conformant providers may put profile claims only in UserInfo (OpenID Connect Core 5.4).
    claims = {
      ...(await userInfo(auth, metadata.userinfo_endpoint, tokens.access_token, claims.sub)),
      ...claims,
    };
  }
  const session = sessionFromTokens(tokens, claims ? userFromClaims(claims) : null, receivedAt);
  session.provider = {
    id: tx.providerId,
    issuer: tx.issuer,
    clientId: tx.clientId,
    tokenEndpoint: metadata.token_endpoint,
  };
  if (metadata.revocation_endpoint) session.provider.revocationEndpoint = metadata.revocation_endpoint;
  await setSession(auth, session, "SIGNED_IN");
  return { session, returnTo, providerId: tx.providerId, claims };
}
