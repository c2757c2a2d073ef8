/** Every issue code of a password policy. */
export type PasswordIssueCode =
  | "empty"
  | "too_short"
  | "too_long"
  | "full_width"
  | "invalid_characters"
  | "control_characters"
  | "edge_whitespace"
  | "missing_lower"
  | "missing_upper"
  | "missing_letter"
  | "missing_digit"
  | "missing_symbol"
  | "too_few_classes"
  | "repeated"
  | "sequence"
  | "context_word"
  | "common";

/** A message: fixed text, or built from the issue's params. */
export type PasswordMessage = string | ((params: Record<string, unknown>) => string);

/** Supported languages of messages. */
export type PasswordLocale = "ja" | "en";

type P = Record<string, unknown>;

/** Built-in messages: [English, Japanese] per code. */
const MESSAGES: Record<PasswordIssueCode, [PasswordMessage, PasswordMessage]> = {
  empty: ["Enter a password", "パスワードを入力してください"],
  too_short: [(p: P) => `Use at least ${p.min} characters`, (p: P) => `${p.min}文字以上で入力してください`],
  too_long: [(p: P) => `Use at most ${p.max} characters`, (p: P) => `${p.max}文字以内で入力してください`],
  full_width: [
    "Use half-width characters, not full-width",
    "全角文字が含まれています。半角で入力してください",
  ],
  invalid_characters: [
    (p: P) => `Not allowed: ${p.characters}`,
    (p: P) => `使用できない文字です（${p.characters}）`,
  ],
  control_characters: ["Control characters are not allowed", "制御文字は使用できません"],
  edge_whitespace: ["No spaces at the start or end", "先頭と末尾に空白は使用できません"],
  missing_lower: ["Add a lowercase letter", "英小文字を含めてください"],
  missing_upper: ["Add an uppercase letter", "英大文字を含めてください"],
  missing_letter: ["Add a letter", "英字を含めてください"],
  missing_digit: ["Add a digit", "数字を含めてください"],
  missing_symbol: ["Add a symbol", "記号を含めてください"],
  too_few_classes: [
    (p: P) => `Use ${p.min} of: lowercase, uppercase, digits, symbols`,
    (p: P) => `英大文字・英小文字・数字・記号のうち${p.min}種類以上を含めてください`,
  ],
  repeated: [
    (p: P) => `No character more than ${p.max} times in a row`,
    (p: P) => `同じ文字を${p.max}回より多く続けないでください`,
  ],
  sequence: [
    (p: P) => `Avoid sequences such as "${p.sequence}"`,
    (p: P) => `「${p.sequence}」のような連続した文字は使用できません`,
  ],
  context_word: [
    "Do not use your email, name or the service name",
    "メールアドレスや名前を含めないでください",
  ],
  common: ["This password is too common", "よく使われるパスワードは使用できません"],
};

/** @internal the built-in message of a code in a language. */
export function builtInMessage(code: PasswordIssueCode, locale: PasswordLocale): PasswordMessage {
  return MESSAGES[code][locale === "ja" ? 1 : 0];
}

/** @internal formats one message. */
export function format(message: PasswordMessage, params: Record<string, unknown>): string {
  return typeof message === "function" ? message(params) : message;
}
