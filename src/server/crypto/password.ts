/**
 * Password hashing of the auth server, stored as PHC strings.
 *
 * - argon2id through `node:crypto`'s `argon2` (Node.js ≥ 24.7), with OWASP's parameters
 *   (m=19456 KiB, t=2, p=1): `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`;
 * - where that is missing, scrypt through `node:crypto` (N=2^17, r=8, p=1):
 *   `$scrypt$ln=17,r=8,p=1$<salt>$<hash>`;
 * - where `node:crypto` is missing too (browsers, Workers without `nodejs_compat`),
 *   PBKDF2-HMAC-SHA-256 through WebCrypto with OWASP's 2023 count: `$pbkdf2-sha256$i=600000$<salt>$<hash>`.
 *
 * Salts are 16 random bytes, hashes 32 bytes, both in the PHC string format's B64 (standard
 * base64 alphabet, no padding). `node:crypto` is only reached through a dynamic import inside the
 * hasher, so this module loads on any runtime.
 *
 * @module
 */
import type * as NodeCrypto from "node:crypto";
import { base64url } from "jose";
import { bytesEqual } from "./tokens";

/** The password-hashing algorithms, by preference. */
export type PasswordAlgorithm = "argon2id" | "scrypt" | "pbkdf2";

/** Argon2id cost parameters (names as in the PHC string: `m`, `t`, `p`). */
export interface Argon2Parameters {
  /** Memory in KiB (`m`), at least 8 × `parallelism`, at most 1 GiB. Default 19456 (19 MiB). */
  memory: number;
  /** Passes over the memory (`t`), 1 to 64. Default 2. */
  passes: number;
  /** Lanes (`p`), 1 to 255. Default 1. */
  parallelism: number;
}

/** scrypt cost parameters (names as in the PHC string). */
export interface ScryptParameters {
  /** log2 of the cost N (`ln`), 1 to 20. Default 17 (N = 131072). */
  ln: number;
  /** Block size (`r`), 1 to 32; 128 × r × N must stay within 1 GiB. Default 8. */
  r: number;
  /** Parallelism (`p`), 1 to 16. Default 1. */
  p: number;
}

/** PBKDF2-HMAC-SHA-256 cost parameter. */
export interface Pbkdf2Parameters {
  /** Iterations (`i`), 1 to 10,000,000. Default 600,000 (OWASP, 2023). */
  iterations: number;
}

/** Options of {@link defaultPasswordHasher}. */
export interface PasswordHasherOptions {
  /**
   * The algorithm of new hashes. Default: the best one the runtime has (argon2id, else scrypt,
   * else PBKDF2). Forcing one the runtime lacks makes `hash` reject.
   */
  algorithm?: PasswordAlgorithm;
  /** Argon2id parameters; unset members keep OWASP's values. */
  argon2?: Partial<Argon2Parameters>;
  /** scrypt parameters; unset members keep OWASP's values. */
  scrypt?: Partial<ScryptParameters>;
  /** PBKDF2 parameters; unset members keep OWASP's values. */
  pbkdf2?: Partial<Pbkdf2Parameters>;
}

/** The outcome of {@link PasswordHasher.verify}. */
export interface PasswordVerification {
  /** Whether the password matches the stored hash. */
  valid: boolean;
  /**
   * Whether the stored hash should be replaced (by `hash(password)` once `valid`): its algorithm
   * or parameters differ from the hasher's current ones, or it could not be read at all.
   */
  needsRehash: boolean;
}

/** Hashes passwords into PHC strings and checks passwords against them. */
export interface PasswordHasher {
  /** A PHC string of `password` with a fresh random salt, in the current algorithm and parameters. */
  hash(password: string): Promise<string>;
  /**
   * Checks `password` against a PHC string of any of the three algorithms, whatever its
   * parameters (within sane bounds), comparing in constant time. A malformed string, or one with
   * parameters out of bounds, gives `{ valid: false, needsRehash: true }` rather than an error.
   * Rejects only when the string names an algorithm the runtime lacks (an argon2id hash on a
   * runtime without `argon2`): a deployment error, not a wrong password.
   */
  verify(password: string, phc: string): Promise<PasswordVerification>;
}

/** OWASP Password Storage Cheat Sheet values. */
const DEFAULTS = {
  argon2: { memory: 19_456, passes: 2, parallelism: 1 },
  scrypt: { ln: 17, r: 8, p: 1 },
  pbkdf2: { iterations: 600_000 },
} as const;

const SALT_BYTES = 16;
const HASH_BYTES = 32;
/**
 * Salt and output lengths read back: PHC's Argon2 bounds, except salts from 4 bytes (PHC's
 * "absolute minimum"; argon2 itself still needs 8), so that RFC 7914's vectors can be read.
 */
const SALT_RANGE = [4, 48] as const;
const HASH_RANGE = [12, 64] as const;
const MAX_MEMORY_BYTES = 1024 ** 3;
const ARGON2_VERSION = 19;

type Params =
  | { algorithm: "argon2id"; memory: number; passes: number; parallelism: number }
  | { algorithm: "scrypt"; ln: number; r: number; p: number }
  | { algorithm: "pbkdf2"; iterations: number };

interface ParsedHash {
  params: Params;
  salt: Uint8Array;
  hash: Uint8Array;
}

/** What the hasher uses from `node:crypto`, when present. */
interface NodeKdfs {
  argon2: typeof NodeCrypto.argon2 | undefined;
  scrypt: typeof NodeCrypto.scrypt | undefined;
}

const inRange = (value: number, min: number, max: number) =>
  Number.isSafeInteger(value) && value >= min && value <= max;

/** Whether the parameters are within the bounds the hasher accepts (also for stored strings). */
function paramsInBounds(params: Params): boolean {
  switch (params.algorithm) {
    case "argon2id":
      return (
        inRange(params.parallelism, 1, 255) &&
        inRange(params.passes, 1, 64) &&
        inRange(params.memory, 8 * params.parallelism, MAX_MEMORY_BYTES / 1024)
      );
    case "scrypt":
      return (
        inRange(params.ln, 1, 20) &&
        inRange(params.r, 1, 32) &&
        inRange(params.p, 1, 16) &&
        128 * params.r * 2 ** params.ln <= MAX_MEMORY_BYTES
      );
    case "pbkdf2":
      return inRange(params.iterations, 1, 10_000_000);
  }
}

function sameParams(a: Params, b: Params): boolean {
  switch (a.algorithm) {
    case "argon2id":
      return (
        b.algorithm === "argon2id" &&
        a.memory === b.memory &&
        a.passes === b.passes &&
        a.parallelism === b.parallelism
      );
    case "scrypt":
      return b.algorithm === "scrypt" && a.ln === b.ln && a.r === b.r && a.p === b.p;
    case "pbkdf2":
      return b.algorithm === "pbkdf2" && a.iterations === b.iterations;
  }
}

/** PHC B64: standard base64 alphabet, no padding (jose's base64url with two letters swapped). */
function encodeB64(bytes: Uint8Array): string {
  return base64url.encode(bytes).replaceAll("-", "+").replaceAll("_", "/");
}

/** Decodes PHC B64; `null` unless it is the canonical encoding of some bytes. */
function decodeB64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]+$/.test(text) || text.length % 4 === 1) return null;
  let bytes: Uint8Array;
  try {
    bytes = base64url.decode(text.replaceAll("+", "-").replaceAll("/", "_"));
  } catch {
    return null;
  }
  // Non-zero trailing bits decode to the same bytes: refuse them, one string per value.
  return encodeB64(bytes) === text ? bytes : null;
}

/** A PHC decimal: no sign, no leading zero, at most 10 digits. */
function decimal(text: string | undefined): number | null {
  return text !== undefined && /^(0|[1-9][0-9]{0,9})$/.test(text) ? Number(text) : null;
}

/** Reads `name=value,…` with exactly these names in this order. */
function readParams(text: string | undefined, names: readonly string[]): number[] | null {
  const pairs = text?.split(",");
  if (!pairs || pairs.length !== names.length) return null;
  const values: number[] = [];
  for (const [i, pair] of pairs.entries()) {
    const [name, value, extra] = pair.split("=");
    const number = decimal(value);
    if (name !== names[i] || extra !== undefined || number === null) return null;
    values.push(number);
  }
  return values;
}

function formatParams(params: Params): string {
  switch (params.algorithm) {
    case "argon2id":
      return `argon2id$v=${ARGON2_VERSION}$m=${params.memory},t=${params.passes},p=${params.parallelism}`;
    case "scrypt":
      return `scrypt$ln=${params.ln},r=${params.r},p=${params.p}`;
    case "pbkdf2":
      return `pbkdf2-sha256$i=${params.iterations}`;
  }
}

/** Parses one of the three PHC forms; `null` for anything else (including out-of-bounds values). */
function parsePhc(phc: string): ParsedHash | null {
  const fields = phc.split("$");
  if (fields[0] !== "") return null;
  let params: Params;
  let rest: string[];
  switch (fields[1]) {
    case "argon2id": {
      const values = readParams(fields[3], ["m", "t", "p"]);
      if (fields[2] !== `v=${ARGON2_VERSION}` || !values) return null;
      const [memory = 0, passes = 0, parallelism = 0] = values;
      params = { algorithm: "argon2id", memory, passes, parallelism };
      rest = fields.slice(4);
      break;
    }
    case "scrypt": {
      const values = readParams(fields[2], ["ln", "r", "p"]);
      if (!values) return null;
      const [ln = 0, r = 0, p = 0] = values;
      params = { algorithm: "scrypt", ln, r, p };
      rest = fields.slice(3);
      break;
    }
    case "pbkdf2-sha256": {
      const values = readParams(fields[2], ["i"]);
      if (!values) return null;
      params = { algorithm: "pbkdf2", iterations: values[0] ?? 0 };
      rest = fields.slice(3);
      break;
    }
    default:
      return null;
  }
  if (rest.length !== 2 || !paramsInBounds(params)) return null;
  const salt = decodeB64(rest[0] ?? "");
  const hash = decodeB64(rest[1] ?? "");
  if (!salt || !hash) return null;
  if (!inRange(salt.length, ...SALT_RANGE) || !inRange(hash.length, ...HASH_RANGE)) return null;
  return { params, salt, hash };
}

/** The KDFs of `node:crypto`, or `null` where the module is absent or unusable. */
async function loadNodeKdfs(): Promise<NodeKdfs | null> {
  try {
    const module = await import("node:crypto");
    // Bundlers' browser stubs may throw on member access: that counts as absent too.
    const argon2 = typeof module.argon2 === "function" ? module.argon2 : undefined;
    const scrypt = typeof module.scrypt === "function" ? module.scrypt : undefined;
    return argon2 || scrypt ? { argon2, scrypt } : null;
  } catch {
    return null;
  }
}

function unavailable(algorithm: PasswordAlgorithm): Error {
  return new Error(
    algorithm === "argon2id"
      ? "argon2id is not available in this runtime (node:crypto's argon2 needs Node.js 24.7 or later)"
      : `${algorithm} is not available in this runtime (it needs node:crypto)`,
  );
}

/** Derives `length` bytes of `params`'s function; rejects on a missing algorithm or bad parameters. */
async function derive(
  kdfs: NodeKdfs | null,
  params: Params,
  password: Uint8Array,
  salt: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  switch (params.algorithm) {
    case "argon2id": {
      const argon2 = kdfs?.argon2;
      if (!argon2) throw unavailable("argon2id");
      const input = {
        message: password,
        nonce: salt,
        memory: params.memory,
        passes: params.passes,
        parallelism: params.parallelism,
        tagLength: length,
      };
      return new Promise((resolve, reject) =>
        argon2("argon2id", input, (error, key) => (error ? reject(error) : resolve(new Uint8Array(key)))),
      );
    }
    case "scrypt": {
      const scrypt = kdfs?.scrypt;
      if (!scrypt) throw unavailable("scrypt");
      const N = 2 ** params.ln;
      // OpenSSL needs 128·r·(N + p + 2) bytes; node's default cap (32 MiB) is below N=2^17, r=8.
      const options = {
        N,
        r: params.r,
        p: params.p,
        maxmem: 128 * params.r * (N + params.p + 2) + 1024 ** 2,
      };
      return new Promise((resolve, reject) =>
        scrypt(password, salt, length, options, (error, key) =>
          error ? reject(error) : resolve(new Uint8Array(key)),
        ),
      );
    }
    case "pbkdf2": {
      const key = await crypto.subtle.importKey("raw", password as BufferSource, "PBKDF2", false, [
        "deriveBits",
      ]);
      const bits = await crypto.subtle.deriveBits(
        { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations: params.iterations },
        key,
        length * 8,
      );
      return new Uint8Array(bits);
    }
  }
}

/** The parameters of `algorithm` with `options` applied, checked against the bounds. */
function currentParams(algorithm: PasswordAlgorithm, options: PasswordHasherOptions): Params {
  let params: Params;
  switch (algorithm) {
    case "argon2id":
      params = { algorithm, ...DEFAULTS.argon2, ...options.argon2 };
      break;
    case "scrypt":
      params = { algorithm, ...DEFAULTS.scrypt, ...options.scrypt };
      break;
    case "pbkdf2":
      params = { algorithm, ...DEFAULTS.pbkdf2, ...options.pbkdf2 };
      break;
  }
  if (!paramsInBounds(params)) {
    throw new RangeError(`defaultPasswordHasher: ${algorithm} parameters out of bounds (see their TSDoc)`);
  }
  return params;
}

/**
 * The password hasher of the auth server: argon2id with OWASP's parameters where `node:crypto`
 * has `argon2` (Node.js ≥ 24.7), else scrypt through `node:crypto`, else PBKDF2-SHA-256 through
 * WebCrypto (see the module notes for the PHC strings).
 *
 * `verify` accepts all three formats whatever the current algorithm, so a store can migrate: when
 * it reports `needsRehash` on a valid password, store `await hasher.hash(password)` in its place.
 * Passwords are hashed as their UTF-8 bytes, without normalisation.
 *
 * @param options Force an algorithm or change parameters (tests use cheap ones; see
 *   {@link createTestPasswordHasher}).
 * @throws RangeError when a parameter is out of bounds.
 *
 * @example
 * ```ts
 * const hasher = defaultPasswordHasher();
 * const phc = await hasher.hash("correct horse battery staple");
 * const { valid, needsRehash } = await hasher.verify(input, phc);
 * ```
 */
export function defaultPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  // Checked now so that a bad option fails at start-up, not at the first sign-in.
  const configured = {
    argon2id: currentParams("argon2id", options),
    scrypt: currentParams("scrypt", options),
    pbkdf2: currentParams("pbkdf2", options),
  };
  let runtime: Promise<{ kdfs: NodeKdfs | null; params: Params }> | undefined;
  const resolve = () => {
    runtime ??= loadNodeKdfs().then((kdfs) => {
      const algorithm = options.algorithm ?? (kdfs?.argon2 ? "argon2id" : kdfs?.scrypt ? "scrypt" : "pbkdf2");
      return { kdfs, params: configured[algorithm] };
    });
    return runtime;
  };
  const encoder = new TextEncoder();

  return {
    async hash(password) {
      const { kdfs, params } = await resolve();
      const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
      const hash = await derive(kdfs, params, encoder.encode(password), salt, HASH_BYTES);
      return `$${formatParams(params)}$${encodeB64(salt)}$${encodeB64(hash)}`;
    },

    async verify(password, phc) {
      const { kdfs, params } = await resolve();
      const stored = typeof phc === "string" ? parsePhc(phc) : null;
      if (!stored) return { valid: false, needsRehash: true };
      const { algorithm } = stored.params;
      if (algorithm === "argon2id" && !kdfs?.argon2) throw unavailable(algorithm);
      if (algorithm === "scrypt" && !kdfs?.scrypt) throw unavailable(algorithm);
      let actual: Uint8Array;
      try {
        actual = await derive(kdfs, stored.params, encoder.encode(password), stored.salt, stored.hash.length);
      } catch {
        // Parameters within our bounds that the KDF still refuses: unreadable, as malformed.
        return { valid: false, needsRehash: true };
      }
      const needsRehash =
        !sameParams(params, stored.params) ||
        stored.salt.length !== SALT_BYTES ||
        stored.hash.length !== HASH_BYTES;
      return { valid: bytesEqual(actual, stored.hash), needsRehash };
    },
  };
}

/**
 * A hasher with very cheap parameters (argon2id m=64 KiB, t=1; scrypt ln=4; PBKDF2 1000
 * iterations) for tests and the in-memory mock server, same formats as
 * {@link defaultPasswordHasher}.
 *
 * **Not for production**: these parameters make offline guessing of a leaked hash cheap. Hashes
 * it makes verify with the default hasher, which reports `needsRehash` for them.
 *
 * @example
 * ```ts
 * const server = createAuthServer({ store: memoryStore(), passwordHasher: createTestPasswordHasher(), … });
 * ```
 */
export function createTestPasswordHasher(
  options: Pick<PasswordHasherOptions, "algorithm"> = {},
): PasswordHasher {
  return defaultPasswordHasher({
    ...options,
    argon2: { memory: 64, passes: 1, parallelism: 1 },
    scrypt: { ln: 4, r: 8, p: 1 },
    pbkdf2: { iterations: 1000 },
  });
}
