// The whole auth backend of this example's default mode, in the browser: tegata/mock's handlers
// (and three mock OpenID Providers at Google's, Apple's and Yahoo! JAPAN's real issuers) in an msw
// service worker. Loaded only by the mock build (./backend).
// The auth server verifies the providers' ID tokens itself (`providers`), fetching their JWKS
// through the same worker, and issues its own sessions for them.
import { HttpResponse, http } from "msw";
import { setupWorker } from "msw/browser";
import { createMockAuth, createMockOidcProvider } from "tegata/mock";
import { presets } from "tegata/password";
import type { Backend, DevMail } from "./backend";
import { CALLBACK_PATH, CLIENT_ID, DEMO, MOCK_BASE_URL } from "./demo";

const issuers = {
  google: "https://accounts.google.com",
  apple: "https://appleid.apple.com",
  yahoo_japan: "https://auth.login.yahoo.co.jp/yconnect/v2",
} as const;

export const mock = createMockAuth({
  baseUrl: MOCK_BASE_URL,
  users: [
    { ...DEMO.mfa, totpSecret: DEMO.totpSecret, recoveryCodes: DEMO.recoveryCodes },
    { ...DEMO.plain },
    { ...DEMO.seller },
  ],
  lockout: { maxAttempts: 5, durationSeconds: 900 },
  passwordPolicy: presets.nist,
  locate: (ip) => (ip.startsWith("127.") ? { country: "JP", city: "Tokyo" } : null),
  providers: {
    google: { issuer: issuers.google, clientId: CLIENT_ID },
    apple: { issuer: issuers.apple, clientId: CLIENT_ID },
    yahoo_japan: { issuer: issuers.yahoo_japan, clientId: CLIENT_ID },
  },
  // Passkeys belong to the page's host (the RP ID; the mock's own host is not the page's). Browsers
  // refuse them on a page opened by IP address: open the app on localhost to use them. (An IPv6
  // host, [::1], is no RP ID at all: then the mock's defaults, and no passkeys.)
  ...(location.hostname.includes(":")
    ? {}
    : { passkeys: { rpId: location.hostname, rpName: "tegata demo", origins: [location.origin] } }),
});

export const oidc = [
  // On the mock's clock, as the server checks the tokens' exp and iat on it.
  createMockOidcProvider({ issuer: issuers.google, users: [DEMO.google], now: mock.clock }),
  ...([issuers.apple, issuers.yahoo_japan] as const).map((issuer) =>
    createMockOidcProvider({
      issuer,
      users: [{ email: DEMO.mfa.email, name: DEMO.mfa.name }],
      now: mock.clock,
    }),
  ),
];

/** Starts the worker; the OAuth redirect URI of this page is answered there, so a fetch can follow to it. */
export async function startMock(): Promise<Backend> {
  const worker = setupWorker(
    ...mock.handlers,
    ...oidc.flatMap((p) => p.handlers),
    http.get(`${location.origin}${CALLBACK_PATH}`, () => HttpResponse.json({ ok: true })),
  );
  await worker.start({ onUnhandledFrame: "bypass", quiet: true });
  await mock.ready();
  // The seller signed in three hours ago, from a phone (their last login is public).
  mock.recordLogin({
    email: DEMO.seller.email,
    method: "password",
    at: new Date(mock.clock.now() - 3 * 60 * 60_000),
    userAgent:
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
  });
  return {
    clock: mock.clock,
    totp: () => mock.totp(DEMO.mfa.email),
    sellerId: DEMO.seller.id,
    mailbox: async () => mock.outbox.map(devMail).reverse(),
  };
}

/** A mail of the mock's outbox as the dev mailbox shows it, whatever its kind. */
function devMail(mail: (typeof mock.outbox)[number], index: number): DevMail {
  const link = "link" in mail && typeof mail.link === "string" && mail.link ? mail.link : null;
  return {
    id: `outbox-${index}`,
    to: mail.to,
    kind: mail.kind,
    locale: mail.locale,
    subject: mail.subject,
    text: mail.text,
    link,
    at: mail.at,
  };
}
