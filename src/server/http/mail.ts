/**
 * The mails of the auth server, each in Japanese and English, as plain text and simple HTML:
 *
 * | kind | to | link |
 * | --- | --- | --- |
 * | `email_verify` | the address of a new account | verifies the address |
 * | `password_reset` | the account's address | sets a new password |
 * | `email_change` | the new address | confirms the change |
 * | `email_change_notice` | the old address | "this wasn't me": cancels the change, ends every session |
 * | `password_changed` | the account's address | — |
 * | `new_sign_in` | the account's address (a sign-in from a new device or network) | — |
 * | `account_locked` | the account's address | ends the lockout early |
 * | `account_deleted` | the deleted account's address | — |
 * | `account_suspended` | the account's address | — |
 *
 * A mail carries no secret but its one-time link: never a password, a session token or a hash.
 * No name a user typed reaches a mail (no greeting): a verification mail goes to an
 * address anyone may type at sign-up, and must not carry their words. The service name
 * (`serviceName` of the server) and every value are escaped in the HTML; the subject, a header,
 * never holds a control character (CR, LF, …), whatever the service name holds.
 *
 * @module
 */
import { parseUserAgent } from "../../history/device";
import type { MailMessage } from "./env";

/** The languages of the mails. */
export type MailLocale = MailMessage["locale"];

/** The kinds of mail the server sends. */
export type MailKind =
  | "email_verify"
  | "password_reset"
  | "email_change"
  | "email_change_notice"
  | "password_changed"
  | "new_sign_in"
  | "account_locked"
  | "account_deleted"
  | "account_suspended";

/** The kinds that carry a one-time link. */
export const LINK_MAIL_KINDS: ReadonlySet<MailKind> = new Set<MailKind>([
  "email_verify",
  "password_reset",
  "email_change",
  "email_change_notice",
  "account_locked",
]);

/** What the `new_sign_in` notice tells. */
export interface SignInFacts {
  /** When, ms since the epoch. */
  at: number;
  ip: string;
  /** The sign-in's user agent (shown as browser and OS, never as sent). */
  userAgent: string | null;
  location: { country?: string | null; region?: string | null; city?: string | null } | null;
  /** The assessment's reasons: `new_device`, `new_network`, `country_change`, `failure_burst`. */
  reasons: readonly string[];
}

/** What a mail template is filled with. */
export interface MailParams {
  locale: MailLocale;
  /** The product name shown in the subject and the body. Default `"tegata"`. */
  serviceName?: string;
  /** The one-time link (the kinds of {@link LINK_MAIL_KINDS}). */
  link?: string;
  /** The address the account moves to (`email_change_notice`). */
  newEmail?: string;
  /** How long the link works, in seconds. */
  validSeconds?: number;
  /** When it happened, ms since the epoch (notices). */
  at?: number;
  /** The sign-in of a `new_sign_in` notice. */
  signIn?: SignInFacts;
  /** Who deleted the account (`account_deleted`). Default `user`. */
  deletedBy?: "user" | "operator";
}

/** A rendered mail: what {@link MailMessage} needs besides `to`, `kind` and `locale`. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** The default product name of the mails. */
export const DEFAULT_SERVICE_NAME = "tegata";

/**
 * The locale of a request's mails: `ja` when `Accept-Language` starts with `ja` (any case,
 * leading spaces ignored), else `en`.
 *
 * @example
 * ```ts
 * mailLocale(new Request(url, { headers: { "accept-language": "ja-JP,ja;q=0.9" } })); // "ja"
 * ```
 */
export function mailLocale(request: Request): MailLocale {
  const header = request.headers.get("accept-language") ?? "";
  return /^\s*ja/i.test(header) ? "ja" : "en";
}

/**
 * One line of text fit for a header: every control character (C0, DEL, C1, the line and paragraph
 * separators) and run of white space becomes one space, the ends trimmed.
 */
export function oneLine(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\s]+/g, " ").trim();
}

/**
 * A service name as the server option gives it: one line (see {@link oneLine}), at most 100 code
 * points.
 *
 * @throws TypeError when it is not a string, or nothing is left of it.
 */
export function resolveServiceName(value: unknown): string {
  if (value === undefined) return DEFAULT_SERVICE_NAME;
  if (typeof value !== "string") throw new TypeError("tegata: serviceName must be a string");
  const name = [...oneLine(value)].slice(0, 100).join("").trim();
  if (name === "") throw new TypeError("tegata: serviceName must hold a printable character");
  return name;
}

/** Escapes text for HTML content and double-quoted attributes. */
function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A duration for people: whole minutes below two hours, hours below two days, else days. */
function duration(seconds: number, locale: MailLocale): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 120) return locale === "ja" ? `${minutes}分` : `${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return locale === "ja" ? `${hours}時間` : `${hours} hours`;
  const days = Math.round(hours / 24);
  return locale === "ja" ? `${days}日` : `${days} days`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A time for people: Japan time in Japanese (no daylight saving: UTC+9), UTC in English. */
function when(ms: number, locale: MailLocale): string {
  if (locale === "ja") {
    const d = new Date(ms + 9 * 3600_000);
    return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}（日本時間）`;
  }
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** The device of a user agent as browser and OS (`Chrome 120 on Windows`), never the raw string. */
function deviceOf(userAgent: string | null, locale: MailLocale): string {
  const device = parseUserAgent(userAgent);
  const browser =
    device.browser === "Unknown"
      ? null
      : oneLine(`${device.browser}${device.browserVersion ? ` ${device.browserVersion}` : ""}`);
  const os = device.os === "Unknown" ? null : oneLine(device.os);
  if (locale === "ja") {
    if (browser && os) return `${os} の ${browser}`;
    return browser ?? os ?? "不明な端末";
  }
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? "an unknown device";
}

/** The location as `city, region, country`, or `null`. */
function placeOf(location: SignInFacts["location"]): string | null {
  if (location === null) return null;
  const parts = [location.city, location.region, location.country]
    .filter((p): p is string => typeof p === "string" && oneLine(p) !== "")
    .map((p) => [...oneLine(p)].slice(0, 64).join(""));
  return parts.length === 0 ? null : parts.join(", ");
}

const REASONS: Record<string, { ja: string; en: string }> = {
  new_device: { ja: "これまでに使われていない端末・ブラウザ", en: "a device or browser not used before" },
  new_network: { ja: "これまでに使われていないネットワーク", en: "a network not used before" },
  country_change: { ja: "これまでと異なる国", en: "another country than before" },
  failure_burst: { ja: "直前に続いた失敗のあと", en: "right after several failed attempts" },
};

/** The parts of a mail before rendering: subject, paragraphs, and where the link goes. */
interface MailParts {
  subject: string;
  /** Paragraphs before the link (or all of them when there is none). */
  before: string[];
  /** Paragraphs after the link. */
  after: string[];
  /** The text of the HTML link's button. */
  action?: string;
}

function parts(kind: MailKind, params: MailParams, service: string): MailParts {
  const ja = params.locale === "ja";
  const valid = params.validSeconds === undefined ? undefined : duration(params.validSeconds, params.locale);
  const at = params.at === undefined ? undefined : when(params.at, params.locale);
  switch (kind) {
    case "email_verify":
      return ja
        ? {
            subject: `【${service}】メールアドレスの確認`,
            before: [
              `${service} へのご登録ありがとうございます。`,
              "次のリンクを開いて、このメールアドレスを確認してください。",
            ],
            after: [
              `${valid === undefined ? "" : `このリンクの有効期限は${valid}で、`}一度だけ使えます。新しいリンクを申し込むと、このリンクは使えなくなります。`,
              "お心当たりがない場合は、このメールを破棄してください。",
            ],
            action: "メールアドレスを確認する",
          }
        : {
            subject: `${service}: confirm your email address`,
            before: [
              `Someone signed up for ${service} with this address.`,
              "Open this link to confirm it is yours:",
            ],
            after: [
              `The link works once${valid === undefined ? "" : ` and for ${valid}`}; asking for a new one makes it stop working.`,
              "If this wasn't you, ignore this mail.",
            ],
            action: "Confirm your email address",
          };
    case "password_reset":
      return ja
        ? {
            subject: `【${service}】パスワードの再設定`,
            before: [
              `${service} のパスワード再設定のお申し込みを受け付けました。`,
              "次のリンクを開いて、新しいパスワードを設定してください。",
            ],
            after: [
              `${valid === undefined ? "" : `このリンクの有効期限は${valid}で、`}一度だけ使えます。新しいリンクを申し込むと、このリンクは使えなくなります。`,
              "お心当たりがない場合は、このメールを破棄してください。パスワードは変更されません。",
            ],
            action: "パスワードを再設定する",
          }
        : {
            subject: `${service}: reset your password`,
            before: [
              `Someone asked to reset the password of your ${service} account.`,
              "Open this link to choose a new password:",
            ],
            after: [
              `The link works once${valid === undefined ? "" : ` and for ${valid}`}; asking for a new one makes it stop working.`,
              "If this wasn't you, ignore this mail: your password stays as it is.",
            ],
            action: "Reset your password",
          };
    case "email_change":
      return ja
        ? {
            subject: `【${service}】メールアドレスの確認`,
            before: [
              `${service} アカウントのメールアドレスをこのアドレスに変更するお申し込みを受け付けました。`,
              "次のリンクを開くと、変更が完了します。",
            ],
            after: [
              `${valid === undefined ? "" : `このリンクの有効期限は${valid}で、`}一度だけ使えます。`,
              "お心当たりがない場合は、このメールを破棄してください。メールアドレスは変更されません。",
            ],
            action: "メールアドレスを確認する",
          }
        : {
            subject: `${service}: confirm your new email address`,
            before: [
              `Someone asked to move a ${service} account to this address.`,
              "Open this link to confirm the change:",
            ],
            after: [
              `The link works once${valid === undefined ? "" : ` and for ${valid}`}.`,
              "If this wasn't you, ignore this mail: nothing changes.",
            ],
            action: "Confirm your email address",
          };
    case "email_change_notice": {
      const target = params.newEmail ?? "";
      return ja
        ? {
            subject: `【${service}】メールアドレス変更のお知らせ`,
            before: [
              `${service} アカウントのメールアドレスを ${target} に変更するお申し込みがありました。新しいアドレスで確認されると変更が完了します。`,
              "ご本人による操作であれば、何もする必要はありません。",
              "お心当たりがない場合は、次のリンクを開いてください。変更を取り消し（すでに変更されていれば元のアドレスに戻し）、すべての端末からサインアウトします。そのあと、パスワードを変更してください。",
            ],
            after: [`${valid === undefined ? "" : `このリンクの有効期限は${valid}で、`}一度だけ使えます。`],
            action: "心当たりがない（変更を取り消す）",
          }
        : {
            subject: `${service}: your email address is being changed`,
            before: [
              `Someone asked to change the email address of your ${service} account to ${target}. The change takes effect once the new address is confirmed.`,
              "If this was you, there is nothing to do.",
              "If this wasn't you, open this link: it cancels the change (or puts your address back if it was confirmed already) and signs you out everywhere. Then change your password.",
            ],
            after: [`The link works once${valid === undefined ? "" : ` and for ${valid}`}.`],
            action: "This wasn't me: cancel the change",
          };
    }
    case "password_changed":
      return ja
        ? {
            subject: `【${service}】パスワード変更のお知らせ`,
            before: [
              `${service} アカウントのパスワードが${at === undefined ? "" : ` ${at} に`}変更されました。ほかの端末はサインアウトされています。`,
              "ご本人による操作であれば、何もする必要はありません。",
              "お心当たりがない場合は、ただちにログイン画面の「パスワードを忘れた場合」からパスワードを再設定し、サポートにご連絡ください。",
            ],
            after: [],
          }
        : {
            subject: `${service}: your password was changed`,
            before: [
              `The password of your ${service} account was changed${at === undefined ? "" : ` on ${at}`}. Your other devices were signed out.`,
              "If this was you, there is nothing to do.",
              'If this wasn\'t you, reset your password now ("Forgot your password?" on the sign-in page) and contact support.',
            ],
            after: [],
          };
    case "new_sign_in": {
      const s = params.signIn;
      const facts = s === undefined ? [] : signInLines(s, params.locale);
      return ja
        ? {
            subject: `【${service}】新しい端末からのサインイン`,
            before: [
              `${service} アカウントに、いつもと異なる環境からサインインがありました。`,
              ...facts,
              "ご本人であれば、何もする必要はありません。",
              "お心当たりがない場合は、ただちにパスワードを変更し、アカウントのセキュリティ設定で見覚えのないセッションを終了して、二段階認証を有効にしてください。",
            ],
            after: [],
          }
        : {
            subject: `${service}: new sign-in to your account`,
            before: [
              `Your ${service} account was just signed in to from somewhere new.`,
              ...facts,
              "If this was you, there is nothing to do.",
              "If this wasn't you, change your password now, end the sessions you don't recognise in your account's security settings, and turn on two-step verification.",
            ],
            after: [],
          };
    }
    case "account_locked":
      return ja
        ? {
            subject: `【${service}】アカウントがロックされました`,
            before: [
              `${service} アカウントへのサインインに続けて失敗したため、アカウントを一時的にロックしました${at === undefined ? "" : `（${at}）`}。${valid === undefined ? "" : `${valid}後に自動で解除されます。`}`,
              "ご本人の操作であれば、次のリンクを開くとすぐにロックを解除できます。",
            ],
            after: [
              "このリンクは一度だけ使えます。",
              "お心当たりがない場合は、第三者がパスワードを試している可能性があります。リンクは開かず、パスワードを推測されにくいものに変更してください。",
            ],
            action: "ロックを解除する",
          }
        : {
            subject: `${service}: your account was locked`,
            before: [
              `Your ${service} account was locked after repeated failed sign-ins${at === undefined ? "" : ` (${at})`}.${valid === undefined ? "" : ` It unlocks by itself in ${valid}.`}`,
              "If this was you, open this link to unlock it now:",
            ],
            after: [
              "The link works once.",
              "If this wasn't you, someone may be guessing your password: don't open the link, and change your password to one that is hard to guess.",
            ],
            action: "Unlock your account",
          };
    case "account_deleted": {
      const byOperator = params.deletedBy === "operator";
      return ja
        ? {
            subject: `【${service}】アカウント削除のお知らせ`,
            before: [
              `${service} アカウントを${at === undefined ? "" : ` ${at} に`}${byOperator ? "運営者が" : "退会のお手続きにより"}削除しました。アカウントのデータは消去されています。`,
              "お心当たりがない場合は、サポートにご連絡ください。",
            ],
            after: [],
          }
        : {
            subject: `${service}: your account was deleted`,
            before: [
              `Your ${service} account was deleted${at === undefined ? "" : ` on ${at}`}${byOperator ? " by the operator" : ", as you asked"}. Its data has been erased.`,
              "If this wasn't you, contact support.",
            ],
            after: [],
          };
    }
    case "account_suspended":
      return ja
        ? {
            subject: `【${service}】アカウント停止のお知らせ`,
            before: [
              `${service} アカウントを${at === undefined ? "" : ` ${at} に`}運営者が停止しました。停止中はサインインできず、すべての端末からサインアウトされています。`,
              "お心当たりがない場合は、サポートにご連絡ください。",
            ],
            after: [],
          }
        : {
            subject: `${service}: your account was suspended`,
            before: [
              `Your ${service} account was suspended by the operator${at === undefined ? "" : ` on ${at}`}. While it is suspended it cannot sign in, and every device was signed out.`,
              "If you think this is a mistake, contact support.",
            ],
            after: [],
          };
  }
}

/** The facts of a sign-in, one line each. */
function signInLines(s: SignInFacts, locale: MailLocale): string[] {
  const ja = locale === "ja";
  const place = placeOf(s.location);
  const ip = oneLine(s.ip).slice(0, 64);
  const reasons = s.reasons
    .map((r) => REASONS[r]?.[locale])
    .filter((r): r is string => r !== undefined)
    .join(ja ? "、" : "; ");
  return [
    [
      `${ja ? "日時" : "When"}: ${when(s.at, locale)}`,
      `${ja ? "端末" : "Device"}: ${deviceOf(s.userAgent, locale)}`,
      `${ja ? "IP アドレス" : "IP address"}: ${ip}`,
      ...(place === null ? [] : [`${ja ? "場所（推定）" : "Location (approximate)"}: ${place}`]),
      ...(reasons === "" ? [] : [`${ja ? "理由" : "Why we tell you"}: ${reasons}`]),
    ].join("\n"),
  ];
}

/**
 * Renders one mail in its locale: subject, plain text and simple HTML (every value escaped). The
 * only secret a mail may hold is `params.link`, the one-time link.
 *
 * @throws TypeError when a link mail has no `link`, an `email_change_notice` no `newEmail`, or a
 *   `new_sign_in` no `signIn`.
 * @example
 * ```ts
 * const mail = renderMail("password_reset", { locale: "ja", link, validSeconds: 3600 });
 * await mailer.send({ to, kind: "password_reset", locale: "ja", link, ...mail });
 * ```
 */
export function renderMail(kind: MailKind, params: MailParams): RenderedMail {
  const service = resolveServiceName(params.serviceName);
  const needsLink = LINK_MAIL_KINDS.has(kind);
  if (needsLink && !params.link) throw new TypeError(`tegata: a ${kind} mail needs its link`);
  if (kind === "email_change_notice" && !params.newEmail) {
    throw new TypeError(`tegata: a ${kind} mail needs the new address`);
  }
  if (kind === "new_sign_in" && params.signIn === undefined) {
    throw new TypeError(`tegata: a ${kind} mail needs the sign-in`);
  }
  const p = parts(kind, params, service);
  const link = needsLink ? (params.link as string) : undefined;
  const text = [...p.before, ...(link === undefined ? [] : [link]), ...p.after, `— ${service}`].join("\n\n");
  const paragraph = (s: string) => `<p>${escapeHtml(s).replace(/\n/g, "<br>")}</p>`;
  const button =
    link === undefined
      ? []
      : [
          `<p><a href="${escapeHtml(link)}">${escapeHtml(p.action ?? link)}</a></p>`,
          `<p style="word-break:break-all;font-size:small">${escapeHtml(link)}</p>`,
        ];
  const subject = oneLine(p.subject);
  const html = [
    "<!doctype html>",
    `<html lang="${params.locale}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body>`,
    ...p.before.map(paragraph),
    ...button,
    ...p.after.map(paragraph),
    `<p>— ${escapeHtml(service)}</p>`,
    "</body></html>",
  ].join("\n");
  // A subject is a mail header: one line, whatever the service name holds.
  return { subject, text, html };
}
