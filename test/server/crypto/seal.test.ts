import * as nodeCrypto from "node:crypto";
import fc from "fast-check";
import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import { createSealer, hkdfSha256, SealError } from "../../../src/server/crypto/seal";

const fromHex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

const SECRET = "tegata test secret, 32 bytes or more!!";
const OTHER_SECRET = new Uint8Array(32).fill(9);

async function sealError(promise: Promise<unknown>): Promise<SealError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SealError);
  return error as SealError;
}

describe("hkdfSha256 (WebCrypto HKDF)", () => {
  it("gives the OKM of RFC 5869 test case 1", async () => {
    const okm = await hkdfSha256(
      fromHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
      fromHex("000102030405060708090a0b0c"),
      fromHex("f0f1f2f3f4f5f6f7f8f9"),
      42,
    );
    expect(hex(okm)).toBe(
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    );
  });

  it("gives the OKM of RFC 5869 test case 3 (zero-length salt and info)", async () => {
    const okm = await hkdfSha256(
      fromHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
      new Uint8Array(0),
      new Uint8Array(0),
      42,
    );
    expect(hex(okm)).toBe(
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
    );
  });
});

describe("createSealer", () => {
  it("refuses a secret shorter than 32 bytes, naming the minimum", () => {
    expect(() => createSealer("x".repeat(31))).toThrow(TypeError);
    expect(() => createSealer("x".repeat(31))).toThrow(/32 bytes/);
    expect(() => createSealer(new Uint8Array(31))).toThrow(/32 bytes/);
    expect(() => createSealer(SECRET, { previous: ["short"] })).toThrow(/previous\[0\].*32 bytes/);
    // Counted in UTF-8 bytes: 11 three-byte characters are 33 bytes.
    expect(() => createSealer("鍵".repeat(11))).not.toThrow();
    expect(() => createSealer(new Uint8Array(32))).not.toThrow();
  });

  it("refuses an empty purpose", async () => {
    const sealer = createSealer(SECRET);
    await expect(sealer.seal("x", "")).rejects.toThrow(TypeError);
    await expect(sealer.open(await sealer.seal("x", "p"), "")).rejects.toThrow(TypeError);
  });

  it("round-trips any string, for any purpose", async () => {
    const sealer = createSealer(SECRET);
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: "grapheme" }),
        fc.string({ minLength: 1 }),
        async (text, purpose) => {
          expect(await sealer.open(await sealer.seal(text, purpose), purpose)).toBe(text);
        },
      ),
    );
  });

  it("writes v1.<96-bit IV>.<ciphertext and 128-bit tag>, with a fresh IV each time", async () => {
    const sealer = createSealer(SECRET);
    const a = await sealer.seal("JBSWY3DPEHPK3PXP", "totp-secret");
    const b = await sealer.seal("JBSWY3DPEHPK3PXP", "totp-secret");
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    const [, iv = "", body = ""] = a.split(".");
    expect(base64url.decode(iv)).toHaveLength(12);
    expect(base64url.decode(body)).toHaveLength(16 + 16);
    expect(b).not.toBe(a);
    expect(a).not.toContain("JBSWY3DPEHPK3PXP");
  });

  it("is AES-256-GCM under HKDF-SHA-256(secret, fixed salt, 'tegata seal v1'), the purpose as AAD (checked with node:crypto)", async () => {
    const sealed = await createSealer(SECRET).seal("JBSWY3DPEHPK3PXP", "totp-secret");
    const [, iv = "", body = ""] = sealed.split(".");
    const key = Buffer.from(
      nodeCrypto.hkdfSync("sha256", Buffer.from(SECRET), "tegata seal v1 salt", "tegata seal v1", 32),
    );
    const bytes = Buffer.from(body, "base64url");
    const decipher = nodeCrypto.createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from("totp-secret"));
    decipher.setAuthTag(bytes.subarray(-16));
    const plaintext = Buffer.concat([decipher.update(bytes.subarray(0, -16)), decipher.final()]);
    expect(plaintext.toString("utf8")).toBe("JBSWY3DPEHPK3PXP");
  });

  it("opens a v1 value sealed by node:crypto from that description (the format stays readable)", async () => {
    const golden = "v1.BwcHBwcHBwcHBwcH.Pqe2bP_veggKH9Q2jhJSZ_AEHPh9oBispPYAiA9xRxg";
    expect(await createSealer(SECRET).open(golden, "totp-secret")).toBe("JBSWY3DPEHPK3PXP");
  });
});

describe("open refuses", () => {
  it("a value with any byte of the IV, ciphertext or tag changed", async () => {
    const sealer = createSealer(SECRET);
    const sealed = await sealer.seal("a TOTP secret", "totp-secret");
    const [, iv = "", body = ""] = sealed.split(".");
    const bytes = new Uint8Array([...base64url.decode(iv), ...base64url.decode(body)]);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (i, mask) => {
          const tampered = bytes.slice();
          tampered[i] = (tampered[i] ?? 0) ^ mask;
          const value = `v1.${base64url.encode(tampered.subarray(0, 12))}.${base64url.encode(tampered.subarray(12))}`;
          expect((await sealError(sealer.open(value, "totp-secret"))).reason).toBe("unauthentic");
        },
      ),
    );
  });

  it("a value with any character changed, inserted or removed", async () => {
    const sealer = createSealer(SECRET);
    const sealed = await sealer.seal("a TOTP secret", "totp-secret");
    const edited = fc.oneof(
      fc
        .tuple(fc.nat({ max: sealed.length - 1 }), fc.constantFrom(..."v1.AQZaz09-_+/= "))
        .filter(([i, c]) => sealed[i] !== c)
        .map(([i, c]) => sealed.slice(0, i) + c + sealed.slice(i + 1)),
      fc
        .tuple(fc.nat({ max: sealed.length }), fc.constantFrom(..."v1.AQZaz09-_+/= "))
        .map(([i, c]) => sealed.slice(0, i) + c + sealed.slice(i)),
      fc.nat({ max: sealed.length - 1 }).map((i) => sealed.slice(0, i) + sealed.slice(i + 1)),
    );
    await fc.assert(
      fc.asyncProperty(edited, async (value) => {
        await sealError(sealer.open(value, "totp-secret"));
      }),
      { numRuns: 300 },
    );
  });

  it("a truncated value", async () => {
    const sealer = createSealer(SECRET);
    const sealed = await sealer.seal("a TOTP secret", "totp-secret");
    for (let n = 0; n < sealed.length; n++) await sealError(sealer.open(sealed.slice(0, n), "totp-secret"));
  });

  it("any string that was not sealed, with a typed error rather than anything else", async () => {
    const sealer = createSealer(SECRET);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.string({ unit: fc.constantFrom(..."v1.AQZaz09-_") }),
          fc.string({ unit: fc.constantFrom(..."AQZaz09-_") }).map((s) => `v1.${s}`),
        ),
        async (value) => {
          await sealError(sealer.open(value, "totp-secret"));
        },
      ),
    );
    for (const value of [
      "",
      "v1",
      "v1..",
      "v2.BwcHBwcHBwcHBwcH.Pqe2bP_veggKH9Q2jhJSZ_AEHPh9oBispPYAiA9xRxg",
    ]) {
      expect((await sealError(sealer.open(value, "totp-secret"))).reason).toBe("malformed");
    }
    expect((await sealError(sealer.open(null as unknown as string, "p"))).reason).toBe("malformed");
  });

  it("a value sealed for another purpose", async () => {
    const sealer = createSealer(SECRET);
    const sealed = await sealer.seal("a TOTP secret", "totp-secret");
    const error = await sealError(sealer.open(sealed, "signing-key"));
    expect(error.reason).toBe("unauthentic");
    expect(await sealer.open(sealed, "totp-secret")).toBe("a TOTP secret");
  });

  it("a value sealed with another secret, with a message that names neither secret nor plaintext", async () => {
    const sealed = await createSealer(SECRET).seal("a TOTP secret", "totp-secret");
    const error = await sealError(createSealer(OTHER_SECRET).open(sealed, "totp-secret"));
    expect(error.reason).toBe("unauthentic");
    expect(error.name).toBe("SealError");
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain("a TOTP secret");
    expect(error.message).not.toContain(sealed);
  });
});

describe("rotation", () => {
  it("opens values sealed with a previous secret and seals with the current one", async () => {
    const old = createSealer(SECRET);
    const sealedBefore = await old.seal("sealed before the rotation", "totp-secret");
    const rotated = createSealer(OTHER_SECRET, { previous: [SECRET] });
    expect(await rotated.open(sealedBefore, "totp-secret")).toBe("sealed before the rotation");

    const sealedAfter = await rotated.seal("sealed after the rotation", "totp-secret");
    expect(await createSealer(OTHER_SECRET).open(sealedAfter, "totp-secret")).toBe(
      "sealed after the rotation",
    );
    await sealError(old.open(sealedAfter, "totp-secret"));
  });

  it("tries every previous secret, in order, and still refuses the wrong purpose", async () => {
    const third = "a third secret of at least thirty-two bytes";
    const sealed = await createSealer(third).seal("v", "p");
    const sealer = createSealer(OTHER_SECRET, { previous: [SECRET, third] });
    expect(await sealer.open(sealed, "p")).toBe("v");
    await sealError(sealer.open(sealed, "q"));
    await sealError(createSealer(OTHER_SECRET, { previous: [SECRET] }).open(sealed, "p"));
  });

  it("copies a Uint8Array secret: changing the caller's buffer afterwards changes nothing", async () => {
    const buffer = new Uint8Array(32).fill(1);
    const sealer = createSealer(buffer);
    buffer.fill(2);
    const sealed = await sealer.seal("v", "p");
    expect(await createSealer(new Uint8Array(32).fill(1)).open(sealed, "p")).toBe("v");
  });
});
