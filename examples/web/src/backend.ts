// Which auth server the page talks to, chosen when the app is built:
// - by default, tegata/mock in an msw service worker, with three mock OpenID Providers
//   (./mock-setup, a chunk of its own);
// - with VITE_TEGATA_SERVER=http://127.0.0.1:8787, a real tegata server over HTTP (`tegata serve`,
//   or tegata/server as server-mode.mjs runs it; cross-origin: the server allows this page's origin,
//   `cors`). No service worker is started and the mock is not even in that build.
//   `npm run example:web:server` starts both, with demo accounts.
// A build-time setting, not a query parameter: a page that took its auth server from its URL
// would send passwords wherever a link told it to.
// The dev mailbox reads the mails the server sent: the mock's outbox, or the mails server-mode.mjs
// kept with its mailer (VITE_TEGATA_DEV_MAILBOX; a server started otherwise has none to show).
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
  /**
   * The mails the auth server sent, newest first, for the dev mailbox; null when this build cannot
   * read them (a real server without server-mode.mjs's mailbox). Development only: a mail's link
   * is a secret (it resets a password), which no real app can read.
   */
  mailbox: (() => Promise<DevMail[]>) | null;
}

/** A mail as the dev mailbox shows it: any kind, the same fields whichever server sent it. */
export interface DevMail {
  id: string;
  to: string;
  /** `password_reset`, `email_change`, `email_change_notice`, … (shown as it is: any kind). */
  kind: string;
  locale: string;
  subject: string;
  text: string;
  /** The one-time link it carries, if any. */
  link: string | null;
  at: Date;
}

/** The dev mailbox of server-mode.mjs (an endpoint of the script, not of tegata), if any. */
const DEV_MAILBOX_URL = import.meta.env.VITE_TEGATA_DEV_MAILBOX || null;

/** Reads the mailbox endpoint: `{ mails: [...] }`, newest first. */
async function readDevMailbox(url: string): Promise<DevMail[]> {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`dev mailbox: HTTP ${response.status}`);
  const { mails } = (await response.json()) as { mails: Array<Omit<DevMail, "at"> & { at: string }> };
  return mails.map((mail) => ({ ...mail, link: mail.link ?? null, at: new Date(mail.at) }));
}

/** The real server's URL, or null for the mock. */
export const SERVER_URL: string | null = import.meta.env.VITE_TEGATA_SERVER
  ? import.meta.env.VITE_TEGATA_SERVER.replace(/\/+$/, "")
  : null;

/** The client's `baseUrl`. */
export const BASE_URL = SERVER_URL ?? MOCK_BASE_URL;

/**
 * Whether sign-in with Google, Apple and Yahoo! JAPAN is offered: with the mock's providers only.
 * The real server is given no OpenID providers (createAuthServer's `providers`; `tegata serve` has
 * no option for them): the mock providers live in the worker, where a real server cannot fetch
 * their keys.
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
      mailbox: DEV_MAILBOX_URL ? () => readDevMailbox(DEV_MAILBOX_URL) : null,
    });
  }
  return import("./mock-setup").then((m) => m.startMock());
}
