/**
 * Pluggable key-value storage for the session.
 *
 * @module
 */
import type { z } from "zod/mini";

/**
 * Where a client keeps its session. Methods may be synchronous (Web Storage) or asynchronous
 * (React Native's AsyncStorage, IndexedDB wrappers, a server-side store).
 */
export interface AuthStorage {
  /** Returns the stored value, or `null` when there is none. */
  getItem(key: string): string | null | Promise<string | null>;
  /** Stores a value. */
  setItem(key: string, value: string): void | Promise<void>;
  /** Removes a value; removing a missing key is not an error. */
  removeItem(key: string): void | Promise<void>;
  /**
   * Whether the refresh token may be written here. `false` keeps it in memory only (it is then
   * lost on reload, and the session ends when its access token expires). Default `true`.
   */
  readonly persistRefreshToken?: boolean;
}

/**
 * Storage that lives in this JavaScript realm only: the default. Nothing survives a reload, and
 * nothing is readable by other scripts through `localStorage`.
 *
 * @example
 * ```ts
 * const auth = createAuthClient({ baseUrl, storage: memoryStorage() });
 * ```
 */
export function memoryStorage(): AuthStorage {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => {
      map.set(key, value);
    },
    removeItem: (key) => {
      map.delete(key);
    },
  };
}

/** The subset of the Web Storage API that {@link webStorage} uses. */
export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Options of {@link webStorage}. */
export interface WebStorageOptions {
  /**
   * Write the refresh token to this storage. Default: `false` for `localStorage` (readable by
   * every script of the origin, and kept after the browser closes), `true` otherwise. Opt in only
   * when the page's script-injection risk is acceptable for a long-lived credential.
   */
  persistRefreshToken?: boolean;
}

/**
 * Adapts `localStorage` or `sessionStorage`. The refresh token is never written to
 * `localStorage` unless `persistRefreshToken: true` is passed. Errors of the browser's storage (quota exceeded,
 * storage disabled in private mode, a `SecurityError` in sandboxed frames) are swallowed: reads
 * give `null`, writes are dropped, so the app keeps working with the in-memory session.
 *
 * @param store - `window.localStorage`, `window.sessionStorage` or anything with the same methods
 * @example
 * ```ts
 * const auth = createAuthClient({ baseUrl, storage: webStorage(sessionStorage) });
 * ```
 */
export function webStorage(store: WebStorageLike, options: WebStorageOptions = {}): AuthStorage {
  let isLocal = false;
  try {
    isLocal = typeof localStorage !== "undefined" && store === localStorage;
  } catch {
    // Accessing localStorage can throw (sandboxed frames): then it is not this store.
  }
  return {
    persistRefreshToken: options.persistRefreshToken ?? !isLocal,
    getItem(key) {
      try {
        return store.getItem(key);
      } catch {
        return null;
      }
    },
    setItem(key, value) {
      try {
        store.setItem(key, value);
      } catch {
        // Quota or access errors: keep the in-memory session only.
      }
    },
    removeItem(key) {
      try {
        store.removeItem(key);
      } catch {
        // Nothing to do: the value is unreachable anyway.
      }
    },
  };
}

/**
 * @internal reads what tegata stored as JSON, validated by `schema`: anything corrupted, partial
 * or foreign (another app's data under the key, an older format) is `null`.
 */
export function parseStored<S extends z.ZodMiniType>(
  raw: string | null | undefined,
  schema: S,
): z.infer<S> | null {
  if (typeof raw !== "string" || raw === "") return null;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? (parsed.data as z.infer<S>) : null;
  } catch {
    return null;
  }
}
