/**
 * The mail of a second-factor code (「設定済みメールアドレスに認証コードが届いているか確認」): the
 * 6-digit code, how long it works, and what to do when the sign-in was not yours. The code is the
 * mail's only secret; there is no link.
 *
 * @module
 */
import type { MailLocale, RenderedMail } from "./mail";
import { DEFAULT_SERVICE_NAME, oneLine } from "./mail";

/** Escapes text for HTML content. */
function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * Renders the code mail in `locale` (text and simple HTML).
 *
 * @example
 * ```ts
 * const mail = renderEmailCodeMail({ locale: "ja", code: "123456", validSeconds: 600 });
 * ```
 */
export function renderEmailCodeMail(params: {
  locale: MailLocale;
  code: string;
  validSeconds: number;
  serviceName?: string;
}): RenderedMail {
  const service = oneLine(params.serviceName ?? DEFAULT_SERVICE_NAME);
  const minutes = Math.max(1, Math.round(params.validSeconds / 60));
  const ja = params.locale === "ja";
  const subject = ja ? `【${service}】認証コード` : `${service}: your sign-in code`;
  const before = ja
    ? [`${service} へのログインの認証コードです。ログイン画面に入力してください。`]
    : [`Here is the code to finish signing in to ${service}. Enter it on the sign-in screen:`];
  const after = ja
    ? [
        `このコードの有効期限は${minutes}分で、一度だけ使えます。`,
        "お心当たりがない場合は、どなたかがあなたのパスワードでログインしようとしています。ただちにパスワードを変更してください。",
      ]
    : [
        `The code works once, for ${minutes} minutes.`,
        "If this wasn't you, someone knows your password: change it now.",
      ];
  const text = [...before, params.code, ...after, `— ${service}`].join("\n\n");
  const html = [
    "<!doctype html>",
    `<html lang="${params.locale}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body>`,
    ...before.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p style="font-size:x-large;letter-spacing:0.2em"><strong>${escapeHtml(params.code)}</strong></p>`,
    ...after.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p>— ${escapeHtml(service)}</p>`,
    "</body></html>",
  ].join("\n");
  return { subject, text, html };
}
