import type { PasswordIssue } from "../core/errors";
import type { PasswordChecker } from "../core/password-checker";
import {
  builtInMessage,
  format,
  type PasswordIssueCode,
  type PasswordLocale,
  type PasswordMessage,
} from "./messages";

/** Which characters a password may contain. */
export type CharacterSet =
  /** Any Unicode (after NFKC normalisation). */
  | "any"
  /** ASCII letters, digits, symbols and the space. */
  | "ascii-printable"
  /** Half-width letters and digits only (the common Japanese rule "半角英数字"). */
  | "half-width-alnum";

/** A character class for composition rules. */
export type CharacterClass = "lower" | "upper" | "letter" | "digit" | "symbol";

/** Options of {@link definePasswordPolicy}. */
export interface PasswordPolicyOptions {
  /** Minimum length in code points (after normalisation). Default 8. */
  minLength?: number;
  /** Maximum length in code points. Default 64. */
  maxLength?: number;
  /** Allowed characters. Default `"any"`. */
  characters?: CharacterSet;
  /** Classes that must each appear. Default none. */
  requiredClasses?: CharacterClass[];
  /** How many different classes must appear. Default 0. */
  minClasses?: number;
  /** Longest run of one repeated character (`aaaa` is a run of 4). Default: no limit. */
  maxRepeated?: number;
  /** Forbid sequences of this many characters or more (`abcd`, `4321`, `qwer`, `asdf`); 0 allows them. Default 0. */
  forbidSequences?: number;
  /** Forbid passwords containing context words (email, name, service name). Default false. */
  forbidContextWords?: boolean;
  /** Forbid the common passwords of the blocklist. Default false. */
  forbidCommon?: boolean;
  /** Forbid spaces at the start and the end. Default false. */
  forbidEdgeWhitespace?: boolean;
  /** Words always forbidden, such as the service name. */
  serviceWords?: string[];
  /** Default language of messages. Default `"en"`. */
  locale?: PasswordLocale;
  /** Custom messages by issue code. */
  messages?: Partial<Record<PasswordIssueCode, PasswordMessage>>;
}

/** Per-call context: words the password must not contain. */
export interface PasswordContext {
  /** The user's email: its local part (and its parts split at `.`, `_`, `-`, `+`) are context words. */
  email?: string;
  /** The user's name (each part is a context word). */
  name?: string;
  /** More words. */
  words?: string[];
  /** Language of this result's messages. */
  locale?: PasswordLocale;
}

/** The result of {@link validatePassword}. */
export interface PasswordValidation {
  ok: boolean;
  issues: PasswordIssue[];
  /** 0 (very weak) to 4 (strong); see docs/password.md for the formula. */
  strength: 0 | 1 | 2 | 3 | 4;
  /** False when the policy uses the blocklist and it was not loaded yet (it is loading now). */
  blocklistApplied: boolean;
}

export type { PasswordChecker };

/** A password policy: its resolved options, and {@link PasswordChecker}'s `check`. */
export interface PasswordPolicy extends PasswordChecker {
  readonly options: Readonly<Required<Omit<PasswordPolicyOptions, "messages">>> & {
    readonly messages: Partial<Record<PasswordIssueCode, PasswordMessage>>;
  };
}

let blocklist: Promise<Set<string>> | undefined; // immutable data, loaded once per process: shared on purpose
let loaded: Set<string> | undefined;

/**
 * Loads the common-password blocklist (about 24,000 entries from zxcvbn's ranked list: the 10,000
 * most common, plus every entry of 8 or more characters), a separate chunk fetched on first use.
 * Validation starts loading it by itself; await this to make sure the first validation applies it.
 *
 * @example
 * ```ts
 * await loadCommonPasswords();
 * ```
 */
export function loadCommonPasswords(): Promise<void> {
  blocklist ??= import("./common-passwords").then((m) => {
    loaded = new Set(m.default.split("\n"));
    return loaded;
  });
  blocklist.catch(() => {
    blocklist = undefined; // a failed chunk load may be retried
  });
  return blocklist.then(() => undefined);
}

/**
 * Defines a password policy, used the same way in a form (on every keystroke) and on the server.
 *
 * @example
 * ```ts
 * const policy = definePasswordPolicy({ minLength: 10, forbidCommon: true, forbidContextWords: true, locale: "ja" });
 * ```
 * @throws TypeError for inconsistent options (negative lengths, min above max).
 */
export function definePasswordPolicy(options: PasswordPolicyOptions = {}): PasswordPolicy {
  const resolved = {
    minLength: options.minLength ?? 8,
    maxLength: options.maxLength ?? 64,
    characters: options.characters ?? "any",
    requiredClasses: [...(options.requiredClasses ?? [])],
    minClasses: options.minClasses ?? 0,
    maxRepeated: options.maxRepeated ?? 0,
    forbidSequences: options.forbidSequences ?? 0,
    forbidContextWords: options.forbidContextWords ?? false,
    forbidCommon: options.forbidCommon ?? false,
    forbidEdgeWhitespace: options.forbidEdgeWhitespace ?? false,
    serviceWords: [...(options.serviceWords ?? [])],
    locale: options.locale ?? "en",
    messages: { ...options.messages },
  };
  const counts = [
    resolved.minLength,
    resolved.maxLength,
    resolved.minClasses,
    resolved.maxRepeated,
    resolved.forbidSequences,
  ];
  if (counts.some((n) => !Number.isInteger(n) || n < 0) || resolved.minLength > resolved.maxLength) {
    throw new TypeError("tegata: bad policy");
  }
  const policy: PasswordPolicy = {
    options: resolved,
    async check(password, context) {
      if (resolved.forbidCommon) await loadCommonPasswords();
      return validatePassword(policy, password, context);
    },
  };
  return policy;
}

/**
 * Ready-made policies. Each access returns a new policy object.
 *
 * - `nist`: NIST SP 800-63B: at least 8 and at most 64 code points after NFKC, any Unicode, no
 *   composition rules, blocklist and context words on, no control characters.
 *   When the password is the only factor, NIST asks for at least 15:
 *   `definePasswordPolicy({ ...presets.nist.options, minLength: 15 })`.
 * - `halfWidthAlnum`: the common Japanese rule "6〜20文字の半角英数字（英字と数字を両方含む）".
 */
export const presets = {
  get nist(): PasswordPolicy {
    return definePasswordPolicy({
      minLength: 8,
      maxLength: 64,
      forbidCommon: true,
      forbidContextWords: true,
    });
  },
  get halfWidthAlnum(): PasswordPolicy {
    return definePasswordPolicy({
      minLength: 6,
      maxLength: 20,
      characters: "half-width-alnum",
      requiredClasses: ["letter", "digit"],
      forbidEdgeWhitespace: true,
      locale: "ja",
    });
  },
};

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const CLASS_BITS = { lower: 1, upper: 2, letter: 3, digit: 4, symbol: 8 };
const ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];

function contextWords(
  policy: PasswordPolicy & { _memo?: [string, string[]] },
  context: PasswordContext | undefined,
): string[] {
  // Keystrokes repeat the same context: keep the last derived words on the policy.
  const key = `${context?.email}\n${context?.name}\n${context?.words}`;
  if (policy._memo?.[0] === key) return policy._memo[1];
  const raw = [...policy.options.serviceWords, ...(context?.words ?? [])];
  if (context?.email) {
    const local = context.email.split("@")[0] ?? "";
    raw.push(local, ...local.split(/[._+-]/));
  }
  if (context?.name) raw.push(...context.name.split(/\s+/));
  const words = new Set<string>();
  for (const w of raw) {
    const n = (PRINTABLE_ASCII.test(w) ? w : w.normalize("NFKC")).toLowerCase().trim();
    if ([...n].length >= 3) words.add(n);
  }
  policy._memo = [key, [...words]];
  return policy._memo[1];
}

function findSequence(lower: string, min: number): string | undefined {
  const cps = [...lower];
  // Alphabetic or numeric runs going up or down by one: abcd, 4321.
  let run = 1;
  let dir = 0;
  for (let i = 1; i < cps.length; i++) {
    const a = cps[i - 1] as string;
    const b = cps[i] as string;
    const d = (b.codePointAt(0) as number) - (a.codePointAt(0) as number); // a, b: one code point each
    const alnum = /^(?:[a-z]{2}|\d{2})$/.test(a + b); // both letters or both digits
    if (alnum && (d === 1 || d === -1) && (run === 1 || d === dir)) {
      run++;
      dir = d;
    } else {
      run = alnum && (d === 1 || d === -1) ? 2 : 1;
      dir = d;
    }
    if (run >= min) return cps.slice(i - min + 1, i + 1).join("");
  }
  // Keyboard rows, both directions: qwer, asdf, fdsa.
  for (let i = 0; i + min <= cps.length; i++) {
    const chunk = cps.slice(i, i + min).join("");
    const reversed = [...chunk].reverse().join("");
    if (ROWS.some((row) => row.includes(chunk) || row.includes(reversed))) return chunk;
  }
  return undefined;
}

/**
 * Validates a password against a policy: synchronous and fast enough for every keystroke, and the
 * same on the server. Never throws for any string (empty, 10 kB, lone surrogates, emoji, control
 * characters); time is linear in the length.
 *
 * @throws TypeError when `password` is not a string (a programming error: a form field's value
 * is always a string), not an `empty` issue.
 * @example
 * ```ts
 * const { ok, issues, strength } = validatePassword(presets.nist, input, { email, locale: "ja" });
 * ```
 */
export function validatePassword(
  policy: PasswordPolicy,
  password: string,
  context?: PasswordContext,
): PasswordValidation {
  if (typeof password !== "string") throw new TypeError("tegata: password is not a string");
  const o = policy.options;
  const locale = context?.locale ?? o.locale;
  const issues: PasswordIssue[] = [];
  const add = (code: PasswordIssueCode, params: Record<string, unknown> = {}) => {
    issues.push({ code, message: format(o.messages[code] ?? builtInMessage(code, locale), params), params });
  };
  const blocklistApplied = !o.forbidCommon || loaded !== undefined;
  if (password === "") {
    add("empty");
    return { ok: false, issues, strength: 0, blocklistApplied };
  }
  // Printable ASCII is its own NFKC form: the common case skips normalisation (keystroke speed).
  const value =
    o.characters !== "any" || PRINTABLE_ASCII.test(password) || LONE_SURROGATE.test(password)
      ? password
      : password.normalize("NFKC");
  // One pass over the code points: classes as bits (lower 1, upper 2, digit 4, symbol 8, other 16).
  let mask = 0;
  let length = 0;
  let fullWidth = false;
  let control = false;
  let invalid = "";
  let maxRun = 0;
  let run = 0;
  let prev = -1;
  for (let i = 0; i < value.length; length++) {
    const cp = value.codePointAt(i) as number;
    i += cp > 0xffff ? 2 : 1;
    const bit =
      cp >= 97 && cp <= 122
        ? 1
        : cp >= 65 && cp <= 90
          ? 2
          : cp >= 48 && cp <= 57
            ? 4
            : cp >= 32 && cp < 127
              ? 8
              : 16;
    mask |= bit;
    if (cp < 32 || (cp >= 127 && cp < 160)) control = true;
    else if (o.characters !== "any" && (bit === 16 || (bit === 8 && o.characters === "half-width-alnum"))) {
      if ((cp >= 0xff01 && cp <= 0xff5e) || cp === 0x3000) fullWidth = true;
      else invalid += String.fromCodePoint(cp);
    }
    run = cp === prev ? run + 1 : 1;
    prev = cp;
    if (run > maxRun) maxRun = run;
  }
  if (length < o.minLength) add("too_short", { min: o.minLength, length });
  if (length > o.maxLength) add("too_long", { max: o.maxLength, length });
  if (control) add("control_characters");
  if (o.forbidEdgeWhitespace && /^\s|\s$/.test(value)) add("edge_whitespace");
  if (LONE_SURROGATE.test(value)) invalid += "\ufffd";
  if (fullWidth) add("full_width");
  if (invalid) add("invalid_characters", { characters: [...invalid].slice(0, 5).join("") });
  for (const cls of o.requiredClasses) if (!(mask & CLASS_BITS[cls])) add(`missing_${cls}`);
  const counted = (mask & 1) + ((mask >> 1) & 1) + ((mask >> 2) & 1) + ((mask >> 3) & 1);
  if (o.minClasses > 0 && counted < o.minClasses)
    add("too_few_classes", { min: o.minClasses, count: counted });
  if (o.maxRepeated > 0 && maxRun > o.maxRepeated) add("repeated", { max: o.maxRepeated });

  const lower = value.toLowerCase();
  let weak = false;
  if (o.forbidSequences > 0) {
    const sequence = findSequence(lower, o.forbidSequences);
    if (sequence) add("sequence", { sequence });
  }
  if (o.forbidContextWords || o.serviceWords.length > 0) {
    const word = contextWords(policy, context).find((w) => lower.includes(w));
    if (word !== undefined) {
      add("context_word", { word });
      weak = true;
    }
  }
  if (o.forbidCommon) {
    if (loaded) {
      if (loaded.has(lower)) {
        add("common");
        weak = true;
      }
    } else {
      loadCommonPasswords().catch(() => {});
    }
  }
  return {
    ok: issues.length === 0,
    issues,
    strength: weak ? 0 : strengthOf(length, mask, maxRun),
    blocklistApplied,
  };
}

/** @internal (length − long repeats) × log2(pool of the classes used), mapped to 0–4. */
function strengthOf(length: number, mask: number, maxRun: number): 0 | 1 | 2 | 3 | 4 {
  const pool =
    (mask & 1 ? 26 : 0) +
    (mask & 2 ? 26 : 0) +
    (mask & 4 ? 10 : 0) +
    (mask & 8 ? 33 : 0) +
    (mask & 16 ? 100 : 0);
  const bits = Math.max(0, length - Math.max(0, maxRun - 2)) * Math.log2(Math.max(pool, 2));
  return bits < 28 ? 0 : bits < 36 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4;
}

/**
 * The policy's rules as short sentences, for a hint under the password field.
 *
 * @example
 * ```ts
 * describePolicy(presets.halfWidthAlnum, "ja"); // ["6〜20文字で入力してください", "半角英数字のみ使用できます", …]
 * ```
 */
export function describePolicy(
  policy: PasswordPolicy,
  locale: PasswordLocale = policy.options.locale,
): string[] {
  const o = policy.options;
  const ja = locale === "ja";
  const m = (code: PasswordIssueCode, params: Record<string, unknown> = {}) =>
    format(builtInMessage(code, locale), params);
  const lines = [
    ja
      ? `${o.minLength}〜${o.maxLength}文字で入力してください`
      : `Use ${o.minLength} to ${o.maxLength} characters`,
  ];
  if (o.characters === "half-width-alnum")
    lines.push(ja ? "半角英数字のみ使用できます" : "Use half-width letters and digits only");
  if (o.characters === "ascii-printable")
    lines.push(ja ? "半角英数字と記号のみ使用できます" : "Use ASCII characters only");
  for (const cls of o.requiredClasses) lines.push(m(`missing_${cls}`));
  if (o.minClasses > 0) lines.push(m("too_few_classes", { min: o.minClasses }));
  if (o.maxRepeated > 0) lines.push(m("repeated", { max: o.maxRepeated }));
  if (o.forbidSequences > 0) lines.push(m("sequence", { sequence: "abcd" }));
  if (o.forbidContextWords) lines.push(m("context_word"));
  if (o.forbidCommon) lines.push(m("common"));
  return lines;
}
