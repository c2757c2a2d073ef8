import {
  type AuthClient,
  createAuthClient,
  getSession,
  isTegataError,
  onAuthStateChange,
  type Session,
} from "tegata";
import {
  completeMfa,
  confirmEmailChange,
  deleteAccount,
  getUser,
  type MfaChallenge,
  requestEmailChange,
  requestPasswordReset,
  resetPassword,
  signIn,
  signOut,
  signUp,
} from "tegata/credentials";
import {
  type Device,
  getLastLogin,
  getPrivacySettings,
  type LoginHistoryItem,
  listLoginHistory,
  listSessions,
  revokeOtherSessions,
  updatePrivacySettings,
} from "tegata/history";
import {
  apple,
  createAuthorizationUrl,
  google,
  handleRedirectCallback,
  type LinkedIdentity,
  linkIdentity,
  listIdentities,
  unlinkIdentity,
  yahooJapan,
} from "tegata/oauth";
import {
  listPasskeys,
  type Passkey,
  passkeysSupported,
  registerPasskey,
  removePasskey,
  renamePasskey,
  signInWithPasskey,
} from "tegata/passkeys";
import {
  definePasswordPolicy,
  describePolicy,
  loadCommonPasswords,
  type PasswordPolicy,
  presets,
  validatePassword,
} from "tegata/password";
import { revokeTokens } from "tegata/session";
import { activateTotp, enrollTotp, generateTotp, type TotpEnrollment } from "tegata/totp";
import { BASE_URL, type Backend, type DevMail, SERVER_URL, SOCIAL_SIGN_IN, startBackend } from "./backend";
import { CALLBACK_PATH, CLIENT_ID, DEMO } from "./demo";
import { currentLang, formatDate, type Lang, setLang, t } from "./i18n";

const header = document.querySelector("#top") as HTMLElement;
const app = document.querySelector("#app") as HTMLElement;
const helper = document.querySelector("#helper") as HTMLElement;

// The auth server: the mock in a service worker, or a real tegata server (./backend). The worker
// starts in the background: the page renders at once, and every request (tegata's through the
// client's fetch, the OAuth redirect below) waits until the worker answers.
let backend: Backend | undefined;
const ready = startBackend().then((started) => {
  backend = started;
});
const clientOptions = {
  baseUrl: BASE_URL,
  // The session is kept in this page's memory (a reload starts afresh, as the mock's data does). A
  // real app would pass storage: webStorage(sessionStorage) and transactionStorage for OAuth redirects.
  clock: { now: () => backend?.clock.now() ?? Date.now() },
  fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
    await ready;
    // The server writes its mails in the request's language: the page's, not the browser's.
    const request = new Request(input, init);
    request.headers.set("accept-language", currentLang() === "ja" ? "ja,en;q=0.5" : "en,ja;q=0.5");
    return fetch(request);
  },
};
const auth = createAuthClient(clientOptions);
onAuthStateChange(auth, (event) => console.info("tegata:", event));
// Linking a provider to the signed-in account runs the provider's step on a client of its own:
// handleRedirectCallback there validates the ID token and keeps the provider's tokens as that
// client's session, so the tegata session of `auth` stays as it is. Only the ID token and its
// nonce are used (linkIdentity on `auth`); the provider's tokens are revoked at once.
const linker = createAuthClient(clientOptions);

// presets.nist (the mock enforces the same rules; the real server, its default policy), with its
// messages in the page's language.
const policies: Record<Lang, PasswordPolicy> = {
  ja: definePasswordPolicy({ ...presets.nist.options, locale: "ja" }),
  en: presets.nist,
};

const esc = (s: unknown) =>
  String(s ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
const $ = <T extends HTMLElement = HTMLInputElement>(sel: string) => app.querySelector(sel) as T;

/** A message in whatever language the page shows when it is rendered. */
type Message = () => string;

const PROVIDERS = { google: "Google", apple: "Apple", yahoo_japan: "Yahoo! JAPAN" } as const;
type ProviderKey = keyof typeof PROVIDERS;
const providerName = (id: string) => PROVIDERS[id as ProviderKey] ?? id;
const testIds: Record<ProviderKey, string> = { google: "google", apple: "apple", yahoo_japan: "yahoo" };

// The same client ID as the server's `providers` option names (the ID tokens' audience).
const redirectUri = `${location.origin}${CALLBACK_PATH}`;
const social = {
  google: google({ clientId: CLIENT_ID, redirectUri }),
  apple: apple({ clientId: CLIENT_ID, redirectUri, scopes: ["openid"] }),
  yahoo_japan: yahooJapan({ clientId: CLIENT_ID, redirectUri }),
};

/**
 * The provider's round trip, ending on our redirect URI: the mock provider auto-consents and
 * redirects there, and the worker answers it, so a fetch follows it all (a real app would
 * location.assign(url) and read location.href on the callback page).
 */
async function viaProvider(client: AuthClient, key: ProviderKey, returnTo: string): Promise<string> {
  const url = await createAuthorizationUrl(client, social[key], { returnTo });
  await ready;
  return (await fetch(url)).url;
}

function errorMessage(error: unknown): Message {
  return () => {
    const x = t();
    if (isTegataError(error, "invalid_credentials"))
      return x.wrongPassword(String(error.remainingAttempts ?? "?"));
    if (isTegataError(error, "account_locked")) return x.locked(Math.ceil((error.retryAfter ?? 60) / 60));
    if (isTegataError(error, "invalid_mfa_code")) return x.wrongCode(String(error.remainingAttempts ?? "?"));
    if (isTegataError(error, "mfa_challenge_expired")) return x.challengeExpired;
    if (isTegataError(error, "password_policy")) return error.issues.map((i) => i.message).join(" / ");
    if (isTegataError(error, "email_taken")) return x.emailTaken;
    if (isTegataError(error, "invalid_token")) return x.invalidLink;
    if (isTegataError(error, "email_blocked")) {
      return x.emailBlocked(error.retryAfter === undefined ? null : Math.ceil(error.retryAfter / 86_400));
    }
    if (isTegataError(error, "last_sign_in_method")) return x.lastSignInMethod;
    if (isTegataError(error, "account_suspended")) return x.suspended;
    if (isTegataError(error, "invalid_request")) return x.invalidRequest;
    if (isTegataError(error, "network_error") || isTegataError(error, "timeout")) return x.network;
    if (isTegataError(error, "passkeys_unsupported")) return x.passkeysUnsupported;
    if (isTegataError(error, "passkey_cancelled")) return x.passkeyCancelled;
    if (isTegataError(error, "passkey_exists")) return x.passkeyExists;
    if (isTegataError(error, "invalid_passkey")) return x.invalidPasskey;
    if (isTegataError(error, "passkey_challenge_expired")) return x.passkeyExpired;
    if (isTegataError(error, "passkey_ceremony_failed")) {
      // SecurityError: the page's origin may not use the RP ID; browsers refuse IP-address hosts.
      if (error.reason === "SecurityError" && /^[\d.]+$|^\[/.test(location.hostname)) {
        return x.passkeyInsecureHost;
      }
      return x.otherError(`${error.code} (${error.reason})`);
    }
    if (isTegataError(error)) return x.otherError(error.code);
    return x.otherError(String(error));
  };
}

/** The name to greet: the user's display name, else the email. */
const displayName = (session: Session) => session.user?.name?.trim() || session.user?.email || "";

// ---- the page around the screens -----------------------------------------------------------

/** Redraws the current screen (on a language switch). */
let redraw: () => unknown = () => undefined;

function renderChrome() {
  const x = t();
  const lang = currentLang();
  document.documentElement.lang = lang;
  document.title = x.title;
  header.innerHTML = `<div><h1>tegata <small lang="ja">通行手形</small></h1><p class="muted" data-testid="tagline">${esc(SERVER_URL ? x.taglineServer(SERVER_URL) : x.tagline)}</p></div>
    <div class="top-actions">
      <button type="button" class="mailbox" data-testid="goto-mailbox">${esc(x.mailbox)}</button>
      <div class="lang" role="group" aria-label="${esc(x.language)}">
        <button type="button" lang="ja" data-testid="lang-ja" aria-pressed="${lang === "ja"}">日本語</button>
        <button type="button" lang="en" data-testid="lang-en" aria-pressed="${lang === "en"}">English</button>
      </div>
    </div>`;
  header.querySelector('[data-testid="goto-mailbox"]')?.addEventListener("click", () => openMailbox());
  for (const next of ["ja", "en"] as const) {
    header
      .querySelector(`[data-testid="lang-${next}"]`)
      ?.addEventListener("click", () => void switchLang(next));
  }
}

async function switchLang(next: Lang) {
  if (next === currentLang()) return;
  // Keep what was typed: the screen is drawn again in the other language.
  const typed = [...app.querySelectorAll<HTMLInputElement>("input[id]:not([type=checkbox])")].map((i) => [
    i.id,
    i.value,
  ]);
  setLang(next);
  renderChrome();
  void showHelper();
  await redraw();
  for (const [id, value] of typed) {
    const input = app.querySelector<HTMLInputElement>(`#${id}`);
    if (input && value) {
      input.value = value;
      input.dispatchEvent(new Event("input"));
    }
  }
}

let enrollCode = "";

async function showHelper() {
  const x = t();
  const code = await backend?.totp();
  helper.innerHTML = `<h2>${esc(x.helperTitle)}</h2>
    <p>${esc(x.helperUsers)}: <code>${DEMO.mfa.email}</code> / <code>${DEMO.mfa.password}</code> (${esc(x.helperWithMfa)}),
    <code>${DEMO.plain.email}</code> / <code>${DEMO.plain.password}</code></p>
    ${code ? `<p>${esc(x.helperCode(DEMO.mfa.email))}: <code data-testid="helper-code">${code}</code></p>` : ""}
    ${SOCIAL_SIGN_IN ? `<p>${esc(x.helperGoogle(DEMO.google.email))}</p>` : ""}
    ${enrollCode ? `<p>${esc(x.helperEnrollCode)}: <code data-testid="enroll-code">${enrollCode}</code></p>` : ""}`;
}

// ---- screens -------------------------------------------------------------------------------

function signInScreen(message?: Message, notice?: Message, email: string = DEMO.mfa.email) {
  redraw = () => signInScreen(message, notice, email);
  const x = t();
  app.innerHTML = `<h2 data-testid="screen-signin">${esc(x.signIn)}</h2>
    <form id="f">
      <label for="email">${esc(x.email)}</label>
      <input id="email" type="email" autocomplete="username" required value="${esc(email)}">
      <label for="password">${esc(x.password)}</label>
      <input id="password" type="password" autocomplete="current-password" required>
      <button data-testid="signin-submit">${esc(x.signIn)}</button>
    </form>
    <p><button type="button" class="link" data-testid="goto-forgot">${esc(x.forgotPassword)}</button></p>
    <p><button type="button" class="secondary" data-testid="signin-passkey">${esc(x.withPasskey)}</button></p>
    <p class="ok" role="status" data-testid="signin-notice">${esc(notice?.())}</p>
    <p class="error" role="alert" data-testid="signin-error">${esc(message?.())}</p>
    <h3>${esc(x.social)}</h3>
    ${
      SOCIAL_SIGN_IN
        ? `<div class="social">
      <button type="button" class="google" data-testid="oauth-google">${esc(x.withGoogle)}</button>
      <button type="button" class="apple" data-testid="oauth-apple">${esc(x.withApple)}</button>
      <button type="button" class="yahoo" data-testid="oauth-yahoo">${esc(x.withYahoo)}</button>
    </div>`
        : `<p class="muted" data-testid="social-unavailable">${esc(x.socialUnavailable)}</p>`
    }
    <p><button type="button" class="link" data-testid="goto-signup">${esc(x.toSignUp)}</button></p>`;
  $("#f").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const r = await signIn(auth, { email: $("#email").value, password: $("#password").value });
      if (r.status === "mfa_required") mfaScreen(r.challenge);
      else await homeScreen();
    } catch (error) {
      signInScreen(errorMessage(error), undefined, $("#email").value);
    }
  });
  $('[data-testid="goto-forgot"]').addEventListener("click", () => forgotScreen($("#email").value));
  $('[data-testid="signin-passkey"]').addEventListener("click", async () => {
    try {
      // No email asked: the browser offers the passkeys this device holds for the site. A passkey
      // is multi-factor: no TOTP code after it.
      await signInWithPasskey(auth);
      await homeScreen(() => t().signedInWithPasskey);
    } catch (error) {
      signInScreen(errorMessage(error), undefined, $("#email").value);
    }
  });
  for (const key of SOCIAL_SIGN_IN ? (Object.keys(social) as ProviderKey[]) : []) {
    $(`[data-testid="oauth-${testIds[key]}"]`).addEventListener("click", async () => {
      const done = () => t().signedInWith(PROVIDERS[key]);
      try {
        // The ID token goes to the tegata server, which verifies it and signs in the linked
        // account (or links one whose address both sides verified, or makes a new one): the
        // session is the server's, as after a password, second factor included.
        const result = await handleRedirectCallback(auth, await viaProvider(auth, key, "/"), {
          signInAtServer: true,
        });
        if (result.status === "mfa_required") mfaScreen(result.challenge, undefined, done);
        else await homeScreen(done);
      } catch (error) {
        signInScreen(
          isTegataError(error, "identity_conflict")
            ? () => t().identityConflict(PROVIDERS[key])
            : errorMessage(error),
        );
      }
    });
  }
  $('[data-testid="goto-signup"]').addEventListener("click", () => signUpScreen());
}

function mfaScreen(challenge: MfaChallenge, message?: Message, flash?: Message) {
  redraw = () => mfaScreen(challenge, message, flash);
  const x = t();
  app.innerHTML = `<h2 data-testid="screen-mfa">${esc(x.mfaTitle)}</h2>
    <p>${esc(x.mfaIntro)}</p>
    <form id="f">
      <label for="code">${esc(x.code)}</label>
      <input id="code" inputmode="numeric" autocomplete="one-time-code" maxlength="7" data-testid="mfa-code">
      <button data-testid="mfa-submit">${esc(x.verify)}</button>
    </form>
    <p class="error" role="alert" data-testid="mfa-error">${esc(message?.())}</p>
    <p class="muted">${esc(x.recoveryIntro)}</p>
    <form id="r">
      <label for="recovery">${esc(x.recoveryCode)}</label>
      <input id="recovery" autocomplete="off" data-testid="mfa-recovery">
      <button class="secondary" data-testid="mfa-recovery-submit">${esc(x.verifyRecovery)}</button>
    </form>`;
  const done = async (p: Promise<unknown>) => {
    try {
      await p;
      await homeScreen(flash);
    } catch (error) {
      if (isTegataError(error, "mfa_challenge_expired") || isTegataError(error, "account_locked")) {
        signInScreen(errorMessage(error));
      } else mfaScreen(challenge, errorMessage(error), flash);
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
  redraw = () => signUpScreen();
  const x = t();
  const lang = currentLang();
  const policy = policies[lang];
  app.innerHTML = `<h2 data-testid="screen-signup">${esc(x.signUpTitle)}</h2>
    <form id="f">
      <label for="name">${esc(x.name)}</label>
      <input id="name" autocomplete="name" data-testid="signup-name">
      <label for="email">${esc(x.email)}</label>
      <input id="email" type="email" autocomplete="username" required data-testid="signup-email">
      <label for="password">${esc(x.password)}</label>
      <input id="password" type="password" autocomplete="new-password" required aria-describedby="rules issues" data-testid="signup-password">
      <div class="rules muted" id="rules">${esc(x.rules)}<ul>${describePolicy(policy, lang)
        .map((rule) => `<li>${esc(rule)}</li>`)
        .join("")}</ul></div>
      <label for="strength">${esc(x.strength)}</label>
      <div class="strength"><meter id="strength" min="0" max="4" low="2" high="3" optimum="4" value="0" data-testid="signup-strength"></meter><span id="strength-text" class="muted"></span></div>
      <ul class="issues" id="issues" aria-live="polite" data-testid="signup-issues"></ul>
      <button data-testid="signup-submit">${esc(x.createAccount)}</button>
    </form>
    <p class="error" role="alert" data-testid="signup-error"></p>
    <button type="button" class="link" id="back">${esc(x.backToSignIn)}</button>`;
  const context = () => ({ email: $("#email").value, name: $("#name").value, locale: lang });
  const live = () => {
    const password = $("#password").value;
    const r = validatePassword(policy, password, context());
    ($("#strength") as unknown as HTMLMeterElement).value = password ? r.strength : 0;
    $("#strength-text").textContent = password ? (x.strengthLevels[r.strength] ?? "") : "";
    $("#issues").innerHTML = password
      ? r.issues.map((i) => `<li data-code="${i.code}">${esc(i.message)}</li>`).join("")
      : "";
  };
  for (const id of ["#password", "#email", "#name"]) $(id).addEventListener("input", live);
  // The blocklist arrives as a lazy chunk: validate again once it is there.
  void loadCommonPasswords().then(live);
  $("#f").addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = $("#name").value.trim();
    try {
      await signUp(auth, {
        email: $("#email").value,
        password: $("#password").value,
        ...(name ? { name } : {}),
        policy, // checked with the blocklist before anything is sent
      });
      await homeScreen(() => t().signedUp);
    } catch (error) {
      $('[data-testid="signup-error"]').textContent = errorMessage(error)(); // keep what was typed
    }
  });
  $("#back").addEventListener("click", () => signInScreen());
}

/** "Chrome / macOS", in the page's language when the user agent was not recognised. */
function deviceName(device: Device) {
  const name = (part: string) => (part === "Unknown" ? t().unknown : part);
  return `${name(device.browser)} / ${name(device.os)}`;
}

function historyRow(item: LoginHistoryItem) {
  const x = t();
  const place = item.location?.city ?? item.location?.country ?? "";
  return `<tr data-method="${esc(item.method)}" data-result="${esc(item.result)}">
    <td>${esc(formatDate(item.at))}${item.current ? `<strong>${esc(x.thisDevice)}</strong>` : ""}</td>
    <td>${esc(deviceName(item.device))}</td>
    <td>${esc(item.ip)}${place ? ` <span class="muted">${esc(place)}</span>` : ""}</td>
    <td>${esc(x.methods[item.method] ?? item.method)}</td>
    <td class="result-${esc(item.result)}">${esc(x.results[item.result] ?? item.result)}</td></tr>`;
}

/** A linked identity, with its unlink button. */
function identityRow(identity: LinkedIdentity) {
  const x = t();
  const testId = testIds[identity.provider as ProviderKey] ?? identity.provider;
  const used = identity.lastUsedAt ? ` · ${esc(x.lastUsed(formatDate(identity.lastUsedAt)))}` : "";
  return `<li data-provider="${esc(identity.provider)}"><strong>${esc(providerName(identity.provider))}</strong>
    ${identity.email ? `<span>${esc(identity.email)}</span>` : ""}
    <span class="muted">${esc(x.linkedOn(formatDate(identity.createdAt)))}${used}</span>
    <button type="button" class="secondary small" data-testid="unlink-${esc(testId)}" data-subject="${esc(identity.subject)}" data-provider="${esc(identity.provider)}">${esc(x.unlink)}</button></li>`;
}

/** A passkey, with its rename and remove buttons. */
function passkeyRow(passkey: Passkey) {
  const x = t();
  const used = passkey.lastUsedAt ? ` · ${esc(x.lastUsed(formatDate(passkey.lastUsedAt)))}` : "";
  const synced = passkey.backedUp ? ` · ${esc(x.passkeySynced)}` : "";
  return `<li data-passkey="${esc(passkey.id)}" data-testid="passkey"><strong>${esc(passkey.name)}</strong>
    <span class="muted">${esc(x.passkeyCreatedOn(formatDate(passkey.createdAt)))}${used}${synced}</span>
    <button type="button" class="secondary small rename" data-testid="passkey-rename">${esc(x.renamePasskey)}</button>
    <button type="button" class="secondary small remove" data-testid="passkey-remove">${esc(x.removePasskey)}</button></li>`;
}

/** The default name of a new passkey: this browser and system ("Chrome / Linux"). */
function deviceLabel() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrome\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Mac OS X/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return [browser, os].filter(Boolean).join(" / ") || undefined;
}

/** Another user's last sign-in as the server shows it to others: a time, or 非公開 when hidden. */
const lastLoginText = (at: Date | null) => (at ? t().lastLoginAt(formatDate(at)) : t().lastLoginPrivate);

async function homeScreen(flash?: Message, identitiesError?: Message, passkeysError?: Message) {
  const session = await getSession(auth);
  if (!session) return signInScreen();
  redraw = () => homeScreen(flash, identitiesError, passkeysError);
  const x = t();
  const who = displayName(session);
  const [history, sessions, privacy, identities, sellerLastLogin, ownLastLogin, passkeys] = await Promise.all(
    [
      listLoginHistory(auth, { limit: 10 }),
      listSessions(auth),
      getPrivacySettings(auth),
      listIdentities(auth),
      backend?.sellerId ? getLastLogin(auth, backend.sellerId) : null,
      // The user's own line, through the same call others make: the privacy toggle shows at once.
      session.user ? getLastLogin(auth, session.user.id) : null,
      listPasskeys(auth),
    ],
  );
  const linkable = (SOCIAL_SIGN_IN ? (Object.keys(social) as ProviderKey[]) : []).filter(
    (key) => !identities.some((i) => i.provider === key),
  );
  app.innerHTML = `<h2 data-testid="screen-home">${x.welcome(`<span data-testid="home-user">${esc(who)}</span>`)}</h2>
    <p class="muted">${esc(x.signedInAs(session.user?.email ?? ""))}</p>
    <p class="ok" role="status" data-testid="flash">${esc(flash?.())}</p>
    <nav><button type="button" id="enroll" data-testid="goto-enroll">${esc(x.setUpMfa)}</button><button type="button" id="out" class="secondary" data-testid="signout">${esc(x.signOut)}</button></nav>
    <h3>${esc(x.history)}</h3>
    <div class="scroll"><table data-testid="history">
      <thead><tr><th>${esc(x.when)}</th><th>${esc(x.device)}</th><th>${esc(x.ip)}</th><th>${esc(x.method)}</th><th>${esc(x.result)}</th></tr></thead>
      <tbody>${history.items.map(historyRow).join("")}</tbody>
    </table></div>
    <h3>${esc(x.privacy)}</h3>
    <div class="check"><input type="checkbox" id="show-last" data-testid="privacy-toggle" ${privacy.showLastLogin ? "checked" : ""}><label for="show-last">${esc(x.showLastLogin)}</label></div>
    <p class="muted" data-testid="privacy-state">${privacy.showLastLogin && privacy.lastLoginAt ? esc(x.lastLoginShown(formatDate(privacy.lastLoginAt))) : privacy.showLastLogin ? "" : esc(x.lastLoginHidden)}</p>
    <h3>${esc(x.seenByOthers)}</h3>
    <ul class="people">
      ${backend?.sellerId ? `<li><strong>${esc(x.seller(DEMO.seller.name))}</strong> <span data-testid="seller-last-login">${esc(lastLoginText(sellerLastLogin))}</span></li>` : ""}
      <li><strong>${esc(x.you(who))}</strong> <span data-testid="own-last-login">${esc(lastLoginText(ownLastLogin))}</span></li>
    </ul>
    <h3>${esc(x.linkedAccounts)}</h3>
    <ul class="identities" data-testid="identities">${identities.map(identityRow).join("") || `<li class="muted">${esc(x.noIdentities)}</li>`}</ul>
    <p class="error" role="alert" data-testid="identities-error">${esc(identitiesError?.())}</p>
    <div class="social">${linkable.map((key) => `<button type="button" class="${testIds[key]}" data-testid="link-${testIds[key]}" data-key="${key}">${esc(x.linkWith(PROVIDERS[key]))}</button>`).join("")}</div>
    <h3>${esc(x.passkeys)}</h3>
    <p class="muted">${esc(passkeysSupported() ? x.passkeysIntro : x.passkeysUnsupported)}</p>
    <ul class="identities passkeys" data-testid="passkeys">${passkeys.map(passkeyRow).join("") || `<li class="muted">${esc(x.noPasskeys)}</li>`}</ul>
    <p class="error" role="alert" data-testid="passkeys-error">${esc(passkeysError?.())}</p>
    <p><button type="button" data-testid="passkey-add">${esc(x.addPasskey)}</button></p>
    <h3>${esc(x.sessions(sessions.length))}</h3>
    <ul data-testid="sessions">${sessions.map((s) => `<li>${esc(deviceName(s.device))} — ${esc(s.ip)}${s.current ? esc(x.thisDevice) : ""}</li>`).join("")}</ul>
    <button type="button" id="others" class="secondary" data-testid="signout-others">${esc(x.signOutOthers)}</button>
    <h3>${esc(x.changeEmailTitle)}</h3>
    <form id="email-change">
      <label for="new-email">${esc(x.newEmail)}</label>
      <input id="new-email" type="email" autocomplete="email" required data-testid="new-email">
      <label for="email-change-password">${esc(x.currentPassword)}</label>
      <input id="email-change-password" type="password" autocomplete="current-password" required data-testid="email-change-password">
      <button class="secondary" data-testid="email-change-submit">${esc(x.changeEmailSubmit)}</button>
    </form>
    <p class="error" role="alert" data-testid="email-change-error"></p>
    <h3>${esc(x.deleteTitle)}</h3>
    <button type="button" class="danger" data-testid="goto-delete">${esc(x.deleteAccount)}</button>`;
  $("#enroll").addEventListener("click", () => void enrollScreen());
  $("#out").addEventListener("click", async () => {
    await signOut(auth);
    signInScreen();
  });
  $("#others").addEventListener("click", async () => {
    await revokeOtherSessions(auth);
    await homeScreen(() => t().signedOutOthers);
  });
  $("#show-last").addEventListener("change", async () => {
    await updatePrivacySettings(auth, { showLastLogin: $("#show-last").checked });
    await homeScreen();
  });
  for (const button of app.querySelectorAll<HTMLButtonElement>("[data-testid^='unlink-']")) {
    button.addEventListener("click", async () => {
      const provider = button.dataset.provider ?? "";
      try {
        await unlinkIdentity(auth, { provider, subject: button.dataset.subject ?? "" });
        await homeScreen(() => t().unlinked(providerName(provider)));
      } catch (error) {
        // LastSignInMethodError: the account has no password and no other identity.
        await homeScreen(undefined, errorMessage(error));
      }
    });
  }
  for (const button of app.querySelectorAll<HTMLButtonElement>("[data-testid^='link-']")) {
    button.addEventListener("click", () => void startLink(button.dataset.key as ProviderKey));
  }
  $('[data-testid="goto-delete"]').addEventListener("click", () => void deleteScreen());
  const passkeyFailed = (error: unknown) => homeScreen(undefined, undefined, errorMessage(error));
  $('[data-testid="passkey-add"]').addEventListener("click", async () => {
    try {
      // The browser asks for the fingerprint, face or PIN, and the authenticator makes the key.
      const passkey = await registerPasskey(auth, { name: deviceLabel() });
      await homeScreen(() => t().passkeyAdded(passkey.name));
    } catch (error) {
      await passkeyFailed(error);
    }
  });
  for (const item of app.querySelectorAll<HTMLLIElement>("li[data-passkey]")) {
    const id = item.dataset.passkey ?? "";
    const name = passkeys.find((p) => p.id === id)?.name ?? "";
    item.querySelector(".rename")?.addEventListener("click", () => {
      // The name becomes a field in place; Save sends it.
      item.innerHTML = `<form class="inline"><label for="passkey-name">${esc(t().passkeyName)}</label>
        <input id="passkey-name" maxlength="64" required value="${esc(name)}" data-testid="passkey-name">
        <button class="small" data-testid="passkey-save">${esc(t().savePasskeyName)}</button></form>`;
      const form = item.querySelector("form") as HTMLFormElement;
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        const next = (form.querySelector("input") as HTMLInputElement).value.trim();
        try {
          const renamed = await renamePasskey(auth, { id, name: next });
          await homeScreen(() => t().passkeyRenamed(renamed.name));
        } catch (error) {
          await passkeyFailed(error);
        }
      });
      (form.querySelector("input") as HTMLInputElement).focus();
    });
    item.querySelector(".remove")?.addEventListener("click", async () => {
      try {
        await removePasskey(auth, { id });
        await homeScreen(() => t().passkeyRemoved(name));
      } catch (error) {
        await passkeyFailed(error);
      }
    });
  }
  $("#email-change").addEventListener("submit", async (e) => {
    e.preventDefault();
    const newEmail = $("#new-email").value.trim();
    try {
      // The server mails a confirmation link to the new address (and a notice to the current one);
      // the address changes when the link is opened (/confirm-email, below).
      await requestEmailChange(auth, { newEmail, password: $("#email-change-password").value });
      await homeScreen(() => t().changeEmailSent(newEmail));
    } catch (error) {
      $('[data-testid="email-change-error"]').textContent = isTegataError(error, "invalid_credentials")
        ? t().wrongReauthPassword(String(error.remainingAttempts ?? "?"))
        : errorMessage(error)(); // keep what was typed
    }
  });
}

/** A provider's ID token, validated here, waiting for the user to confirm the link. */
interface PendingLink {
  key: ProviderKey;
  idToken: string;
  nonce: string;
  email: string;
  /** Whether to offer a second-factor code besides the password. */
  mfa: boolean;
}

async function startLink(key: ProviderKey) {
  let pending: PendingLink;
  try {
    // On `linker`, not `auth`: the tegata session stays signed in (see `linker` above).
    const result = await handleRedirectCallback(linker, await viaProvider(linker, key, "/"));
    const { idToken } = result.session;
    const nonce = result.claims?.nonce;
    await revokeTokens(linker).catch(() => false); // only the ID token was needed
    if (!idToken || typeof nonce !== "string") throw new Error("no ID token");
    const user = await getUser(auth);
    pending = {
      key,
      idToken,
      nonce,
      email: typeof result.claims?.email === "string" ? result.claims.email : "",
      mfa: user.mfaEnabled === true,
    };
  } catch (error) {
    return homeScreen(undefined, errorMessage(error));
  }
  linkScreen(pending);
}

/** Re-authentication fields: the password (when the account has one), or a second-factor code. */
function proofFields(prefix: string, mfa: boolean) {
  const x = t();
  return `<label for="${prefix}-password">${esc(x.passwordIfAny)}</label>
    <input id="${prefix}-password" type="password" autocomplete="current-password" data-testid="${prefix}-password">
    ${mfa ? `<label for="${prefix}-code">${esc(x.orCode)}</label><input id="${prefix}-code" autocomplete="one-time-code" data-testid="${prefix}-code">` : ""}`;
}

/** The proof typed: the password, else the code, else nothing (an account with neither). */
function proof(prefix: string): { password: string } | { code: string } | Record<string, never> {
  const password = $(`#${prefix}-password`).value;
  const code = app.querySelector<HTMLInputElement>(`#${prefix}-code`)?.value.trim() ?? "";
  if (password) return { password };
  return code ? { code } : {};
}

/** What a refused re-authentication says. */
function reauthError(error: unknown): Message {
  if (isTegataError(error, "invalid_request")) return () => t().reauthNeeded;
  if (isTegataError(error, "invalid_credentials")) {
    return () => t().wrongReauthPassword(String(error.remainingAttempts ?? "?"));
  }
  return errorMessage(error);
}

function linkScreen(pending: PendingLink, message?: Message) {
  redraw = () => linkScreen(pending, message);
  const x = t();
  const name = PROVIDERS[pending.key];
  app.innerHTML = `<h2 data-testid="screen-link">${esc(x.linkTitle(name))}</h2>
    <p>${esc(x.linkIntro(name, pending.email))}</p>
    <p class="muted">${esc(x.reauthIntro)}</p>
    <form id="f">
      ${proofFields("link", pending.mfa)}
      <button data-testid="link-submit">${esc(x.linkSubmit)}</button>
      <button type="button" class="secondary" id="cancel">${esc(x.cancel)}</button>
    </form>
    <p class="error" role="alert" data-testid="link-error">${esc(message?.())}</p>`;
  $("#cancel").addEventListener("click", () => void homeScreen());
  $("#f").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await linkIdentity(auth, {
        provider: pending.key,
        idToken: pending.idToken,
        nonce: pending.nonce,
        ...proof("link"),
      });
      await homeScreen(() => t().linked(name));
    } catch (error) {
      if (isTegataError(error, "identity_conflict"))
        return homeScreen(undefined, () => t().identityTaken(name));
      linkScreen(pending, reauthError(error));
    }
  });
}

async function deleteScreen(message?: Message) {
  let mfa: boolean;
  try {
    mfa = (await getUser(auth)).mfaEnabled === true;
  } catch (error) {
    return homeScreen(undefined, errorMessage(error));
  }
  renderDelete(mfa, message);
}

function renderDelete(mfa: boolean, message?: Message) {
  redraw = () => renderDelete(mfa, message);
  const x = t();
  app.innerHTML = `<h2 data-testid="screen-delete">${esc(x.deleteTitle)}</h2>
    <p class="warning">${esc(x.deleteWarning)}</p>
    <form id="f">
      ${proofFields("delete", mfa)}
      <div class="check confirm"><input type="checkbox" id="delete-confirm" data-testid="delete-confirm" required><label for="delete-confirm">${esc(x.deleteConfirm)}</label></div>
      <button class="danger" data-testid="delete-submit" disabled>${esc(x.deleteAccount)}</button>
      <button type="button" class="secondary" id="cancel">${esc(x.cancel)}</button>
    </form>
    <p class="error" role="alert" data-testid="delete-error">${esc(message?.())}</p>`;
  const submit = $<HTMLButtonElement>('[data-testid="delete-submit"]');
  $("#delete-confirm").addEventListener("change", () => {
    submit.disabled = !$("#delete-confirm").checked;
  });
  $("#cancel").addEventListener("click", () => void homeScreen());
  $("#f").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!$("#delete-confirm").checked) return;
    try {
      await deleteAccount(auth, proof("delete"));
      signInScreen(undefined, () => t().deleted);
    } catch (error) {
      renderDelete(mfa, reauthError(error));
    }
  });
}

async function enrollScreen() {
  let enrollment: TotpEnrollment;
  try {
    enrollment = await enrollTotp(auth, { issuer: "tegata demo" });
  } catch (error) {
    return homeScreen(errorMessage(error));
  }
  enrollCode = await generateTotp(enrollment.secret, { time: clientOptions.clock.now() });
  void showHelper();
  renderEnroll(enrollment);
}

function renderEnroll(enrollment: TotpEnrollment, recoveryCodes?: string[], message?: Message) {
  redraw = () => renderEnroll(enrollment, recoveryCodes, message);
  const x = t();
  const done = recoveryCodes
    ? `<div data-testid="recovery-codes"><p class="ok">${esc(x.enabled)}</p><ul class="codes">${recoveryCodes.map((c) => `<li><code>${esc(c)}</code></li>`).join("")}</ul><button type="button" id="home">${esc(x.back)}</button></div>`
    : `<form id="f"><label for="code">${esc(x.code)}</label><input id="code" inputmode="numeric" autocomplete="one-time-code" data-testid="enroll-input"><button data-testid="enroll-submit">${esc(x.enable)}</button></form>
       <p class="error" role="alert">${esc(message?.())}</p><p><button type="button" class="link" id="home">${esc(x.back)}</button></p>`;
  // Once on, the QR code and the key are not shown again: only the recovery codes, this once.
  const scan = `<p>${esc(x.enrollIntro)}</p>
    <div class="qr" data-testid="enroll-qr">${enrollment.qrSvg ?? `<code>${esc(enrollment.uri)}</code>`}</div>
    <p class="muted">${esc(x.manualKey)}: <code>${esc(enrollment.secret)}</code></p>`;
  app.innerHTML = `<h2 data-testid="screen-enroll">${esc(x.enrollTitle)}</h2>${recoveryCodes ? "" : scan}${done}`;
  $("#home").addEventListener("click", () => {
    enrollCode = "";
    void showHelper();
    void homeScreen();
  });
  if (recoveryCodes) return;
  $("#f").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const result = await activateTotp(auth, { factorId: enrollment.factorId, code: $("#code").value });
      enrollCode = "";
      void showHelper();
      renderEnroll(enrollment, result.recoveryCodes);
    } catch (error) {
      renderEnroll(enrollment, undefined, errorMessage(error));
    }
  });
}

// ---- mail: the password reset, the email change, and the dev mailbox -----------------------

function forgotScreen(email = "", sentTo?: string) {
  redraw = () => forgotScreen(email, sentTo);
  const x = t();
  app.innerHTML = `<h2 data-testid="screen-forgot">${esc(x.forgotTitle)}</h2>
    <p>${esc(x.forgotIntro)}</p>
    <form id="f">
      <label for="email">${esc(x.email)}</label>
      <input id="email" type="email" autocomplete="username" required value="${esc(email)}" data-testid="forgot-email">
      <button data-testid="forgot-submit">${esc(x.forgotSubmit)}</button>
    </form>
    <p class="ok" role="status" data-testid="forgot-notice">${sentTo === undefined ? "" : esc(x.forgotSent(sentTo))}</p>
    ${sentTo === undefined ? "" : `<p><button type="button" class="secondary" data-testid="forgot-mailbox">${esc(x.openMailbox)}</button></p>`}
    <p class="error" role="alert" data-testid="forgot-error"></p>
    <button type="button" class="link" id="back">${esc(x.backToSignIn)}</button>`;
  $("#f").addEventListener("submit", async (e) => {
    e.preventDefault();
    const typed = $("#email").value.trim();
    try {
      // The same answer whether or not the address has an account (nothing says who is registered).
      await requestPasswordReset(auth, { email: typed });
      forgotScreen(typed, typed);
    } catch (error) {
      $('[data-testid="forgot-error"]').textContent = errorMessage(error)();
    }
  });
  app.querySelector('[data-testid="forgot-mailbox"]')?.addEventListener("click", () => openMailbox());
  $("#back").addEventListener("click", () =>
    signInScreen(undefined, undefined, $("#email").value || undefined),
  );
}

/** The page of the reset link: a new password for the account the token names. */
function resetScreen(token: string, email?: string) {
  redraw = () => resetScreen(token, email);
  const x = t();
  const lang = currentLang();
  const policy = policies[lang];
  app.innerHTML = `<h2 data-testid="screen-reset">${esc(x.resetTitle)}</h2>
    <p>${esc(x.resetIntro)}</p>
    <form id="f">
      <label for="new-password">${esc(x.newPassword)}</label>
      <input id="new-password" type="password" autocomplete="new-password" required aria-describedby="reset-rules reset-issues" data-testid="reset-password">
      <div class="rules muted" id="reset-rules">${esc(x.rules)}<ul>${describePolicy(policy, lang)
        .map((rule) => `<li>${esc(rule)}</li>`)
        .join("")}</ul></div>
      <ul class="issues" id="reset-issues" aria-live="polite" data-testid="reset-issues"></ul>
      <button data-testid="reset-submit">${esc(x.resetSubmit)}</button>
    </form>
    <p class="error" role="alert" data-testid="reset-error"></p>
    <button type="button" class="link" id="back">${esc(x.backToSignIn)}</button>`;
  const context = email ? { email, locale: lang } : { locale: lang };
  const live = () => {
    const password = $("#new-password").value;
    $("#reset-issues").innerHTML = password
      ? validatePassword(policy, password, context)
          .issues.map((i) => `<li data-code="${i.code}">${esc(i.message)}</li>`)
          .join("")
      : "";
  };
  $("#new-password").addEventListener("input", live);
  // The blocklist arrives as a lazy chunk: validate again once it is there.
  void loadCommonPasswords().then(live);
  $("#f").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await resetPassword(auth, {
        token,
        password: $("#new-password").value,
        policy,
        ...(email ? { email } : {}),
      });
      // The server ended every session of the account: sign in again, with the new password.
      signInScreen(undefined, () => t().resetDone, email);
    } catch (error) {
      $('[data-testid="reset-error"]').textContent = errorMessage(error)(); // keep what was typed
    }
  });
  $("#back").addEventListener("click", () => signInScreen(undefined, undefined, email));
}

/** The page of the email-change link, opened on any device: one click confirms the new address. */
function confirmEmailScreen(token: string, message?: Message) {
  redraw = () => confirmEmailScreen(token, message);
  const x = t();
  app.innerHTML = `<h2 data-testid="screen-confirm-email">${esc(x.confirmEmailTitle)}</h2>
    <p>${esc(x.confirmEmailIntro)}</p>
    <button type="button" data-testid="confirm-email-submit">${esc(x.confirmEmailSubmit)}</button>
    <p class="error" role="alert" data-testid="confirm-email-error">${esc(message?.())}</p>
    <p><button type="button" class="link" id="back">${esc(x.back)}</button></p>`;
  $('[data-testid="confirm-email-submit"]').addEventListener("click", async () => {
    try {
      // Updates this client's user too when the session is the same account's (USER_UPDATED).
      const user = await confirmEmailChange(auth, { token });
      const done = () => t().emailChanged(user.email ?? "");
      if (await getSession(auth)) await homeScreen(done);
      else signInScreen(undefined, done, user.email ?? undefined);
    } catch (error) {
      confirmEmailScreen(token, errorMessage(error));
    }
  });
  $("#back").addEventListener("click", () => void homeScreen());
}

/** A mailed link of this app that the demo has no page for (yet): said, not followed. */
function unsupportedLinkScreen(path: string) {
  redraw = () => unsupportedLinkScreen(path);
  const x = t();
  app.innerHTML = `<h2 data-testid="screen-link-unsupported">${esc(x.mailbox)}</h2>
    <p class="warning">${esc(x.linkUnsupported(path))}</p>
    <p><button type="button" class="link" id="back">${esc(x.back)}</button></p>`;
  $("#back").addEventListener("click", () => void homeScreen());
}

/**
 * Opens the screen of a link the auth server mailed, a link with a `token` on this page's origin
 * (the server builds them on its allowed app origins): `/reset-password` and `/confirm-email`, and
 * a notice for the others. False when the URL is not one of those.
 */
function openAppLink(url: URL, email?: string): boolean {
  const token = url.searchParams.get("token");
  if (url.origin !== location.origin || !token) return false;
  if (url.pathname === "/reset-password") resetScreen(token, email);
  else if (url.pathname === "/confirm-email") confirmEmailScreen(token);
  else unsupportedLinkScreen(url.pathname);
  return true;
}

/** The screen the dev mailbox goes back to. */
let beforeMailbox: () => unknown = () => signInScreen();
let mailboxPoll: ReturnType<typeof setInterval> | undefined;
const onMailbox = () => app.querySelector('[data-testid="screen-mailbox"]') !== null;

function openMailbox() {
  if (!onMailbox()) beforeMailbox = redraw;
  void mailboxScreen();
}

async function mailboxScreen(openId?: string) {
  await ready.catch(() => undefined);
  let mails: DevMail[] | null = null;
  let failure: Message | undefined;
  if (backend?.mailbox) {
    try {
      mails = await backend.mailbox();
    } catch (error) {
      failure = errorMessage(error);
    }
  }
  renderMailbox(mails, openId, failure);
}

/** One mail of the list; the open one shows its text, its link clickable. */
function mailItem(mail: DevMail, open: boolean) {
  const x = t();
  const kind = x.mailKinds[mail.kind] ?? mail.kind;
  return `<li data-testid="mail" data-kind="${esc(mail.kind)}" class="${open ? "open" : ""}">
    <button type="button" class="mail-head" data-id="${esc(mail.id)}" aria-expanded="${open}">
      <strong>${esc(mail.subject)}</strong>
      <span class="muted">${esc(kind)} · ${esc(x.mailTo(mail.to))} · ${esc(x.mailSentAt(formatDate(mail.at)))}</span>
    </button>
    ${open ? mailView(mail) : ""}</li>`;
}

function mailView(mail: DevMail) {
  const x = t();
  const anchor = (link: string, label: string) =>
    `<a href="${esc(link)}" data-mail-link data-testid="mail-link">${esc(label)}</a>`;
  let body = esc(mail.text);
  let inText = false;
  if (mail.link) {
    const escaped = esc(mail.link);
    inText = body.includes(escaped);
    body = body.split(escaped).join(anchor(mail.link, mail.link));
  }
  return `<article class="mail" data-testid="mail-view" lang="${esc(mail.locale)}">
    <pre>${body}</pre>
    ${mail.link && !inText ? `<p>${anchor(mail.link, x.mailOpenLink)}</p>` : ""}
  </article>`;
}

function renderMailbox(mails: DevMail[] | null, openId?: string, failure?: Message) {
  redraw = () => mailboxScreen(openId);
  const x = t();
  const read = backend?.mailbox;
  const source = !read ? x.mailboxUnavailable : SERVER_URL ? x.mailboxFromServer : x.mailboxFromMock;
  let list = "";
  if (mails && mails.length === 0)
    list = `<p class="muted" data-testid="mailbox-empty">${esc(x.mailboxEmpty)}</p>`;
  else if (mails) {
    list = `<ul class="mails" data-testid="mailbox">${mails.map((m) => mailItem(m, m.id === openId)).join("")}</ul>`;
  }
  app.innerHTML = `<h2 data-testid="screen-mailbox">${esc(x.mailbox)}</h2>
    <p class="muted">${read ? `${esc(x.mailboxIntro)} ` : ""}<span data-testid="mailbox-source">${esc(source)}</span></p>
    <nav><button type="button" id="back" class="secondary">${esc(x.back)}</button>${read ? `<button type="button" id="refresh" data-testid="mailbox-refresh">${esc(x.mailboxRefresh)}</button>` : ""}</nav>
    <p class="error" role="alert">${esc(failure?.())}</p>
    ${list}`;
  $("#back").addEventListener("click", () => {
    clearInterval(mailboxPoll);
    void beforeMailbox();
  });
  app.querySelector("#refresh")?.addEventListener("click", () => void mailboxScreen(openId));
  for (const head of app.querySelectorAll<HTMLButtonElement>("button.mail-head")) {
    head.addEventListener("click", () =>
      renderMailbox(mails, head.dataset.id === openId ? undefined : head.dataset.id),
    );
  }
  const open = mails?.find((m) => m.id === openId);
  for (const link of app.querySelectorAll<HTMLAnchorElement>("a[data-mail-link]")) {
    link.addEventListener("click", (event) => {
      // A plain click opens the app's page here, with the mock's data still in this page; a
      // middle click or Ctrl+click opens the link as it is.
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      if (openAppLink(new URL(link.href), open?.to)) {
        event.preventDefault();
        clearInterval(mailboxPoll);
      }
    });
  }
  // New mail shows up by itself (a real server hands mail to its mailer just after answering).
  clearInterval(mailboxPoll);
  if (!read) return;
  const seen = (mails ?? []).map((m) => m.id).join();
  const poll = setInterval(async () => {
    if (!onMailbox()) return clearInterval(poll);
    const latest = await read().catch(() => null);
    if (latest && mailboxPoll === poll && onMailbox() && latest.map((m) => m.id).join() !== seen) {
      renderMailbox(latest, openId);
    }
  }, 1000);
  mailboxPoll = poll;
}

// ---- start: draw at once, before the worker is up ------------------------------------------

renderChrome();
// The page of a mailed link (a reset, an email change), else the sign-in screen. The link's token
// then leaves the address bar and the history: it is a secret.
if (openAppLink(new URL(location.href))) history.replaceState(null, "", "/");
else signInScreen();
ready.then(
  () => {
    void showHelper();
    setInterval(() => void showHelper(), 5000);
  },
  (error: unknown) => {
    app.innerHTML = `<p class="error" role="alert">${esc(t().otherError(String(error)))}</p>`;
  },
);
