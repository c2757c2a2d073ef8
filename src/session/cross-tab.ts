import type { AuthClient } from "../core/client";
import type { AuthEvent } from "../core/events";
import { deserializeSession, type Session, serializeSession } from "../core/session";
import { clearSession, context, isExpiring, loadSession, refreshedSince, setSession } from "../core/state";

/** The part of `BroadcastChannel` that cross-tab sync uses. */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  removeEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  close(): void;
}

/** The part of the Web Locks API (`navigator.locks`) that cross-tab sync uses. */
export interface LockManagerLike {
  request<T>(name: string, options: { signal?: AbortSignal }, callback: () => Promise<T>): Promise<T>;
}

/** Options of {@link enableCrossTabSync}. */
export interface CrossTabOptions {
  /** Channel and lock name. Default `"tegata:" + storageKey`. */
  name?: string;
  /** The channel. Default: `new BroadcastChannel(name)` when available. `null` disables messages. */
  channel?: BroadcastChannelLike | null;
  /** The lock manager. Default: `navigator.locks` when available; `null` uses the channel instead. */
  locks?: LockManagerLike | null;
  /** Longest wait for the lock (or for another tab's refresh) before refreshing anyway, in ms. Default 5000. */
  lockTimeoutMs?: number;
}

type Message =
  | { t: "session"; event: AuthEvent; session: string | null; from: string }
  | { t: "lock"; id: string; from: string }
  | { t: "unlock"; id: string; from: string };

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Keeps the tabs of one browser in step: one tab refreshes while the others wait and then use
 * its tokens (so a rotated refresh token is never spent twice), and every tab sees sign-in,
 * refresh and sign-out of the others. Uses the Web Locks API when present and a
 * `BroadcastChannel` otherwise; waiting for a lock is bounded by `lockTimeoutMs`, after which the
 * tab refreshes on its own rather than hang.
 *
 * Messages carry the session (tokens included) to same-origin tabs only, which can read the same
 * storage anyway.
 *
 * @returns a function that turns the sync off again
 * @example
 * ```ts
 * const auth = createAuthClient({ baseUrl, storage: webStorage(localStorage) });
 * enableCrossTabSync(auth);
 * ```
 */
export function enableCrossTabSync(auth: AuthClient, options: CrossTabOptions = {}): () => void {
  const state = context(auth);
  const name = options.name ?? `tegata:${auth.options.storageKey}`;
  const timeoutMs = options.lockTimeoutMs ?? 5000;
  const self = randomId();
  const channel: BroadcastChannelLike | null =
    options.channel !== undefined
      ? options.channel
      : typeof BroadcastChannel === "function"
        ? new BroadcastChannel(name)
        : null;
  const ownsChannel = options.channel === undefined && channel !== null;
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  const locks = options.locks !== undefined ? options.locks : (nav?.locks ?? null);

  // Tabs that announced a refresh through the channel (fallback lock), with when they did.
  const remoteHolders = new Map<string, number>();
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        waiters.delete(done);
        state.timers.clearTimeout(handle);
        resolve();
      };
      const handle = state.timers.setTimeout(done, ms);
      waiters.add(done);
    });

  const onMessage = (event: MessageEvent) => {
    const data = event.data as Message | undefined;
    if (!data || typeof data !== "object" || data.from === self) return;
    if (data.t === "session") {
      let apply: Promise<void> = Promise.resolve();
      if (data.session === null && data.event === "SIGNED_OUT") {
        // clearSession emits SIGNED_OUT only when there was (or may have been) a session here.
        apply = clearSession(auth, "remote");
      } else {
        const session = deserializeSession(data.session);
        // A malformed message is ignored: it must never sign this tab out or in.
        if (session && data.event !== "SIGNED_OUT") apply = setSession(auth, session, data.event, "remote");
      }
      void apply.then(wake, wake);
    } else if (data.t === "lock") {
      remoteHolders.set(data.id, state.clock.now());
    } else if (data.t === "unlock") {
      remoteHolders.delete(data.id);
      wake();
    }
  };
  channel?.addEventListener("message", onMessage);

  const post = (message: Message) => {
    try {
      channel?.postMessage(message);
    } catch {
      // A closed channel: the other tabs will read storage instead.
    }
  };

  state.broadcast = (event, session) => {
    post({ t: "session", event, session: session ? serializeSession(session) : null, from: self });
  };

  const withWebLock = <T>(fn: () => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    let acquired = false;
    const timer = state.timers.setTimeout(() => controller.abort(), timeoutMs);
    return (locks as LockManagerLike)
      .request(name, { signal: controller.signal }, async () => {
        acquired = true;
        state.timers.clearTimeout(timer);
        return fn();
      })
      .catch((error: unknown) => {
        state.timers.clearTimeout(timer);
        // Lock not granted in time (an orphaned lock, a frozen tab): go on without it.
        if (!acquired && controller.signal.aborted) return fn();
        throw error;
      });
  };

  const withChannelLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    const deadline = state.clock.now() + timeoutMs;
    const busy = () => {
      for (const [id, at] of remoteHolders) {
        if (state.clock.now() - at > timeoutMs) remoteHolders.delete(id);
      }
      return remoteHolders.size > 0;
    };
    while (busy() && state.clock.now() < deadline) await sleep(Math.max(1, deadline - state.clock.now()));
    const id = `${randomId()}`;
    post({ t: "lock", id, from: self });
    // A short window in which a simultaneous claim from another tab can arrive; the smaller id wins.
    await sleep(25);
    const rival = [...remoteHolders.keys()].some((other) => other < id);
    if (rival) {
      while (busy() && state.clock.now() < deadline) await sleep(Math.max(1, deadline - state.clock.now()));
    }
    try {
      return await fn();
    } finally {
      post({ t: "unlock", id, from: self });
    }
  };

  const withLock = locks ? withWebLock : channel ? withChannelLock : null;
  const refreshUnderLock = (refresh: () => Promise<Session>, requestedAt: number): Promise<Session> =>
    (withLock as NonNullable<typeof withLock>)(async () => {
      // Another tab may have refreshed while we waited for the lock: let its broadcast land,
      // then use its tokens rather than spend (and so invalidate) a rotated refresh token.
      await new Promise<void>((resolve) => state.timers.setTimeout(resolve, 0));
      return refreshedSince(auth, requestedAt) ?? (await adoptStoredSession(auth)) ?? refresh();
    });
  state.lock = withLock ? refreshUnderLock : null;

  return () => {
    channel?.removeEventListener("message", onMessage);
    if (ownsChannel) channel?.close();
    if (state.lock === refreshUnderLock) state.lock = null;
    state.broadcast = null;
    wake();
  };
}

/** Uses a newer session that another tab wrote to shared storage, if there is one. */
async function adoptStoredSession(auth: AuthClient): Promise<Session | null> {
  let stored: Session | null = null;
  try {
    stored = deserializeSession(await context(auth).storage.getItem(auth.options.storageKey));
  } catch {
    return null;
  }
  const current = await loadSession(auth);
  if (!stored || !current || stored.accessToken === current.accessToken) return null;
  if (!stored.refreshToken || isExpiring(auth, stored)) return null;
  if (stored.user?.id !== current.user?.id) return null;
  await setSession(auth, stored, "TOKEN_REFRESHED", "remote");
  return stored;
}
