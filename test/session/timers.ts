import type { AuthClient, AuthEvent, Timers } from "../../src/index";
import { onAuthStateChange } from "../../src/index";
import type { BroadcastChannelLike } from "../../src/session/index";

/**
 * Timers driven by hand: `pending()` lists the delays armed, `runNext()` fires the earliest, and
 * `until(predicate)` resolves once the armed delays satisfy `predicate` (checked now and at every
 * change): the way to wait for work that ends by arming a timer, such as a refresh that
 * reschedules itself, without waiting for any time.
 */
export function fakeTimers() {
  let seq = 0;
  const armed = new Map<number, { ms: number; callback: () => void }>();
  const waiters = new Set<() => boolean>();
  const pending = () => [...armed.values()].map((t) => t.ms);
  const changed = () => {
    for (const check of [...waiters]) if (check()) waiters.delete(check);
  };
  const timers: Timers = {
    setTimeout(callback, ms) {
      const id = ++seq;
      armed.set(id, { ms, callback });
      changed();
      return id;
    },
    clearTimeout(handle) {
      armed.delete(handle as number);
      changed();
    },
  };
  return {
    timers,
    pending,
    /** Fires the timer with the shortest delay; returns its delay. */
    runNext(): number | undefined {
      let best: [number, { ms: number; callback: () => void }] | undefined;
      for (const entry of armed) if (!best || entry[1].ms < best[1].ms) best = entry;
      if (!best) return undefined;
      armed.delete(best[0]);
      changed();
      best[1].callback();
      return best[1].ms;
    },
    /** Resolves with the armed delays once they satisfy `predicate`. */
    until(predicate: (pending: number[]) => boolean): Promise<number[]> {
      return new Promise((resolve) => {
        const check = () => {
          if (!predicate(pending())) return false;
          resolve(pending());
          return true;
        };
        if (!check()) waiters.add(check);
      });
    },
  };
}

/**
 * Runs every queued promise continuation: resolves on the next turn of the event loop, after the
 * microtask queue is empty. Not a wait for time, and enough only for work that is promises all
 * the way down (memory storage, listeners); wait for an event when a request is involved.
 */
export const flushPromises = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Resolves when `auth` next emits `event`. Subscribe before starting what emits it. */
export function nextEvent(auth: AuthClient, event: AuthEvent): Promise<void> {
  return new Promise((resolve) => {
    const off = onAuthStateChange(auth, (e) => {
      if (e !== event) return;
      off();
      resolve();
    });
  });
}

/**
 * An in-memory BroadcastChannel for tabs in one test: a message reaches the other channels of
 * the name as a microtask, so it always lands before any timer fires, however loaded the machine.
 * (A real BroadcastChannel delivers as a later task; a timer that is due may run first.)
 */
export function memoryChannels(): (name: string) => BroadcastChannelLike {
  const byName = new Map<string, Set<Set<(event: MessageEvent) => void>>>();
  return (name) => {
    const listeners = new Set<(event: MessageEvent) => void>();
    let members = byName.get(name);
    if (!members) {
      members = new Set();
      byName.set(name, members);
    }
    members.add(listeners);
    let open = true;
    return {
      postMessage(message) {
        if (!open) throw new DOMException("The channel is closed", "InvalidStateError");
        for (const other of members) {
          if (other === listeners) continue;
          const data: unknown = structuredClone(message);
          queueMicrotask(() => {
            for (const listener of other) listener(new MessageEvent("message", { data }));
          });
        }
      },
      addEventListener: (_type, listener) => void listeners.add(listener),
      removeEventListener: (_type, listener) => void listeners.delete(listener),
      close() {
        open = false;
        members.delete(listeners);
      },
    };
  };
}
