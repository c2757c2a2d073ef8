/**
 * Generated login history for the mock's `seedHistory` (the server keeps and pages it).
 *
 * @module
 */
import type { MockLocation, MockLoginAttempt } from "./types";

/** @internal an id that sorts by time, then by arrival: paging keys. */
export function historyId(at: number, seq: number): string {
  return `att_${Math.max(0, Math.floor(at)).toString(36).padStart(9, "0")}${seq.toString(36).padStart(6, "0")}`;
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
