import fc from "fast-check";
import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import { bytesEqual, hashToken, randomToken, timingSafeEqual } from "../../../src/server/crypto/tokens";

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

describe("randomToken", () => {
  it("is 32 random bytes in base64url by default (43 characters)", () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(base64url.decode(token)).toHaveLength(32);
  });

  it("takes the number of bytes", () => {
    expect(base64url.decode(randomToken(16))).toHaveLength(16);
    expect(base64url.decode(randomToken(1))).toHaveLength(1);
    expect(base64url.decode(randomToken(65_536))).toHaveLength(65_536);
  });

  it("does not repeat", () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken()));
    expect(tokens.size).toBe(1000);
  });

  it("refuses a byte count that is not an integer from 1 to 65536", () => {
    for (const bytes of [0, -1, 1.5, 65_537, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => randomToken(bytes)).toThrow(RangeError);
    }
  });
});

describe("hashToken", () => {
  it('is SHA-256: "abc" gives the FIPS 180-2 appendix B.1 digest', async () => {
    const digest = base64url.decode(await hashToken("abc"));
    expect(hex(digest)).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("matches the FIPS 180-2 appendix B.2 digest (two-block message)", async () => {
    const digest = base64url.decode(
      await hashToken("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    );
    expect(hex(digest)).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });

  it("is base64url without padding, deterministic, and differs from the token", async () => {
    const token = randomToken();
    const hash = await hashToken(token);
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await hashToken(token)).toBe(hash);
    expect(hash).not.toBe(token);
  });

  it("hashes the UTF-8 bytes", async () => {
    // "é" as U+00E9 is c3 a9 in UTF-8; the precomposed and decomposed forms differ.
    expect(await hashToken("\u00e9")).not.toBe(await hashToken("e\u0301"));
  });
});

describe("timingSafeEqual", () => {
  it("tells equal strings from different ones", () => {
    expect(timingSafeEqual("", "")).toBe(true);
    expect(timingSafeEqual("123456", "123456")).toBe(true);
    expect(timingSafeEqual("123456", "123457")).toBe(false);
    expect(timingSafeEqual("123456", "12345")).toBe(false);
    expect(timingSafeEqual("12345", "123456")).toBe(false);
    expect(timingSafeEqual("", "a")).toBe(false);
    expect(timingSafeEqual("a\u0000", "a")).toBe(false);
  });

  it("agrees with === on any strings, lone surrogates included", () => {
    const text = fc.string({ unit: "binary", maxLength: 20 });
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(timingSafeEqual(a, b)).toBe(a === b);
        expect(timingSafeEqual(a, a)).toBe(true);
      }),
    );
    // Two lone surrogates that UTF-8 would both turn into U+FFFD.
    expect(timingSafeEqual("\ud800", "\udc00")).toBe(false);
  });

  it("bytesEqual agrees with element-wise equality", () => {
    const bytes = fc.uint8Array({ maxLength: 16 });
    fc.assert(
      fc.property(bytes, bytes, (a, b) => {
        const same = a.length === b.length && a.every((x, i) => x === b[i]);
        expect(bytesEqual(a, b)).toBe(same);
      }),
    );
  });
});
