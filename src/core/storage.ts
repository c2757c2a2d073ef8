/**
 * Pluggable key-value storage for the session.
 *
 * @module
 */

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

/**
 * Adapts `localStorage` or `sessionStorage`. Errors of the browser's storage (quota exceeded,
 * storage disabled in private mode, a `SecurityError` in sandboxed frames) are swallowed: reads
 * give `null`, writes are dropped, so the app keeps working with the in-memory session.
 *
 * @param store - `window.localStorage`, `window.sessionStorage` or anything with the same methods
 * @example
 * ```ts
 * const auth = createAuthClient({ baseUrl, storage: webStorage(sessionStorage) });
 * ```
 */
export function webStorage(store: WebStorageLike): AuthStorage {
  return {
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
