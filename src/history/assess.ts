import { parseUserAgent } from "./device";

/** A past sign-in, as stored by a server or returned by {@link listLoginHistory}. */
export interface LoginRecord {
  at: Date | number;
  ip: string;
  userAgent?: string | null;
  result: "success" | "failure" | "locked";
  location?: { country?: string | null } | null;
}

/** The sign-in to assess. */
export interface LoginAttemptInfo {
  /** When it happens. Default: now. */
  at?: Date | number;
  ip: string;
  userAgent?: string | null;
  location?: { country?: string | null } | null;
}

/** Why a sign-in looks unusual. */
export type LoginRiskReason = "new_device" | "new_network" | "country_change" | "failure_burst";

/** The result of {@link assessLogin}. */
export interface LoginAssessment {
  /** Worth a "was this you?" notice: any reason except a new network on a known device alone. */
  suspicious: boolean;
  reasons: LoginRiskReason[];
  /** No successful sign-in in the history: nothing to compare with, so no device or network reason. */
  firstLogin: boolean;
  /** Failures (and lockouts) within the burst window before the attempt. */
  recentFailures: number;
}

/** Options of {@link assessLogin}. */
export interface AssessLoginOptions {
  /** Failures within `windowMs` that make a burst. Default 5 within 15 minutes. */
  failureBurst?: { count?: number; windowMs?: number };
  /** Prefix lengths that make "one network". Default /24 for IPv4, /48 for IPv6. */
  ipv4PrefixBits?: number;
  ipv6PrefixBits?: number;
}

const time = (t: Date | number | undefined): number =>
  t === undefined ? Date.now() : typeof t === "number" ? t : t.getTime();

function ipv4Bits(ip: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return octets.flatMap((o) => Array.from({ length: 8 }, (_, i) => (o >> (7 - i)) & 1));
}

function ipv6Bits(ip: string): number[] | null {
  const bare = ip.replace(/^\[|\]$/g, "").split("%")[0] ?? "";
  if (!/^[0-9a-f:]+$/i.test(bare) || bare.split("::").length > 2) return null;
  const [head = "", tail] = bare.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? left.length !== 8 : missing < 1) return null;
  const groups = [...left, ...Array(tail === undefined ? 0 : missing).fill("0"), ...right];
  if (groups.some((g) => g.length === 0 || g.length > 4)) return null;
  return groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return Array.from({ length: 16 }, (_, i) => (n >> (15 - i)) & 1);
  });
}

/**
 * @internal the network of an IP address as a string key (`v4:` or `v6:` plus the prefix bits).
 * IPv4-mapped IPv6 addresses count as IPv4. Unparseable input is its own network.
 */
export function networkOf(ip: string, v4Bits = 24, v6Bits = 48): string {
  const trimmed = ip.trim().toLowerCase();
  const mapped = /^(?:::ffff:)(\d+\.\d+\.\d+\.\d+)$/.exec(trimmed)?.[1];
  const v4 = ipv4Bits(mapped ?? trimmed);
  if (v4) return `v4:${v4.slice(0, v4Bits).join("")}`;
  const v6 = ipv6Bits(trimmed);
  if (v6) return `v6:${v6.slice(0, v6Bits).join("")}`;
  return `raw:${trimmed}`;
}

function deviceKey(userAgent: string | null | undefined): string {
  const d = parseUserAgent(userAgent);
  return `${d.browser}|${d.os}|${d.type}`;
}

/**
 * Flags what is unusual about a sign-in compared with the account's history: a device (browser,
 * OS and type) never used for a successful sign-in, a new IP network, a country different from
 * the last known one, and a burst of recent failures. A pure function, usable in the browser on
 * {@link listLoginHistory} items or on the server with stored history.
 *
 * @example
 * ```ts
 * const { suspicious, reasons } = assessLogin(history, { ip: "203.0.113.9", userAgent, location: { country: "JP" } });
 * if (suspicious) sendWasThisYouEmail(reasons);
 * ```
 */
export function assessLogin(
  history: readonly LoginRecord[],
  attempt: LoginAttemptInfo,
  options: AssessLoginOptions = {},
): LoginAssessment {
  const now = time(attempt.at);
  const burstCount = options.failureBurst?.count ?? 5;
  const windowMs = options.failureBurst?.windowMs ?? 15 * 60_000;
  const v4 = options.ipv4PrefixBits ?? 24;
  const v6 = options.ipv6PrefixBits ?? 48;
  const past = history.filter((h) => time(h.at) <= now);
  const successes = past.filter((h) => h.result === "success");
  const reasons: LoginRiskReason[] = [];
  const firstLogin = successes.length === 0;

  if (!firstLogin) {
    const key = deviceKey(attempt.userAgent);
    if (!successes.some((h) => deviceKey(h.userAgent) === key)) reasons.push("new_device");
    const net = networkOf(attempt.ip, v4, v6);
    if (!successes.some((h) => networkOf(h.ip, v4, v6) === net)) reasons.push("new_network");
  }
  const country = attempt.location?.country;
  if (country) {
    const last = [...successes].filter((h) => h.location?.country).sort((a, b) => time(b.at) - time(a.at))[0]
      ?.location?.country;
    if (last && last.toUpperCase() !== country.toUpperCase()) reasons.push("country_change");
  }
  const recentFailures = past.filter((h) => h.result !== "success" && now - time(h.at) <= windowMs).length;
  if (recentFailures >= burstCount) reasons.push("failure_burst");
  const suspicious = reasons.some((r) => r !== "new_network");
  return { suspicious, reasons, firstLogin, recentFailures };
}
