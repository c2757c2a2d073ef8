import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emailKey } from "../../src/server/store/email-key";

/** The full-width form of printable ASCII (U+0021–U+007E → U+FF01–U+FF5E; space → U+3000). */
function fullWidth(ascii: string): string {
  return [...ascii]
    .map((c) => {
      const code = c.charCodeAt(0);
      if (code === 0x20) return "\u3000";
      return code > 0x20 && code < 0x7f ? String.fromCharCode(code + 0xfee0) : c;
    })
    .join("");
}

/** Printable ASCII strings, shaped like addresses often enough to matter. */
const asciiText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
});
const asciiAddress = fc.oneof(asciiText, fc.emailAddress());

describe("emailKey", () => {
  it("maps a full-width address to the half-width one", () => {
    expect(emailKey("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ")).toBe("taro@example.jp");
    expect(emailKey("ＴＡＲＯ＠ＥＸＡＭＰＬＥ．ＪＰ")).toBe("taro@example.jp");
  });

  it("trims, lower-cases and keeps the rest", () => {
    expect(emailKey("  Taro.Yamada+Tag@Example.JP \n")).toBe("taro.yamada+tag@example.jp");
    expect(emailKey("\u3000taro@example.jp\u3000")).toBe("taro@example.jp");
    expect(emailKey("")).toBe("");
  });

  it("folds compatibility characters (KELVIN SIGN, circled and ligature forms)", () => {
    expect(emailKey("\u212Aen@example.jp")).toBe("ken@example.jp");
    expect(emailKey("o\uFB03ce@example.jp")).toBe("office@example.jp");
  });

  it("does not depend on the locale (dotless i rules of Turkish do not apply)", () => {
    expect(emailKey("IRMAK@example.com")).toBe("irmak@example.com");
  });

  it("is the simple lower-case mapping, not full case folding", () => {
    expect(emailKey("STRASSE@example.de")).toBe("strasse@example.de");
    expect(emailKey("straße@example.de")).toBe("straße@example.de");
  });

  it("is idempotent even where NFKC then lower case alone is not", () => {
    // J + COMBINING CARON lowers to j + caron, which NFKC composes to U+01F0.
    expect(emailKey("J\u030C@example.com")).toBe("\u01F0@example.com");
    // DIAERESIS becomes SPACE + COMBINING DIAERESIS under NFKC: the space is trimmed.
    expect(emailKey("\u00A8a")).toBe("\u0308a");
    for (const tricky of ["J\u030C@example.com", "\u00A8a", "\u0130x", "\u03F9", "\u1E9E"]) {
      expect(emailKey(emailKey(tricky))).toBe(emailKey(tricky));
    }
  });

  it("property: idempotent on any string", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: "grapheme-composite" }), asciiAddress),
        (s) => {
          const key = emailKey(s);
          expect(emailKey(key)).toBe(key);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("property: the full-width and half-width forms of an ASCII address give the same key", () => {
    fc.assert(
      fc.property(asciiAddress, (s) => {
        expect(emailKey(fullWidth(s))).toBe(emailKey(s));
      }),
      { numRuns: 300 },
    );
  });

  it("property: case-insensitive on ASCII, in either width, whatever letters are upper case", () => {
    fc.assert(
      fc.property(asciiAddress, fc.array(fc.boolean(), { minLength: 1 }), fc.boolean(), (s, flips, wide) => {
        const mixed = [...s]
          .map((c, i) => (flips[i % flips.length] ? c.toUpperCase() : c.toLowerCase()))
          .join("");
        const form = wide ? fullWidth : (x: string) => x;
        expect(emailKey(form(mixed))).toBe(emailKey(s));
        expect(emailKey(form(s.toUpperCase()))).toBe(emailKey(s.toLowerCase()));
      }),
      { numRuns: 300 },
    );
  });

  it("property: the key is trimmed and has no upper-case ASCII", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), asciiAddress), (s) => {
        const key = emailKey(s);
        expect(key).toBe(key.trim());
        expect(key).not.toMatch(/[A-Z]/);
      }),
    );
  });
});
