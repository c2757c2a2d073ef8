// End-to-end test of examples/web in a real browser: Vite builds and serves the app, Playwright
// (playwright-core) drives Debian's Chromium. Screenshots go to test-output/e2e/.
// Run: npm run test:e2e   (CHROMIUM_PATH overrides /usr/bin/chromium)
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build, preview } from "vite";

const config = fileURLToPath(new URL("../../examples/web/vite.config.ts", import.meta.url));
const shots = fileURLToPath(new URL("../../test-output/e2e/", import.meta.url));
mkdirSync(shots, { recursive: true });

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
const page = await browser.newPage({ viewport: { width: 900, height: 1000 }, locale: "ja-JP" });
const consoleErrors = [];
page.on("pageerror", (e) => consoleErrors.push(String(e)));

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
      .innerText({ timeout: Math.max(1, deadline - Date.now()) })
      .catch(() => "");
    if (pattern.test(text)) return;
    if (Date.now() > deadline) throw new Error(`${id}: ${JSON.stringify(text)} does not match ${pattern}`);
    await page.waitForTimeout(100);
  }
};

try {
  await step("the sign-in screen loads with the mock in a service worker", async () => {
    await page.goto(base);
    await tid("screen-signin").waitFor({ timeout: 15_000 });
    await tid("helper-code").waitFor();
    await shot("01-sign-in");
  });

  await step("a wrong password shows the remaining attempts", async () => {
    await page.fill("#password", "wrong password");
    await tid("signin-submit").click();
    await expectText("signin-error", /あと4回/);
    await shot("02-wrong-password");
  });

  await step("the right password leads to the TOTP challenge, and the code signs in", async () => {
    await page.fill("#password", "sakura-mochi-2026");
    await tid("signin-submit").click();
    await tid("screen-mfa").waitFor();
    await shot("03-mfa-challenge");
    const code = (await tid("helper-code").innerText()).trim();
    await tid("mfa-code").fill(code);
    await tid("mfa-submit").click();
    await expectText("home-user", /hanako@example\.jp/);
    await shot("04-home");
  });

  await step("the history table shows the attempts with device and method", async () => {
    await expectText("history", /totp/);
    await expectText("history", /failure/);
  });

  await step("the last-login privacy toggle hides the time", async () => {
    await tid("privacy-toggle").click();
    await expectText("privacy-state", /非表示/);
    await shot("05-privacy-hidden");
  });

  await step("sign-out, then sign-up: live policy feedback refuses a weak password", async () => {
    await tid("signout").click();
    await tid("goto-signup").click();
    await tid("screen-signup").waitFor();
    await tid("signup-email").fill("new.user@example.jp");
    await tid("signup-password").fill("password");
    await expectText("signup-issues", /よく使われる|文字以上/);
    await shot("06-sign-up-weak");
    await tid("signup-submit").click();
    await expectText("signup-error", /./);
  });

  await step("a strong password signs up", async () => {
    await tid("signup-password").fill("a calm purple lighthouse");
    const issues = await tid("signup-issues").innerText();
    if (issues.trim() !== "") throw new Error(`unexpected issues: ${issues}`);
    await shot("07-sign-up-strong");
    await tid("signup-submit").click();
    await expectText("home-user", /new\.user@example\.jp/);
  });

  await step("TOTP enrollment shows a QR code and activation returns recovery codes", async () => {
    await tid("goto-enroll").click();
    await tid("screen-enroll").waitFor();
    await page.locator('[data-testid="enroll-qr"] svg').waitFor();
    await shot("08-enroll-qr");
    await tid("enroll-input").fill((await tid("enroll-code").innerText()).trim());
    await tid("enroll-submit").click();
    await expectText("recovery-codes", /[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}/);
    await shot("09-recovery-codes");
  });

  await step("sign in with Google through the mock OAuth server", async () => {
    await page.goto(base);
    await tid("screen-signin").waitFor({ timeout: 15_000 });
    await tid("oauth-google").click();
    await expectText("home-user", /hanako@example\.jp/);
    await expectText("flash", /google/);
    await shot("10-google");
  });

  await step("the Google sign-in appears in the login history", async () => {
    await tid("signout").click();
    await tid("screen-signin").waitFor();
    await page.fill("#password", "sakura-mochi-2026");
    await tid("signin-submit").click();
    await tid("screen-mfa").waitFor();
    await tid("mfa-recovery").fill("kiri-tanpo-0001");
    await page.locator("#r button").click();
    await expectText("history", /google/);
    await expectText("history", /recovery_code/);
    await shot("11-history");
  });

  await step("sign out of the other sessions", async () => {
    await tid("signout-others").click();
    await expectText("flash", /他の端末からログアウトしました/);
    const items = await tid("sessions").locator("li").count();
    if (items !== 1) throw new Error(`${items} sessions left`);
    await shot("12-signed-out-others");
  });

  await step("no uncaught errors in the page", async () => {
    if (consoleErrors.length > 0) throw new Error(consoleErrors.join("\n"));
  });
} finally {
  await browser.close().catch(() => {});
  await new Promise((resolve) => server.httpServer.close(resolve));
}

console.log(`screenshots: ${shots} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
