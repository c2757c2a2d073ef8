import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseUserAgent } from "../../src/history/index";

describe("parseUserAgent", () => {
  it.each([
    [
      "desktop Chrome on Windows",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
      { browser: "Chrome", browserVersion: "131", os: "Windows", type: "desktop", bot: false },
    ],
    [
      "desktop Safari on macOS",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
      { browser: "Safari", browserVersion: "17", os: "macOS", type: "desktop", bot: false },
    ],
    [
      "desktop Edge",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70",
      { browser: "Edge", browserVersion: "131", os: "Windows", type: "desktop", bot: false },
    ],
    [
      "desktop Firefox on Linux",
      "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
      { browser: "Firefox", browserVersion: "133", os: "Linux", type: "desktop", bot: false },
    ],
    [
      "iPhone Safari",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
      { browser: "Safari", browserVersion: "17", os: "iOS", type: "mobile", bot: false },
    ],
    [
      "Chrome on iPhone",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
      { browser: "Chrome", browserVersion: "131", os: "iOS", type: "mobile", bot: false },
    ],
    [
      "iPad Safari",
      "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
      { browser: "Safari", browserVersion: "17", os: "iPadOS", type: "tablet", bot: false },
    ],
    [
      "Android Chrome",
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
      { browser: "Chrome", browserVersion: "131", os: "Android", type: "mobile", bot: false },
    ],
    [
      "Android tablet Samsung Internet",
      "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Safari/537.36",
      { browser: "Samsung Internet", browserVersion: "26", os: "Android", type: "tablet", bot: false },
    ],
    [
      "the LINE in-app browser on iPhone",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/14.9.0",
      { browser: "LINE", browserVersion: "14", os: "iOS", type: "app", bot: false },
    ],
    [
      "the LINE in-app browser on Android",
      "Mozilla/5.0 (Linux; Android 14; SO-51D Build/64.2.C.0.206; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.81 Mobile Safari/537.36 Line/14.19.1/IAB",
      { browser: "LINE", browserVersion: "14", os: "Android", type: "app", bot: false },
    ],
    [
      "Googlebot",
      "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      { browser: "Unknown", os: "Unknown", type: "unknown", bot: true },
    ],
    ["curl", "curl/8.4.0", { browser: "Unknown", os: "Unknown", type: "unknown", bot: true }],
    [
      "an unknown client",
      "FancyClient 1.0",
      { browser: "Unknown", os: "Unknown", type: "unknown", bot: false },
    ],
    ["an empty string", "", { browser: "Unknown", os: "Unknown", type: "unknown", bot: false }],
  ])("%s", (_label, ua, expected) => {
    expect(parseUserAgent(ua)).toEqual(expected);
  });

  it("handles null and never throws on any input", () => {
    expect(parseUserAgent(null).browser).toBe("Unknown");
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 2000 }), (ua) => {
        const d = parseUserAgent(ua);
        expect(["desktop", "mobile", "tablet", "app", "unknown"]).toContain(d.type);
      }),
    );
  });
});
