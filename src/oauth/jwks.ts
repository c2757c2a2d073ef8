/**
 * The provider's JSON Web Key Set, fetched through the client's HTTP layer.
 *
 * Why not jose's `createRemoteJWKSet`: its failures are plain `JOSEError`s or the fetch's
 * `TypeError` (no status, no way to tell a 503 from an HTML page), its timeout is its own (5 s,
 * not the client's `timeoutMs`) and its cache runs on `Date.now`, not the client's clock. Here the
 * JWKS is one more GET of the client: ky's retries for idempotent requests, `send()`'s typed
 * errors (NetworkError, TimeoutError, HttpError with the status, AbortedError), `processJson()`
 * with a zod schema (ResponseValidationError), and jose's `createLocalJWKSet` over the validated
 * keys.
 *
 * @module
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import * as z from "zod/mini";
import type { AuthClient } from "../core/client";
import {
  AbortedError,
  HttpError,
  isTegataError,
  NetworkError,
  ResponseValidationError,
  TimeoutError,
} from "../core/errors";
import { processJson, send } from "../core/http";
import { context } from "../core/state";
import { pure } from "../wire/pure";

/** RFC 7517 section 5: a `keys` array of JWKs, each with a `kty` (other members are kept for jose). */
const JwksSchema = /* @__PURE__ */ pure(() =>
  z.object({
    keys: z.array(z.looseObject({ kty: z.string().check(z.minLength(1)) })),
  }),
);

/** Keys are used for 10 minutes, then fetched again (jose's `cacheMaxAge` default). */
export const JWKS_MAX_AGE_MS = 10 * 60_000;
/** An unknown `kid` refetches the JWKS at most once per 30 s (jose's `cooldownDuration` default). */
export const JWKS_COOLDOWN_MS = 30_000;

/** The cached keys of one JWKS URI, per client (in `context(auth).cache`). */
interface JwksEntry {
  keys: JWTVerifyGetKey | null;
  /** Client-clock time of the last successful fetch. */
  fetchedAt: number;
  /** Client-clock time the last fetch started (successful or not): the cooldown runs from it. */
  attemptedAt: number;
  /** The fetch in flight, shared by concurrent callers. */
  pending: Promise<JWTVerifyGetKey> | null;
}

function entryOf(auth: AuthClient, uri: string): JwksEntry {
  const key = `oauth:jwks:${uri}`;
  const cache = context(auth).cache;
  let entry = cache.get(key) as JwksEntry | undefined;
  if (!entry) {
    entry = {
      keys: null,
      fetchedAt: Number.NEGATIVE_INFINITY,
      attemptedAt: Number.NEGATIVE_INFINITY,
      pending: null,
    };
    cache.set(key, entry);
  }
  return entry;
}

/** Rewraps the HTTP layer's error with what was being fetched, keeping its class, status and cause. */
function inContext(error: unknown, uri: string, timeoutMs: number): unknown {
  if (!isTegataError(error)) return error;
  const what = `the provider's JWKS (${uri})`;
  const options = { cause: error, status: error.status };
  switch (error.code) {
    case "network_error":
      return new NetworkError(`${capital(what)} could not be reached`, options);
    case "timeout":
      return new TimeoutError(
        `${capital(what)} did not answer within the client's timeoutMs, ${timeoutMs} ms`,
        options,
      );
    case "response_validation": {
      // processJson's three failures: no JSON content type (no cause), a JSON.parse error, zod issues.
      const cause = error.cause as { name?: unknown; issues?: unknown } | undefined;
      const detail = Array.isArray(cause?.issues)
        ? 'is not a JSON Web Key Set ({ "keys": [{ "kty": … }, …] })'
        : cause?.name === "SyntaxError"
          ? "is malformed JSON"
          : "is not JSON (wrong content type)";
      return new ResponseValidationError(`${capital(what)} ${detail}`, options);
    }
    case "aborted":
      return error;
    default:
      if (isTegataError(error, "http_error")) {
        return new HttpError(`${capital(what)} answered HTTP ${error.status}`, {
          ...options,
          problemCode: error.problemCode,
        });
      }
      // Another class mapped from a problem+json body (rate limiting, …): an HTTP failure of the JWKS.
      return new HttpError(`${capital(what)} answered HTTP ${error.status ?? "?"} (${error.code})`, options);
  }
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * One GET of the JWKS. ky bounds each attempt by the client's `timeoutMs` up to the response
 * headers (and retries, as for every idempotent request); `processJson` bounds the body by
 * `timeoutMs` too, so a JWKS that sends its headers and then stalls also ends in a TimeoutError.
 */
async function fetchKeys(auth: AuthClient, uri: string): Promise<JWTVerifyGetKey> {
  const timeoutMs = auth.options.timeoutMs;
  try {
    const response = await send(context(auth), { method: "GET", url: uri });
    const jwks = await processJson(response, JwksSchema, timeoutMs);
    return createLocalJWKSet(jwks as JSONWebKeySet);
  } catch (error) {
    throw inContext(error, uri, timeoutMs);
  }
}

/** Starts a fetch, or joins the one in flight; a failure is not cached. */
function refetch(auth: AuthClient, uri: string, entry: JwksEntry): Promise<JWTVerifyGetKey> {
  if (entry.pending) return entry.pending;
  const clock = context(auth).clock;
  entry.attemptedAt = clock.now();
  const pending = fetchKeys(auth, uri).then((keys) => {
    entry.keys = keys;
    entry.fetchedAt = clock.now();
    return keys;
  });
  entry.pending = pending;
  const done = () => {
    if (entry.pending === pending) entry.pending = null;
  };
  pending.then(done, done);
  return pending;
}

/** Settles with `promise`, or rejects with AbortedError as soon as `signal` aborts (for this caller only). */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted)
    return Promise.reject(new AbortedError("The request was aborted", { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError("The request was aborted", { cause: signal.reason }));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * @internal the keys of the JWKS at `uri` for this client: cached for {@link JWKS_MAX_AGE_MS},
 * fetched once for concurrent callers, and refetched once for a `kid` they do not have, unless the
 * last fetch started less than {@link JWKS_COOLDOWN_MS} ago (so forged `kid`s cannot cause a
 * storm of requests). Every failure is a tegata error: NetworkError, TimeoutError (the client's
 * `timeoutMs`), HttpError (with the status), ResponseValidationError (not JSON, not a JWKS),
 * AbortedError (through `signal`).
 */
export function jwksKeys(auth: AuthClient, uri: string, signal?: AbortSignal): JWTVerifyGetKey {
  return async (header, token) => {
    const clock = context(auth).clock;
    const entry = entryOf(auth, uri);
    const lookup: JWTVerifyGetKey = async (h, t) => {
      const fresh = entry.keys !== null && clock.now() - entry.fetchedAt < JWKS_MAX_AGE_MS;
      const keys = fresh && entry.keys ? entry.keys : await unlessAborted(refetch(auth, uri, entry), signal);
      try {
        return await keys(h, t);
      } catch (error) {
        if (
          error instanceof errors.JWKSNoMatchingKey ||
          error instanceof errors.JWKSMultipleMatchingKeys ||
          error instanceof errors.JOSENotSupported
        ) {
          throw error;
        }
        // The JWK for this token could not be imported (bad coordinates, a private key, …).
        throw new ResponseValidationError(
          `The provider's JWKS (${uri}) has a key for this ID token${typeof h.kid === "string" ? ` (kid ${JSON.stringify(h.kid)})` : ""} that cannot be used`,
          { cause: error },
        );
      }
    };
    try {
      return await lookup(header, token);
    } catch (error) {
      if (
        !(error instanceof errors.JWKSNoMatchingKey) ||
        clock.now() - entry.attemptedAt < JWKS_COOLDOWN_MS
      ) {
        throw error;
      }
      await unlessAborted(refetch(auth, uri, entry), signal);
      return lookup(header, token);
    }
  };
}
