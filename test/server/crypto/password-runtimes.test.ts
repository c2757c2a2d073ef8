// The hasher on runtimes without node:crypto's argon2 (Node.js < 24.7, Deno, Bun…) and without
// node:crypto at all (browsers, Workers without nodejs_compat), by mocking the module it imports.
import { afterEach, describe, expect, it, vi } from "vitest";

async function loadWith(factory: () => object | Promise<object>) {
  vi.resetModules();
  vi.doMock("node:crypto", factory);
  return import("../../../src/server/crypto/password");
}

afterEach(() => {
  vi.doUnmock("node:crypto");
  vi.resetModules();
});

const ARGON2_KAT = "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";

describe("without argon2 in node:crypto", () => {
  const withoutArgon2 = async () => {
    const actual = await vi.importActual<typeof import("node:crypto")>("node:crypto");
    return { ...actual, argon2: undefined, default: { ...actual, argon2: undefined } };
  };

  it("falls back to scrypt, and reads PBKDF2 hashes", async () => {
    const { createTestPasswordHasher } = await loadWith(withoutArgon2);
    const hasher = createTestPasswordHasher();
    const phc = await hasher.hash("pw");
    expect(phc).toMatch(/^\$scrypt\$ln=4,r=8,p=1\$/);
    expect(await hasher.verify("pw", phc)).toEqual({ valid: true, needsRehash: false });
    const pbkdf2 = await createTestPasswordHasher({ algorithm: "pbkdf2" }).hash("pw");
    expect(await hasher.verify("pw", pbkdf2)).toEqual({ valid: true, needsRehash: true });
  });

  it("rejects (a deployment error, not a wrong password) on an argon2id hash or a forced argon2id", async () => {
    const { createTestPasswordHasher, defaultPasswordHasher } = await loadWith(withoutArgon2);
    await expect(createTestPasswordHasher().verify("password", ARGON2_KAT)).rejects.toThrow(
      /argon2id is not available/,
    );
    await expect(defaultPasswordHasher({ algorithm: "argon2id" }).hash("pw")).rejects.toThrow(
      /argon2id is not available/,
    );
    // A malformed string is still just malformed.
    expect(await createTestPasswordHasher().verify("pw", "$argon2id$nonsense")).toEqual({
      valid: false,
      needsRehash: true,
    });
  });
});

describe("without node:crypto", () => {
  const absent = () => {
    throw new Error("Cannot find module 'node:crypto'");
  };

  it("falls back to PBKDF2-SHA-256 through WebCrypto", async () => {
    const { createTestPasswordHasher } = await loadWith(absent);
    const hasher = createTestPasswordHasher();
    const phc = await hasher.hash("pw");
    expect(phc).toMatch(/^\$pbkdf2-sha256\$i=1000\$/);
    expect(await hasher.verify("pw", phc)).toEqual({ valid: true, needsRehash: false });
    expect(await hasher.verify("px", phc)).toEqual({ valid: false, needsRehash: false });
  });

  it("rejects on scrypt and argon2id hashes", async () => {
    const { createTestPasswordHasher } = await loadWith(absent);
    const hasher = createTestPasswordHasher();
    await expect(hasher.verify("password", ARGON2_KAT)).rejects.toThrow(/argon2id is not available/);
    const scrypt = "$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    await expect(hasher.verify("pw", scrypt)).rejects.toThrow(/scrypt is not available/);
  });

  it("treats a bundler's browser stub that throws on member access as absent", async () => {
    const stub = new Proxy(
      {},
      {
        get(_target, name) {
          throw new Error(`Module "node:crypto" has been externalized; cannot access ${String(name)}`);
        },
      },
    );
    const { createTestPasswordHasher } = await loadWith(() => stub);
    expect(await createTestPasswordHasher().hash("pw")).toMatch(/^\$pbkdf2-sha256\$/);
  });
});
