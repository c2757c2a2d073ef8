import * as base64url from "jose/base64url";

/** A random URL-safe string of `bytes` random bytes (43 characters for 32 bytes). */
export function randomString(bytes = 32): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * The RFC 7636 S256 code challenge of a PKCE code verifier: `BASE64URL(SHA-256(ASCII(verifier)))`.
 *
 * @example
 * ```ts
 * await pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); // "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
 * ```
 */
export async function pkceChallenge(verifier: string): Promise<string> {
  const expected =
    "tegata: pkceChallenge(verifier) needs a PKCE code verifier of 43 to 128 unreserved characters (A-Z a-z 0-9 - . _ ~, RFC 7636 section 4.1)";
  if (typeof verifier !== "string") {
    throw new TypeError(`${expected}, got ${verifier === null ? "null" : typeof verifier}`);
  }
  if (verifier.length < 43 || verifier.length > 128) {
    throw new TypeError(`${expected}, got ${verifier.length} characters`);
  }
  const bad = /[^A-Za-z0-9\-._~]/.exec(verifier);
  if (bad) throw new TypeError(`${expected}, got ${JSON.stringify(bad[0])} at index ${bad.index}`);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url.encode(new Uint8Array(digest));
}
