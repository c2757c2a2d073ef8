// End-to-end test of examples/web in a real browser: Vite builds and serves the app, Playwright
// (playwright-core) drives Debian's Chromium. Screenshots go to test-output/e2e/.
// Run: npm run test:e2e   (CHROMIUM_PATH overrides /usr/bin/chromium; Japanese text needs a
// Japanese font, such as Debian's fonts-ipafont-gothic)
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build, preview } from "vite";

const config = fileURLToPath(new URL("../../examples/web/vite.config.ts", import.meta.url));
const shots = fileURLToPath(new URL("../../test-output/e2e/", import.meta.url));
mkdirSync(shots, { recursive: true });
for (const old of readdirSync(shots)) if (old.startsWith("FAILED-")) rmSync(`${shots}${old}`); // of an earlier run

let passed = 0;
let failed = 0;
const started = Date.now();

await build({ configFile: config, logLevel: "warn" });
const server = await preview({
  configFile: config,
  preview: { port: 0, host: "127.0.0.1", strictPort: false },
});
const address = server.httpServer.address();
const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 4173}`;
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
const page = await browser.newPage({ viewport: { width: 900, height: 1000 }, locale: "ja-JP", userAgent });
const consoleErrors = [];
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

try {
  await step("the sign-in screen is drawn by the load event, in Japanese, with a favicon", async () => {
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
    await shot("01-sign-in-ja");
  });

  await step("a wrong password shows the remaining attempts", async () => {
    await page.getByLabel("パスワード").fill("wrong password");
    await tid("signin-submit").click();
    await expectText("signin-error", /あと4回/);
    await shot("02-wrong-password");
  });

  await step("the right password leads to the TOTP challenge, and the code signs in", async () => {
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
  });

  await step("the history says what happened in words: 成功, 失敗, パスワード, TOTP", async () => {
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
  });

  await step("the last-login privacy toggle hides the time", async () => {
    await page.getByLabel("最終ログイン日時をほかのユーザーに表示する").click();
    await expectText("privacy-state", /非表示/);
    await shot("05-privacy-hidden");
  });

  await step(
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
  );

  await step("switching to English redraws the home screen in English only", async () => {
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
  });

  await step("the language is remembered across a reload", async () => {
    await page.reload({ waitUntil: "load" });
    assert(await tid("screen-signin").isVisible(), "no sign-in screen right after load");
    await tid("helper-code").waitFor({ timeout: 15_000 });
    await expectText("screen-signin", /^Sign in$/);
    assert((await page.title()) === "tegata demo", `title: ${await page.title()}`);
    await expectLanguage("en");
    await expectLabelled();
    await page.getByLabel("Email").waitFor();
    await shot("07-sign-in-en");
  });

  await step(
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
  );

  await step("a strong password signs up; without a name the greeting uses the email", async () => {
    await tid("signup-password").fill("a calm purple lighthouse");
    const issues = await tid("signup-issues").textContent();
    assert(issues.trim() === "", `unexpected issues: ${issues}`);
    await shot("10-sign-up-strong");
    await tid("signup-submit").click();
    await expectText("home-user", /^new\.user@example\.jp$/);
    await expectText("flash", /登録が完了しました/);
  });

  await step("TOTP enrollment shows a QR code and activation returns recovery codes", async () => {
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
  });

  await step("退会: the password deletes the account after a confirmation, and signs out", async () => {
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
  });

  await step("signing up again with the deleted account's address shows the blocked message", async () => {
    await tid("goto-signup").click();
    await tid("signup-email").fill("new.user@example.jp");
    await tid("signup-password").fill("a calm purple lighthouse");
    await tid("signup-submit").click();
    await expectText("signup-error", /退会済みのため、あと30日間は登録できません/);
    await expectLanguage("ja");
    await shot("12d-email-blocked");
  });

  await step("sign in with Google through the mock OAuth server", async () => {
    await page.goto(base, { waitUntil: "load" });
    assert(await tid("screen-signin").isVisible(), "no sign-in screen right after load");
    await tid("oauth-google").click();
    await expectText("home-user", /山田花子/);
    await expectText("flash", /Google でログインしました/);
    await expectLanguage("ja");
    await shot("13-google");
  });

  await step(
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
  );

  await step("unlinking the only way to sign in (a Google-only account) is refused", async () => {
    await tid("unlink-google").click();
    await expectText("identities-error", /ログイン方法はこの連携だけのため、解除できません/);
    await expectText("identities", /yamada\.hanako@gmail\.com/);
    await shot("13b-unlink-refused");
  });

  await step("the Google sign-in appears in the login history, in words", async () => {
    await expectText("history", /Google/);
    await tid("signout").click();
    await tid("screen-signin").waitFor();
    await page.getByLabel("パスワード").fill("sakura-mochi-2026");
    await tid("signin-submit").click();
    await tid("screen-mfa").waitFor();
    await page.getByLabel("リカバリーコード").fill("kiri-tanpo-0001");
    await tid("mfa-recovery-submit").click();
    await expectText("history", /リカバリーコード/);
    await shot("14-history");
  });

  await step("sign out of the other sessions", async () => {
    await tid("signout-others").click();
    await expectText("flash", /ほかの端末からログアウトしました/);
    const items = await tid("sessions").locator("li").count();
    assert(items === 1, `${items} sessions left`);
    await shot("15-signed-out-others");
  });

  await step("linking the Google account another account holds is refused", async () => {
    await tid("link-google").click();
    await tid("screen-link").waitFor();
    await expectText("screen-link", /Google アカウントの連携/);
    await expectLanguage("ja");
    await expectLabelled();
    await shot("16-link-reauth");
    await tid("link-password").fill("sakura-mochi-2026");
    await tid("link-submit").click();
    await expectText("identities-error", /この Google アカウントは、ほかのアカウントと連携しています/);
  });

  await step("the Google-only account deletes itself without a password, just after signing in", async () => {
    await tid("signout").click();
    await tid("oauth-google").click();
    await expectText("flash", /Google でログインしました/);
    await tid("goto-delete").click();
    await tid("screen-delete").waitFor();
    await tid("delete-confirm").check();
    await tid("delete-submit").click();
    await expectText("signin-notice", /退会しました/);
  });

  await step("Hanako links Google after re-entering her password; the panel lists it", async () => {
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
  });

  await step("Google now signs in Hanako's account, and asks for her second factor", async () => {
    await tid("signout").click();
    await tid("oauth-google").click();
    await tid("screen-mfa").waitFor();
    await page.getByLabel("リカバリーコード").fill("kiri-tanpo-0002");
    await tid("mfa-recovery-submit").click();
    await expectText("home-user", /^山田花子$/);
    await expectText("flash", /Google でログインしました/);
    assert((await bodyText()).includes("hanako@example.jp でログインしています"), "not Hanako's account");
  });

  await step("unlinking Google from an account with a password succeeds", async () => {
    await tid("unlink-google").click();
    await expectText("flash", /Google との連携を解除しました/);
    await expectText("identities", /連携中のアカウントはありません/);
    await expectLanguage("ja");
    await shot("18-unlinked");
  });

  await step("no uncaught errors in the page", async () => {
    assert(consoleErrors.length === 0, consoleErrors.join("\n"));
  });
} finally {
  await browser.close().catch(() => {});
  await new Promise((resolve) => server.httpServer.close(resolve));
}

console.log(`screenshots: ${shots} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
