import type { AuthClient } from "../core/client";
import { isTegataError } from "../core/errors";
import type { Session } from "../core/session";
import { context, loadSession, refreshSession } from "../core/state";

/** Tells the proactive refresh whether the page is visible, and when that changes. */
export interface VisibilitySource {
  /** `false` while the page is hidden (a background tab): refresh waits. */
  isVisible(): boolean;
  /** Calls `listener` when the page becomes visible, gains focus or comes back online. */
  subscribe(listener: () => void): () => void;
}

/** Options of {@link startAutoRefresh}. */
export interface AutoRefreshOptions {
  /** Refresh this many seconds before expiry at the latest. Default: the client's `refreshLeewaySeconds`. */
  leewaySeconds?: number;
  /**
   * Width in ms of the random window before that point in which the refresh happens, so that a
   * fleet of clients signed in at once does not refresh at once. Default: 10 % of the token's
   * remaining lifetime, at most 5 minutes.
   */
  jitterMs?: number;
  /** Random source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Page visibility. Default: `document.visibilityState` plus `focus`/`online` events in browsers; always visible elsewhere. */
  visibility?: VisibilitySource | null;
  /** Largest backoff between failed attempts, in ms. Default 60000. */
  maxBackoffMs?: number;
}

/**
 * The delay (ms from `now`) after which {@link startAutoRefresh} refreshes: a random point in the
 * window `[expiresAt - leeway - jitter, expiresAt - leeway]`, never before `now`. With no `jitterMs`
 * the window is 10 % of the remaining time, at most 5 minutes. Exported for fleet simulations.
 *
 * @example
 * ```ts
 * refreshDelay(Date.now(), session.expiresAt.getTime(), 60_000, undefined, Math.random);
 * ```
 */
export function refreshDelay(
  now: number,
  expiresAt: number,
  leewayMs: number,
  jitterMs: number | undefined,
  random: () => number,
): number {
  const target = expiresAt - leewayMs;
  const window = jitterMs ?? Math.min(300_000, Math.max(0, (target - now) * 0.1));
  return Math.max(0, target - now - random() * window);
}

function browserVisibility(): VisibilitySource | null {
  const doc = (globalThis as { document?: Document }).document;
  const win = (globalThis as { window?: Window }).window;
  if (!doc || !win || typeof doc.addEventListener !== "function") return null;
  return {
    isVisible: () => doc.visibilityState !== "hidden",
    subscribe(listener) {
      const onVisibility = () => {
        if (doc.visibilityState !== "hidden") listener();
      };
      doc.addEventListener("visibilitychange", onVisibility);
      win.addEventListener("focus", listener);
      win.addEventListener("online", listener);
      return () => {
        doc.removeEventListener("visibilitychange", onVisibility);
        win.removeEventListener("focus", listener);
        win.removeEventListener("online", listener);
      };
    },
  };
}

/**
 * Refreshes the session proactively, shortly before its access token expires (with random
 * jitter), so that API calls never wait for a refresh. While the page is hidden nothing happens;
 * when it becomes visible again, gains focus or comes back online, the token is checked at once.
 * Network errors and 5xx keep the session and are retried with exponential backoff; a refused
 * refresh token ends the session (`SIGNED_OUT`). Calling it twice restarts it with the new options.
 *
 * @returns a function that stops it (the same as {@link stopAutoRefresh})
 * @example
 * ```ts
 * startAutoRefresh(auth);
 * // later, e.g. on unmount:
 * stopAutoRefresh(auth);
 * ```
 */
export function startAutoRefresh(auth: AuthClient, options: AutoRefreshOptions = {}): () => void {
  const state = context(auth);
  state.stopAutoRefresh?.();
  const random = options.random ?? Math.random;
  const leewayMs = (options.leewaySeconds ?? auth.options.refreshLeewaySeconds) * 1000;
  const maxBackoff = options.maxBackoffMs ?? 60_000;
  const visibility = options.visibility === undefined ? browserVisibility() : options.visibility;
  let timer: unknown = null;
  let failures = 0;
  let stopped = false;
  let running = false;

  const clear = () => {
    if (timer !== null) state.timers.clearTimeout(timer);
    timer = null;
  };
  const arm = (ms: number) => {
    clear();
    timer = state.timers.setTimeout(() => {
      timer = null;
      void tick();
    }, ms);
  };
  const schedule = (session: Session | null) => {
    clear();
    if (stopped || !session?.expiresAt || !session.refreshToken) return;
    if (visibility && !visibility.isVisible()) return;
    const now = state.clock.now();
    arm(refreshDelay(now, session.expiresAt.getTime(), leewayMs, options.jitterMs, random));
  };
  const tick = async () => {
    if (stopped || running) return;
    if (visibility && !visibility.isVisible()) return;
    const session = await loadSession(auth);
    if (!session?.expiresAt || !session.refreshToken) return;
    if (session.expiresAt.getTime() - leewayMs > state.clock.now()) {
      schedule(session);
      return;
    }
    running = true;
    try {
      await refreshSession(auth);
      failures = 0; // TOKEN_REFRESHED reschedules
    } catch (error) {
      if (stopped) return;
      if (isTegataError(error, "session_expired") || isTegataError(error, "not_signed_in")) return;
      failures++;
      const backoff = Math.min(maxBackoff, 1000 * 2 ** (failures - 1));
      arm(backoff / 2 + random() * (backoff / 2));
    } finally {
      running = false;
    }
  };

  const offAuth = state.emitter.subscribe((event, session) => {
    if (event === "SIGNED_OUT") {
      clear();
      failures = 0;
    } else if (!running || event === "TOKEN_REFRESHED") {
      schedule(session);
    }
  });
  const offVisibility = visibility?.subscribe(() => {
    void tick();
  });
  void loadSession(auth).then((session) => {
    if (!stopped) schedule(session);
  });

  const stop = () => {
    stopped = true;
    clear();
    offAuth();
    offVisibility?.();
    if (state.stopAutoRefresh === stop) state.stopAutoRefresh = null;
  };
  state.stopAutoRefresh = stop;
  return stop;
}

/**
 * Stops the proactive refresh of {@link startAutoRefresh}. Does nothing when it is not running.
 */
export function stopAutoRefresh(auth: AuthClient): void {
  context(auth).stopAutoRefresh?.();
}
