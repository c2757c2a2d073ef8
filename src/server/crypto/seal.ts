/**
 * Sealing secrets at rest (TOTP secrets, private signing keys) with the server secret:
 * AES-256-GCM under a key derived by HKDF-SHA-256, the purpose bound as additional authenticated
 * data. WebCrypto only.
 *
 * Format: `v1.<iv>.<ciphertext and tag>`, both base64url without padding; the IV is 96 random
 * bits per seal.
 *
 * @module
 */
import { base64url } from "jose";

/** The shortest server secret accepted, in bytes. */
const MIN_SECRET_BYTES = 32;
const VERSION = "v1";
/** HKDF salt of version 1: fixed and public (the secret is the input keying material). */
const HKDF_SALT_V1 = "tegata seal v1 salt";
/** HKDF info of version 1. */
const HKDF_INFO_V1 = "tegata seal v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Why {@link SealError} was thrown. */
export type SealFailure =
  /** Not a sealed value of any version this code reads (truncated, not base64url, wrong shape). */
  | "malformed"
  /** Well formed, but no secret opens it under this purpose: tampered, another purpose, another secret. */
  | "unauthentic";

/**
 * A sealed value could not be opened. The message names no secret and no plaintext; `reason`
 * tells a malformed value from one that fails authentication (which may be tampering, the wrong
 * purpose or a secret no longer configured: these cannot be told apart, by design).
 */
export class SealError extends Error {
  /** Why the value could not be opened. */
  readonly reason: SealFailure;

  /** @param reason Why the value could not be opened. */
  constructor(reason: SealFailure) {
    super(
      reason === "malformed"
        ? "The sealed value is malformed"
        : "The sealed value could not be opened: tampered, sealed for another purpose or with a secret not configured",
    );
    this.name = "SealError";
    this.reason = reason;
  }
}

/** Options of {@link createSealer}. */
export interface SealerOptions {
  /**
   * Former secrets, tried in order after the current one by `open`, so values sealed before a
   * rotation of the server secret still open. Nothing is sealed with them. Each at least 32 bytes.
   */
  previous?: ReadonlyArray<string | Uint8Array>;
}

/** Seals and opens short secrets with the server secret. */
export interface Sealer {
  /**
   * Encrypts and authenticates `plaintext` for `purpose` (such as `"totp-secret"` or
   * `"signing-key"`) with the current secret. Two seals of the same value differ (random IV).
   */
  seal(plaintext: string, purpose: string): Promise<string>;
  /**
   * Opens a value sealed for `purpose` with the current or a previous secret.
   *
   * @throws SealError when it is malformed, tampered with, sealed for another purpose or with a
   *   secret that is not configured.
   */
  open(sealed: string, purpose: string): Promise<string>;
}

/**
 * HKDF with SHA-256 (RFC 5869), through WebCrypto: `length` bytes from input keying material
 * `ikm`, `salt` and `info`.
 *
 * @internal exported for the RFC 5869 test vectors.
 */
export async function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", ikm as BufferSource, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: salt as BufferSource, info: info as BufferSource },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}

function secretBytes(secret: string | Uint8Array, label: string): Uint8Array {
  const bytes = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  if (!(bytes instanceof Uint8Array) || bytes.length < MIN_SECRET_BYTES) {
    throw new TypeError(`createSealer: ${label} must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  // A copy: a caller reusing its buffer must not change the key afterwards.
  return bytes.slice();
}

async function sealKey(secret: Uint8Array): Promise<CryptoKey> {
  const encoder = new TextEncoder();
  const raw = await hkdfSha256(secret, encoder.encode(HKDF_SALT_V1), encoder.encode(HKDF_INFO_V1), 32);
  return crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, ["encrypt", "decrypt"]);
}

function checkPurpose(purpose: string): Uint8Array {
  if (typeof purpose !== "string" || purpose === "") {
    throw new TypeError("Sealer: purpose must be a non-empty string");
  }
  return new TextEncoder().encode(purpose);
}

/** Decodes canonical base64url (the one encoding of those bytes); `null` otherwise. */
function decodeCanonical(text: string): Uint8Array | null {
  try {
    const bytes = base64url.decode(text);
    return base64url.encode(bytes) === text ? bytes : null;
  } catch {
    return null;
  }
}

/**
 * Makes a sealer for secrets at rest: AES-256-GCM under a key derived from `secret` by
 * HKDF-SHA-256 (fixed salt of the format version, info `"tegata seal v1"`), a random 96-bit IV per
 * seal, the `purpose` as additional authenticated data so that a value sealed for one purpose
 * cannot be opened as another.
 *
 * Rotation: pass the new secret and the old one in `previous`; values sealed with the old secret
 * still open, new seals use the new one. Re-seal what you open to retire the old secret.
 *
 * A string secret counts by its UTF-8 bytes: use a random one, such as 32 bytes from a CSPRNG
 * (`openssl rand -base64 32` gives 44 characters).
 *
 * @throws TypeError when `secret` (or a previous one) is shorter than 32 bytes.
 *
 * @example
 * ```ts
 * const sealer = createSealer(process.env.TEGATA_SECRET!, { previous: [process.env.TEGATA_OLD_SECRET!] });
 * const secretSealed = await sealer.seal(totpSecret, "totp-secret");
 * const totpSecret = await sealer.open(factor.secretSealed, "totp-secret");
 * ```
 */
export function createSealer(secret: string | Uint8Array, options: SealerOptions = {}): Sealer {
  const secrets = [
    secretBytes(secret, "secret"),
    ...(options.previous ?? []).map((old, i) => secretBytes(old, `previous[${i}]`)),
  ];
  // Derived on first use, once per sealer.
  const keys: Array<Promise<CryptoKey> | undefined> = secrets.map(() => undefined);
  const keyAt = (i: number): Promise<CryptoKey> => {
    keys[i] ??= sealKey(secrets[i] as Uint8Array);
    return keys[i];
  };

  return {
    async seal(plaintext, purpose) {
      const additionalData = checkPurpose(purpose);
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const ciphertext = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: additionalData as BufferSource, tagLength: TAG_BYTES * 8 },
        await keyAt(0),
        new TextEncoder().encode(plaintext),
      );
      return `${VERSION}.${base64url.encode(iv)}.${base64url.encode(new Uint8Array(ciphertext))}`;
    },

    async open(sealed, purpose) {
      const additionalData = checkPurpose(purpose);
      const parts = typeof sealed === "string" ? sealed.split(".") : [];
      if (parts.length !== 3 || parts[0] !== VERSION) throw new SealError("malformed");
      const iv = decodeCanonical(parts[1] ?? "");
      const ciphertext = decodeCanonical(parts[2] ?? "");
      if (iv?.length !== IV_BYTES || !ciphertext || ciphertext.length < TAG_BYTES) {
        throw new SealError("malformed");
      }
      for (let i = 0; i < secrets.length; i++) {
        let plaintext: ArrayBuffer;
        try {
          plaintext = await crypto.subtle.decrypt(
            {
              name: "AES-GCM",
              iv: iv as BufferSource,
              additionalData: additionalData as BufferSource,
              tagLength: TAG_BYTES * 8,
            },
            await keyAt(i),
            ciphertext as BufferSource,
          );
        } catch {
          continue;
        }
        return new TextDecoder().decode(plaintext);
      }
      throw new SealError("unauthentic");
    },
  };
}
