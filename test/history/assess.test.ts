import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { networkOf } from "../../src/history/assess";
import { assessLogin, type LoginRecord } from "../../src/history/index";

const chrome =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const iphone =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1";
const T = Date.UTC(2026, 10, 25, 9, 0, 0);
const ok = (ip: string, ua: string, minutesAgo: number, country?: string): LoginRecord => ({
  at: T - minutesAgo * 60_000,
  ip,
  userAgent: ua,
  result: "success",
  ...(country ? { location: { country } } : {}),
});
const failure = (minutesAgo: number): LoginRecord => ({
  at: T - minutesAgo * 60_000,
  ip: "198.51.100.1",
  result: "failure",
});
const history = [ok("203.0.113.10", chrome, 600, "JP"), ok("203.0.113.20", chrome, 60, "JP")];

describe("assessLogin", () => {
  it("a known device on a known network is not suspicious", () => {
    expect(
      assessLogin(history, { at: T, ip: "203.0.113.99", userAgent: chrome, location: { country: "JP" } }),
    ).toEqual({
      suspicious: false,
      reasons: [],
      firstLogin: false,
      recentFailures: 0,
    });
  });

  it("a new network alone is noted but not suspicious", () => {
    const r = assessLogin(history, { at: T, ip: "192.0.2.5", userAgent: chrome });
    expect(r.reasons).toEqual(["new_network"]);
    expect(r.suspicious).toBe(false);
  });

  it("flags a new device", () => {
    const r = assessLogin(history, { at: T, ip: "203.0.113.5", userAgent: iphone });
    expect(r.reasons).toEqual(["new_device"]);
    expect(r.suspicious).toBe(true);
  });

  it("flags a country change against the last known location", () => {
    const r = assessLogin(history, {
      at: T,
      ip: "203.0.113.5",
      userAgent: chrome,
      location: { country: "us" },
    });
    expect(r.reasons).toEqual(["country_change"]);
  });

  it("flags a burst of failures within the window only", () => {
    const burst = [...history, ...[1, 2, 3, 4, 5].map(failure)];
    expect(assessLogin(burst, { at: T, ip: "203.0.113.5", userAgent: chrome }).reasons).toEqual([
      "failure_burst",
    ]);
    const old = [...history, ...[100, 101, 102, 103, 104].map(failure)];
    expect(assessLogin(old, { at: T, ip: "203.0.113.5", userAgent: chrome }).recentFailures).toBe(0);
    expect(
      assessLogin(burst, { at: T, ip: "203.0.113.5", userAgent: chrome }, { failureBurst: { count: 10 } })
        .reasons,
    ).toEqual([]);
  });

  it("has no device or network baseline on a first login", () => {
    const r = assessLogin([failure(1)], { at: T, ip: "192.0.2.1", userAgent: iphone });
    expect(r).toMatchObject({ firstLogin: true, reasons: [], suspicious: false });
  });

  it("ignores entries after the attempt", () => {
    const future = [ok("192.0.2.1", iphone, -10)];
    expect(assessLogin(future, { at: T, ip: "192.0.2.1", userAgent: iphone }).firstLogin).toBe(true);
  });

  it("networkOf groups IPv4 by /24 and IPv6 by /48, mapped addresses as IPv4", () => {
    expect(networkOf("203.0.113.7")).toBe(networkOf("203.0.113.250"));
    expect(networkOf("203.0.113.7")).not.toBe(networkOf("203.0.114.7"));
    expect(networkOf("::ffff:203.0.113.7")).toBe(networkOf("203.0.113.1"));
    expect(networkOf("2001:db8:abcd:1::1")).toBe(networkOf("2001:0db8:abcd:ffff::2"));
    expect(networkOf("2001:db8:abcd::1")).not.toBe(networkOf("2001:db8:abce::1"));
    expect(networkOf("not an ip")).toBe("raw:not an ip");
    expect(networkOf("999.1.1.1")).toBe("raw:999.1.1.1");
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (ip, ua) => {
        const r = assessLogin(history, { at: T, ip, userAgent: ua });
        expect(Array.isArray(r.reasons)).toBe(true);
      }),
    );
  });
});
