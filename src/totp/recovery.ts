import * as base64url from "jose/base64url";

// Crockford's base32 alphabet: no I, L, O, U, so codes survive being read aloud or retyped.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * Normalises a recovery code as typed: case, spaces and dashes do not matter, and the letters
 * that look like digits (o, i, l) count as those digits.
 */
export function normalizeRecoveryCode(code: string): string {
  return String(code).toLowerCase().replace(/[\s-]/g, "").replace(/o/g, "0").replace(/[il]/g, "1");
}

/**
 * Makes single-use recovery codes such as `7k2m-x9qd-4hv8`: 12 characters from a 32-letter
 * alphabet, 60 bits of entropy each, from `crypto.getRandomValues`. Show them once; store only
 * {@link hashRecoveryCode} of each.
 *
 * @example
 * ```ts
 * const codes = generateRecoveryCodes(); // 10 codes
 * ```
 */
export function generateRecoveryCodes(count = 10): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 100)
    throw new TypeError("tegata: count must be 1 to 100");
  return Array.from({ length: count }, () => {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    // 256 is a multiple of 32: masking keeps the distribution uniform.
    const chars = Array.from(bytes, (b) => ALPHABET[b & 31]).join("");
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
  });
}

/** Options of {@link hashRecoveryCode} and {@link verifyRecoveryCode}. */
export interface RecoveryHashOptions {
  /**
   * A server-side secret mixed in with HMAC-SHA-256, so a leaked database alone does not allow
   * guessing codes offline. Default: none (plain SHA-256).
   */
  pepper?: string;
}

async function digest(normalized: string, pepper: string | undefined): Promise<Uint8Array> {
  const data = new TextEncoder().encode(normalized);
  if (pepper === undefined) return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(pepper),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, data));
}

/**
 * The value to store for a recovery code: `sha256:…` (or `hmac-sha256:…` with a pepper), over the
 * normalised code.
 *
 * @example
 * ```ts
 * const hashes = await Promise.all(codes.map((c) => hashRecoveryCode(c)));
 * ```
 */
export async function hashRecoveryCode(code: string, options: RecoveryHashOptions = {}): Promise<string> {
  if (typeof code !== "string") throw new TypeError("tegata: code must be a string");
  const prefix = options.pepper === undefined ? "sha256" : "hmac-sha256";
  return `${prefix}:${base64url.encode(await digest(normalizeRecoveryCode(code), options.pepper))}`;
}

/**
 * Checks a recovery code against the stored hashes. Every hash is compared, in constant time, so
 * the time taken tells nothing about which one matched. Each code is usable once: remove
 * `hashes[index]` after a success.
 *
 * @example
 * ```ts
 * const { valid, index } = await verifyRecoveryCode(input, user.recoveryHashes);
 * if (valid) user.recoveryHashes.splice(index, 1);
 * ```
 */
export async function verifyRecoveryCode(
  code: string,
  hashes: readonly string[],
  options: RecoveryHashOptions = {},
): Promise<{ valid: boolean; index: number }> {
  const candidate = new TextEncoder().encode(await hashRecoveryCode(String(code ?? ""), options));
  let index = -1;
  for (let i = 0; i < hashes.length; i++) {
    const stored = new TextEncoder().encode(String(hashes[i]));
    let diff = stored.length ^ candidate.length;
    for (let j = 0; j < candidate.length; j++) diff |= (stored[j] ?? 0) ^ (candidate[j] as number);
    if (diff === 0 && index === -1) index = i;
  }
  return { valid: index !== -1, index };
}
