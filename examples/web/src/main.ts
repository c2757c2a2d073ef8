import { createAuthClient, getSession, isTegataError, onAuthStateChange } from "tegata";
import { completeMfa, type MfaChallenge, signIn, signOut, signUp } from "tegata/credentials";
import {
  getPrivacySettings,
  listLoginHistory,
  listSessions,
  revokeOtherSessions,
  updatePrivacySettings,
} from "tegata/history";
import { apple, createAuthorizationUrl, google, handleRedirectCallback, yahooJapan } from "tegata/oauth";
import { describePolicy, loadCommonPasswords, presets, validatePassword } from "tegata/password";
import { activateTotp, enrollTotp, generateTotp } from "tegata/totp";
import { CALLBACK_PATH, DEMO, mock, startMock } from "./mock-setup";

const app = document.querySelector<HTMLElement>("#app") as HTMLElement;
const helper = document.querySelector<HTMLElement>("#helper") as HTMLElement;
const policy = presets.nist;
let auth = createAuthClient({ baseUrl: mock.baseUrl });

const esc = (s: unknown) =>
  String(s ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
const $ = <T extends HTMLElement = HTMLInputElement>(sel: string) => app.querySelector(sel) as T;

function errorText(error: unknown): string {
  if (isTegataError(error, "invalid_credentials")) {
    return `メールアドレスまたはパスワードが違います（あと${error.remainingAttempts ?? "?"}回）`;
  }
  if (isTegataError(error, "account_locked")) {
    return `ログインに連続して失敗したため、アカウントをロックしました。${Math.ceil((error.retryAfter ?? 0) / 60)}分後に再度お試しください。`;
  }
  if (isTegataError(error, "invalid_mfa_code")) return "確認コードが違います";
  if (isTegataError(error, "password_policy")) return error.issues.map((i) => i.message).join(" / ");
  if (isTegataError(error)) return `${error.code}: ${error.message}`;
  return String(error);
}

async function showHelper() {
  const code = await mock.totp(DEMO.mfa.email);
  helper.innerHTML = `<strong>Demo helper</strong> — users: <code>${DEMO.mfa.email}</code> / <code>${DEMO.mfa.password}</code> (with two-step verification), <code>${DEMO.plain.email}</code> / <code>${DEMO.plain.password}</code>.
    Current TOTP code of ${DEMO.mfa.email}: <code data-testid="helper-code">${code}</code>`;
}

// ---- screens -------------------------------------------------------------------------------

function signInScreen(message = "") {
  app.innerHTML = `<h2 data-testid="screen-signin">ログイン</h2>
    <form id="f"><label>メールアドレス<input id="email" type="email" autocomplete="username" value="${esc(DEMO.mfa.email)}"></label>
    <label>パスワード<input id="password" type="password" autocomplete="current-password"></label>
    <button data-testid="signin-submit">ログイン</button></form>
    <p class="error" data-testid="signin-error">${esc(message)}</p>
    <h3>ソーシャルログイン</h3>
    <button class="google" data-testid="oauth-google">Google でログイン</button>
    <button class="apple" data-testid="oauth-apple">Apple でサインイン</button>
    <button class="yahoo" data-testid="oauth-yahoo">Yahoo! JAPAN ID でログイン</button>
    <p><button class="secondary" data-testid="goto-signup">新規登録</button></p>`;
  $("#f").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const r = await signIn(auth, { email: $("#email").value, password: $("#password").value });
      if (r.status === "mfa_required") mfaScreen(r.challenge);
      else await homeScreen();
    } catch (error) {
      signInScreen(errorText(error));
    }
  });
  const redirectUri = `${location.origin}${CALLBACK_PATH}`;
  const social = {
    google: google({ clientId: "demo-web", redirectUri }),
    apple: apple({ clientId: "demo-web", redirectUri, scopes: ["openid"] }),
    yahoo: yahooJapan({ clientId: "demo-web", redirectUri }),
  };
  for (const [key, provider] of Object.entries(social)) {
    $(`[data-testid="oauth-${key}"]`).addEventListener("click", async () => {
      try {
        const url = await createAuthorizationUrl(auth, provider, { returnTo: "/" });
        // The mock provider auto-consents and redirects to our callback; the worker answers it.
        const res = await fetch(url);
        await handleRedirectCallback(auth, res.url);
        await homeScreen(`${key} でログインしました`);
      } catch (error) {
        signInScreen(errorText(error));
      }
    });
  }
  $('[data-testid="goto-signup"]').addEventListener("click", () => signUpScreen());
}

function mfaScreen(challenge: MfaChallenge, message = "") {
  app.innerHTML = `<h2 data-testid="screen-mfa">2段階認証</h2>
    <p>認証アプリに表示された6桁のコード、またはリカバリーコードを入力してください。</p>
    <form id="f"><label>確認コード<input id="code" inputmode="numeric" autocomplete="one-time-code" data-testid="mfa-code"></label>
    <button data-testid="mfa-submit">確認</button></form>
    <form id="r"><label>リカバリーコード<input id="recovery" data-testid="mfa-recovery"></label><button class="secondary">リカバリーコードで確認</button></form>
    <p class="error" data-testid="mfa-error">${esc(message)}</p>`;
  const done = async (p: Promise<unknown>) => {
    try {
      await p;
      await homeScreen();
    } catch (error) {
      mfaScreen(challenge, errorText(error));
    }
  };
  $("#f").addEventListener("submit", (e) => {
    e.preventDefault();
    void done(completeMfa(auth, { challenge, code: $("#code").value }));
  });
  $("#r").addEventListener("submit", (e) => {
    e.preventDefault();
    void done(completeMfa(auth, { challenge, recoveryCode: $("#recovery").value }));
  });
}

function signUpScreen() {
  app.innerHTML = `<h2 data-testid="screen-signup">新規登録</h2>
    <ul class="muted">${describePolicy(policy, "ja")
      .map((l) => `<li>${esc(l)}</li>`)
      .join("")}</ul>
    <form id="f"><label>メールアドレス<input id="email" type="email" data-testid="signup-email"></label>
    <label>パスワード<input id="password" type="password" data-testid="signup-password" autocomplete="new-password"></label>
    <meter id="strength" min="0" max="4" value="0" data-testid="signup-strength"></meter>
    <ul class="issues" id="issues" data-testid="signup-issues"></ul>
    <button data-testid="signup-submit">登録する</button></form>
    <p class="error" data-testid="signup-error"></p>
    <button class="secondary" id="back">ログインへ戻る</button>`;
  const live = () => {
    const r = validatePassword(policy, $("#password").value, { email: $("#email").value, locale: "ja" });
    ($("#strength") as unknown as HTMLMeterElement).value = r.strength;
    $("#issues").innerHTML = r.issues.map((i) => `<li data-code="${i.code}">${esc(i.message)}</li>`).join("");
  };
  $("#password").addEventListener("input", live);
  $("#email").addEventListener("input", live);
  // The blocklist arrives as a lazy chunk: validate again once it is there.
  void loadCommonPasswords().then(live);
  $("#f").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await signUp(auth, { email: $("#email").value, password: $("#password").value, policy });
      await homeScreen("登録しました");
    } catch (error) {
      $('[data-testid="signup-error"]').textContent = errorText(error); // keep what was typed
    }
  });
  $("#back").addEventListener("click", () => signInScreen());
}

async function homeScreen(flash = "") {
  const session = await getSession(auth);
  if (!session) return signInScreen();
  if (session.provider) {
    // A social sign-in holds the provider's tokens: they prove who the user is, but they are not
    // tokens of this service's API (a backend would verify the ID token and open its own session).
    app.innerHTML = `<h2 data-testid="screen-home">ようこそ、<span data-testid="home-user">${esc(session.user?.email)}</span> さん</h2>
      <p class="ok" data-testid="flash">${esc(flash)}</p>
      <p>${esc(session.provider.id)} のアカウント（${esc(session.user?.name ?? "")}）でログインしています。ID トークンは検証済みです。</p>
      <p class="muted">プロバイダーのトークンはこのサービスの API には使えないため、ログイン履歴はメールアドレスでログインすると表示されます（Google でのログインも記録されています）。</p>
      <button id="out" class="secondary" data-testid="signout">ログアウト</button>`;
    $("#out").addEventListener("click", async () => {
      await signOut(auth);
      signInScreen();
    });
    return;
  }
  const [history, sessions, privacy] = await Promise.all([
    listLoginHistory(auth, { limit: 10 }),
    listSessions(auth),
    getPrivacySettings(auth),
  ]);
  app.innerHTML = `<h2 data-testid="screen-home">ようこそ、<span data-testid="home-user">${esc(session.user?.email)}</span> さん</h2>
    <p class="ok" data-testid="flash">${esc(flash)}</p>
    <nav><button id="enroll" data-testid="goto-enroll">2段階認証を設定</button><button id="out" class="secondary" data-testid="signout">ログアウト</button></nav>
    <h3>ログイン履歴</h3>
    <table data-testid="history"><tr><th>日時</th><th>ブラウザ / OS</th><th>IP</th><th>方法</th><th>結果</th></tr>
    ${history.items.map((i) => `<tr data-method="${esc(i.method)}"><td>${esc(i.at.toLocaleString("ja-JP"))}${i.current ? " <strong>（この端末）</strong>" : ""}</td><td>${esc(i.device.browser)} / ${esc(i.device.os)}</td><td>${esc(i.ip)}</td><td>${esc(i.method)}</td><td>${esc(i.result)}</td></tr>`).join("")}</table>
    <h3>プライバシー</h3>
    <label><input type="checkbox" id="showLast" data-testid="privacy-toggle" style="width:auto" ${privacy.showLastLogin ? "checked" : ""}> 最終ログイン日時を他のユーザーに表示する</label>
    <p class="muted" data-testid="privacy-state">${privacy.showLastLogin ? `表示中: ${esc(privacy.lastLoginAt?.toLocaleString("ja-JP"))}` : "非表示"}</p>
    <h3>ログイン中の端末（${sessions.length}）</h3>
    <ul data-testid="sessions">${sessions.map((s) => `<li>${esc(s.device.browser)} / ${esc(s.device.os)} — ${esc(s.ip)}${s.current ? "（この端末）" : ""}</li>`).join("")}</ul>
    <button id="others" class="secondary" data-testid="signout-others">他の端末からログアウト</button>`;
  $("#enroll").addEventListener("click", () => void enrollScreen());
  $("#out").addEventListener("click", async () => {
    await signOut(auth);
    signInScreen();
  });
  $("#others").addEventListener("click", async () => {
    await revokeOtherSessions(auth);
    await homeScreen("他の端末からログアウトしました");
  });
  $("#showLast").addEventListener("change", async () => {
    await updatePrivacySettings(auth, { showLastLogin: $("#showLast").checked });
    await homeScreen();
  });
}

async function enrollScreen() {
  let enrollment: Awaited<ReturnType<typeof enrollTotp>>;
  try {
    enrollment = await enrollTotp(auth, { issuer: "tegata example" });
  } catch (error) {
    return homeScreen(errorText(error));
  }
  const code = await generateTotp(enrollment.secret, { time: mock.clock.now() });
  app.innerHTML = `<h2 data-testid="screen-enroll">2段階認証の設定</h2>
    <p>認証アプリでQRコードを読み取ってください。</p>
    <div class="qr" data-testid="enroll-qr">${enrollment.qrSvg ?? `<code>${esc(enrollment.uri)}</code>`}</div>
    <p class="muted">手入力用キー: <code>${esc(enrollment.secret)}</code></p>
    <p class="muted">Demo helper: the app would now show <code data-testid="enroll-code">${code}</code></p>
    <form id="f"><label>確認コード<input id="code" data-testid="enroll-input"></label><button data-testid="enroll-submit">有効にする</button></form>
    <div id="codes" data-testid="recovery-codes"></div>`;
  $("#f").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const { recoveryCodes } = await activateTotp(auth, {
        factorId: enrollment.factorId,
        code: $("#code").value,
      });
      $("#codes").innerHTML =
        `<h3 class="ok">有効になりました。リカバリーコードを保管してください</h3><ul>${recoveryCodes.map((c) => `<li><code>${c}</code></li>`).join("")}</ul><button id="home">戻る</button>`;
      $("#home").addEventListener("click", () => void homeScreen());
    } catch (error) {
      $("#codes").innerHTML = `<p class="error">${esc(errorText(error))}</p>`;
    }
  });
}

// ---- start ---------------------------------------------------------------------------------

await startMock();
// The mock lives in this page's memory, so the session does too (a reload starts afresh). A real
// app would pass storage: webStorage(sessionStorage) and transactionStorage for OAuth redirects.
auth = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
onAuthStateChange(auth, (event) => console.info("tegata:", event));
await showHelper();
setInterval(() => void showHelper(), 5000);
if (await getSession(auth)) await homeScreen();
else signInScreen();
