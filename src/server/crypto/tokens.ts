/**
 * Opaque tokens of the auth server (refresh, reset, challenge, …): made from WebCrypto random
 * bytes, stored only as their SHA-256, compared in constant time. WebCrypto only, so the module
 * loads on every runtime.
 *
 * @module
 */
import { base64url } from "jose";

/** The most bytes `crypto.getRandomValues` fills in one call. */
const MAX_RANDOM_BYTES = 65_536;

/**
 * A random, URL-safe token: `bytes` bytes from `crypto.getRandomValues`, base64url without
 * padding (32 bytes, the default, give 43 characters and 256 bits of entropy).
 *
 * @param bytes How many random bytes; an integer from 1 to 65536.
 * @throws RangeError when `bytes` is out of range.
 *
 * @example
 * ```ts
 * const refreshToken = randomToken(); // "m0T1…" (43 characters)
 * ```
 */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > MAX_RANDOM_BYTES) {
    throw new RangeError(`randomToken: bytes must be an integer from 1 to ${MAX_RANDOM_BYTES}`);
  }
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * SHA-256 of a token (its UTF-8 bytes), base64url without padding: the form in which the store
 * keeps tokens, so a leaked table holds nothing that can be presented.
 *
 * No salt: the tokens are random (see {@link randomToken}), there is nothing to guess, and the
 * hash must be a lookup key.
 *
 * @example
 * ```ts
 * await store.issueOneTimeToken({ tokenHash: await hashToken(token), … });
 * ```
 */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return base64url.encode(new Uint8Array(digest));
}

/**
 * Whether two strings are equal, in time that depends only on their lengths, not on where they
 * differ. Compares UTF-16 code units, so it agrees with `===` for every pair of strings (lone
 * surrogates included). Use it for secrets compared in clear (codes, CSRF tokens); tokens looked
 * up by hash need no comparison.
 *
 * @example
 * ```ts
 * if (!timingSafeEqual(submitted, expected)) reject();
 * ```
 */
export function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    diff |= (i < a.length ? a.charCodeAt(i) : 0) ^ (i < b.length ? b.charCodeAt(i) : 0);
  }
  return diff === 0;
}

/**
 * @internal Compares two byte arrays in time that depends only on their lengths.
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
