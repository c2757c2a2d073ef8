/**
 * The signing keys of access and ID tokens: ES256 key pairs kept in the store (private part
 * sealed), rotated by age, served as a JWKS while tokens they signed may still be live.
 *
 * @module
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import type { AuthStore, StoredSigningKey } from "../store/types";
import type { Sealer } from "./seal";

/** The purpose under which private signing keys are sealed. */
const SEAL_PURPOSE = "signing-key";
const DAY_MS = 86_400_000;

/** The store methods a key ring uses. */
export type SigningKeyStore = Pick<AuthStore, "addSigningKey" | "listSigningKeys" | "retireSigningKey">;

/** Options of {@link createKeyRing}. */
export interface KeyRingOptions {
  /** Where keys are kept. */
  store: SigningKeyStore;
  /** Seals and opens the private keys (purpose `"signing-key"`). */
  sealer: Pick<Sealer, "seal" | "open">;
  /** The server's clock, in ms since the epoch. */
  now: () => number;
  /** Age after which the signing key is replaced by a new one, in ms. Default 30 days. */
  rotateAfterMs?: number;
  /**
   * How long a replaced key stays in the JWKS, in ms: at least the longest lifetime of a token it
   * may have signed (access and ID tokens), plus a margin for clock skew and JWKS caches.
   * Default 2 hours.
   */
  keepAfterRetireMs?: number;
}

/** The key to sign with now. */
export interface SigningKey {
  /** The key id, to put in the JWS header (RFC 7638 thumbprint of the public key). */
  kid: string;
  /** The JWS algorithm. */
  alg: "ES256";
  /** The private key (not extractable). */
  key: CryptoKey;
}

/** A public key as served in the JWKS. */
export interface PublicSigningJwk extends JWK {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
  kid: string;
  alg: "ES256";
  use: "sig";
}

/** The server's signing keys. */
export interface KeyRing {
  /**
   * The newest key that is not retired, made first (and the others retired) when there is none
   * or it is older than `rotateAfterMs`.
   */
  signingKey(): Promise<SigningKey>;
  /** The public keys of every key not yet expired (newest first), for `/.well-known/jwks.json`. */
  jwks(): Promise<{ keys: PublicSigningJwk[] }>;
  /**
   * The public keys to verify a token of ours with, read from the store at most once a minute
   * (of the ring's clock) — and at once when `kid` is not among them, so that a key another
   * instance just made verifies here too. Verifying every request against the store would cost a
   * query per bearer request.
   */
  verificationKeys(kid?: string): Promise<{ keys: PublicSigningJwk[] }>;
}

/** How long the keys read for verification are used before they are read again (ring clock). */
const VERIFY_CACHE_MS = 60_000;

function checkDuration(name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`createKeyRing: ${name} must be a finite number of ms, at least ${min}`);
  }
  return value;
}

/** The public members of a stored key; throws when the stored JWK is not a P-256 public key. */
function publicJwk(stored: StoredSigningKey): PublicSigningJwk {
  const { kty, crv, x, y } = stored.publicJwk;
  if (kty !== "EC" || crv !== "P-256" || typeof x !== "string" || typeof y !== "string") {
    throw new Error(`Signing key ${stored.kid}: the stored public JWK is not an EC P-256 key`);
  }
  return { kty, crv, x, y, kid: stored.kid, alg: "ES256", use: "sig" };
}

const newestFirst = (a: StoredSigningKey, b: StoredSigningKey) => b.createdAt - a.createdAt;

/**
 * Makes the key ring of the auth server, working against the store's signing-key methods.
 *
 * `signingKey()` returns the newest non-retired key; when there is none, or it is older than
 * `rotateAfterMs`, it makes an ES256 key pair, stores it (private JWK sealed with purpose
 * `"signing-key"`), then retires the others: they stop signing now and leave the JWKS after
 * `keepAfterRetireMs`, when the tokens they signed have expired.
 *
 * Concurrency: calls of one ring are single-flight (two concurrent calls on an empty store make
 * one key), and imported keys are cached in the ring. Across processes sharing a store, two rings
 * may each make a key at the same moment; both are valid and in the JWKS, and the older one is
 * retired at the next rotation. Preventing that (a lock or a conditional insert) is the SQL store's
 * concern, not this ring's.
 *
 * @throws RangeError when a duration is not a finite positive number.
 *
 * @example
 * ```ts
 * const keys = createKeyRing({ store, sealer, now: Date.now });
 * const { kid, key } = await keys.signingKey();
 * const jwt = await new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid }).sign(key);
 * app.get("/.well-known/jwks.json", async () => Response.json(await keys.jwks()));
 * ```
 */
export function createKeyRing(options: KeyRingOptions): KeyRing {
  const { store, sealer, now } = options;
  const rotateAfterMs = checkDuration("rotateAfterMs", options.rotateAfterMs ?? 30 * DAY_MS, 1);
  const keepAfterRetireMs = checkDuration("keepAfterRetireMs", options.keepAfterRetireMs ?? 2 * 3_600_000, 0);
  /** The last JWKS read for verification, and when (ring clock). */
  let verifying: { at: number; jwks: Promise<{ keys: PublicSigningJwk[] }> } | undefined;
  /** Private keys by kid, imported once. */
  const imported = new Map<string, Promise<CryptoKey>>();
  let pending: Promise<SigningKey> | undefined;

  async function importPrivate(stored: StoredSigningKey): Promise<CryptoKey> {
    const jwk = JSON.parse(await sealer.open(stored.privateSealed, SEAL_PURPOSE)) as JWK;
    const pub = publicJwk(stored);
    // The seal binds the purpose, not the row: refuse a private key moved to another kid.
    if (jwk.kty !== "EC" || jwk.crv !== "P-256" || jwk.x !== pub.x || jwk.y !== pub.y || !jwk.d) {
      throw new Error(`Signing key ${stored.kid}: the sealed private key does not match its public key`);
    }
    return toCryptoKey(await importJWK(jwk, "ES256", { extractable: false }));
  }

  function cachedPrivate(stored: StoredSigningKey): Promise<CryptoKey> {
    let key = imported.get(stored.kid);
    if (!key) {
      key = importPrivate(stored);
      const attempt = key;
      imported.set(stored.kid, attempt);
      // A failure is not cached: the next call tries again (a sealer secret may be added).
      attempt.catch(() => {
        if (imported.get(stored.kid) === attempt) imported.delete(stored.kid);
      });
    }
    return key;
  }

  async function create(at: number, active: StoredSigningKey[]): Promise<SigningKey> {
    const pair = await generateKeyPair("ES256", { extractable: true });
    const { kty, crv, x, y } = await exportJWK(pair.publicKey);
    const privateJwk = await exportJWK(pair.privateKey);
    const kid = await calculateJwkThumbprint({ kty, crv, x, y });
    const stored: StoredSigningKey = {
      kid,
      alg: "ES256",
      publicJwk: { kty, crv, x, y, kid, alg: "ES256", use: "sig" },
      privateSealed: await sealer.seal(JSON.stringify(privateJwk), SEAL_PURPOSE),
      createdAt: at,
      retiredAt: null,
      expiresAt: null,
    };
    // Added before the others are retired, so that there is always a key to sign with.
    await store.addSigningKey(stored);
    for (const old of active) await store.retireSigningKey(old.kid, at, at + keepAfterRetireMs);
    const key = toCryptoKey(await importJWK(privateJwk, "ES256", { extractable: false }));
    imported.set(kid, Promise.resolve(key));
    return { kid, alg: "ES256", key };
  }

  async function current(): Promise<SigningKey> {
    const at = now();
    const listed = await store.listSigningKeys(at);
    for (const kid of imported.keys()) {
      if (!listed.some((stored) => stored.kid === kid)) imported.delete(kid);
    }
    const active = listed
      .filter((stored) => stored.retiredAt === null || stored.retiredAt > at)
      .sort(newestFirst);
    const newest = active[0];
    if (newest && at - newest.createdAt < rotateAfterMs) {
      return { kid: newest.kid, alg: "ES256", key: await cachedPrivate(newest) };
    }
    return create(at, active);
  }

  async function jwks() {
    const at = now();
    const listed = await store.listSigningKeys(at);
    const live = listed.filter((stored) => stored.expiresAt === null || stored.expiresAt > at);
    return { keys: live.sort(newestFirst).map(publicJwk) };
  }

  return {
    signingKey() {
      pending ??= current().finally(() => {
        pending = undefined;
      });
      return pending;
    },

    jwks,

    async verificationKeys(kid) {
      const at = now();
      let cached = verifying;
      if (cached === undefined || at - cached.at >= VERIFY_CACHE_MS || at < cached.at) {
        cached = { at, jwks: jwks() };
        verifying = cached;
      }
      let keys: { keys: PublicSigningJwk[] };
      try {
        keys = await cached.jwks;
      } catch (error) {
        if (verifying === cached) verifying = undefined; // a failed read is not kept
        throw error;
      }
      if (kid === undefined || keys.keys.some((key) => key.kid === kid)) return keys;
      // A key this instance has not seen yet (made by another one): read again, once.
      const fresh = { at, jwks: jwks() };
      verifying = fresh;
      return fresh.jwks;
    },
  };
}

function toCryptoKey(key: CryptoKey | Uint8Array): CryptoKey {
  if (key instanceof Uint8Array) throw new TypeError("Expected an asymmetric key");
  return key;
}
