import { calculateJwkThumbprint, createLocalJWKSet, type JWK, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createKeyRing, type SigningKeyStore } from "../../../src/server/crypto/keys";
import { createSealer, SealError, type Sealer } from "../../../src/server/crypto/seal";
import type { StoredSigningKey } from "../../../src/server/store/types";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);
const SECRET = "key ring test secret, at least 32 bytes";

/** Lets other promises run: a store that answers asynchronously, without timers. */
const tick = async (n = 3) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

/** The three signing-key methods of the store, as `AuthStore` describes them, with call counts. */
function fakeStore() {
  const rows = new Map<string, StoredSigningKey>();
  const calls = { add: 0, list: 0, retire: [] as Array<[string, number, number]> };
  const store: SigningKeyStore = {
    async addSigningKey(key) {
      await tick();
      calls.add++;
      rows.set(key.kid, structuredClone(key));
    },
    async listSigningKeys(now) {
      await tick();
      calls.list++;
      return [...rows.values()]
        .filter((key) => key.expiresAt === null || key.expiresAt > now)
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((key) => structuredClone(key));
    },
    async retireSigningKey(kid, retiredAt, expiresAt) {
      await tick();
      calls.retire.push([kid, retiredAt, expiresAt]);
      const key = rows.get(kid);
      if (key) rows.set(kid, { ...key, retiredAt, expiresAt });
    },
  };
  return { store, rows, calls };
}

/** A sealer that counts `open` calls. */
function countingSealer(inner: Sealer = createSealer(SECRET)) {
  const counts = { open: 0 };
  const sealer: Sealer = {
    seal: (plaintext, purpose) => inner.seal(plaintext, purpose),
    open: (sealed, purpose) => {
      counts.open++;
      return inner.open(sealed, purpose);
    },
  };
  return { sealer, counts };
}

function setup(options: { rotateAfterMs?: number; keepAfterRetireMs?: number } = {}) {
  const clock = { t: START };
  const { store, rows, calls } = fakeStore();
  const { sealer, counts } = countingSealer();
  const ring = createKeyRing({ store, sealer, now: () => clock.t, ...options });
  return { clock, store, rows, calls, sealer, counts, ring };
}

async function signWith(ring: ReturnType<typeof createKeyRing>, sub = "usr_1") {
  const { kid, key, alg } = await ring.signingKey();
  return new SignJWT({ sub }).setProtectedHeader({ alg, kid }).sign(key);
}

async function verifies(token: string, jwks: { keys: JWK[] }): Promise<boolean> {
  return jwtVerify(token, createLocalJWKSet(jwks)).then(
    () => true,
    () => false,
  );
}

describe("signingKey", () => {
  it("makes an ES256 key on an empty store, its private part sealed for 'signing-key'", async () => {
    const { ring, rows, calls } = setup();
    const signing = await ring.signingKey();
    expect(calls.add).toBe(1);
    const stored = rows.get(signing.kid);
    expect(stored).toMatchObject({ alg: "ES256", createdAt: START, retiredAt: null, expiresAt: null });
    expect(stored?.publicJwk).toEqual({
      kty: "EC",
      crv: "P-256",
      x: expect.any(String),
      y: expect.any(String),
      kid: signing.kid,
      alg: "ES256",
      use: "sig",
    });
    // The kid is the RFC 7638 thumbprint of the public key.
    expect(signing.kid).toBe(await calculateJwkThumbprint(stored?.publicJwk as JWK));
    // Sealed, not in clear, and only for that purpose.
    const sealer = createSealer(SECRET);
    expect(stored?.privateSealed).not.toContain('"d"');
    const privateJwk = JSON.parse(await sealer.open(stored?.privateSealed ?? "", "signing-key")) as JWK;
    expect(privateJwk).toMatchObject({
      kty: "EC",
      crv: "P-256",
      x: stored?.publicJwk.x,
      d: expect.any(String),
    });
    await expect(sealer.open(stored?.privateSealed ?? "", "totp-secret")).rejects.toThrow(SealError);
  });

  it("returns a private key that cannot be exported", async () => {
    const { ring } = setup();
    const { key, alg } = await ring.signingKey();
    expect(alg).toBe("ES256");
    expect(key.type).toBe("private");
    expect(key.extractable).toBe(false);
    expect(key.algorithm).toMatchObject({ name: "ECDSA", namedCurve: "P-256" });
  });

  it("signs tokens that verify against the JWKS", async () => {
    const { ring } = setup();
    const token = await signWith(ring);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await ring.jwks()));
    expect(payload.sub).toBe("usr_1");
    expect(protectedHeader).toMatchObject({ alg: "ES256", kid: (await ring.signingKey()).kid });
  });

  it("keeps the key until it is rotateAfterMs old, without unsealing it again", async () => {
    const { ring, clock, calls, counts } = setup();
    const first = await ring.signingKey();
    clock.t = START + 30 * DAY - 1;
    const again = await ring.signingKey();
    expect(again.kid).toBe(first.kid);
    expect(again.key).toBe(first.key);
    expect(calls.add).toBe(1);
    expect(counts.open).toBe(0);
  });

  it("imports a stored key once per ring (a restart unseals it once)", async () => {
    const { store, rows } = setup();
    const { sealer: seed } = countingSealer();
    const clock = { t: START };
    const made = await createKeyRing({ store, sealer: seed, now: () => clock.t }).signingKey();
    const { sealer, counts } = countingSealer();
    const restarted = createKeyRing({ store, sealer, now: () => clock.t });
    for (let i = 0; i < 5; i++) expect((await restarted.signingKey()).kid).toBe(made.kid);
    expect(counts.open).toBe(1);
    expect(rows.size).toBe(1);
  });

  it("rotates after 30 days: a new key signs, the old one is retired and kept in the JWKS for 2 hours", async () => {
    const { ring, clock, rows, calls } = setup();
    const oldToken = await signWith(ring);
    const old = await ring.signingKey();

    clock.t = START + 30 * DAY;
    const fresh = await ring.signingKey();
    expect(fresh.kid).not.toBe(old.kid);
    expect(calls.add).toBe(2);
    expect(calls.retire).toEqual([[old.kid, clock.t, clock.t + 2 * HOUR]]);
    expect(rows.get(old.kid)).toMatchObject({ retiredAt: clock.t, expiresAt: clock.t + 2 * HOUR });
    expect(rows.get(fresh.kid)).toMatchObject({ createdAt: clock.t, retiredAt: null, expiresAt: null });

    const jwks = await ring.jwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual([fresh.kid, old.kid]);
    expect(await verifies(oldToken, jwks)).toBe(true);
    expect(await verifies(await signWith(ring), jwks)).toBe(true);

    clock.t += 2 * HOUR - 1;
    expect((await ring.jwks()).keys.map((k) => k.kid)).toEqual([fresh.kid, old.kid]);
    clock.t += 1;
    const later = await ring.jwks();
    expect(later.keys.map((k) => k.kid)).toEqual([fresh.kid]);
    expect(await verifies(oldToken, later)).toBe(false);
    expect((await ring.signingKey()).kid).toBe(fresh.kid);
  });

  it("takes rotateAfterMs and keepAfterRetireMs", async () => {
    const { ring, clock, calls } = setup({ rotateAfterMs: DAY, keepAfterRetireMs: 15 * 60_000 });
    const first = await ring.signingKey();
    clock.t = START + DAY - 1;
    expect((await ring.signingKey()).kid).toBe(first.kid);
    clock.t = START + DAY;
    expect((await ring.signingKey()).kid).not.toBe(first.kid);
    expect(calls.retire).toEqual([[first.kid, START + DAY, START + DAY + 15 * 60_000]]);
  });

  it("never signs with a retired key, even a recent one", async () => {
    const { ring, clock, store } = setup();
    const first = await ring.signingKey();
    clock.t += HOUR;
    await store.retireSigningKey(first.kid, clock.t, clock.t + 2 * HOUR);
    const next = await ring.signingKey();
    expect(next.kid).not.toBe(first.kid);
  });

  it("makes one key for concurrent calls on an empty store (single flight)", async () => {
    const { ring, rows, calls } = setup();
    const keys = await Promise.all(Array.from({ length: 10 }, () => ring.signingKey()));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
    expect(calls.add).toBe(1);
    expect(rows.size).toBe(1);
  });

  it("makes one new key for concurrent calls at rotation time", async () => {
    const { ring, clock, calls } = setup();
    const first = await ring.signingKey();
    clock.t = START + 31 * DAY;
    const keys = await Promise.all(Array.from({ length: 10 }, () => ring.signingKey()));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
    expect(keys[0]?.kid).not.toBe(first.kid);
    expect(calls.add).toBe(2);
    expect(calls.retire).toHaveLength(1);
  });

  it("tries again after a failure rather than caching it", async () => {
    const { store, rows } = fakeStore();
    let failures = 1;
    const flaky: SigningKeyStore = {
      ...store,
      async addSigningKey(key) {
        if (failures-- > 0) throw new Error("connection reset");
        return store.addSigningKey(key);
      },
    };
    const ring = createKeyRing({ store: flaky, sealer: createSealer(SECRET), now: () => START });
    await expect(ring.signingKey()).rejects.toThrow("connection reset");
    expect(rows.size).toBe(0);
    await ring.signingKey();
    expect(rows.size).toBe(1);
  });

  it("rejects with SealError when the sealer cannot open the stored key, and retries on the next call", async () => {
    const { store } = fakeStore();
    await createKeyRing({ store, sealer: createSealer(SECRET), now: () => START }).signingKey();
    let sealer: Sealer = createSealer("another secret of thirty-two bytes or more");
    const switching: Sealer = { seal: (p, u) => sealer.seal(p, u), open: (s, u) => sealer.open(s, u) };
    const ring = createKeyRing({ store, sealer: switching, now: () => START });
    await expect(ring.signingKey()).rejects.toThrow(SealError);
    sealer = createSealer(SECRET);
    await expect(ring.signingKey()).resolves.toMatchObject({ alg: "ES256" });
  });

  it("refuses a sealed private key moved to another key's row", async () => {
    const { ring, clock, rows } = setup();
    const a = await ring.signingKey();
    clock.t += 31 * DAY;
    const b = await ring.signingKey();
    const rowA = rows.get(a.kid);
    const rowB = rows.get(b.kid);
    if (!rowA || !rowB) throw new Error("both rows exist");
    rows.set(b.kid, { ...rowB, privateSealed: rowA.privateSealed });
    const { sealer } = countingSealer();
    const restarted = createKeyRing({ store: fakeStoreOver(rows), sealer, now: () => clock.t });
    await expect(restarted.signingKey()).rejects.toThrow(/does not match its public key/);
  });

  it("refuses durations that are not finite, or not positive", () => {
    const { store } = fakeStore();
    const sealer = createSealer(SECRET);
    const now = () => START;
    for (const rotateAfterMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createKeyRing({ store, sealer, now, rotateAfterMs })).toThrow(RangeError);
    }
    for (const keepAfterRetireMs of [-1, Number.NaN]) {
      expect(() => createKeyRing({ store, sealer, now, keepAfterRetireMs })).toThrow(RangeError);
    }
    expect(() => createKeyRing({ store, sealer, now, keepAfterRetireMs: 0 })).not.toThrow();
  });
});

describe("jwks", () => {
  it("is empty before the first key", async () => {
    const { ring, calls } = setup();
    expect(await ring.jwks()).toEqual({ keys: [] });
    expect(calls.add).toBe(0);
  });

  it("serves only the public members, with kid, alg and use", async () => {
    const { ring, rows } = setup();
    const { kid } = await ring.signingKey();
    // Even if a store row carried more (a private member stored by mistake), only these are served.
    const row = rows.get(kid);
    if (row) rows.set(kid, { ...row, publicJwk: { ...row.publicJwk, d: "leak", ext: true } });
    const { keys } = await ring.jwks();
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0] ?? {}).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
    expect(keys[0]).toMatchObject({ kid, alg: "ES256", use: "sig", kty: "EC", crv: "P-256" });
  });

  it("rejects when a stored public key is not an EC P-256 key", async () => {
    const { ring, rows } = setup();
    const { kid } = await ring.signingKey();
    const row = rows.get(kid);
    if (row) rows.set(kid, { ...row, publicJwk: { kty: "RSA", n: "AQAB", e: "AQAB" } });
    await expect(ring.jwks()).rejects.toThrow(/not an EC P-256 key/);
  });
});

/** A store over existing rows (a second process, or a restart). */
function fakeStoreOver(rows: Map<string, StoredSigningKey>): SigningKeyStore {
  const { store, rows: own } = fakeStore();
  for (const [kid, row] of rows) own.set(kid, row);
  return store;
}

describe("verificationKeys", () => {
  it("reads the store at most once a minute of the ring's clock", async () => {
    const { clock, calls, ring } = setup();
    const token = await signWith(ring);
    const { kid } = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString()) as {
      kid: string;
    };
    const before = calls.list;
    for (let i = 0; i < 10; i++) expect(await verifies(token, await ring.verificationKeys(kid))).toBe(true);
    expect(calls.list - before).toBe(1);
    clock.t += 59_999;
    await ring.verificationKeys(kid);
    expect(calls.list - before).toBe(1);
    clock.t += 1;
    await ring.verificationKeys(kid);
    expect(calls.list - before).toBe(2);
  });

  it("reads again at once for a kid it has not seen: a key another instance just made verifies", async () => {
    const { clock, store, sealer, ring } = setup();
    await ring.verificationKeys(); // caches the empty set
    const other = createKeyRing({ store, sealer, now: () => clock.t });
    const token = await signWith(other);
    const { kid } = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString()) as {
      kid: string;
    };
    expect(await verifies(token, await ring.verificationKeys(kid))).toBe(true);
  });

  it("does not keep a failed read", async () => {
    const { store, sealer } = setup();
    let fail = true;
    const flaky: SigningKeyStore = {
      ...store,
      listSigningKeys: (now) => (fail ? Promise.reject(new Error("store down")) : store.listSigningKeys(now)),
    };
    const ring = createKeyRing({ store: flaky, sealer, now: () => START });
    await expect(ring.verificationKeys()).rejects.toThrow("store down");
    fail = false;
    expect(await ring.verificationKeys()).toEqual({ keys: [] });
  });
});
