// Which auth server the page talks to, chosen when the app is built:
// - by default, tegata/mock in an msw service worker, with three mock OpenID Providers
//   (./mock-setup, a chunk of its own);
// - with VITE_TEGATA_SERVER=http://127.0.0.1:8787, a real `tegata serve` over HTTP (cross-origin:
//   the server allows this page's origin with --cors-origin). No service worker is started and the
//   mock is not even in that build. `npm run example:web:server` starts both, with demo accounts.
// A build-time setting, not a query parameter: a page that took its auth server from its URL
// would send passwords wherever a link told it to.
import type { Clock } from "tegata";
import { generateTotp } from "tegata/totp";
import { MOCK_BASE_URL } from "./demo";

export interface Backend {
  /** The auth server's clock (the mock's; the real clock against a server). */
  clock: Clock;
  /** The code Hanako's authenticator app shows right now, for the demo helper; null when unknown. */
  totp(): Promise<string | null>;
  /** The seller's user id, whose last login the home screen shows; null when there is none. */
  sellerId: string | null;
}

/** The real server's URL, or null for the mock. */
export const SERVER_URL: string | null = import.meta.env.VITE_TEGATA_SERVER
  ? import.meta.env.VITE_TEGATA_SERVER.replace(/\/+$/, "")
  : null;

/** The client's `baseUrl`. */
export const BASE_URL = SERVER_URL ?? MOCK_BASE_URL;

/**
 * Whether sign-in with Google, Apple and Yahoo! JAPAN is offered: with the mock's providers only.
 * `tegata serve` has no OpenID providers to configure (createAuthServer's `providers` option), and
 * the mock providers live in the worker, where a real server cannot fetch their keys.
 */
export const SOCIAL_SIGN_IN = SERVER_URL === null;

/** Starts the mock (its worker) or, against a real server, nothing. */
export function startBackend(): Promise<Backend> {
  if (import.meta.env.VITE_TEGATA_SERVER) {
    // Demo only: a real app never knows its users' TOTP secrets. The seeding script enrolled
    // Hanako's authenticator and handed its secret to this build, so the helper can show the code.
    const secret = import.meta.env.VITE_TEGATA_DEMO_TOTP_SECRET;
    return Promise.resolve({
      clock: { now: () => Date.now() },
      totp: async () => (secret ? generateTotp(secret, { time: Date.now() }) : null),
      sellerId: import.meta.env.VITE_TEGATA_DEMO_SELLER_ID || null,
    });
  }
  return import("./mock-setup").then((m) => m.startMock());
}
