/**
 * Time source of a client, injectable for tests.
 *
 * @module
 */

/** A source of the current time in milliseconds since the epoch. */
export interface Clock {
  /** Milliseconds since the Unix epoch, like `Date.now()`. */
  now(): number;
}

/** The real clock (`Date.now`). */
export function systemClock(): Clock {
  return { now: () => Date.now() };
}
