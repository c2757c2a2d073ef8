// End-to-end test of examples/web in a real browser: Vite builds and serves the app, Playwright
// (playwright-core) drives Debian's Chromium. Two passes:
// - msw: the app's default build, its auth server tegata/mock in a service worker (with mock
//   OpenID Providers). Screenshots in test-output/e2e/.
// - server: the build with VITE_TEGATA_SERVER, against a real `tegata serve` (the built CLI, a
//   child process) on an SQLite file, over HTTP and CORS, seeded by examples/web/server-mode.mjs.
//   The social sign-in steps are skipped there (tegata serve has no OpenID providers); the steps
//   only a real server can show are added (a restart on the same file, a recovery code used once).
//   Screenshots in test-output/e2e/server/.
// Run: npm run test:e2e   (it runs npm run build first when dist/ lacks the CLI; CHROMIUM_PATH
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

// The server pass runs the package's CLI and seeds through the package: both from dist/.
const built = ["dist/cli/index.js", "dist/index.js", "dist/credentials/index.js", "dist/totp/index.js"];
if (!built.every((file) => existsSync(`${root}${file}`))) {
  console.log("dist/ lacks the CLI: npm run build");
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
/** The server pass's tegata serve (startDemoServer), and its output. */
let demo = null;
let serverLog = [];
/** Hanako's recovery codes: the mock's, or the ones the seeding got from the server. */
let recovery = DEMO_RECOVERY;

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
// tegata serve has no option for createAuthServer's `providers`, and the mock providers live in the
// page's worker, out of a real server's reach (it fetches their JWKS itself).
const SOCIAL_SKIPPED = "tegata serve has no OpenID providers";
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
        await expectText("tagline", new RegExp(`${demo.url.replace(/\W/g, "\\$&")} の tegata serve`));
        assert((await tid("oauth-google").count()) === 0, "social sign-in offered against tegata serve");
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
          "tegata serve logged no refused sign-in",
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
    "tegata serve restarts on the same SQLite file: the page stays signed in, the history is kept",
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
    "no uncaught errors in the page",
    async () => {
      assert(consoleErrors.length === 0, consoleErrors.join("\n"));
    },
  ],
];

/** A free port of 127.0.0.1 (the server pass's app: tegata serve must know its origin first). */
const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

const VITE_KEYS = ["VITE_TEGATA_SERVER", "VITE_TEGATA_DEMO_TOTP_SECRET", "VITE_TEGATA_DEMO_SELLER_ID"];

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
        appOrigins: [`http://127.0.0.1:${appPort}`],
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
    console.log(
      which === "server"
        ? `\n== server mode: ${base} against tegata serve at ${demo.url} (SQLite, seeded) ==`
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
    console.log(`tegata serve's output (last 30 lines):\n  ${serverLog.slice(-30).join("\n  ")}`);
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
