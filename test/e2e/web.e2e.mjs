// End-to-end test of examples/web in a real browser: Vite builds and serves the app, Playwright
// (playwright-core) drives Debian's Chromium. Two passes:
// - msw: the app's default build, its auth server tegata/mock in a service worker (with mock
//   OpenID Providers). Screenshots in test-output/e2e/.
// - server: the build with VITE_TEGATA_SERVER, against a real tegata server (tegata/server from the
//   built package, on an SQLite file, over HTTP and CORS: examples/web/server-mode.mjs runs it in
//   this process, with a mailer whose mails the page's dev mailbox reads, and seeds it). The social
//   sign-in steps are skipped there (the server has no OpenID providers); the steps only a real
//   server can show are added (a restart on the same file, a recovery code used once).
//   Screenshots in test-output/e2e/server/.
// Both passes end with a password reset and an email change clicked through in the page's dev
// mailbox (the mock's outbox, or the mails server-mode.mjs kept), then passkeys: the page reopened on
// localhost (browsers refuse WebAuthn on an IP-address host), Chromium's virtual authenticator
// (CDP WebAuthn.addVirtualAuthenticator) registers one and signs in with it for real.
// Run: npm run test:e2e   (it runs npm run build first when dist/ lacks the server; CHROMIUM_PATH
// overrides /usr/bin/chromium; Japanese text needs a Japanese font, such as Debian's
// fonts-ipafont-gothic). E2E_MODES=msw or E2E_MODES=server runs one pass.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build, preview } from "vite";

const root = fileURLToPath(new URL("../../", import.meta.url));
const config = `${root}examples/web/vite.config.ts`;
const shotsRoot = `${root}test-output/e2e/`;

// The server pass runs the package's server and seeds through the package: both from dist/.
const built = [
  "dist/cli/index.js",
  "dist/index.js",
  "dist/credentials/index.js",
  "dist/totp/index.js",
  "dist/server/index.js",
  "dist/server/sqlite/index.js",
];
if (!built.every((file) => existsSync(`${root}${file}`))) {
  console.log("dist/ lacks the server: npm run build");
  const result = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(1);
}
const { startDemoServer } = await import("../../examples/web/server-mode.mjs");

const MODES = (process.env.E2E_MODES ?? "msw,server").split(",").map((m) => m.trim());
const DEMO_RECOVERY = ["kiri-tanpo-0001", "kiri-tanpo-0002"]; // the mock's, for Hanako

let passed = 0;
let failed = 0;
let skipped = 0;
const started = Date.now();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
// A person's Chrome, not HeadlessChrome (which the login history rightly calls a bot, browser unknown).
const userAgent = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${browser.version().split(".")[0]}.0.0.0 Safari/537.36`;

// The current pass: its mode, page, screenshots folder, app URL, errors, and (server) the server.
/** @type {"msw" | "server"} */
let mode = "msw";
/** @type {import("playwright-core").Page} */
let page;
let shots = shotsRoot;
let base = "";
let consoleErrors = [];
/** The server pass's server (startDemoServer), and its log. */
let demo = null;
let serverLog = [];
/** Hanako's recovery codes: the mock's, or the ones the seeding got from the server. */
let recovery = DEMO_RECOVERY;
/** The app on localhost (where WebAuthn works: browsers refuse it on an IP-address host). */
let localBase = "";
/** The passkey steps' CDP session and virtual authenticator. */
let cdp = null;
let authenticatorId = "";

async function step(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (error) {
    failed++;
    console.log(
      `FAIL ${name}\n     ${String(error?.message ?? error)
        .split("\n")
        .slice(0, 6)
        .join("\n     ")}`,
    );
    await page
      .screenshot({ path: `${shots}FAILED-${name.replace(/\W+/g, "-")}.png`, fullPage: true })
      .catch(() => {});
  }
}
const shot = (name) => page.screenshot({ path: `${shots}${name}.png`, fullPage: true });
const skip = (name, why) => {
  skipped++;
  console.log(`skip ${name} (skipped in ${mode} mode: ${why})`);
};
const tid = (id) => page.getByTestId(id);
const expectText = async (id, pattern, timeout = 10_000) => {
  const deadline = Date.now() + timeout;
  let text = "";
  for (;;) {
    text = await tid(id)
      .textContent({ timeout: Math.max(1, deadline - Date.now()) })
      .catch(() => "");
    if (pattern.test(text)) return;
    if (Date.now() > deadline) throw new Error(`${id}: ${JSON.stringify(text)} does not match ${pattern}`);
    await page.waitForTimeout(100);
  }
};
const assert = (condition, message) => {
  if (!condition) throw new Error(message);
};
/** Every input and meter of the page has a label (`<label for>`). */
const expectLabelled = async () => {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, meter")]
      .filter((el) => el.labels === null || el.labels.length === 0)
      .map((el) => el.id || el.outerHTML.slice(0, 80)),
  );
  assert(unlabelled.length === 0, `inputs without a label: ${unlabelled.join(", ")}`);
};
// One language per screen: the English UI has no kana, the Japanese one none of these words.
const ENGLISH_UI = /\b(Sign in|Sign out|Password|Email|Succeeded|Failed|Welcome|Demo|Loading)\b/;
const KANA = /[\u3040-\u30ff]/;
// biome-ignore lint/performance/useDomNodeTextContent: the text as rendered, what the user reads
const bodyText = () => page.evaluate(() => document.body.innerText);
const expectLanguage = async (lang) => {
  assert((await page.evaluate(() => document.documentElement.lang)) === lang, `<html lang> is not ${lang}`);
  const text = await bodyText();
  const stray = lang === "ja" ? ENGLISH_UI.exec(text) : KANA.exec(text);
  assert(!stray, `${lang} screen shows ${JSON.stringify(stray?.[0])}`);
};

/** The steps, in order: [name, run, only in this mode]. */
const SOCIAL = "msw"; // social sign-in: the mock's OpenID Providers
// The real server is given no `providers`: the mock providers live in the page's worker, out of a
// real server's reach (it fetches their JWKS itself).
const SOCIAL_SKIPPED = "the real server has no OpenID providers";
const STEPS = [
  [
    "the sign-in screen is drawn by the load event, in Japanese, with a favicon",
    async () => {
      await page.goto(base, { waitUntil: "load" });
      const atLoad = await page.evaluate(() => window.__atLoad);
      assert(atLoad?.screen === "screen-signin", `at load: ${JSON.stringify(atLoad)}`);
      assert(!/Loading/.test(atLoad.text), "Loading… at load");
      assert(await tid("screen-signin").isVisible(), "no sign-in screen right after load");
      assert(await tid("signin-submit").isVisible(), "no sign-in button right after load");
      const icon = await page.getAttribute("link[rel=icon]", "href");
      assert(icon?.startsWith("data:image/svg+xml"), `favicon: ${icon}`);
      assert((await page.title()) === "tegata デモ", `title: ${await page.title()}`);
      await tid("helper-code").waitFor({ timeout: 15_000 }); // the worker is up
      await expectLanguage("ja");
      await expectLabelled();
      await page.getByLabel("メールアドレス").waitFor();
      if (mode === "server") {
        await expectText("tagline", new RegExp(`${demo.url.replace(/\W/g, "\\$&")} の tegata/server`));
        assert((await tid("oauth-google").count()) === 0, "social sign-in offered against the real server");
        await expectText("social-unavailable", /OpenID プロバイダーが設定されていない/);
        const workers = await page.evaluate(
          async () => (await navigator.serviceWorker.getRegistrations()).length,
        );
        assert(workers === 0, `${workers} service workers registered against the real server`);
      }
      await shot("01-sign-in-ja");
    },
  ],

  [
    "a wrong password shows the remaining attempts",
    async () => {
      await page.getByLabel("パスワード").fill("wrong password");
      await tid("signin-submit").click();
      await expectText("signin-error", /あと4回/);
      if (mode === "server") {
        assert(
          serverLog.some((line) => /^POST \/auth\/sign-in 401 /.test(line)),
          "the server logged no refused sign-in",
        );
      }
      await shot("02-wrong-password");
    },
  ],

  [
    "the right password leads to the TOTP challenge, and the code signs in",
    async () => {
      await page.getByLabel("パスワード").fill("sakura-mochi-2026");
      await tid("signin-submit").click();
      await tid("screen-mfa").waitFor();
      await expectLanguage("ja");
      await expectLabelled();
      await shot("03-mfa-challenge");
      const code = (await tid("helper-code").textContent()).trim();
      await page.getByLabel("確認コード").fill(code);
      await tid("mfa-submit").click();
      await expectText("home-user", /^山田花子$/); // the display name, not the email
      await shot("04-home-ja");
    },
  ],

  [
    "the history says what happened in words: 成功, 失敗, パスワード, TOTP",
    async () => {
      await expectText("history", /成功/);
      await expectText("history", /失敗/);
      await expectText("history", /パスワード/);
      await expectText("history", /TOTP/);
      await expectText("history", /Chrome \/ Linux/);
      assert(
        !/\b(success|failure|totp)\b/.test(await tid("history").textContent()),
        "raw codes in the history",
      );
      await expectLanguage("ja");
      await expectLabelled();
    },
  ],

  [
    "the last-login privacy toggle hides the time",
    async () => {
      await page.getByLabel("最終ログイン日時をほかのユーザーに表示する").click();
      await expectText("privacy-state", /非表示/);
      await shot("05-privacy-hidden");
    },
  ],

  [
    "another user's last login: the seller's shows a time, the own line follows the toggle",
    async () => {
      const at = /^最終ログイン：\d{4}\/\d{2}\/\d{2} \d{1,2}:\d{2}$/;
      await expectText("seller-last-login", at);
      await expectText("own-last-login", /^非公開$/); // hidden by the step before
      await page.getByLabel("最終ログイン日時をほかのユーザーに表示する").click();
      await expectText("own-last-login", at);
      await page.getByLabel("最終ログイン日時をほかのユーザーに表示する").click();
      await expectText("own-last-login", /^非公開$/);
      await expectText("privacy-state", /非表示/);
      await expectText("seller-last-login", at);
      await expectLanguage("ja");
      await shot("05b-last-logins");
    },
  ],

  [
    "switching to English redraws the home screen in English only",
    async () => {
      await tid("lang-en").click();
      await expectText("screen-home", /Welcome, 山田花子/);
      await expectText("history", /Succeeded/);
      await expectText("history", /Failed/);
      await expectText("history", /Password/);
      await expectText("history", /TOTP/);
      await expectText("privacy-state", /Hidden/);
      await expectLanguage("en");
      assert((await tid("lang-en").getAttribute("aria-pressed")) === "true", "English is not pressed");
      await shot("06-home-en");
    },
  ],

  [
    "the language is remembered across a reload",
    async () => {
      await page.reload({ waitUntil: "load" });
      assert(await tid("screen-signin").isVisible(), "no sign-in screen right after load");
      await tid("helper-code").waitFor({ timeout: 15_000 });
      await expectText("screen-signin", /^Sign in$/);
      assert((await page.title()) === "tegata demo", `title: ${await page.title()}`);
      await expectLanguage("en");
      await expectLabelled();
      await page.getByLabel("Email").waitFor();
      await shot("07-sign-in-en");
    },
  ],

  [
    "sign-up in English, then in Japanese: what was typed stays, the issues change language",
    async () => {
      await tid("goto-signup").click();
      await tid("screen-signup").waitFor();
      await tid("signup-email").fill("new.user@example.jp");
      await tid("signup-password").fill("password");
      await expectText("signup-issues", /too common/);
      await expectLanguage("en");
      await expectLabelled();
      await shot("08-sign-up-en");
      await tid("lang-ja").click();
      await expectText("screen-signup", /アカウントを作成/);
      assert((await tid("signup-password").inputValue()) === "password", "the password was lost");
      await expectText("signup-issues", /よく使われる/);
      await expectLanguage("ja");
      await shot("09-sign-up-weak-ja");
      await tid("signup-submit").click();
      await expectText("signup-error", /よく使われる/);
    },
  ],

  [
    "a strong password signs up; without a name the greeting uses the email",
    async () => {
      await tid("signup-password").fill("a calm purple lighthouse");
      const issues = await tid("signup-issues").textContent();
      assert(issues.trim() === "", `unexpected issues: ${issues}`);
      await shot("10-sign-up-strong");
      await tid("signup-submit").click();
      await expectText("home-user", /^new\.user@example\.jp$/);
      await expectText("flash", /登録が完了しました/);
    },
  ],

  [
    "TOTP enrollment shows a QR code and activation returns recovery codes",
    async () => {
      await tid("goto-enroll").click();
      await tid("screen-enroll").waitFor();
      await page.locator('[data-testid="enroll-qr"] svg').waitFor();
      await expectLabelled();
      await expectLanguage("ja");
      await shot("11-enroll-qr");
      await tid("enroll-input").fill((await tid("enroll-code").textContent()).trim());
      await tid("enroll-submit").click();
      await expectText("recovery-codes", /[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}/);
      await shot("12-recovery-codes");
    },
  ],

  [
    "退会: the password deletes the account after a confirmation, and signs out",
    async () => {
      await page.locator("#home").click();
      await tid("goto-delete").click();
      await tid("screen-delete").waitFor();
      await expectLanguage("ja");
      await expectLabelled();
      assert(await tid("delete-submit").isDisabled(), "deletion possible before the confirmation");
      await tid("delete-password").fill("not my password");
      await tid("delete-confirm").check();
      await tid("delete-submit").click();
      await expectText("delete-error", /あと4回/);
      await tid("delete-password").fill("a calm purple lighthouse");
      await tid("delete-confirm").check();
      await shot("12b-delete-confirm");
      await tid("delete-submit").click();
      await tid("screen-signin").waitFor();
      await expectText("signin-notice", /退会しました/);
      await shot("12c-deleted");
    },
  ],

  [
    "signing up again with the deleted account's address shows the blocked message",
    async () => {
      await tid("goto-signup").click();
      await tid("signup-email").fill("new.user@example.jp");
      await tid("signup-password").fill("a calm purple lighthouse");
      await tid("signup-submit").click();
      await expectText("signup-error", /退会済みのため、あと30日間は登録できません/);
      await expectLanguage("ja");
      await shot("12d-email-blocked");
    },
  ],

  [
    "sign in with Google through the mock OAuth server",
    async () => {
      await page.goto(base, { waitUntil: "load" });
      assert(await tid("screen-signin").isVisible(), "no sign-in screen right after load");
      await tid("oauth-google").click();
      await expectText("home-user", /山田花子/);
      await expectText("flash", /Google でログインしました/);
      await expectLanguage("ja");
      await shot("13-google");
    },
    SOCIAL,
  ],

  [
    "the Google sign-in reached the server: a new account, Google in its Linked accounts",
    async () => {
      // Her Google address is not the one she registered with: a new account, Google only.
      await expectText("screen-home", /ようこそ/);
      assert(
        (await bodyText()).includes("yamada.hanako@gmail.com でログインしています"),
        "not signed in as the Google address",
      );
      await expectText("identities", /Google\s+yamada\.hanako@gmail\.com\s+連携日：/);
      await expectText("history", /Google/); // recorded by the server, method "google"
      await expectLanguage("ja");
      await expectLabelled();
    },
    SOCIAL,
  ],

  [
    "unlinking the only way to sign in (a Google-only account) is refused",
    async () => {
      await tid("unlink-google").click();
      await expectText("identities-error", /ログイン方法はこの連携だけのため、解除できません/);
      await expectText("identities", /yamada\.hanako@gmail\.com/);
      await shot("13b-unlink-refused");
    },
    SOCIAL,
  ],

  [
    "the Google sign-in appears in the login history, in words",
    async () => {
      await expectText("history", /Google/);
      await tid("signout").click();
      await tid("screen-signin").waitFor();
      await page.getByLabel("パスワード").fill("sakura-mochi-2026");
      await tid("signin-submit").click();
      await tid("screen-mfa").waitFor();
      await page.getByLabel("リカバリーコード").fill(recovery[0]);
      await tid("mfa-recovery-submit").click();
      await expectText("history", /リカバリーコード/);
      await shot("14-history");
    },
    SOCIAL,
  ],

  [
    "Hanako signs in again with a recovery code from the seeding; the history says リカバリーコード",
    async () => {
      await page.goto(base, { waitUntil: "load" }); // from the sign-up screen of the step before
      await page.getByLabel("パスワード").fill("sakura-mochi-2026");
      await tid("signin-submit").click();
      await tid("screen-mfa").waitFor();
      await page.getByLabel("リカバリーコード").fill(recovery[0]);
      await tid("mfa-recovery-submit").click();
      await expectText("home-user", /^山田花子$/);
      await expectText("history", /リカバリーコード/);
      await shot("14-history");
    },
    "server",
  ],

  [
    "sign out of the other sessions",
    async () => {
      await tid("signout-others").click();
      await expectText("flash", /ほかの端末からログアウトしました/);
      const items = await tid("sessions").locator("li").count();
      assert(items === 1, `${items} sessions left`);
      await shot("15-signed-out-others");
    },
  ],

  [
    "linking the Google account another account holds is refused",
    async () => {
      await tid("link-google").click();
      await tid("screen-link").waitFor();
      await expectText("screen-link", /Google アカウントの連携/);
      await expectLanguage("ja");
      await expectLabelled();
      await shot("16-link-reauth");
      await tid("link-password").fill("sakura-mochi-2026");
      await tid("link-submit").click();
      await expectText("identities-error", /この Google アカウントは、ほかのアカウントと連携しています/);
    },
    SOCIAL,
  ],

  [
    "the Google-only account deletes itself without a password, just after signing in",
    async () => {
      await tid("signout").click();
      await tid("oauth-google").click();
      await expectText("flash", /Google でログインしました/);
      await tid("goto-delete").click();
      await tid("screen-delete").waitFor();
      await tid("delete-confirm").check();
      await tid("delete-submit").click();
      await expectText("signin-notice", /退会しました/);
    },
    SOCIAL,
  ],

  [
    "Hanako links Google after re-entering her password; the panel lists it",
    async () => {
      await page.getByLabel("パスワード").fill("sakura-mochi-2026");
      await tid("signin-submit").click();
      await tid("screen-mfa").waitFor();
      await page.getByLabel("確認コード").fill((await tid("helper-code").textContent()).trim());
      await tid("mfa-submit").click();
      await expectText("home-user", /^山田花子$/);
      await expectText("identities", /連携中のアカウントはありません/);
      await tid("link-google").click();
      await tid("link-password").fill("sakura-mochi-2026");
      await tid("link-submit").click();
      await expectText("flash", /Google と連携しました/);
      await expectText("identities", /Google\s+yamada\.hanako@gmail\.com/);
      await shot("17-linked");
    },
    SOCIAL,
  ],

  [
    "Google now signs in Hanako's account, and asks for her second factor",
    async () => {
      await tid("signout").click();
      await tid("oauth-google").click();
      await tid("screen-mfa").waitFor();
      await page.getByLabel("リカバリーコード").fill(recovery[1]);
      await tid("mfa-recovery-submit").click();
      await expectText("home-user", /^山田花子$/);
      await expectText("flash", /Google でログインしました/);
      assert((await bodyText()).includes("hanako@example.jp でログインしています"), "not Hanako's account");
    },
    SOCIAL,
  ],

  [
    "unlinking Google from an account with a password succeeds",
    async () => {
      await tid("unlink-google").click();
      await expectText("flash", /Google との連携を解除しました/);
      await expectText("identities", /連携中のアカウントはありません/);
      await expectLanguage("ja");
      await shot("18-unlinked");
    },
    SOCIAL,
  ],

  [
    "the server restarts on the same SQLite file: the page stays signed in, the history is kept",
    async () => {
      await demo.restart();
      // Every call of the home screen with the access token issued before the restart: the
      // signing keys are in the database, sealed with the same secret.
      await page.getByLabel("最終ログイン日時をほかのユーザーに表示する").click();
      await expectText("privacy-state", /^表示中：\d{4}\/\d{2}\/\d{2}/);
      await expectText("home-user", /^山田花子$/);
      await expectText("history", /失敗/);
      await expectText("history", /TOTP/);
      await expectText("sessions", /Chrome \/ Linux/);
      await shot("19-after-restart");
    },
    "server",
  ],

  [
    "sign out; the recovery code used before is refused, the next one signs in",
    async () => {
      await tid("signout").click();
      await tid("screen-signin").waitFor();
      await page.getByLabel("パスワード").fill("sakura-mochi-2026");
      await tid("signin-submit").click();
      await tid("screen-mfa").waitFor();
      await page.getByLabel("リカバリーコード").fill(recovery[0]);
      await tid("mfa-recovery-submit").click();
      await expectText("mfa-error", /確認コードが正しくありません/);
      await shot("20-recovery-code-reused");
      await page.getByLabel("リカバリーコード").fill(recovery[1]);
      await tid("mfa-recovery-submit").click();
      await expectText("home-user", /^山田花子$/);
      await tid("signout").click();
      await tid("screen-signin").waitFor();
    },
    "server",
  ],

  [
    "a password reset for Taro: asked for on the sign-in screen, its mail in the dev mailbox",
    async () => {
      if (await tid("signout").isVisible()) await tid("signout").click();
      await tid("goto-forgot").click();
      await tid("screen-forgot").waitFor();
      await tid("forgot-email").fill("taro@example.jp");
      await expectLanguage("ja");
      await expectLabelled();
      await tid("forgot-submit").click();
      await expectText("forgot-notice", /taro@example\.jp が登録済みであれば/);
      await shot("21-forgot-password");
      await tid("goto-mailbox").click(); // the header's 「メールボックス（開発用）」
      await tid("screen-mailbox").waitFor();
      await expectText("mailbox-source", mode === "server" ? /server-mode\.mjs/ : /outbox/);
      // A real server hands the mail to its mailer just after answering: the list shows it then.
      const mail = page.locator('[data-testid="mail"][data-kind="password_reset"]').first();
      await mail.waitFor({ timeout: 10_000 });
      await expectText("mailbox", /パスワードの再設定\s*パスワード再設定 · 宛先：taro@example\.jp · 送信：/);
      await expectLanguage("ja");
      await shot("22-mailbox");
      await mail.locator("button.mail-head").click();
      await expectText("mail-view", /パスワード再設定のお申し込みを受け付けました/);
      const href = await tid("mail-link").first().getAttribute("href");
      assert(href?.startsWith(`${base}/reset-password?token=`), `the reset link: ${href}`);
      await shot("23-mail-reset");
    },
  ],

  [
    "the reset mail's link opens the app's reset page; the new password signs Taro in, the old one not",
    async () => {
      await tid("mail-link").first().click();
      await tid("screen-reset").waitFor();
      assert(!page.url().includes("token="), `the token in the address bar: ${page.url()}`);
      await expectLanguage("ja");
      await expectLabelled();
      await tid("reset-password").fill("password");
      await expectText("reset-issues", /よく使われる/);
      await tid("reset-password").fill("a lantern by the kamo river");
      await shot("24-reset-password");
      await tid("reset-submit").click();
      await tid("screen-signin").waitFor();
      await expectText("signin-notice", /パスワードを再設定しました/);
      assert((await page.getByLabel("メールアドレス").inputValue()) === "taro@example.jp", "the address");
      await page.getByLabel("パスワード").fill("correct horse battery");
      await tid("signin-submit").click();
      await expectText("signin-error", /正しくありません/);
      await page.getByLabel("パスワード").fill("a lantern by the kamo river");
      await tid("signin-submit").click();
      await expectText("home-user", /^Taro$/);
      await shot("25-signed-in-after-reset");
    },
  ],

  [
    "the reset link works once",
    async () => {
      await tid("goto-mailbox").click();
      const mail = page.locator('[data-testid="mail"][data-kind="password_reset"]').first();
      await mail.locator("button.mail-head").click();
      await tid("mail-link").first().click();
      await tid("reset-password").fill("another lantern by the kamo river");
      await tid("reset-submit").click();
      await expectText("reset-error", /このリンクは無効か、有効期限が切れているか、すでに使われています/);
      await tid("goto-mailbox").click();
      await tid("screen-mailbox").waitFor();
      await page.getByRole("button", { name: "戻る", exact: true }).click(); // back where the mailbox was opened
      await tid("screen-reset").waitFor();
      await page.getByRole("button", { name: "ログイン画面に戻る" }).click();
      await page.getByLabel("パスワード").fill("a lantern by the kamo river");
      await tid("signin-submit").click();
      await expectText("home-user", /^Taro$/);
    },
  ],

  [
    "Taro changes his address: a notice to the old one, the new one's link confirms it",
    async () => {
      await tid("new-email").fill("taro.new@example.jp");
      await tid("email-change-password").fill("a lantern by the kamo river");
      await tid("email-change-submit").click();
      await expectText("flash", /taro\.new@example\.jp に確認のメールを送りました/);
      await tid("goto-mailbox").click();
      const confirm = page.locator('[data-testid="mail"][data-kind="email_change"]').first();
      const notice = page.locator('[data-testid="mail"][data-kind="email_change_notice"]').first();
      await confirm.waitFor({ timeout: 10_000 });
      await notice.waitFor({ timeout: 10_000 });
      // Newest first: the email change's mails above the reset's.
      const kinds = await page
        .locator('[data-testid="mail"]')
        .evaluateAll((items) => items.map((i) => i.dataset.kind));
      assert(
        kinds.indexOf("email_change") < kinds.indexOf("password_reset") &&
          kinds.indexOf("email_change_notice") < kinds.indexOf("password_reset"),
        `the list: ${kinds.join(", ")}`,
      );
      // The notice to the old address, shown as any mail is: subject, recipient, time, text.
      await notice.locator("button.mail-head").click();
      await expectText("mail-view", /taro\.new@example\.jp に変更するお申し込みがありました/);
      assert(/宛先：taro@example\.jp · 送信：/.test(await notice.textContent()), "the notice's recipient");
      await shot("26-mail-notice");
      await confirm.locator("button.mail-head").click();
      assert(/宛先：taro\.new@example\.jp/.test(await confirm.textContent()), "the confirmation's recipient");
      await tid("mail-link").first().click();
      await tid("screen-confirm-email").waitFor();
      await expectLanguage("ja");
      await shot("27-confirm-email");
      await tid("confirm-email-submit").click();
      await expectText("flash", /メールアドレスを taro\.new@example\.jp に変更しました/);
      assert((await bodyText()).includes("taro.new@example.jp でログインしています"), "the new address");
      await shot("28-email-changed");
    },
  ],

  [
    "a reset link loaded as a page of its own (as from a mail app) works; the token leaves the address bar",
    async () => {
      await tid("signout").click();
      await tid("goto-forgot").click();
      await tid("forgot-email").fill("taro.new@example.jp");
      await tid("forgot-submit").click();
      await tid("forgot-mailbox").click();
      const mail = page.locator('[data-testid="mail"][data-kind="password_reset"]').first();
      await expectText("mailbox", /パスワードの再設定\s*パスワード再設定 · 宛先：taro\.new@example\.jp/);
      await mail.locator("button.mail-head").click();
      const href = await tid("mail-link").first().getAttribute("href");
      await page.goto(href, { waitUntil: "load" });
      await tid("screen-reset").waitFor();
      assert(page.url() === `${base}/`, `the address bar: ${page.url()}`);
      await tid("reset-password").fill("a paper boat on the kamo river");
      await tid("reset-submit").click();
      await expectText("signin-notice", /パスワードを再設定しました/);
      await page.getByLabel("メールアドレス").fill("taro.new@example.jp");
      await page.getByLabel("パスワード").fill("a paper boat on the kamo river");
      await tid("signin-submit").click();
      await expectText("home-user", /^Taro$/);
    },
    "server",
  ],

  [
    "a passkey on a page opened by IP address: the browser refuses, the page says why",
    async () => {
      await tid("passkey-add").click();
      await expectText("passkeys-error", /IP アドレスのページではパスキーを使えません/);
      await expectText("passkeys", /登録済みのパスキーはありません/);
    },
  ],

  [
    "passkeys on localhost (Chromium's virtual authenticator): the seller registers one, the panel lists it",
    async () => {
      await page.goto(`${localBase}/`, { waitUntil: "load" });
      await tid("helper-code").waitFor({ timeout: 15_000 }); // the worker is up (msw)
      // The authenticator of this page: a platform one (fingerprint) that verifies the user at once.
      cdp = await page.context().newCDPSession(page);
      await cdp.send("WebAuthn.enable");
      ({ authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
        options: {
          protocol: "ctap2",
          transport: "internal",
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
          automaticPresenceSimulation: true,
        },
      }));
      await page.getByLabel("メールアドレス").fill("sakura@example.jp");
      await page.getByLabel("パスワード").fill("yozakura no shita de 2026");
      await tid("signin-submit").click();
      await expectText("home-user", /^Sakura$/);
      await expectText("passkeys", /登録済みのパスキーはありません/);
      await tid("passkey-add").click();
      await expectText("flash", /パスキー「Chrome \/ Linux」を登録しました/);
      await expectText("passkeys", /Chrome \/ Linux\s*登録日：\d{4}\/\d{2}\/\d{2}/);
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      assert(credentials.length === 1, `${credentials.length} credentials on the authenticator`);
      assert(credentials[0].rpId === "localhost", `RP ID ${credentials[0].rpId}`);
      assert(credentials[0].isResidentCredential, "not a discoverable credential");
      await tid("passkey-rename").click();
      await expectLabelled();
      await tid("passkey-name").fill("仕事用 PC");
      await tid("passkey-save").click();
      await expectText("flash", /パスキーの名前を「仕事用 PC」に変更しました/);
      await expectText("passkeys", /^\s*仕事用 PC/);
      await expectLanguage("ja");
      await shot("29-passkey-registered");
    },
  ],

  [
    "sign out; the passkey signs in without an email or a password, the history says パスキー",
    async () => {
      await tid("signout").click();
      await tid("screen-signin").waitFor();
      await tid("signin-passkey").click();
      await expectText("home-user", /^Sakura$/);
      await expectText("flash", /パスキーでログインしました/);
      await expectText("history", /パスキー\s*成功/);
      await expectText("passkeys", /最終利用：/);
      assert(!/\bpasskey\b/.test(await tid("history").textContent()), "a raw method in the history");
      if (mode === "server") {
        assert(
          serverLog.some((line) => /^POST \/auth\/passkeys\/sign-in 200 /.test(line)),
          "the server logged no passkey sign-in",
        );
      }
      await tid("lang-en").click();
      await expectText("history", /Passkey\s*Succeeded/);
      await expectText("passkeys", /Last used/);
      await expectLanguage("en");
      await shot("30-passkey-signed-in-en");
      await tid("lang-ja").click();
    },
  ],

  [
    "removing the passkey: the list is empty, and the key left on the device signs in no more",
    async () => {
      await tid("passkey-remove").click();
      await expectText("flash", /パスキー「仕事用 PC」を削除しました/);
      await expectText("passkeys", /登録済みのパスキーはありません/);
      await tid("signout").click();
      await tid("signin-passkey").click();
      await expectText("signin-error", /このパスキーではログインできません/);
      // The user does not verify (no fingerprint): the browser's NotAllowedError, a cancellation.
      await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: false });
      await tid("signin-passkey").click();
      await expectText("signin-error", /パスキーの操作はキャンセルされました/);
      await expectLanguage("ja");
      await shot("31-passkey-removed");
      await cdp.detach();
    },
  ],

  [
    "no uncaught errors in the page",
    async () => {
      assert(consoleErrors.length === 0, consoleErrors.join("\n"));
    },
  ],
];

/** A free port of 127.0.0.1 (the server pass's app: the server must know its origin first). */
const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

const VITE_KEYS = [
  "VITE_TEGATA_SERVER",
  "VITE_TEGATA_DEMO_TOTP_SECRET",
  "VITE_TEGATA_DEMO_SELLER_ID",
  "VITE_TEGATA_DEV_MAILBOX",
];

async function runPass(which) {
  mode = which;
  const passStarted = Date.now();
  const failedBefore = failed;
  shots = which === "server" ? `${shotsRoot}server/` : shotsRoot;
  mkdirSync(shots, { recursive: true });
  for (const old of readdirSync(shots)) if (old.startsWith("FAILED-")) rmSync(`${shots}${old}`); // of an earlier run
  consoleErrors = [];
  serverLog = [];
  demo = null;
  recovery = DEMO_RECOVERY;
  let appPort = 0;
  let outDir;
  let app;
  let context;
  try {
    if (which === "server") {
      // The app's origin first (the server allows it with --cors-origin), then the server, then
      // the build, which takes the server's URL (VITE_TEGATA_SERVER) and the seeding's results.
      appPort = await freePort();
      demo = await startDemoServer({
        // The mails' links lead to the first; the second, on localhost, runs the passkey steps.
        appOrigins: [`http://127.0.0.1:${appPort}`, `http://localhost:${appPort}`],
        log: (line) => serverLog.push(line),
      });
      recovery = demo.recoveryCodes;
      outDir = join(demo.folder, "web"); // removed with the database
    }
    for (const key of VITE_KEYS) {
      if (demo) process.env[key] = demo.viteEnv[key];
      else delete process.env[key];
    }
    const output = outDir ? { build: { outDir, emptyOutDir: true } } : {};
    await build({ configFile: config, logLevel: "warn", ...output });
    app = await preview({
      configFile: config,
      preview: { port: appPort, host: "127.0.0.1", strictPort: appPort !== 0 },
      ...output,
    });
    const address = app.httpServer.address();
    base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 4173}`;
    localBase = base.replace("127.0.0.1", "localhost");
    console.log(
      which === "server"
        ? `\n== server mode: ${base} against tegata/server at ${demo.url} (SQLite, seeded) ==`
        : `\n== msw mode: ${base}, tegata/mock in a service worker ==`,
    );
    context = await browser.newContext({
      viewport: { width: 900, height: 1000 },
      locale: "ja-JP",
      userAgent,
    });
    page = await context.newPage();
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    // What the page shows when its load event fires (before Playwright gets control back).
    await page.addInitScript(() => {
      addEventListener("load", () => {
        window.__atLoad = {
          screen: document.querySelector("[data-testid^='screen-']")?.getAttribute("data-testid") ?? null,
          text: document.body.textContent,
        };
      });
    });
    for (const [name, run, only] of STEPS) {
      if (only === undefined || only === which) await step(name, run);
      else if (which === "server") skip(name, SOCIAL_SKIPPED);
    }
  } catch (error) {
    failed++;
    console.log(`FAIL ${which} mode could not start: ${error?.stack ?? error}`);
  } finally {
    await context?.close().catch(() => {});
    if (app) await new Promise((resolve) => app.httpServer.close(resolve));
    await demo?.stop().catch(() => {});
  }
  if (which === "server" && failed > failedBefore) {
    console.log(`the server's log (last 30 lines):\n  ${serverLog.slice(-30).join("\n  ")}`);
  }
  console.log(`(${which} mode: ${((Date.now() - passStarted) / 1000).toFixed(1)} s)`);
}

try {
  for (const which of ["msw", "server"]) if (MODES.includes(which)) await runPass(which);
} finally {
  await browser.close().catch(() => {});
}

console.log(`screenshots: ${shotsRoot} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
