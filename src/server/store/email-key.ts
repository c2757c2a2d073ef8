/**
 * The lookup key of an email address: the value of `StoredUser.emailKey`.
 *
 * @module
 */

/**
 * The lookup key of an email address, so that look-alikes of one address find (and cannot
 * register beside) the same account: a full-width `ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ`, typed by an IME
 * left in full-width mode, and a differently cased `Taro@Example.JP` both give `taro@example.jp`.
 *
 * Steps:
 * 1. Unicode NFKC: full-width and other compatibility forms become their plain forms
 *    (`ｔａｒｏ` → `taro`, `＠` → `@`, `Ｋ` (U+212A KELVIN SIGN) → `K`).
 * 2. Case folding for lookup, with `String.prototype.toLowerCase` (the locale-independent
 *    Unicode lower-case mapping, never the locale-sensitive `toLocaleLowerCase`, so a server in a
 *    Turkish locale computes the same key). It is the simple mapping, not full case folding:
 *    `ß` and `SS` stay different keys.
 * 3. NFKC again: lower-casing can leave a string that is no longer normalised (`J` + U+030C
 *    COMBINING CARON lowers to `j` + U+030C, which composes to `ǰ`); without this step the
 *    key of a key would differ from the key.
 * 4. Trim white space at both ends, after normalising: NFKC turns some characters into a
 *    space followed by a combining mark (U+00A8 DIAERESIS → U+0020 U+0308), which would
 *    otherwise leave a leading space that only a second pass removes.
 *
 * So `emailKey(emailKey(x)) === emailKey(x)` for every string. The address itself is not
 * validated, and internationalised domains are not converted (`例え.jp` and its punycode form
 * `xn--r8jz45g.jp` are different keys): both are the caller's concern.
 *
 * @param email - The address as the user typed it.
 * @returns The key to store in `StoredUser.emailKey` and to look accounts and lockout counters up by.
 *
 * @example
 * ```ts
 * emailKey("  ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ "); // "taro@example.jp"
 * emailKey("Taro@Example.JP"); // "taro@example.jp"
 * ```
 */
export function emailKey(email: string): string {
  return email.normalize("NFKC").toLowerCase().normalize("NFKC").trim();
}
