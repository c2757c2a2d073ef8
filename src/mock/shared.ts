/**
 * Helpers shared by the mock servers: their clock and what they read off a request.
 *
 * @module
 */
import type { MockClock } from "./types";

const toMs = (time: Date | number): number => (typeof time === "number" ? time : time.getTime());

/**
 * @internal a controllable clock: an existing {@link MockClock} is used as it is; otherwise a
 * start time (Date or ms, frozen), a time source, or the real clock, plus an offset that
 * `advance` and `set` move.
 */
export function createClock(now: MockClock | Date | number | (() => number) | undefined): MockClock {
  if (typeof now === "object" && now !== null && !(now instanceof Date)) return now;
  const source: () => number =
    typeof now === "function" ? now : now === undefined ? () => Date.now() : () => toMs(now);
  let offset = 0;
  return {
    now: () => source() + offset,
    advance(ms) {
      if (!Number.isFinite(ms)) throw new TypeError("advance() needs a finite number of ms");
      offset += ms;
    },
    set(time) {
      offset = toMs(time) - source();
    },
  };
}

/** @internal the client's IP: the first `X-Forwarded-For` entry, else 127.0.0.1. */
export function clientIp(request: Request): string {
  return (request.headers.get("x-forwarded-for") ?? "").split(",")[0]?.trim() || "127.0.0.1";
}

/**
 * @internal the request's user agent. In a browser (msw's worker runs the handlers in the page)
 * requests carry no User-Agent header: the page's own user agent is the one that sent them.
 */
export function userAgentOf(request: Request): string | null {
  const header = request.headers.get("user-agent");
  if (header !== null) return header;
  const g = globalThis as { document?: unknown; navigator?: { userAgent?: string } };
  return g.document !== undefined && typeof g.navigator?.userAgent === "string"
    ? g.navigator.userAgent
    : null;
}

/**
 * @internal what a request carried, for tests to assert on: parsed JSON (`application/json` or
 * `+json`), form fields as an object (`application/x-www-form-urlencoded`, the last of repeated
 * names), else the text; `undefined` without a body. Reads a clone: the handler still has the body.
 */
export async function receivedBody(request: Request): Promise<unknown> {
  if (request.body === null) return undefined;
  const text = await request.clone().text();
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "application/x-www-form-urlencoded") return Object.fromEntries(new URLSearchParams(text));
  if (type === "application/json" || type.endsWith("+json")) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
