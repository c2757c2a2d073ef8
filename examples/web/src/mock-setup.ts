// The whole auth backend of this example, in the browser: tegata/mock's handlers (and three mock
// OpenID Providers at Google's, Apple's and Yahoo! JAPAN's real issuers) in an msw service worker.
import { HttpResponse, http } from "msw";
import { setupWorker } from "msw/browser";
import { createMockAuth, createMockOidcProvider } from "tegata/mock";
import { presets } from "tegata/password";

export const DEMO = {
  mfa: { email: "hanako@example.jp", password: "sakura-mochi-2026", name: "山田花子" },
  plain: { email: "taro@example.jp", password: "correct horse battery", name: "Taro" },
  totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
  recoveryCodes: ["kiri-tanpo-0001", "kiri-tanpo-0002"],
};

export const mock = createMockAuth({
  users: [{ ...DEMO.mfa, totpSecret: DEMO.totpSecret, recoveryCodes: DEMO.recoveryCodes }, { ...DEMO.plain }],
  lockout: { maxAttempts: 5, durationSeconds: 900 },
  passwordPolicy: presets.nist,
  locate: (ip) => (ip.startsWith("127.") ? { country: "JP", city: "Tokyo" } : null),
});

const providers = [
  ["google", "https://accounts.google.com"],
  ["apple", "https://appleid.apple.com"],
  ["yahoo_japan", "https://auth.login.yahoo.co.jp/yconnect/v2"],
] as const;

export const oidc = providers.map(([method, issuer]) =>
  createMockOidcProvider({
    issuer,
    users: [{ email: DEMO.mfa.email, name: DEMO.mfa.name }],
    onAuthorize: (a) => mock.recordLogin({ ...a, method }),
  }),
);

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
}
