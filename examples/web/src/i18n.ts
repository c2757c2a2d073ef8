// The example's two languages. One language per screen: every word the page shows comes from
// here (or from tegata/password with the same locale); the choice is kept in localStorage.

export type Lang = "ja" | "en";

const ja = {
  title: "tegata デモ",
  tagline: "すべてブラウザの中で動いています。認証サーバーは Service Worker 上の tegata/mock です。",
  taglineServer: (url: string) => `認証サーバーは ${url} の tegata/server です（SQLite に保存）。`,
  language: "表示言語",
  signIn: "ログイン",
  email: "メールアドレス",
  password: "パスワード",
  social: "ほかのアカウントでログイン",
  withGoogle: "Google でログイン",
  withApple: "Apple でサインイン",
  withYahoo: "Yahoo! JAPAN ID でログイン",
  socialUnavailable:
    "このサーバーには OpenID プロバイダーが設定されていないため、Google・Apple・Yahoo! JAPAN でのログインは使えません。",
  toSignUp: "アカウントを作成",
  mfaTitle: "2段階認証",
  mfaIntro: "認証アプリに表示されている6桁のコードを入力してください。",
  code: "確認コード",
  verify: "確認する",
  recoveryIntro: "認証アプリを使えない場合は、リカバリーコードを入力してください。",
  recoveryCode: "リカバリーコード",
  verifyRecovery: "リカバリーコードで確認",
  signUpTitle: "アカウントを作成",
  name: "お名前（任意）",
  rules: "パスワードの条件",
  strength: "パスワードの強さ",
  strengthLevels: ["とても弱い", "弱い", "普通", "強い", "とても強い"],
  createAccount: "登録する",
  backToSignIn: "ログイン画面に戻る",
  welcome: (who: string) => `ようこそ、${who} さん`,
  signedInAs: (email: string) => `${email} でログインしています`,
  setUpMfa: "2段階認証を設定",
  signOut: "ログアウト",
  history: "ログイン履歴",
  when: "日時",
  device: "端末",
  ip: "IP アドレス",
  method: "方法",
  result: "結果",
  thisDevice: "（この端末）",
  unknown: "不明",
  results: { success: "成功", failure: "失敗", locked: "ロック中" } as Record<string, string>,
  methods: {
    password: "パスワード",
    totp: "TOTP（認証アプリ）",
    recovery_code: "リカバリーコード",
    refresh_token: "ログイン状態の更新",
    google: "Google",
    apple: "Apple",
    yahoo_japan: "Yahoo! JAPAN",
  } as Record<string, string>,
  privacy: "プライバシー",
  showLastLogin: "最終ログイン日時をほかのユーザーに表示する",
  lastLoginShown: (at: string) => `表示中：${at}`,
  lastLoginHidden: "非表示",
  sessions: (n: number) => `ログイン中の端末（${n}台）`,
  signOutOthers: "ほかの端末からログアウト",
  signedOutOthers: "ほかの端末からログアウトしました",
  signedUp: "登録が完了しました",
  signedInWith: (provider: string) => `${provider} でログインしました`,
  seenByOthers: "ほかのユーザーからの見え方",
  seller: (name: string) => `出品者 ${name}`,
  you: (name: string) => `あなた（${name}）`,
  lastLoginAt: (at: string) => `最終ログイン：${at}`,
  lastLoginPrivate: "非公開",
  linkedAccounts: "連携中のアカウント",
  noIdentities: "連携中のアカウントはありません。",
  linkedOn: (at: string) => `連携日：${at}`,
  lastUsed: (at: string) => `最終利用：${at}`,
  unlink: "連携を解除",
  linkWith: (provider: string) => `${provider} と連携`,
  linked: (provider: string) => `${provider} と連携しました`,
  unlinked: (provider: string) => `${provider} との連携を解除しました`,
  lastSignInMethod:
    "このアカウントのログイン方法はこの連携だけのため、解除できません。先にほかのアカウントと連携してください。",
  linkTitle: (provider: string) => `${provider} アカウントの連携`,
  linkIntro: (provider: string, email: string) =>
    `${provider} のアカウント（${email}）をこのアカウントに連携します。連携すると ${provider} でもログインできます。`,
  reauthIntro: "本人確認のため、パスワードを入力してください。",
  passwordIfAny: "パスワード（設定していない場合は空欄）",
  orCode: "またはコード（認証アプリの確認コードかリカバリーコード）",
  linkSubmit: "連携する",
  cancel: "やめる",
  reauthNeeded:
    "本人確認のため、パスワードか確認コードを入力してください（どちらもないアカウントは、ログインし直してから5分以内に操作してください）",
  identityTaken: (provider: string) => `この ${provider} アカウントは、ほかのアカウントと連携しています`,
  identityConflict: (provider: string) =>
    `この ${provider} アカウントのメールアドレスは登録済みです。そのアカウントにログインしてから ${provider} と連携してください。`,
  deleteAccount: "退会する",
  deleteTitle: "退会",
  deleteWarning:
    "退会すると、アカウント、ログイン履歴、2段階認証、連携中のアカウントがすべて削除され、元に戻せません。同じメールアドレスでは、しばらくのあいだ登録し直せません。",
  deleteConfirm: "退会すると元に戻せないことを理解しました",
  deleted: "退会しました。ご利用ありがとうございました。",
  emailBlocked: (days: number | null) =>
    `このメールアドレスのアカウントは退会済みのため、${days === null ? "しばらく" : `あと${days}日間は`}登録できません`,
  suspended: "このアカウントは利用停止中です",
  enrollTitle: "2段階認証の設定",
  enrollIntro: "認証アプリで QR コードを読み取り、表示された6桁のコードを入力してください。",
  manualKey: "手入力用のキー",
  enable: "有効にする",
  enabled:
    "2段階認証を有効にしました。リカバリーコードを安全な場所に保管してください（各コードは1回だけ使えます）。",
  back: "戻る",
  helperTitle: "デモ用ヘルパー",
  helperUsers: "デモ用のアカウント",
  helperWithMfa: "2段階認証あり",
  helperCode: (email: string) => `${email} の認証アプリに今表示されるコード`,
  helperEnrollCode: "認証アプリに今表示されるコード",
  helperGoogle: (email: string) =>
    `Google のアカウント: ${email}（未登録のアドレスなので「Google でログイン」では新しいアカウントに。花子さんのアカウントには「Google と連携」で）`,
  wrongPassword: (left: string) => `メールアドレスまたはパスワードが正しくありません（あと${left}回）`,
  locked: (minutes: number) =>
    `ログインに連続して失敗したため、アカウントをロックしました。${minutes}分後に再度お試しください。`,
  wrongCode: (left: string) => `確認コードが正しくありません（あと${left}回）`,
  wrongReauthPassword: (left: string) => `パスワードが正しくありません（あと${left}回）`,
  challengeExpired: "確認の有効期限が切れました。もう一度ログインしてください。",
  emailTaken: "このメールアドレスはすでに登録されています",
  invalidRequest: "入力内容を確認してください",
  network: "サーバーに接続できませんでした。通信環境を確認してください。",
  otherError: (code: string) => `エラーが発生しました（${code}）`,
  mailbox: "メールボックス（開発用）",
  mailboxIntro:
    "このデモの認証サーバーが送ったメールです（新しい順）。開発用の画面で、本番のアプリにはありません。",
  mailboxFromMock:
    "モック（tegata/mock）の outbox から読んでいます。モックのデータはこのページの中にあるので、リンクはこのページで開いてください（新しいタブでは使えません）。",
  mailboxFromServer:
    "server-mode.mjs が認証サーバーのメーラーとして受け取ったメールです（実際には送信していません）。",
  mailboxUnavailable:
    "このサーバーが送ったメールは、このページからは読めません。server-mode.mjs で起動すると、ここに表示されます。",
  mailboxEmpty: "メールはまだありません。",
  mailboxRefresh: "更新",
  mailTo: (to: string) => `宛先：${to}`,
  mailSentAt: (at: string) => `送信：${at}`,
  mailKinds: {
    email_verify: "メールアドレスの確認",
    password_reset: "パスワード再設定",
    email_change: "メールアドレス変更の確認",
    email_change_notice: "メールアドレス変更のお知らせ",
    password_changed: "パスワード変更のお知らせ",
    new_sign_in: "新しいログインのお知らせ",
    account_locked: "アカウントロックのお知らせ",
    account_deleted: "退会のお知らせ",
    account_suspended: "利用停止のお知らせ",
  } as Record<string, string>,
  mailOpenLink: "リンクを開く",
  linkUnsupported: (path: string) =>
    `このデモはまだ ${path} のリンクに対応していません（メールのリンクのうち、パスワードの再設定とメールアドレス変更の確認に対応しています）。`,
  forgotPassword: "パスワードをお忘れの方",
  forgotTitle: "パスワードの再設定",
  forgotIntro: "登録したメールアドレスを入力してください。パスワードを再設定するためのリンクをお送りします。",
  forgotSubmit: "再設定用のリンクを送る",
  forgotSent: (email: string) =>
    `${email} が登録済みであれば、パスワード再設定用のリンクを送りました。メールのリンクを開いてください。`,
  openMailbox: "メールボックス（開発用）を開く",
  resetTitle: "新しいパスワードの設定",
  resetIntro: "新しいパスワードを入力してください。設定すると、すべての端末でログアウトします。",
  newPassword: "新しいパスワード",
  resetSubmit: "パスワードを設定する",
  resetDone: "パスワードを再設定しました。新しいパスワードでログインしてください。",
  invalidLink:
    "このリンクは無効か、有効期限が切れているか、すでに使われています。もう一度お申し込みください。",
  changeEmailTitle: "メールアドレスの変更",
  newEmail: "新しいメールアドレス",
  currentPassword: "現在のパスワード",
  changeEmailSubmit: "確認のメールを送る",
  changeEmailSent: (email: string) =>
    `${email} に確認のメールを送りました。メールのリンクを開くと変更が完了します。`,
  confirmEmailTitle: "メールアドレス変更の確定",
  confirmEmailIntro: "ボタンを押すと、メールアドレスの変更が完了します。",
  confirmEmailSubmit: "変更を確定する",
  emailChanged: (email: string) => `メールアドレスを ${email} に変更しました`,
};

const en: typeof ja = {
  title: "tegata demo",
  tagline: "Everything runs in your browser. The auth server is tegata/mock in a service worker.",
  taglineServer: (url: string) => `The auth server is tegata/server at ${url} (kept in SQLite).`,
  language: "Language",
  signIn: "Sign in",
  email: "Email",
  password: "Password",
  social: "Or sign in with",
  withGoogle: "Sign in with Google",
  withApple: "Sign in with Apple",
  withYahoo: "Sign in with Yahoo! JAPAN ID",
  socialUnavailable:
    "This server has no OpenID providers set up, so Google, Apple and Yahoo! JAPAN sign-in is not available.",
  toSignUp: "Create an account",
  mfaTitle: "Two-step verification",
  mfaIntro: "Enter the 6-digit code shown in your authenticator app.",
  code: "Verification code",
  verify: "Verify",
  recoveryIntro: "Cannot use your authenticator app? Enter a recovery code.",
  recoveryCode: "Recovery code",
  verifyRecovery: "Verify with a recovery code",
  signUpTitle: "Create an account",
  name: "Name (optional)",
  rules: "Your password",
  strength: "Password strength",
  strengthLevels: ["very weak", "weak", "fair", "strong", "very strong"],
  createAccount: "Create account",
  backToSignIn: "Back to sign-in",
  welcome: (who: string) => `Welcome, ${who}`,
  signedInAs: (email: string) => `Signed in as ${email}`,
  setUpMfa: "Set up two-step verification",
  signOut: "Sign out",
  history: "Sign-in history",
  when: "When",
  device: "Device",
  ip: "IP address",
  method: "Method",
  result: "Result",
  thisDevice: " (this device)",
  unknown: "Unknown",
  results: { success: "Succeeded", failure: "Failed", locked: "Locked" },
  methods: {
    password: "Password",
    totp: "TOTP (authenticator app)",
    recovery_code: "Recovery code",
    refresh_token: "Session refresh",
    google: "Google",
    apple: "Apple",
    yahoo_japan: "Yahoo! JAPAN",
  },
  privacy: "Privacy",
  showLastLogin: "Show other users when I last signed in",
  lastLoginShown: (at: string) => `Shown: ${at}`,
  lastLoginHidden: "Hidden",
  sessions: (n: number) => `Signed-in devices (${n})`,
  signOutOthers: "Sign out of other devices",
  signedOutOthers: "Signed out of your other devices",
  signedUp: "Your account is ready",
  signedInWith: (provider: string) => `Signed in with ${provider}`,
  seenByOthers: "What other users see",
  seller: (name: string) => `Seller ${name}`,
  you: (name: string) => `You (${name})`,
  lastLoginAt: (at: string) => `Last signed in: ${at}`,
  lastLoginPrivate: "Private",
  linkedAccounts: "Linked accounts",
  noIdentities: "No linked accounts.",
  linkedOn: (at: string) => `Linked: ${at}`,
  lastUsed: (at: string) => `Last used: ${at}`,
  unlink: "Unlink",
  linkWith: (provider: string) => `Link ${provider}`,
  linked: (provider: string) => `${provider} is linked`,
  unlinked: (provider: string) => `${provider} is no longer linked`,
  lastSignInMethod:
    "This is the only way to sign in to this account, so it cannot be unlinked. Link another account first.",
  linkTitle: (provider: string) => `Link your ${provider} account`,
  linkIntro: (provider: string, email: string) =>
    `Your ${provider} account (${email}) will be linked to this account: you can then sign in with ${provider} too.`,
  reauthIntro: "To confirm it is you, enter your password.",
  passwordIfAny: "Password (leave empty if your account has none)",
  orCode: "Or a code (from your authenticator app, or a recovery code)",
  linkSubmit: "Link",
  cancel: "Cancel",
  reauthNeeded:
    "To confirm it is you, enter your password or a code (an account with neither: sign in again, then do this within 5 minutes)",
  identityTaken: (provider: string) => `This ${provider} account is linked to another account`,
  identityConflict: (provider: string) =>
    `This ${provider} account's email address already has an account: sign in to it, then link ${provider}.`,
  deleteAccount: "Delete account",
  deleteTitle: "Delete your account",
  deleteWarning:
    "Deleting your account erases it with its sign-in history, two-step verification and linked accounts; it cannot be undone. The same email address cannot register again for a while.",
  deleteConfirm: "I understand that this cannot be undone",
  deleted: "Your account has been deleted. Thank you for using the service.",
  emailBlocked: (days: number | null) =>
    `An account with this email address was deleted: it can register again ${days === null ? "later" : `in ${days} day${days === 1 ? "" : "s"}`}`,
  suspended: "This account is suspended",
  enrollTitle: "Set up two-step verification",
  enrollIntro: "Scan the QR code with your authenticator app, then enter the 6-digit code it shows.",
  manualKey: "Key for manual entry",
  enable: "Turn on",
  enabled: "Two-step verification is on. Keep these recovery codes somewhere safe (each works once).",
  back: "Back",
  helperTitle: "Demo helper",
  helperUsers: "Demo accounts",
  helperWithMfa: "with two-step verification",
  helperCode: (email: string) => `Code in ${email}'s authenticator app right now`,
  helperEnrollCode: "Code in the authenticator app right now",
  helperGoogle: (email: string) =>
    `Google account: ${email} (an address without an account: "Sign in with Google" makes one; link it to Hanako's account with "Link Google")`,
  wrongPassword: (left: string) => `Wrong email or password (${left} tries left)`,
  locked: (minutes: number) =>
    `Too many failed attempts: your account is locked. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
  wrongCode: (left: string) => `Wrong code (${left} tries left)`,
  wrongReauthPassword: (left: string) => `Wrong password (${left} tries left)`,
  challengeExpired: "The verification expired. Please sign in again.",
  emailTaken: "This email address already has an account",
  invalidRequest: "Please check what you entered",
  network: "Could not reach the server. Check your connection.",
  otherError: (code: string) => `Something went wrong (${code})`,
  mailbox: "Dev mailbox",
  mailboxIntro:
    "The mails this demo's auth server sent, newest first. A development screen: a real app has none.",
  mailboxFromMock:
    "Read from the mock's outbox (tegata/mock). The mock's data lives in this page, so open the links here (they do not work in a new tab).",
  mailboxFromServer: "Captured by server-mode.mjs as the auth server's mailer (nothing is really sent).",
  mailboxUnavailable:
    "The mails of this server cannot be read from this page. Start it with server-mode.mjs to see them here.",
  mailboxEmpty: "No mail yet.",
  mailboxRefresh: "Refresh",
  mailTo: (to: string) => `To: ${to}`,
  mailSentAt: (at: string) => `Sent: ${at}`,
  mailKinds: {
    email_verify: "Address verification",
    password_reset: "Password reset",
    email_change: "Email change confirmation",
    email_change_notice: "Email change notice",
    password_changed: "Password changed",
    new_sign_in: "New sign-in",
    account_locked: "Account locked",
    account_deleted: "Account deleted",
    account_suspended: "Account suspended",
  },
  mailOpenLink: "Open the link",
  linkUnsupported: (path: string) =>
    `This demo does not handle ${path} links yet (of the links in mails, it handles the password reset and the email change confirmation).`,
  forgotPassword: "Forgot your password?",
  forgotTitle: "Reset your password",
  forgotIntro:
    "Enter the email address you registered with: we will send you a link to choose a new password.",
  forgotSubmit: "Send the link",
  forgotSent: (email: string) =>
    `If ${email} has an account, a link to reset its password is on its way. Open the link in the mail.`,
  openMailbox: "Open the dev mailbox",
  resetTitle: "Choose a new password",
  resetIntro: "Enter your new password. Setting it signs you out on every device.",
  newPassword: "New password",
  resetSubmit: "Set the password",
  resetDone: "Your password has been reset. Sign in with your new password.",
  invalidLink: "This link is invalid, expired or already used. Please ask for a new one.",
  changeEmailTitle: "Change your email address",
  newEmail: "New email address",
  currentPassword: "Current password",
  changeEmailSubmit: "Send the confirmation",
  changeEmailSent: (email: string) =>
    `A confirmation mail is on its way to ${email}: the change takes effect once you open its link.`,
  confirmEmailTitle: "Confirm your new email address",
  confirmEmailIntro: "Press the button to complete the change of your email address.",
  confirmEmailSubmit: "Confirm the change",
  emailChanged: (email: string) => `Your email address is now ${email}`,
};

export type Texts = typeof ja;

const KEY = "tegata-example.lang";

function stored(): Lang {
  try {
    const value = localStorage.getItem(KEY);
    return value === "en" || value === "ja" ? value : "ja";
  } catch {
    return "ja"; // storage disabled: Japanese, not remembered
  }
}

let lang: Lang = stored();

export const currentLang = (): Lang => lang;
export const t = (): Texts => (lang === "ja" ? ja : en);

export function setLang(next: Lang): void {
  lang = next;
  try {
    localStorage.setItem(KEY, next);
  } catch {
    // not remembered; the page still switches
  }
}

/** Dates in the page's language. */
export const formatDate = (d: Date): string =>
  d.toLocaleString(lang === "ja" ? "ja-JP" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
