// The whole auth backend of this example, in the browser: tegata/mock's handlers (and three mock
// OpenID Providers at Google's, Apple's and Yahoo! JAPAN's real issuers) in an msw service worker.
// The auth server verifies the providers' ID tokens itself (`providers`), fetching their JWKS
// through the same worker, and issues its own sessions for them.
import { HttpResponse, http } from "msw";
import { setupWorker } from "msw/browser";
import { createMockAuth, createMockOidcProvider } from "tegata/mock";
import { presets } from "tegata/password";

export const DEMO = {
  mfa: { email: "hanako@example.jp", password: "sakura-mochi-2026", name: "山田花子" },
  plain: { email: "taro@example.jp", password: "correct horse battery", name: "Taro" },
  totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
  recoveryCodes: ["kiri-tanpo-0001", "kiri-tanpo-0002"],
  /**
   * Hanako's Google account. Its address is not the one she registered with, so a first
   * "Google でログイン" makes a new account (Google only); linked from her account, it signs her in.
   */
  google: { email: "yamada.hanako@gmail.com", name: "山田花子" },
  /** Another user, whose last sign-in the home screen shows (as a marketplace shows a seller's). */
  seller: {
    id: "usr_seller_sakura",
    email: "sakura@example.jp",
    password: "yozakura no shita de 2026",
    name: "Sakura",
  },
};

/** Your client ID at each provider: the `aud` of the ID tokens the server accepts. */
export const CLIENT_ID = "demo-web";

const issuers = {
  google: "https://accounts.google.com",
  apple: "https://appleid.apple.com",
  yahoo_japan: "https://auth.login.yahoo.co.jp/yconnect/v2",
} as const;

export const mock = createMockAuth({
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

/** The OAuth redirect URI of this page: answered by the worker so a fetch can follow to it. */
export const CALLBACK_PATH = "/oauth-callback";

export async function startMock(): Promise<void> {
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
}
