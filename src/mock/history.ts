/**
 * Login history of the mock: ordering, cursor paging and generated seed data.
 *
 * @module
 */
import type { MockLocation, MockLoginAttempt } from "./types";

/** @internal an id that sorts by time, then by arrival: paging keys. */
export function historyId(at: number, seq: number): string {
  return `att_${Math.max(0, Math.floor(at)).toString(36).padStart(9, "0")}${seq.toString(36).padStart(6, "0")}`;
}

/** @internal inserts keeping the list sorted by id (almost always an append). */
export function insertSorted(list: MockLoginAttempt[], entry: MockLoginAttempt): void {
  let lo = 0;
  let hi = list.length;
  if (hi === 0 || (list[hi - 1] as MockLoginAttempt).id < entry.id) {
    list.push(entry);
    return;
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as MockLoginAttempt).id < entry.id) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, entry);
}

/** @internal the history query of `GET /auth/history`. */
export interface HistoryQuery {
  from?: number;
  to?: number;
  result?: string;
  method?: string;
  limit: number;
  cursor?: string;
}

/** @internal index of the first entry whose id is >= `id`. */
function lowerBound(list: MockLoginAttempt[], id: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as MockLoginAttempt).id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * @internal one page, newest first, strictly older than the cursor. Cost: a binary search plus
 * the entries walked, so it does not grow with the depth of the page. New entries (newer than
 * the cursor) never shift a page.
 */
export function pageHistory(
  list: MockLoginAttempt[],
  q: HistoryQuery,
): { items: MockLoginAttempt[]; next: string | null } {
  let i = (q.cursor === undefined ? list.length : lowerBound(list, q.cursor)) - 1;
  const matches = (e: MockLoginAttempt) =>
    (q.result === undefined || e.result === q.result) &&
    (q.method === undefined || e.method === q.method) &&
    (q.from === undefined || e.at.getTime() >= q.from) &&
    (q.to === undefined || e.at.getTime() < q.to);
  const items: MockLoginAttempt[] = [];
  for (; i >= 0 && items.length < q.limit; i--) {
    const e = list[i] as MockLoginAttempt;
    if (q.from !== undefined && e.at.getTime() < q.from) {
      i = -1; // sorted by time: nothing older can match
      break;
    }
    if (matches(e)) items.push(e);
  }
  // Is there one more match? Only then is there a next page.
  let more = false;
  for (; i >= 0; i--) {
    const e = list[i] as MockLoginAttempt;
    if (q.from !== undefined && e.at.getTime() < q.from) break;
    if (matches(e)) {
      more = true;
      break;
    }
  }
  const last = items[items.length - 1];
  return { items, next: more && last ? last.id : null };
}

const AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/14.9.0",
];
const METHODS = [
  "password",
  "password",
  "password",
  "totp",
  "google",
  "apple",
  "yahoo_japan",
  "recovery_code",
];
const RESULTS: MockLoginAttempt["result"][] = [
  "success",
  "success",
  "success",
  "success",
  "failure",
  "failure",
  "locked",
];

/** @internal a small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @internal `count` generated entries between `end - days` and `end`, oldest first, with ids
 * that sort before every real entry made at or after `end`.
 */
export function seedEntries(
  user: { id: string; email: string },
  count: number,
  end: number,
  options: { seed?: number; days?: number; locate?: ((ip: string) => MockLocation | null) | undefined },
): MockLoginAttempt[] {
  const random = prng(options.seed ?? 1);
  const span = (options.days ?? 90) * 86_400_000;
  const start = end - span;
  const step = count > 0 ? span / count : 0;
  const out: MockLoginAttempt[] = [];
  for (let i = 0; i < count; i++) {
    const at = Math.floor(start + i * step + random() * step * 0.5);
    const ip =
      random() < 0.8
        ? `203.0.113.${1 + Math.floor(random() * 20)}`
        : `198.51.100.${1 + Math.floor(random() * 250)}`;
    out.push({
      id: historyId(at, i),
      userId: user.id,
      email: user.email,
      at: new Date(at),
      ip,
      userAgent: AGENTS[Math.floor(random() * AGENTS.length)] ?? null,
      method: METHODS[Math.floor(random() * METHODS.length)] ?? "password",
      result: RESULTS[Math.floor(random() * RESULTS.length)] ?? "success",
      sessionId: null,
      location: options.locate?.(ip) ?? null,
    });
  }
  return out;
}
