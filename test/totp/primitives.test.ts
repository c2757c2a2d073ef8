import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  generateRecoveryCodes,
  generateTotp,
  generateTotpSecret,
  hashRecoveryCode,
  normalizeRecoveryCode,
  totpUri,
  verifyRecoveryCode,
  verifyTotp,
} from "../../src/totp/index";

const ascii = (s: string) => new TextEncoder().encode(s);
// RFC 6238 Appendix B: the seeds of each algorithm.
const SEED = {
  SHA1: ascii("12345678901234567890"),
  SHA256: ascii("12345678901234567890123456789012"),
  SHA512: ascii("1234567890123456789012345678901234567890123456789012345678901234"),
} as const;

describe("RFC 6238 Appendix B test vectors (8 digits, 30 s)", () => {
  it.each([
    [59, "94287082", "SHA1"],
    [59, "46119246", "SHA256"],
    [59, "90693936", "SHA512"],
    [1111111109, "07081804", "SHA1"],
    [1111111109, "68084774", "SHA256"],
    [1111111109, "25091201", "SHA512"],
    [1111111111, "14050471", "SHA1"],
    [1111111111, "67062674", "SHA256"],
    [1111111111, "99943326", "SHA512"],
    [1234567890, "89005924", "SHA1"],
    [1234567890, "91819424", "SHA256"],
    [1234567890, "93441116", "SHA512"],
    [2000000000, "69279037", "SHA1"],
    [2000000000, "90698825", "SHA256"],
    [2000000000, "38618901", "SHA512"],
    [20000000000, "65353130", "SHA1"],
    [20000000000, "77737706", "SHA256"],
    [20000000000, "47863826", "SHA512"],
  ] as const)("T=%i → %s (%s)", async (seconds, expected, algorithm) => {
    const secret = SEED[algorithm];
    expect(await generateTotp(secret, { time: seconds * 1000, digits: 8, algorithm })).toBe(expected);
    expect(
      await verifyTotp({ code: expected, secret, time: seconds * 1000, digits: 8, algorithm, window: 0 }),
    ).toEqual({
      valid: true,
      step: Math.floor(seconds / 30),
    });
  });
});

describe("RFC 4226 Appendix D test vectors (HOTP = TOTP at step C)", () => {
  it.each([
    [0, "755224"],
    [1, "287082"],
    [2, "359152"],
    [3, "969429"],
    [4, "338314"],
    [5, "254676"],
    [6, "287922"],
    [7, "162583"],
    [8, "399871"],
    [9, "520489"],
  ])("count %i → %s", async (counter, expected) => {
    expect(await generateTotp(SEED.SHA1, { time: counter * 30_000 })).toBe(expected);
  });
});

describe("verifyTotp", () => {
  const secret = generateTotpSecret();
  const t = Date.UTC(2026, 10, 25, 9, 0, 15);

  it("accepts the steps within the window and refuses those outside", async () => {
    for (const [offset, valid] of [
      [-60_000, false],
      [-30_000, true],
      [0, true],
      [30_000, true],
      [60_000, false],
    ] as const) {
      const code = await generateTotp(secret, { time: t + offset });
      expect((await verifyTotp({ code, secret, time: t })).valid).toBe(valid);
    }
    const code = await generateTotp(secret, { time: t - 60_000 });
    expect((await verifyTotp({ code, secret, time: t, window: 2 })).valid).toBe(true);
    expect(
      (
        await verifyTotp({
          code: await generateTotp(secret, { time: t - 30_000 }),
          secret,
          time: t,
          window: 0,
        })
      ).valid,
    ).toBe(false);
  });

  it("refuses a code whose step is not newer than lastUsedStep (no replay)", async () => {
    const code = await generateTotp(secret, { time: t });
    const first = await verifyTotp({ code, secret, time: t });
    expect(first.valid).toBe(true);
    expect(await verifyTotp({ code, secret, time: t + 5000, lastUsedStep: first.step })).toEqual({
      valid: false,
      step: null,
    });
    const older = await generateTotp(secret, { time: t - 30_000 });
    expect((await verifyTotp({ code: older, secret, time: t, lastUsedStep: first.step })).valid).toBe(false);
    const next = await generateTotp(secret, { time: t + 30_000 });
    expect((await verifyTotp({ code: next, secret, time: t + 30_000, lastUsedStep: first.step })).valid).toBe(
      true,
    );
  });

  it("ignores spaces and treats malformed codes as invalid, never throwing", async () => {
    const code = await generateTotp(secret, { time: t });
    expect((await verifyTotp({ code: `${code.slice(0, 3)} ${code.slice(3)}`, secret, time: t })).valid).toBe(
      true,
    );
    let malformed = 0; // inputs that are not six digits once spaces are gone: never valid
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 12 }), async (input) => {
        const r = await verifyTotp({ code: input, secret, time: t });
        expect(typeof r.valid).toBe("boolean");
        const isMalformed = !/^\d{6}$/.test(input.replace(/\s+/g, ""));
        expect(r.valid && isMalformed).toBe(false);
        malformed += isMalformed ? 1 : 0;
      }),
      { numRuns: 200 },
    );
    expect(malformed).toBeGreaterThan(0);
  });

  it("throws TypeError for a malformed secret or options", async () => {
    await expect(verifyTotp({ code: "123456", secret: "not base32 !!" })).rejects.toBeInstanceOf(TypeError);
    await expect(verifyTotp({ code: "123456", secret: "JBSWY3DP" })).rejects.toBeInstanceOf(TypeError); // too short
    await expect(verifyTotp({ code: "123456", secret, window: -1 })).rejects.toBeInstanceOf(TypeError);
    await expect(generateTotp(secret, { digits: 9 as never })).rejects.toBeInstanceOf(TypeError);
  });

  it("accepts a Date as time", async () => {
    const code = await generateTotp(secret, { time: new Date(t) });
    expect((await verifyTotp({ code, secret, time: new Date(t) })).valid).toBe(true);
  });
});

describe("generateTotpSecret", () => {
  it("makes 160-bit base32 secrets by default", () => {
    const s = generateTotpSecret();
    expect(s).toMatch(/^[A-Z2-7]{32}$/);
    expect(generateTotpSecret({ bytes: 32 })).toMatch(/^[A-Z2-7]{52}$/);
    expect(() => generateTotpSecret({ bytes: 8 })).toThrow(TypeError);
    expect(new Set(Array.from({ length: 50 }, () => generateTotpSecret())).size).toBe(50);
  });
});

describe("totpUri", () => {
  it("has the issuer as prefix and parameter, percent-encoded, and parses back", () => {
    const uri = totpUri({
      secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
      issuer: "スキル市場 Co",
      accountName: "hanako@example.com",
    });
    const url = new URL(uri);
    expect(url.protocol).toBe("otpauth:");
    expect(url.host).toBe("totp");
    expect(decodeURIComponent(url.pathname)).toBe("/スキル市場 Co:hanako@example.com");
    expect(url.searchParams.get("issuer")).toBe("スキル市場 Co");
    expect(url.searchParams.get("secret")).toBe("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    expect(uri).toContain("%20");
    expect(uri).not.toContain(" ");
    expect(url.searchParams.has("algorithm")).toBe(false);
  });

  it("adds non-default parameters", () => {
    const url = new URL(
      totpUri({
        secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        issuer: "ACME",
        accountName: "a",
        algorithm: "SHA256",
        digits: 8,
        period: 60,
      }),
    );
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      algorithm: "SHA256",
      digits: "8",
      period: "60",
    });
  });

  it("refuses colons and empty names", () => {
    const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    expect(() => totpUri({ secret, issuer: "A:B", accountName: "a" })).toThrow(TypeError);
    expect(() => totpUri({ secret, issuer: "A", accountName: "a:b" })).toThrow(TypeError);
    expect(() => totpUri({ secret, issuer: "", accountName: "a" })).toThrow(TypeError);
  });
});

describe("recovery codes", () => {
  it("are 12 unambiguous characters in three groups, distinct", () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    for (const c of codes)
      expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);
    expect(new Set(codes).size).toBe(10);
    expect(() => generateRecoveryCodes(0)).toThrow(TypeError);
  });

  it("verify against hashes, normalising case, dashes and look-alike letters", async () => {
    const codes = ["7k2m-x9qd-4hv8", "a0b1-c2d3-e4f5"];
    const hashes = await Promise.all(codes.map((c) => hashRecoveryCode(c)));
    expect(hashes[0]).toMatch(/^sha256:/);
    expect(await verifyRecoveryCode("7K2M X9QD 4HV8", hashes)).toEqual({ valid: true, index: 0 });
    expect(await verifyRecoveryCode("aOb1c2d3e4f5", hashes)).toEqual({ valid: true, index: 1 });
    expect(await verifyRecoveryCode("zzzz-zzzz-zzzz", hashes)).toEqual({ valid: false, index: -1 });
    expect(normalizeRecoveryCode("IL-o0")).toBe("1100");
  });

  it("each code is usable once when the caller removes its hash", async () => {
    const hashes = await Promise.all(["abcd-efgh-jkmn"].map((c) => hashRecoveryCode(c)));
    const first = await verifyRecoveryCode("abcd-efgh-jkmn", hashes);
    hashes.splice(first.index, 1);
    expect((await verifyRecoveryCode("abcd-efgh-jkmn", hashes)).valid).toBe(false);
  });

  it("a pepper changes the hash and must match", async () => {
    const peppered = await hashRecoveryCode("abcd-efgh-jkmn", { pepper: "server secret" });
    expect(peppered).toMatch(/^hmac-sha256:/);
    expect((await verifyRecoveryCode("abcd-efgh-jkmn", [peppered], { pepper: "server secret" })).valid).toBe(
      true,
    );
    expect((await verifyRecoveryCode("abcd-efgh-jkmn", [peppered])).valid).toBe(false);
  });
});

describe("verifyTotp's result type", () => {
  it("a valid result has a numeric step (no null to store)", async () => {
    const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    const time = Date.UTC(2026, 10, 25, 9, 0, 0);
    const result = await verifyTotp({ secret, code: await generateTotp(secret, { time }), time });
    expect(result.valid).toBe(true);
    if (!result.valid) throw new Error("expected a valid code");
    const step: number = result.step; // compiles only because `valid: true` narrows `step`
    expect(step).toBe(Math.floor(time / 30_000));
  });
});
