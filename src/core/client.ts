/**
 * The core client: configuration, storage, clock, HTTP and the current session.
 *
 * @module
 */
import type { KyInstance } from "ky";
import { type Clock, systemClock } from "./clock";
import type { Endpoints } from "./endpoints";
import { type AuthEvent, type AuthStateListener, createEmitter, type Emitter } from "./events";
import type { HttpConfig, RetryOptions } from "./http";
import type { Session } from "./session";
import { type AuthStorage, memoryStorage } from "./storage";

/** Options of {@link createAuthClient}. */
export interface AuthClientOptions {
  /** Base URL of the auth API, such as `https://auth.example.com`. Required. */
  baseUrl: string | URL;
  /** Where the session is kept. Default: {@link memoryStorage} (nothing persists). */
  storage?: AuthStorage;
  /** Storage key of the session. Default `"tegata.session"`. */
  storageKey?: string;
  /** The `fetch` to use. Default: the global `fetch`, looked up at call time. */
  fetch?: typeof globalThis.fetch;
  /** The time source. Default: `Date.now`. */
  clock?: Clock;
  /** Overrides of the contract's paths. */
  endpoints?: Partial<Endpoints>;
  /** Timeout of one HTTP attempt in ms. Default 10000. */
  timeoutMs?: number;
  /** Retry policy for idempotent requests, or the number of retries. Default `{ limit: 2 }`. */
  retry?: number | RetryOptions;
  /** OAuth `client_id` sent to the token endpoint, when the server wants one. */
  clientId?: string;
  /** Extra headers sent with every request (not the place for secrets). */
  headers?: Record<string, string>;
  /** Seconds before expiry at which an access token counts as expired. Default 60. */
  refreshLeewaySeconds?: number;
  /** Receives errors thrown by auth-state listeners. Default: `console.error`. */
  onListenerError?: (error: unknown) => void;
  /** Timer functions, for tests. Default: the global `setTimeout` / `clearTimeout`. */
  timers?: Timers;
  /**
   * Where OAuth sign-ins in progress are kept across the redirect (state, nonce, PKCE verifier).
   * It must survive a page reload: in browsers pass `webStorage(sessionStorage)`. Default: `storage`.
   */
  transactionStorage?: AuthStorage;
}

/** Timer functions a client uses (proactive refresh, backoff), injectable for tests. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** @internal how a session change reached this client. */
export type ChangeOrigin = "local" | "remote";

/** Settings of a client after defaults were applied. */
export interface ResolvedAuthClientOptions {
  readonly baseUrl: string;
  readonly storageKey: string;
  /**
   * The paths given in `options.endpoints`; every other endpoint is at its default path
   * (`defaultEndpoints`).
   */
  readonly endpoints: Readonly<Partial<Endpoints>>;
  readonly timeoutMs: number;
  readonly retry: Readonly<Required<RetryOptions>>;
  readonly clientId: string | undefined;
  readonly refreshLeewaySeconds: number;
}

/**
 * @internal what the feature modules may use of a client, reached through `context(auth)`: the
 * session state is not part of it (read it with `loadSession(auth)`, which waits for storage).
 */
export interface ClientContext {
  /** What the ky instance is made from: it is made on the first request (`core/http.ts`). */
  readonly httpConfig: HttpConfig;
  /** The ky instance, once the first request made it. */
  ky: KyInstance | null;
  readonly storage: AuthStorage;
  readonly clock: Clock;
  readonly emitter: Emitter;
  /** The raw fetch (the injected one, or the global one looked up at call time). */
  readonly fetch: typeof globalThis.fetch;
  readonly timers: Timers;
  /**
   * Set by cross-tab sync: runs the refresh under a lock shared by the tabs, or adopts the tokens
   * another tab refreshed meanwhile. `requestedAt` is the session generation when it was asked.
   */
  lock: ((refresh: () => Promise<Session>, requestedAt: number) => Promise<Session>) | null;
  /** Set by cross-tab sync: tells the other tabs about a local session change. */
  broadcast: ((event: AuthEvent, session: Session | null) => void) | null;
  /** Set by proactive refresh: stops it. */
  stopAutoRefresh: (() => void) | null;
  /** Storage of OAuth transactions. */
  readonly transactionStorage: AuthStorage;
  /** Per-client caches of the feature modules (discovery documents, JWKS), by key. */
  readonly cache: Map<string, unknown>;
}

/** @internal mutable state of one client, read and written by `core/state.ts` only. */
export interface ClientInternals extends ClientContext {
  session: Session | null;
  loaded: boolean;
  loading: Promise<Session | null> | null;
  refreshing: Promise<Session> | null;
  /** Serialises storage writes so the last change always wins. */
  writeQueue: Promise<void>;
  /** Incremented on every session change; lets in-flight work detect it is stale. */
  generation: number;
}

/**
 * A tegata client. Create one with {@link createAuthClient} and pass it to the feature
 * functions (`signIn(auth, …)`, `getSession(auth)`, …).
 */
export interface AuthClient {
  /** The resolved settings. */
  readonly options: ResolvedAuthClientOptions;
  /** @internal state of the client; not part of the public API (and not in its `.d.ts`). */
  readonly _internal: ClientInternals;
}

/**
 * @internal refuses anything but a client made by {@link createAuthClient} as the first argument
 * of a feature function (`signIn(undefined, …)` would otherwise fail deep inside).
 */
export function assertClient(auth: unknown): asserts auth is AuthClient {
  if (typeof auth !== "object" || auth === null || typeof (auth as AuthClient)._internal !== "object") {
    const got = auth === null ? "null" : typeof auth;
    throw new TypeError(`tegata: the first argument must be the client from createAuthClient(), got ${got}`);
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`tegata: "${name}" must be a non-negative number`);
  }
  return value;
}

/**
 * Creates a client. No request is made and nothing is read from storage until the first call.
 *
 * @example
 * ```ts
 * import { createAuthClient, webStorage } from "tegata";
 * const auth = createAuthClient({ baseUrl: "https://auth.example.com", storage: webStorage(sessionStorage) });
 * ```
 * @throws TypeError when an option is invalid (a missing or non-http(s) `baseUrl`, a negative timeout).
 */
export function createAuthClient(options: AuthClientOptions): AuthClient {
  if (options === null || typeof options !== "object") {
    throw new TypeError("tegata: createAuthClient needs an options object");
  }
  let base: URL;
  try {
    base = new URL(String(options.baseUrl));
  } catch {
    throw new TypeError('tegata: "baseUrl" must be an absolute URL');
  }
  if (base.protocol !== "https:" && base.protocol !== "http:") {
    throw new TypeError('tegata: "baseUrl" must be an http(s) URL');
  }
  const baseUrl = base.href.replace(/\/+$/, "");
  const retryInput: RetryOptions =
    typeof options.retry === "number" ? { limit: options.retry } : (options.retry ?? {});
  const retry = Object.freeze({
    limit: positive("retry.limit", retryInput.limit, 2),
    backoffLimit: positive("retry.backoffLimit", retryInput.backoffLimit, 5000),
    maxRetryAfter: positive("retry.maxRetryAfter", retryInput.maxRetryAfter, 30_000),
  });
  const timeoutMs = positive("timeoutMs", options.timeoutMs, 10_000);
  const resolved: ResolvedAuthClientOptions = Object.freeze({
    baseUrl,
    storageKey: options.storageKey ?? "tegata.session",
    endpoints: Object.freeze({ ...options.endpoints }),
    timeoutMs,
    retry,
    clientId: options.clientId,
    refreshLeewaySeconds: positive("refreshLeewaySeconds", options.refreshLeewaySeconds, 60),
  });
  const onListenerError =
    options.onListenerError ??
    ((error: unknown) => {
      console.error("tegata: an auth-state listener threw", error);
    });
  const storage = options.storage ?? memoryStorage();
  const internals: ClientInternals = {
    // ky is made on the first request: a bundle that only reads the session does not carry it.
    httpConfig: {
      timeoutMs,
      retry,
      headers: { ...options.headers },
      ...(options.fetch ? { fetch: options.fetch } : {}),
    },
    ky: null,
    storage,
    transactionStorage: options.transactionStorage ?? storage,
    cache: new Map(),
    clock: options.clock ?? systemClock(),
    emitter: createEmitter(onListenerError),
    session: null,
    loaded: false,
    loading: null,
    refreshing: null,
    writeQueue: Promise.resolve(),
    generation: 0,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    timers: options.timers ?? {
      setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
      clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
    },
    lock: null,
    broadcast: null,
    stopAutoRefresh: null,
  };
  return Object.freeze({ options: resolved, _internal: internals });
}

/**
 * Subscribes to auth-state changes. The listener runs synchronously after each change.
 *
 * @returns a function that unsubscribes
 * @example
 * ```ts
 * const off = onAuthStateChange(auth, (event, session) => console.log(event, session?.user?.email));
 * off();
 * ```
 */
export function onAuthStateChange(auth: AuthClient, listener: AuthStateListener): () => void {
  assertClient(auth);
  if (typeof listener !== "function") throw new TypeError("tegata: listener must be a function");
  return auth._internal.emitter.subscribe(listener);
}
