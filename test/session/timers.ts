import type { Timers } from "../../src/index";

/** Timers driven by hand: `pending()` lists what is armed, `runNext()` fires the earliest. */
export function fakeTimers() {
  let seq = 0;
  const armed = new Map<number, { ms: number; callback: () => void }>();
  const timers: Timers = {
    setTimeout(callback, ms) {
      const id = ++seq;
      armed.set(id, { ms, callback });
      return id;
    },
    clearTimeout(handle) {
      armed.delete(handle as number);
    },
  };
  return {
    timers,
    pending: () => [...armed.values()].map((t) => t.ms),
    /** Fires the timer with the shortest delay; returns its delay. */
    runNext(): number | undefined {
      let best: [number, { ms: number; callback: () => void }] | undefined;
      for (const entry of armed) if (!best || entry[1].ms < best[1].ms) best = entry;
      if (!best) return undefined;
      armed.delete(best[0]);
      best[1].callback();
      return best[1].ms;
    },
  };
}

/** Lets pending promises and I/O settle. */
export const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));
