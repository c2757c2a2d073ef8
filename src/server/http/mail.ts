/**
 * The mails of the auth server: a password-reset link, an email-change confirmation link (to the
 * new address) and the notice of an email change (to the old one), each in Japanese and English,
 * as plain text and simple HTML. A mail carries no secret but its one-time link: never a password,
 * a session token or a hash.
 *
 * @module
 */
import type { MailMessage } from "./env";

/** The languages of the mails. */
export type MailLocale = MailMessage["locale"];

/** The kinds of mail the server sends. */
export type MailKind = "password_reset" | "email_change" | "email_change_notice";

/** What a mail template is filled with. */
export interface MailParams {
  locale: MailLocale;
  /** The product name shown in the subject and the body. Default `"tegata"`. */
  serviceName?: string;
  /** The one-time link (`password_reset`, `email_change`). */
  link?: string;
  /** The address the account moves to (`email_change_notice`). */
  newEmail?: string;
  /** How long the link works, in seconds (`password_reset`, `email_change`). */
  validSeconds?: number;
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

/** Escapes text for HTML content and double-quoted attributes. */
function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A duration for people: whole minutes below two hours, else whole hours. */
function duration(seconds: number, locale: MailLocale): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 120) return locale === "ja" ? `${minutes}分` : `${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  return locale === "ja" ? `${hours}時間` : `${hours} hours`;
}

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
  switch (kind) {
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
              "お心当たりがない場合は、ただちにパスワードを変更し、ほかの端末からサインアウトしてください。",
            ],
            after: [],
          }
        : {
            subject: `${service}: your email address is being changed`,
            before: [
              `Someone asked to change the email address of your ${service} account to ${target}. The change takes effect once the new address is confirmed.`,
              "If this wasn't you, change your password now and sign out your other devices.",
            ],
            after: [],
          };
    }
  }
}

/**
 * Renders one mail in its locale: subject, plain text and simple HTML (every value escaped). The
 * only secret a mail may hold is `params.link`, the one-time link.
 *
 * @throws TypeError when a link mail has no `link`, or a notice no `newEmail`.
 * @example
 * ```ts
 * const mail = renderMail("password_reset", { locale: "ja", link, validSeconds: 3600 });
 * await mailer.send({ to, kind: "password_reset", locale: "ja", link, ...mail });
 * ```
 */
export function renderMail(kind: MailKind, params: MailParams): RenderedMail {
  const service = params.serviceName ?? DEFAULT_SERVICE_NAME;
  const needsLink = kind !== "email_change_notice";
  if (needsLink && !params.link) throw new TypeError(`tegata: a ${kind} mail needs its link`);
  if (!needsLink && !params.newEmail) throw new TypeError(`tegata: a ${kind} mail needs the new address`);
  const p = parts(kind, params, service);
  const link = needsLink ? (params.link as string) : undefined;
  const text = [...p.before, ...(link === undefined ? [] : [link]), ...p.after, `— ${service}`].join("\n\n");
  const paragraph = (s: string) => `<p>${escapeHtml(s)}</p>`;
  const button =
    link === undefined
      ? []
      : [
          `<p><a href="${escapeHtml(link)}">${escapeHtml(p.action ?? link)}</a></p>`,
          `<p style="word-break:break-all;font-size:small">${escapeHtml(link)}</p>`,
        ];
  const html = [
    "<!doctype html>",
    `<html lang="${params.locale}"><head><meta charset="utf-8"><title>${escapeHtml(p.subject)}</title></head><body>`,
    ...p.before.map(paragraph),
    ...button,
    ...p.after.map(paragraph),
    `<p>— ${escapeHtml(service)}</p>`,
    "</body></html>",
  ].join("\n");
  // A subject is a mail header: no line breaks, whatever the service name holds.
  return { subject: p.subject.replace(/[\r\n]+/g, " "), text, html };
}
