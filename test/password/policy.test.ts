import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import * as z from "zod/mini";
import {
  definePasswordPolicy,
  describePolicy,
  loadCommonPasswords,
  type PasswordIssueCode,
  passwordSchema,
  presets,
  validatePassword,
} from "../../src/password/index";

beforeAll(() => loadCommonPasswords());

const codes = (r: { issues: { code: string }[] }) => r.issues.map((i) => i.code);
const strict = definePasswordPolicy({
  minLength: 8,
  maxLength: 20,
  characters: "ascii-printable",
  requiredClasses: ["lower", "upper", "digit", "symbol"],
  maxRepeated: 2,
  forbidSequences: 4,
  forbidContextWords: true,
  forbidCommon: true,
  forbidEdgeWhitespace: true,
  serviceWords: ["tegata"],
});

describe("each rule, in both locales", () => {
  it.each<[string, string, PasswordIssueCode, string, string]>([
    ["empty", "", "empty", "Enter a password", "パスワードを入力してください"],
    ["too short", "Ab1!x", "too_short", "Use at least 8 characters", "8文字以上で入力してください"],
    [
      "too long",
      "Ab1!xyzw".repeat(3),
      "too_long",
      "Use at most 20 characters",
      "20文字以内で入力してください",
    ],
    [
      "full-width",
      "Ｐａｓｓ１！ｘｙ",
      "full_width",
      "Use half-width characters, not full-width",
      "全角文字が含まれています。半角で入力してください",
    ],
    [
      "a full-width space",
      "Kq7!mZ\u3000pR",
      "full_width",
      "Use half-width characters, not full-width",
      "全角文字が含まれています。半角で入力してください",
    ],
    ["non-ASCII", "Kq7!mZpRあ", "invalid_characters", "Not allowed: あ", "使用できない文字です（あ）"],
    [
      "a control character",
      "Kq7!mZ\u0000pR",
      "control_characters",
      "Control characters are not allowed",
      "制御文字は使用できません",
    ],
    [
      "edge spaces",
      " Kq7!mZpR",
      "edge_whitespace",
      "No spaces at the start or end",
      "先頭と末尾に空白は使用できません",
    ],
    ["no lowercase", "KQ7!MZPR", "missing_lower", "Add a lowercase letter", "英小文字を含めてください"],
    ["no uppercase", "kq7!mzpr", "missing_upper", "Add an uppercase letter", "英大文字を含めてください"],
    ["no digit", "Kqx!mZpR", "missing_digit", "Add a digit", "数字を含めてください"],
    ["no symbol", "Kq7xmZpR", "missing_symbol", "Add a symbol", "記号を含めてください"],
    [
      "a repeat",
      "Kq7!mmmZ",
      "repeated",
      "No character more than 2 times in a row",
      "同じ文字を2回より多く続けないでください",
    ],
    [
      "an ascending run",
      "Kq!zabcd7",
      "sequence",
      'Avoid sequences such as "abcd"',
      "「abcd」のような連続した文字は使用できません",
    ],
    [
      "a descending run",
      "Kq!z9876w",
      "sequence",
      'Avoid sequences such as "9876"',
      "「9876」のような連続した文字は使用できません",
    ],
    [
      "a keyboard row",
      "Kq7!Zqwer",
      "sequence",
      'Avoid sequences such as "qwer"',
      "「qwer」のような連続した文字は使用できません",
    ],
    [
      "a reversed keyboard row",
      "Kq7!Zfdsa",
      "sequence",
      'Avoid sequences such as "fdsa"',
      "「fdsa」のような連続した文字は使用できません",
    ],
    [
      "the service name",
      "Kq7!TeGaTa",
      "context_word",
      "Do not use your email, name or the service name",
      "メールアドレスや名前を含めないでください",
    ],
  ])("%s", (_label, password, code, en, ja) => {
    const r = validatePassword(strict, password);
    expect(codes(r)).toContain(code);
    expect(r.ok).toBe(false);
    expect(r.issues.find((i) => i.code === code)?.message).toBe(en);
    expect(
      validatePassword(strict, password, { locale: "ja" }).issues.find((i) => i.code === code)?.message,
    ).toBe(ja);
  });

  it("accepts a password that meets every rule", () => {
    const r = validatePassword(strict, "Kq7!mZpR#w");
    expect(r).toMatchObject({ ok: true, issues: [], blocklistApplied: true });
    expect(r.strength).toBeGreaterThanOrEqual(3);
  });

  it("refuses context words from the email and the name, case-insensitively", () => {
    const nist = presets.nist;
    const context = { email: "taro.yamada+news@example.jp", name: "Taro Yamada" };
    for (const pw of ["my-YAMADA-horse-battery", "taro.yamada+news", "NEWSPAPER delivery!"]) {
      expect(codes(validatePassword(nist, pw, context))).toContain("context_word");
    }
    expect(validatePassword(nist, "correct horse battery staple", context).ok).toBe(true);
  });

  it("refuses common passwords and reports them with strength 0", () => {
    for (const pw of ["password", "12345678", "iloveyou", "sunshine", "baseball"]) {
      const r = validatePassword(presets.nist, pw);
      expect(codes(r)).toContain("common");
      expect(r.strength).toBe(0);
    }
    expect(validatePassword(presets.nist, "PASSWORD").issues.map((i) => i.code)).toContain("common");
  });

  it("custom messages by code, as text or a function", () => {
    const policy = definePasswordPolicy({
      minLength: 10,
      messages: { too_short: (p) => `≥${p.min}!`, common: "nope" },
      forbidCommon: true,
    });
    expect(validatePassword(policy, "short").issues[0]?.message).toBe("≥10!");
    expect(validatePassword(policy, "password1234").issues.find((i) => i.code === "common")?.message).toBe(
      "nope",
    );
  });
});

describe("presets", () => {
  it("nist: 8 to 64 code points after NFKC, any Unicode, no composition rules", () => {
    const nist = presets.nist;
    expect(validatePassword(nist, "ひらがなのパスワード").ok).toBe(true);
    expect(validatePassword(nist, "short").ok).toBe(false);
    expect(validatePassword(nist, "correcthorsebatterystaple").ok).toBe(true);
    // Full-width is normalised by NFKC under Unicode rules: ＡＢＣ becomes ABC.
    expect(validatePassword(nist, "Ｃｏｒｒｅｃｔ　Ｈｏｒｓｅ　Ｂａｔｔｅｒｙ").ok).toBe(true);
    // Length counts code points: 8 emoji are 16 UTF-16 units but 8 characters.
    expect(validatePassword(nist, "🐱🐶🐭🐹🐰🦊🐻🐼").ok).toBe(true);
    expect(codes(validatePassword(nist, "🐱🐶🐭🐹🐰🦊🐻"))).toEqual(["too_short"]);
    expect(codes(validatePassword(nist, "x".repeat(65)))).toContain("too_long");
    const single = definePasswordPolicy({ ...presets.nist.options, minLength: 15 });
    expect(codes(validatePassword(single, "horse staple 12"))).toEqual([]);
    expect(codes(validatePassword(single, "horse staple 1"))).toEqual(["too_short"]);
  });

  it("halfWidthAlnum: 6 to 20 half-width letters and digits, both required, Japanese messages", () => {
    const p = presets.halfWidthAlnum;
    expect(validatePassword(p, "abc123").ok).toBe(true);
    expect(codes(validatePassword(p, "abcdef"))).toEqual(["missing_digit"]);
    expect(codes(validatePassword(p, "123456"))).toEqual(["missing_letter"]);
    expect(codes(validatePassword(p, "abc12"))).toEqual(["too_short"]);
    expect(codes(validatePassword(p, "abc123!"))).toEqual(["invalid_characters"]);
    const fw = validatePassword(p, "ａｂｃ１２３");
    expect(codes(fw)).toEqual(["full_width", "missing_letter", "missing_digit"]);
    expect(fw.issues[0]?.message).toBe("全角文字が含まれています。半角で入力してください");
  });
});

describe("describePolicy", () => {
  it("says the rules as short sentences", () => {
    expect(describePolicy(presets.halfWidthAlnum)).toEqual([
      "6〜20文字で入力してください",
      "半角英数字のみ使用できます",
      "英字を含めてください",
      "数字を含めてください",
    ]);
    expect(describePolicy(presets.nist, "en")).toEqual([
      "Use 8 to 64 characters",
      "Do not use your email, name or the service name",
      "This password is too common",
    ]);
    expect(describePolicy(strict, "ja")).toContain("「abcd」のような連続した文字は使用できません");
  });
});

describe("passwordSchema (zod/mini)", () => {
  it("carries the policy's issues into zod issues", () => {
    const Form = z.object({
      email: z.string(),
      password: passwordSchema(presets.halfWidthAlnum, { locale: "ja" }),
    });
    expect(Form.safeParse({ email: "a@example.jp", password: "abc123" }).success).toBe(true);
    const bad = Form.safeParse({ email: "a@example.jp", password: "abc" });
    expect(bad.success).toBe(false);
    const issues = bad.error?.issues ?? [];
    expect(issues.map((i) => (i as { params?: { code?: string } }).params?.code)).toEqual([
      "too_short",
      "missing_digit",
    ]);
    expect(issues[0]?.message).toBe("6文字以上で入力してください");
    expect(issues[0]?.path).toEqual(["password"]);
  });

  it("takes context words", () => {
    const schema = passwordSchema(presets.nist, { context: { email: "hanako@example.jp" } });
    expect(schema.safeParse("hanako-loves-tea").success).toBe(false);
  });
});

describe("the blocklist and check()", () => {
  it("check() loads the blocklist and returns ok and issues", async () => {
    expect(await presets.nist.check("password")).toMatchObject({ ok: false, issues: [{ code: "common" }] });
    expect(await presets.nist.check("a calm purple lighthouse")).toMatchObject({ ok: true, issues: [] });
  });
});

describe("bad input: any string is a result, never an exception", () => {
  it.each([
    ["a 10 kB string", "a".repeat(10_240)],
    ["lone surrogates", "abc\ud800def\udc00ghi"],
    ["emoji with ZWJ", "👩‍👩‍👧‍👦👩‍👩‍👧‍👦👩‍👩‍👧‍👦"],
    ["combining marks", "e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301"],
    ["NUL and control characters", "pass\u0000word\u0007\u001b[31m"],
    ["only spaces", "        "],
  ])("%s", (_label, input) => {
    for (const policy of [presets.nist, presets.halfWidthAlnum, strict]) {
      const r = validatePassword(policy, input);
      expect(Array.isArray(r.issues)).toBe(true);
      expect(r.strength).toBeGreaterThanOrEqual(0);
    }
  });

  it("lone surrogates and control characters are reported, also under the Unicode preset", () => {
    expect(codes(validatePassword(presets.nist, "abcdefgh\ud800"))).toContain("invalid_characters");
    expect(codes(validatePassword(presets.nist, "abcdefgh\u0000"))).toContain("control_characters");
  });

  it('non-string input is a programming error that names the type (not an "empty" issue)', () => {
    expect(() => validatePassword(presets.nist, undefined as never)).toThrow(/password is not a string/);
    expect(() => validatePassword(presets.nist, 12345678 as never)).toThrow(/password is not a string/);
  });
});

describe("properties", () => {
  const word = fc.stringMatching(/^[a-z]{3,8}$/);
  const anyString = fc.string({ unit: "binary", maxLength: 40 });

  it("never throws, for any Unicode input and any preset", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        for (const p of [presets.nist, presets.halfWidthAlnum, strict]) validatePassword(p, s);
      }),
    );
  });

  it("a password that passes never contains a context word (case-insensitive, after NFKC)", () => {
    // Passwords that pass the other rules, half of them with a context word in some case or
    // width: both sides of the implication occur (counted), so it cannot hold vacuously.
    const filler = fc.string({ unit: "grapheme-ascii", minLength: 5, maxLength: 12 });
    const fullWidth = (s: string) =>
      [...s].map((c) => String.fromCodePoint((c.codePointAt(0) ?? 0) + 0xfee0)).join("");
    const shape = fc.constantFrom(
      (w: string) => w,
      (w: string) => w.toUpperCase(),
      fullWidth,
    );
    let passed = 0;
    let containing = 0;
    fc.assert(
      fc.property(
        filler,
        filler,
        word,
        word,
        fc.option(fc.tuple(fc.boolean(), shape), { nil: undefined }),
        (a, b, local, name, insert) => {
          const pw = `${a}${insert ? insert[1](insert[0] ? local : name) : ""}${b}`;
          const r = validatePassword(presets.nist, pw, { email: `${local}@example.com`, name });
          const n = pw.normalize("NFKC").toLowerCase();
          const contains = n.includes(local) || n.includes(name);
          expect(r.ok && contains).toBe(false);
          passed += r.ok ? 1 : 0;
          containing += contains ? 1 : 0;
        },
      ),
    );
    expect(passed).toBeGreaterThan(0);
    expect(containing).toBeGreaterThan(0);
  });

  it("NFKC-equal inputs give equal results under the Unicode preset", () => {
    const fullWidth = (s: string) =>
      [...s]
        .map((c) => (c >= "!" && c <= "~" ? String.fromCodePoint((c.codePointAt(0) ?? 0) + 0xfee0) : c))
        .join("");
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-ascii", minLength: 0, maxLength: 30 }), (s) => {
        const a = validatePassword(presets.nist, s);
        const b = validatePassword(presets.nist, fullWidth(s));
        const c = validatePassword(presets.nist, s.normalize("NFKC"));
        expect(b).toEqual(a);
        expect(c).toEqual(a);
      }),
    );
  });

  it("the result is deterministic and issues have messages", () => {
    let issues = 0; // so that "every issue has a message" is not vacuous
    fc.assert(
      fc.property(anyString, (s) => {
        const r = validatePassword(strict, s, { locale: "ja" });
        expect(validatePassword(strict, s, { locale: "ja" })).toEqual(r);
        expect(r.issues.filter((i) => i.message.length === 0)).toEqual([]);
        issues += r.issues.length;
      }),
    );
    expect(issues).toBeGreaterThan(0);
  });
});
