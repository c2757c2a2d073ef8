/**
 * The HTTP layer: ky underneath, typed errors and zod-validated bodies on top.
 *
 * "Request, then process": {@link request} sends, {@link processResponse} checks status, content
 * type and shape, and maps every failure to a {@link TegataError}.
 *
 * @module
 */
import ky, { isHTTPError, isNetworkError, isTimeoutError, type KyInstance } from "ky";
import type { z } from "zod/mini";
import {
  OAuthErrorSchema,
  type ProblemCode,
  ProblemSchema,
  type WireOAuthError,
  type WireProblem,
} from "../wire";
import type { ClientContext } from "./client";
import {
  AbortedError,
  AccountLockedError,
  HttpError,
  InvalidRequestError,
  isTegataError,
  NetworkError,
  RateLimitedError,
  ResponseValidationError,
  SessionExpiredError,
  type TegataError,
  type TegataErrorOptions,
  TimeoutError,
} from "./errors";
import { GENERIC_PROBLEMS, type ProblemMap } from "./problems";

/** Retry policy of idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS). */
export interface RetryOptions {
  /** Attempts after the first one. Default 2; `0` disables retries. */
  limit?: number;
  /** Upper bound of one backoff delay in ms. Default 5000. */
  backoffLimit?: number;
  /** Upper bound of a server's `Retry-After` in ms: a longer wait is cut to this before the retry. Default 30000. */
  maxRetryAfter?: number;
}

/** @internal HTTP settings resolved from the client options. */
export interface HttpConfig {
  fetch?: typeof globalThis.fetch;
  timeoutMs: number;
  retry: Required<RetryOptions>;
  headers: Record<string, string>;
}

/** @internal */
export function createHttp(config: HttpConfig): KyInstance {
  return ky.create({
    timeout: config.timeoutMs,
    headers: config.headers,
    ...(config.fetch ? { fetch: config.fetch } : {}),
    retry: {
      limit: config.retry.limit,
      methods: ["get", "head", "put", "delete", "options"],
      statusCodes: [408, 429, 500, 502, 503, 504],
      afterStatusCodes: [429, 503],
      maxRetryAfter: config.retry.maxRetryAfter,
      backoffLimit: config.retry.backoffLimit,
      retryOnTimeout: false,
    },
  });
}

/** @internal joins the base URL and an endpoint path (absolute URLs are kept as they are). */
export function resolveUrl(baseUrl: string, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) return path;
  return `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/** @internal one request of the contract. */
export interface RequestSpec {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  json?: unknown;
  form?: Record<string, string>;
  bearer?: string;
  signal?: AbortSignal | undefined;
  /**
   * For the OAuth endpoints (token, revocation): the error of an RFC 6749 error body, which they
   * answer instead of problem+json (the refresh grant: {@link oauthRefreshError}).
   */
  oauthError?: OAuthErrorMapper | undefined;
  /** Extra request headers (client authentication). */
  headers?: Record<string, string>;
  /**
   * The problem codes this endpoint answers beyond the generic ones ({@link GENERIC_PROBLEMS}),
   * with their error classes. A code in neither is an `HttpError` with `problemCode`.
   */
  problems?: ProblemMap | undefined;
}

/**
 * @internal sends a request with the client's ky instance and returns the successful response.
 * Every failure of the request is a {@link TegataError} (HTTP errors mapped from the body's
 * `code` or OAuth `error`); a bug's `TypeError` is rethrown as it is.
 */
export async function send(ctx: ClientContext, spec: RequestSpec): Promise<Response> {
  // Made on the first request, so that a bundle without requests (reading the session) has no ky.
  ctx.ky ??= createHttp(ctx.httpConfig);
  const http = ctx.ky;
  const headers: Record<string, string> = { accept: "application/json", ...spec.headers };
  if (spec.bearer !== undefined) headers.authorization = `Bearer ${spec.bearer}`;
  const options: Parameters<KyInstance>[1] = { method: spec.method, headers };
  if (spec.signal) options.signal = spec.signal;
  if (spec.json !== undefined) options.json = spec.json;
  if (spec.form !== undefined) options.body = new URLSearchParams(spec.form);
  try {
    return await http(spec.url, options);
  } catch (error) {
    throw await mapRequestError(error, spec);
  }
}

/**
 * @internal maps what ky or fetch threw to a tegata error. Only ky's own errors (HTTP, timeout,
 * network) and aborts are mapped; anything else, a `TypeError` from a bug in a hook, in user code
 * or in tegata, is returned as it is so that the caller rethrows it unchanged.
 */
export async function mapRequestError(error: unknown, spec: RequestSpec): Promise<unknown> {
  if (isTegataError(error)) return error;
  if (spec.signal?.aborted) {
    return new AbortedError("The request was aborted", { cause: error });
  }
  if (isHTTPError(error)) {
    return httpError(error.response, error.data, error, spec.problems, spec.oauthError);
  }
  if (isTimeoutError(error)) {
    return new TimeoutError("The request timed out", { cause: error });
  }
  if (isNetworkError(error)) {
    return new NetworkError("The server could not be reached", { cause: error });
  }
  if (error instanceof Error && error.name === "AbortError") {
    return new AbortedError("The request was aborted", { cause: error });
  }
  return error;
}

/** @internal parses `Retry-After` (seconds or an HTTP date) into whole seconds. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10);
  // Only an HTTP-date (RFC 9110 IMF-fixdate and the obsolete forms), never a bare number.
  if (!/^[A-Za-z]{3},? /.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function parseData(data: unknown): unknown {
  if (typeof data !== "string") return data;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

function describe(status: number): string {
  return `The server answered HTTP ${status}`;
}

/** @internal builds the error of an RFC 6749 error body. */
export type OAuthErrorMapper = (error: WireOAuthError, base: TegataErrorOptions) => TegataError;

/**
 * @internal the errors of the refresh grant and the revocation endpoint: `invalid_grant` ends
 * the session; a refused request is an {@link InvalidRequestError}; anything else an `HttpError`.
 */
export const oauthRefreshError: OAuthErrorMapper = ({ error }, base) =>
  error === "invalid_grant"
    ? new SessionExpiredError("The session has ended: sign in again", base)
    : error === "invalid_request" || error === "invalid_client" || error === "unsupported_grant_type"
      ? new InvalidRequestError(`The token endpoint refused the request (${error})`, base)
      : new HttpError(`The token endpoint answered ${error}`, { ...base, problemCode: error });

/**
 * @internal builds the typed error for an HTTP error response: the class of the problem's code
 * when `problems` or {@link GENERIC_PROBLEMS} has it, else by status, else an `HttpError`.
 */
export function httpError(
  response: Response,
  data: unknown,
  cause?: unknown,
  problems?: ProblemMap,
  oauthError?: OAuthErrorMapper,
): TegataError {
  const status = response.status;
  const body = parseData(data);
  const headerRetryAfter = parseRetryAfter(response.headers.get("retry-after"));
  const base = { status, cause };

  if (oauthError) {
    const parsed = OAuthErrorSchema.safeParse(body);
    if (parsed.success) return oauthError(parsed.data, base);
  }

  const parsed = ProblemSchema.safeParse(body);
  const problem: WireProblem | undefined = parsed.success ? parsed.data : undefined;
  const retryAfter = problem?.retry_after ?? headerRetryAfter;
  const withRetry = retryAfter === undefined ? base : { ...base, retryAfter };
  const remaining = problem?.remaining_attempts;
  const withRemaining = remaining === undefined ? base : { ...base, remainingAttempts: remaining };

  const code = problem?.code as ProblemCode;
  // Own members only: a code such as "constructor" names no builder (Object's members are not).
  const own = (map: ProblemMap | undefined) => (map && Object.hasOwn(map, code) ? map[code] : undefined);
  const build = problem ? (own(problems) ?? own(GENERIC_PROBLEMS)) : undefined;
  if (build) return build({ ...withRetry, ...withRemaining, issues: problem?.issues ?? [] });
  if (status === 429) return new RateLimitedError("Too many requests", withRetry);
  if (status === 423) return new AccountLockedError("The account is locked", withRetry);
  return new HttpError(
    problem ? `${describe(status)} (${problem.code})` : describe(status),
    problem ? { ...base, problemCode: problem.code } : base,
  );
}

function isJsonContentType(value: string | null): boolean {
  if (value === null) return false;
  const type = value.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || type.endsWith("+json");
}

/**
 * Reads the body as text. With `timeoutMs` (the client's, as ky's `timeout` ends at the headers), a
 * body that stalls is cancelled and a {@link TimeoutError}. Measured with the global timers, as
 * ky's own timeout is (the client's injectable timers schedule refreshes, not I/O).
 */
async function readText(response: Response, timeoutMs: number | undefined): Promise<string> {
  const body = response.body;
  if (!timeoutMs || !body) return response.text();
  const reader = body.getReader();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => {});
  }, timeoutMs);
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (timedOut) break;
      if (done) return text + decoder.decode();
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    if (!timedOut) throw error;
  } finally {
    clearTimeout(timer);
  }
  throw new TimeoutError(`The response body did not arrive within ${timeoutMs} ms`, {
    status: response.status,
  });
}

/**
 * @internal reads a successful response as JSON and validates it. Wrong content type, malformed
 * JSON, an empty body or a shape that does not match give {@link ResponseValidationError}; a body
 * that takes longer than `timeoutMs` once the headers arrived gives {@link TimeoutError}.
 */
export async function processJson<S extends z.ZodMiniType>(
  response: Response,
  schema: S,
  timeoutMs?: number,
): Promise<z.infer<S>> {
  return validate(schema, await readJson(response, timeoutMs), response.status);
}

/** Reads a successful response as JSON, not validated yet (see {@link processJson}). */
async function readJson(response: Response, timeoutMs?: number): Promise<unknown> {
  if (!isJsonContentType(response.headers.get("content-type"))) {
    await response.body?.cancel().catch(() => {});
    throw new ResponseValidationError("The server's response is not JSON", {
      status: response.status,
    });
  }
  let text: string;
  try {
    text = await readText(response, timeoutMs);
  } catch (error) {
    if (isTegataError(error)) throw error;
    throw new NetworkError("The response body could not be read", { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ResponseValidationError("The server's response is malformed JSON", {
      status: response.status,
      cause: error,
    });
  }
}

/** @internal validates a response body; a mismatch is a {@link ResponseValidationError}. */
export function validate<S extends z.ZodMiniType>(schema: S, data: unknown, status: number): z.infer<S> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new ResponseValidationError("The server's response does not match the contract", {
      status,
      cause: parsed.error,
    });
  }
  return parsed.data as z.infer<S>;
}

/** @internal discards the body of a successful response that carries nothing the client needs. */
export async function processEmpty(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}
