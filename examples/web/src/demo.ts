// The example's demo accounts and constants, the same whichever auth server the page talks to.

export const DEMO = {
  mfa: { email: "hanako@example.jp", password: "sakura-mochi-2026", name: "山田花子" },
  plain: { email: "taro@example.jp", password: "correct horse battery", name: "Taro" },
  /** Hanako's TOTP secret in the mock (against a real server, the seeding script enrolls one). */
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

/** The OAuth redirect URI of this page (answered by the mock's worker). */
export const CALLBACK_PATH = "/oauth-callback";

/** Where the mock auth server answers, inside the service worker. */
export const MOCK_BASE_URL = "https://auth.tegata.test";
