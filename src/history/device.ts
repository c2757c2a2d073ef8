/** The kind of device a sign-in came from. `app` is a native app or an in-app browser (LINE, Facebook, Instagram). */
export type DeviceType = "desktop" | "mobile" | "tablet" | "app" | "unknown";

/** What a user-agent string says about the device. */
export interface Device {
  /** Browser or app name, such as `Chrome`, `Safari`, `LINE`; `Unknown` when unrecognised. */
  browser: string;
  /** Major version of the browser, when given. */
  browserVersion?: string;
  /** Operating system, such as `Windows`, `macOS`, `iOS`, `Android`; `Unknown` when unrecognised. */
  os: string;
  type: DeviceType;
  /** A crawler, monitor or command-line client rather than a person's browser. */
  bot: boolean;
}

const BOT =
  /bot\b|crawler|spider|crawling|slurp|curl\/|wget\/|python-requests|httpclient|okhttp|go-http-client|headless|monitor|preview/i;

const IN_APP: Array<[RegExp, string]> = [
  [/\bLine\/([\d.]+)/i, "LINE"],
  [/\bFBAN|FBAV\/([\d.]+)/, "Facebook"],
  [/\bInstagram ([\d.]+)/, "Instagram"],
  [/\bMicroMessenger\/([\d.]+)/, "WeChat"],
  [/\bTwitter(?:Android)?\b/, "X"],
];

const BROWSERS: Array<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\/([\d.]+)/, "Edge"],
  [/\bOPR\/([\d.]+)/, "Opera"],
  [/\bSamsungBrowser\/([\d.]+)/, "Samsung Internet"],
  [/\bYaBrowser\/([\d.]+)/, "Yandex"],
  [/\bCriOS\/([\d.]+)/, "Chrome"],
  [/\bFxiOS\/([\d.]+)/, "Firefox"],
  [/\bFirefox\/([\d.]+)/, "Firefox"],
  [/\bChrome\/([\d.]+)/, "Chrome"],
  [/\bVersion\/([\d.]+).*Safari\//, "Safari"],
];

function major(version: string | undefined): string | undefined {
  return version?.split(".")[0] || undefined;
}

/**
 * Parses a user-agent string into browser, OS and device type. A small, dependency-free parser
 * for login history and "was this you?" notices: it recognises the common browsers, iOS, Android,
 * Windows, macOS, Linux, ChromeOS, in-app browsers (LINE, Facebook, Instagram, WeChat, X) and
 * bots. Anything else is `Unknown` rather than a guess. Never throws.
 *
 * @example
 * ```ts
 * parseUserAgent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) … Safari Line/14.9.0");
 * // { browser: "LINE", browserVersion: "14", os: "iOS", type: "app", bot: false }
 * ```
 */
export function parseUserAgent(userAgent: string | null | undefined): Device {
  const ua = typeof userAgent === "string" ? userAgent.slice(0, 1024) : "";
  const device: Device = { browser: "Unknown", os: "Unknown", type: "unknown", bot: false };
  if (ua.trim() === "") return device;
  device.bot = BOT.test(ua);

  if (/\b(iPhone|iPod)\b/.test(ua)) {
    device.os = "iOS";
    device.type = "mobile";
  } else if (/\biPad\b/.test(ua)) {
    device.os = "iPadOS";
    device.type = "tablet";
  } else if (/\bAndroid\b/.test(ua)) {
    device.os = "Android";
    device.type = /\bMobile\b/.test(ua) ? "mobile" : "tablet";
  } else if (/\bWindows Phone\b/.test(ua)) {
    device.os = "Windows Phone";
    device.type = "mobile";
  } else if (/\bWindows\b/.test(ua)) {
    device.os = "Windows";
    device.type = "desktop";
  } else if (/\bCrOS\b/.test(ua)) {
    device.os = "ChromeOS";
    device.type = "desktop";
  } else if (/\bMacintosh\b|\bMac OS X\b/.test(ua)) {
    device.os = "macOS";
    device.type = "desktop";
  } else if (/\bLinux\b|\bX11\b/.test(ua)) {
    device.os = "Linux";
    device.type = "desktop";
  }

  for (const [pattern, name] of IN_APP) {
    const m = pattern.exec(ua);
    if (m) {
      device.browser = name;
      const version = major(m[1]);
      if (version) device.browserVersion = version;
      device.type = "app";
      return device;
    }
  }
  if (!device.bot) {
    for (const [pattern, name] of BROWSERS) {
      const m = pattern.exec(ua);
      if (m) {
        device.browser = name;
        const version = major(m[1]);
        if (version) device.browserVersion = version;
        break;
      }
    }
  }
  if (device.bot) device.type = "unknown";
  return device;
}
