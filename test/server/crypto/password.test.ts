import * as nodeCrypto from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createTestPasswordHasher,
  defaultPasswordHasher,
  type PasswordAlgorithm,
} from "../../../src/server/crypto/password";

const hasArgon2 = typeof nodeCrypto.argon2 === "function";
/** PHC B64 (standard alphabet, no padding), through Node's own base64 rather than the code under test. */
const b64 = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");
const fromHex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");
const MALFORMED = { valid: false, needsRehash: true };

const FORMATS: Record<PasswordAlgorithm, RegExp> = {
  argon2id: /^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
  scrypt: /^\$scrypt\$ln=4,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
  pbkdf2: /^\$pbkdf2-sha256\$i=1000\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
};
const ALGORITHMS = Object.keys(FORMATS) as PasswordAlgorithm[];

describe("known answers", () => {
  it.runIf(hasArgon2)("node:crypto's argon2 reproduces the argon2id vector of RFC 9106 section 5.3", () => {
    // The primitive the hasher calls; the RFC's vector uses a secret and associated data, which
    // PHC strings do not carry, so it is checked here rather than through verify.
    const tag = nodeCrypto.argon2Sync("argon2id", {
      message: Buffer.alloc(32, 0x01),
      nonce: Buffer.alloc(16, 0x02),
      secret: Buffer.alloc(8, 0x03),
      associatedData: Buffer.alloc(12, 0x04),
      parallelism: 4,
      tagLength: 32,
      memory: 32,
      passes: 3,
    });
    expect(tag).toEqual(
      fromHex(`0d 64 0d f5 8d 78 76 6c 08 c0 37 a3 4a 8b 53 c9
               d0 1e f0 45 2d 75 b6 5e b5 25 20 e9 6b 01 e6 59`),
    );
  });

  it.runIf(hasArgon2)(
    "verifies the argon2id PHC strings of the reference implementation's tests",
    async () => {
      // P-H-C/phc-winner-argon2, src/test.c (argon2id, version 0x13): password "password", salt "somesalt".
      const hasher = defaultPasswordHasher();
      for (const phc of [
        "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
        "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc",
      ]) {
        // Other parameters and an 8-byte salt than the hasher's own: valid, to be rehashed.
        expect(await hasher.verify("password", phc)).toEqual({ valid: true, needsRehash: true });
        expect(await hasher.verify("Password", phc)).toEqual({ valid: false, needsRehash: true });
      }
    },
  );

  it("verifies scrypt against the RFC 7914 section 12 vector (P=password, S=NaCl, N=1024, r=8, p=16)", async () => {
    const dk = fromHex(`fd ba be 1c 9d 34 72 00 78 56 e7 19 0d 01 e9 fe
                        7c 6a d7 cb c8 23 78 30 e7 73 76 63 4b 37 31 62
                        2e af 30 d9 2e 22 a3 88 6f f1 09 27 9d 98 30 da
                        c7 27 af b9 4a 83 ee 6d 83 60 cb df a2 cc 06 40`);
    const phc = `$scrypt$ln=10,r=8,p=16$${b64(Buffer.from("NaCl"))}$${b64(dk)}`;
    const hasher = createTestPasswordHasher({ algorithm: "scrypt" });
    expect(await hasher.verify("password", phc)).toEqual({ valid: true, needsRehash: true });
    expect(await hasher.verify("passwore", phc)).toEqual({ valid: false, needsRehash: true });
  });

  it("verifies PBKDF2-HMAC-SHA-256 against the RFC 7914 section 11 vectors", async () => {
    const hasher = createTestPasswordHasher({ algorithm: "pbkdf2" });
    const vectors = [
      {
        password: "passwd",
        salt: "salt",
        c: 1,
        dk: `55 ac 04 6e 56 e3 08 9f ec 16 91 c2 25 44 b6 05
             f9 41 85 21 6d de 04 65 e6 8b 9d 57 c2 0d ac bc
             49 ca 9c cc f1 79 b6 45 99 16 64 b3 9d 77 ef 31
             7c 71 b8 45 b1 e3 0b d5 09 11 20 41 d3 a1 97 83`,
      },
      {
        password: "Password",
        salt: "NaCl",
        c: 80000,
        dk: `4d dc d8 f6 0b 98 be 21 83 0c ee 5e f2 27 01 f9
             64 1a 44 18 d0 4c 04 14 ae ff 08 87 6b 34 ab 56
             a1 d4 25 a1 22 58 33 54 9a db 84 1b 51 c9 b3 17
             6a 27 2b de bb a1 d0 78 47 8f 62 b3 97 f3 3c 8d`,
      },
    ];
    for (const { password, salt, c, dk } of vectors) {
      const phc = `$pbkdf2-sha256$i=${c}$${b64(Buffer.from(salt))}$${b64(fromHex(dk))}`;
      expect(await hasher.verify(password, phc)).toEqual({ valid: true, needsRehash: true });
      expect(await hasher.verify(`${password}!`, phc)).toEqual({ valid: false, needsRehash: true });
    }
  });
});

describe.each(ALGORITHMS)("%s", (algorithm) => {
  const hasher = createTestPasswordHasher({ algorithm });

  it("round-trips in the PHC format with a fresh salt each time", async () => {
    const phc = await hasher.hash("correct horse battery staple");
    expect(phc).toMatch(FORMATS[algorithm]);
    expect(await hasher.verify("correct horse battery staple", phc)).toEqual({
      valid: true,
      needsRehash: false,
    });
    expect(await hasher.hash("correct horse battery staple")).not.toBe(phc);
  });

  it("refuses a wrong password", async () => {
    const phc = await hasher.hash("correct horse battery staple");
    for (const wrong of [
      "correct horse battery stapl",
      "Correct horse battery staple",
      "",
      "correct horse battery staple ",
    ]) {
      expect(await hasher.verify(wrong, phc)).toEqual({ valid: false, needsRehash: false });
    }
  });

  it("hashes any password, the empty one and non-ASCII ones included", async () => {
    for (const password of ["", "パスワード", "\u{1F511}key", "a".repeat(1000)]) {
      const phc = await hasher.hash(password);
      expect((await hasher.verify(password, phc)).valid).toBe(true);
    }
    // No normalisation: the precomposed and decomposed "é" are different passwords.
    expect((await hasher.verify("e\u0301", await hasher.hash("\u00e9"))).valid).toBe(false);
  });

  it("needs a rehash when the hasher's algorithm differs", async () => {
    const phc = await hasher.hash("pw");
    for (const other of ALGORITHMS.filter((a) => a !== algorithm)) {
      expect(await createTestPasswordHasher({ algorithm: other }).verify("pw", phc)).toEqual({
        valid: true,
        needsRehash: true,
      });
    }
  });

  it("never throws on a string derived from a valid hash, and accepts none but a shorter or longer output", async () => {
    const phc = await hasher.hash("pw");
    const mutated = fc.oneof(
      // One character replaced by another.
      fc
        .tuple(fc.nat({ max: phc.length - 1 }), fc.constantFrom(..."$=,0123456789abcxyzABC+/-_. "))
        .filter(([i, c]) => phc[i] !== c)
        .map(([i, c]) => phc.slice(0, i) + c + phc.slice(i + 1)),
      // A prefix.
      fc.nat({ max: phc.length - 1 }).map((n) => phc.slice(0, n)),
      // One character inserted.
      fc
        .tuple(fc.nat({ max: phc.length }), fc.constantFrom(..."$=,019aZ+/"))
        .map(([i, c]) => phc.slice(0, i) + c + phc.slice(i)),
    );
    await fc.assert(
      fc.asyncProperty(mutated, async (candidate) => {
        const result = await hasher.verify("pw", candidate);
        if (result.valid) {
          // PBKDF2 and scrypt outputs of L bytes are prefixes of longer ones: a hash cut to a
          // whole number of bytes (at least 12) is a shorter hash of the same password, to be
          // rehashed. So is a character added at the end that completes one more byte, when that
          // byte happens to be the KDF's next one (1 in 256): a longer hash of the same password.
          expect(algorithm).not.toBe("argon2id");
          expect(phc.startsWith(candidate) || candidate.startsWith(phc)).toBe(true);
          expect(result.needsRehash).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("needsRehash", () => {
  it("is true when the parameters differ, false when they are the same", async () => {
    const cheap = defaultPasswordHasher({ algorithm: "argon2id", argon2: { memory: 64, passes: 1 } });
    const phc = await cheap.hash("pw");
    const same = defaultPasswordHasher({ algorithm: "argon2id", argon2: { memory: 64, passes: 1 } });
    expect(await same.verify("pw", phc)).toEqual({ valid: true, needsRehash: false });
    for (const argon2 of [
      { memory: 128, passes: 1 },
      { memory: 64, passes: 2 },
      { memory: 64, passes: 1, parallelism: 2 },
    ]) {
      const other = defaultPasswordHasher({ algorithm: "argon2id", argon2 });
      expect(await other.verify("pw", phc)).toEqual({ valid: true, needsRehash: true });
    }
    const scrypt = await createTestPasswordHasher({ algorithm: "scrypt" }).hash("pw");
    const scryptR4 = defaultPasswordHasher({ algorithm: "scrypt", scrypt: { ln: 4, r: 4 } });
    expect(await scryptR4.verify("pw", scrypt)).toEqual({ valid: true, needsRehash: true });
    const pbkdf2 = await createTestPasswordHasher({ algorithm: "pbkdf2" }).hash("pw");
    const pbkdf2More = defaultPasswordHasher({ algorithm: "pbkdf2", pbkdf2: { iterations: 1001 } });
    expect(await pbkdf2More.verify("pw", pbkdf2)).toEqual({ valid: true, needsRehash: true });
  });

  it("is true for the test hasher's hashes under the default hasher (and the other way round)", async () => {
    const production = defaultPasswordHasher();
    const test = createTestPasswordHasher();
    expect(await production.verify("pw", await test.hash("pw"))).toEqual({ valid: true, needsRehash: true });
    expect(await test.verify("pw", await production.hash("pw"))).toEqual({ valid: true, needsRehash: true });
  });

  it("is true for a hash of another length than 32 bytes or a salt of another length than 16", async () => {
    const hasher = createTestPasswordHasher({ algorithm: "pbkdf2" });
    const salt = Buffer.alloc(16, 7);
    const dk = (length: number, s = salt) =>
      Buffer.from(nodeCrypto.pbkdf2Sync("pw", s, 1000, length, "sha256"));
    const phc = (s: Buffer, d: Buffer) => `$pbkdf2-sha256$i=1000$${b64(s)}$${b64(d)}`;
    expect(await hasher.verify("pw", phc(salt, dk(32)))).toEqual({ valid: true, needsRehash: false });
    expect(await hasher.verify("pw", phc(salt, dk(64)))).toEqual({ valid: true, needsRehash: true });
    const salt8 = Buffer.alloc(8, 7);
    expect(await hasher.verify("pw", phc(salt8, dk(32, salt8)))).toEqual({ valid: true, needsRehash: true });
  });
});

describe("defaults", () => {
  it.runIf(hasArgon2)("uses argon2id with OWASP's parameters where node:crypto has argon2", async () => {
    const hasher = defaultPasswordHasher();
    const phc = await hasher.hash("pw");
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await hasher.verify("pw", phc)).toEqual({ valid: true, needsRehash: false });
  });

  it("uses scrypt N=2^17, r=8, p=1 and PBKDF2 with 600000 iterations as fallbacks", async () => {
    const scrypt = await defaultPasswordHasher({ algorithm: "scrypt" }).hash("pw");
    expect(scrypt).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const pbkdf2 = await defaultPasswordHasher({ algorithm: "pbkdf2" }).hash("pw");
    expect(pbkdf2).toMatch(/^\$pbkdf2-sha256\$i=600000\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    // The hash is the real function of those parameters (Node's own PBKDF2 as the reference).
    const [, , , salt = "", hash = ""] = pbkdf2.split("$");
    const expected = nodeCrypto.pbkdf2Sync("pw", Buffer.from(salt, "base64"), 600_000, 32, "sha256");
    expect(b64(expected)).toBe(hash);
  });

  it("refuses parameters out of bounds when it is made", () => {
    const bad = [
      { argon2: { memory: 7 } },
      { argon2: { memory: 64, parallelism: 9 } },
      { argon2: { passes: 0 } },
      { argon2: { memory: 1024 * 1024 + 1 } },
      { argon2: { parallelism: 256, memory: 4096 } },
      { scrypt: { ln: 0 } },
      { scrypt: { ln: 21 } },
      { scrypt: { ln: 20, r: 9 } },
      { scrypt: { p: 17 } },
      { pbkdf2: { iterations: 0 } },
      { pbkdf2: { iterations: 1.5 } },
      { pbkdf2: { iterations: 10_000_001 } },
    ];
    for (const options of bad) expect(() => defaultPasswordHasher(options)).toThrow(RangeError);
  });
});

describe("malformed stored strings", () => {
  const hasher = createTestPasswordHasher();
  const salt = b64(Buffer.alloc(16, 1));
  const hash = b64(Buffer.alloc(32, 2));

  it("give { valid: false, needsRehash: true }", async () => {
    const cases = [
      "",
      "$",
      "password",
      "$argon2id$",
      `argon2id$v=19$m=64,t=1,p=1$${salt}$${hash}`,
      `$argon2id$m=64,t=1,p=1$${salt}$${hash}`,
      `$argon2id$v=16$m=64,t=1,p=1$${salt}$${hash}`,
      `$argon2i$v=19$m=64,t=1,p=1$${salt}$${hash}`,
      `$argon2d$v=19$m=64,t=1,p=1$${salt}$${hash}`,
      `$argon2id$v=19$t=1,m=64,p=1$${salt}$${hash}`,
      `$argon2id$v=19$m=064,t=1,p=1$${salt}$${hash}`,
      `$argon2id$v=19$m=64,t=1,p=1,data=AAAA$${salt}$${hash}`,
      `$argon2id$v=19$m=64,t=1$${salt}$${hash}`,
      `$argon2id$v=19$m=64,t=1,p=1$${salt}`,
      `$argon2id$v=19$m=64,t=1,p=1$${salt}$${hash}$`,
      `$argon2id$v=19$m=64,t=1,p=1$${salt}$${hash}=`,
      `$argon2id$v=19$m=64,t=1,p=1$${salt}==$${hash}`,
      `$argon2id$v=19$m=64,t=1,p=1$${salt.replace(/.$/, "-")}$${hash}`,
      `$argon2id$v=19$m=64,t=1,p=1$${salt.replace(/.$/, "B")}$${hash}`, // non-zero trailing bits
      `$argon2id$v=19$m=64,t=1,p=1$${salt}$${hash} `,
      `$argon2id$v=19$m=64,t=1,p=1$$${hash}`,
      `$argon2id$v=19$m=64,t=1,p=1$${b64(Buffer.alloc(3))}$${hash}`,
      `$argon2id$v=19$m=64,t=1,p=1$${b64(Buffer.alloc(5))}$${hash}`, // node's argon2 needs 8 bytes
      `$argon2id$v=19$m=64,t=1,p=1$${b64(Buffer.alloc(49))}$${hash}`,
      `$argon2id$v=19$m=64,t=1,p=1$${salt}$${b64(Buffer.alloc(11))}`,
      `$argon2id$v=19$m=64,t=1,p=1$${salt}$${b64(Buffer.alloc(65))}`,
      `$argon2id$v=19$m=4294967295,t=1,p=1$${salt}$${hash}`,
      `$argon2id$v=19$m=64,t=0,p=1$${salt}$${hash}`,
      `$argon2id$v=19$m=64,t=65,p=1$${salt}$${hash}`,
      `$argon2id$v=19$m=64,t=1,p=0$${salt}$${hash}`,
      `$argon2id$v=19$m=64,t=1,p=9$${salt}$${hash}`,
      `$argon2id$v=19$m=99999999999,t=1,p=1$${salt}$${hash}`,
      `$scrypt$ln=0,r=8,p=1$${salt}$${hash}`,
      `$scrypt$ln=21,r=8,p=1$${salt}$${hash}`,
      `$scrypt$ln=20,r=16,p=1$${salt}$${hash}`,
      `$scrypt$ln=4,r=8$${salt}$${hash}`,
      `$scrypt$n=16,r=8,p=1$${salt}$${hash}`,
      `$pbkdf2-sha256$i=0$${salt}$${hash}`,
      `$pbkdf2-sha256$i=10000001$${salt}$${hash}`,
      `$pbkdf2-sha256$1000$${salt}$${hash}`,
      `$pbkdf2-sha256$i=1000,l=32$${salt}$${hash}`,
      `$pbkdf2-sha512$i=1000$${salt}$${hash}`,
      `$pbkdf2$i=1000$${salt}$${hash}`,
      "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
    ];
    for (const phc of cases) expect(await hasher.verify("pw", phc), phc).toEqual(MALFORMED);
  });

  it("any string: never throws, never valid", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.string({ unit: fc.constantFrom(..."$=,0123456789argonidscryptpbkdf-shavmtlnri+/AZ") }),
          fc
            .tuple(
              fc.constantFrom("$argon2id$v=19$", "$scrypt$", "$pbkdf2-sha256$"),
              fc.string({ unit: fc.constantFrom(..."$=,0123456789mtplnri+/AZaz") }),
            )
            .map(([prefix, rest]) => prefix + rest),
        ),
        async (phc) => {
          const result = await hasher.verify("pw", phc);
          expect(result).toEqual(MALFORMED);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is no error when the stored value is not a string (untyped callers)", async () => {
    for (const value of [null, undefined, 42, {}]) {
      expect(await hasher.verify("pw", value as unknown as string)).toEqual(MALFORMED);
    }
  });
});
