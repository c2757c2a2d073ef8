/**
 * A software WebAuthn authenticator for tests: it makes ES256 passkeys and signs assertions from
 * the options JSON a server hands out (`PublicKeyCredentialCreationOptionsJSON`,
 * `PublicKeyCredentialRequestOptionsJSON`), and answers with the JSON `navigator.credentials`
 * would give through `@simplewebauthn/browser` (`RegistrationResponseJSON`,
 * `AuthenticationResponseJSON`). It runs wherever WebCrypto does (Node 20+, browsers, workers), so
 * passkey flows can be tested without a browser.
 *
 * It plays the browser too: it writes the client data with the origin you give. Attestation is
 * `none`. The attestation object and COSE key are encoded with the few CBOR types they need; no
 * verification happens here (the server's library does it).
 *
 * @module
 */

/** The options of a registration, as a server gives them (the fields the authenticator reads). */
export interface SoftwareCreationOptions {
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  challenge: string;
  pubKeyCredParams: { type: string; alg: number }[];
  excludeCredentials?: { id: string; type: string }[];
}

/** The options of an authentication, as a server gives them (the fields the authenticator reads). */
export interface SoftwareRequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string; type: string }[];
}

/** What `create()` answers: a `RegistrationResponseJSON`. */
export interface SoftwareRegistrationResponse {
  id: string;
  rawId: string;
  type: "public-key";
  response: {
    clientDataJSON: string;
    attestationObject: string;
    transports: string[];
  };
  clientExtensionResults: Record<string, never>;
  authenticatorAttachment: "platform";
}

/** What `get()` answers: an `AuthenticationResponseJSON`. */
export interface SoftwareAuthenticationResponse {
  id: string;
  rawId: string;
  type: "public-key";
  response: {
    clientDataJSON: string;
    authenticatorData: string;
    signature: string;
    userHandle: string;
  };
  clientExtensionResults: Record<string, never>;
  authenticatorAttachment: "platform";
}

/** How one ceremony runs; every field overrides what the authenticator would do. */
export interface SoftwareCeremonyOptions {
  /** The page's origin written in the client data. Default: the authenticator's `origin`. */
  origin?: string;
  /** The RP ID hashed into the authenticator data. Default: the options' RP ID, else the origin's host. */
  rpId?: string;
  /** Whether the user was verified (PIN, biometric). Default true. */
  userVerified?: boolean;
  /**
   * `get()`: the passkey to use (its credential id); default: the newest one for the RP ID that
   * the options allow. `create()`: the id of the new passkey (base64url; tests of a taken id);
   * default: 32 random bytes.
   */
  credentialId?: string;
}

/** Options of {@link createSoftwareAuthenticator}. */
export interface SoftwareAuthenticatorOptions {
  /** The page's origin, as the browser would write it in the client data (`https://app.example.com`). */
  origin: string;
  /**
   * The signature counter: `"increment"` (default) counts each assertion, as a security key does;
   * `"none"` keeps it at 0, as most synced passkeys do.
   */
  counter?: "increment" | "none";
  /** Whether its passkeys are synced (backup eligible and backed up). Default true. */
  synced?: boolean;
}

/** A passkey held by the authenticator. */
export interface SoftwarePasskey {
  /** The credential id, base64url. */
  readonly id: string;
  readonly rpId: string;
  /** The WebAuthn user handle, base64url. */
  readonly userHandle: string;
  /** The counter the next assertion starts from. */
  signCount: number;
}

/** The authenticator; see {@link createSoftwareAuthenticator}. */
export interface SoftwareAuthenticator {
  /** Makes a passkey for the creation options (as `navigator.credentials.create` would). */
  create(
    options: SoftwareCreationOptions,
    ceremony?: SoftwareCeremonyOptions,
  ): Promise<SoftwareRegistrationResponse>;
  /** Signs an assertion for the request options (as `navigator.credentials.get` would). */
  get(
    options: SoftwareRequestOptions,
    ceremony?: SoftwareCeremonyOptions,
  ): Promise<SoftwareAuthenticationResponse>;
  /** The passkeys it holds, oldest first (their counters may be set: a cloned authenticator). */
  readonly passkeys: readonly SoftwarePasskey[];
}

/**
 * Creates a software authenticator that holds its passkeys in memory.
 *
 * @throws TypeError (from `create`) when the options accept no ES256 (-7) or one of the
 *   `excludeCredentials` is held already; (from `get`) when no passkey fits.
 * @example
 * ```ts
 * import { createSoftwareAuthenticator } from "tegata/mock";
 * const authenticator = createSoftwareAuthenticator({ origin: "https://app.example.com" });
 * const options = await (await fetch(`${base}/auth/passkeys/register/options`, { method: "POST", headers })).json();
 * const credential = await authenticator.create(options);
 * await fetch(`${base}/auth/passkeys/register`, { method: "POST", headers, body: JSON.stringify({ credential }) });
 * ```
 */
export function createSoftwareAuthenticator(options: SoftwareAuthenticatorOptions): SoftwareAuthenticator {
  const origin = new URL(options.origin).origin;
  const counting = options.counter !== "none";
  const synced = options.synced !== false;
  const held: (SoftwarePasskey & { keys: CryptoKeyPair })[] = [];

  const flags = (uv: boolean, attested: boolean) =>
    0x01 | (uv ? 0x04 : 0) | (synced ? 0x08 | 0x10 : 0) | (attested ? 0x40 : 0);

  return {
    get passkeys() {
      return held;
    },

    async create(creation, ceremony = {}) {
      if (!creation.pubKeyCredParams.some((p) => p.type === "public-key" && p.alg === -7)) {
        throw new TypeError("tegata: the software authenticator makes ES256 (-7) passkeys only");
      }
      const rpId = ceremony.rpId ?? creation.rp.id ?? new URL(ceremony.origin ?? origin).hostname;
      const excluded = new Set((creation.excludeCredentials ?? []).map((c) => c.id));
      if (held.some((p) => p.rpId === rpId && excluded.has(p.id))) {
        throw new TypeError(
          "tegata: the authenticator holds one of the excluded credentials (InvalidStateError)",
        );
      }
      const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
        "sign",
        "verify",
      ])) as CryptoKeyPair;
      const jwk = await crypto.subtle.exportKey("jwk", keys.publicKey);
      const idBytes =
        ceremony.credentialId === undefined
          ? crypto.getRandomValues(new Uint8Array(32))
          : fromBase64url(ceremony.credentialId);
      const id = toBase64url(idBytes);
      const cose = cbor(
        new Map<number, CborValue>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, fromBase64url(jwk.x ?? "")],
          [-3, fromBase64url(jwk.y ?? "")],
        ]),
      );
      const signCount = 0;
      const authData = concat(
        await sha256(utf8(rpId)),
        Uint8Array.of(flags(ceremony.userVerified !== false, true)),
        uint32(signCount),
        new Uint8Array(16), // AAGUID: none
        Uint8Array.of(idBytes.length >> 8, idBytes.length & 0xff),
        idBytes,
        cose,
      );
      const attestationObject = cbor(
        new Map<string, CborValue>([
          ["fmt", "none"],
          ["attStmt", new Map()],
          ["authData", authData],
        ]),
      );
      const clientData = clientDataJSON("webauthn.create", creation.challenge, ceremony.origin ?? origin);
      held.push({ id, rpId, userHandle: creation.user.id, signCount, keys });
      return {
        id,
        rawId: id,
        type: "public-key",
        response: {
          clientDataJSON: toBase64url(clientData),
          attestationObject: toBase64url(attestationObject),
          transports: ["internal", "hybrid"],
        },
        clientExtensionResults: {},
        authenticatorAttachment: "platform",
      };
    },

    async get(request, ceremony = {}) {
      const rpId = ceremony.rpId ?? request.rpId ?? new URL(ceremony.origin ?? origin).hostname;
      const allowed = new Set((request.allowCredentials ?? []).map((c) => c.id));
      const candidates = held.filter(
        (p) =>
          (ceremony.credentialId === undefined ? p.rpId === rpId : p.id === ceremony.credentialId) &&
          (allowed.size === 0 || allowed.has(p.id)),
      );
      const passkey = candidates.at(-1);
      if (passkey === undefined)
        throw new TypeError("tegata: the software authenticator holds no passkey for this request");
      if (counting) passkey.signCount += 1;
      const authData = concat(
        await sha256(utf8(rpId)),
        Uint8Array.of(flags(ceremony.userVerified !== false, false)),
        uint32(passkey.signCount),
      );
      const clientData = clientDataJSON("webauthn.get", request.challenge, ceremony.origin ?? origin);
      const raw = new Uint8Array(
        await crypto.subtle.sign(
          { name: "ECDSA", hash: "SHA-256" },
          passkey.keys.privateKey,
          concat(authData, await sha256(clientData)),
        ),
      );
      return {
        id: passkey.id,
        rawId: passkey.id,
        type: "public-key",
        response: {
          clientDataJSON: toBase64url(clientData),
          authenticatorData: toBase64url(authData),
          signature: toBase64url(derSignature(raw)),
          userHandle: passkey.userHandle,
        },
        clientExtensionResults: {},
        authenticatorAttachment: "platform",
      };
    },
  };
}

function clientDataJSON(type: string, challenge: string, origin: string): Uint8Array<ArrayBuffer> {
  return utf8(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

// Bytes.

function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function uint32(n: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

function toBase64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** WebCrypto's ECDSA signature (r ‖ s, 32 bytes each) as ASN.1 DER, as WebAuthn carries ES256. */
function derSignature(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  const integer = (half: Uint8Array) => {
    let start = 0;
    while (start < half.length - 1 && half[start] === 0) start++;
    const trimmed = half.subarray(start);
    const body = (trimmed[0] ?? 0) & 0x80 ? concat(Uint8Array.of(0), trimmed) : trimmed;
    return concat(Uint8Array.of(0x02, body.length), body);
  };
  const r = integer(raw.subarray(0, 32));
  const s = integer(raw.subarray(32, 64));
  return concat(Uint8Array.of(0x30, r.length + s.length), r, s);
}

// A CBOR (RFC 8949) encoder of the few types an attestation object and a COSE key use.

type CborValue = number | string | Uint8Array | Map<number | string, CborValue>;

function cborHead(major: number, n: number): Uint8Array<ArrayBuffer> {
  if (n < 24) return Uint8Array.of((major << 5) | n);
  if (n < 0x100) return Uint8Array.of((major << 5) | 24, n);
  if (n < 0x10000) return Uint8Array.of((major << 5) | 25, n >> 8, n & 0xff);
  return concat(Uint8Array.of((major << 5) | 26), uint32(n));
}

function cbor(value: CborValue): Uint8Array<ArrayBuffer> {
  if (typeof value === "number") {
    if (!Number.isInteger(value) || Math.abs(value) > 0xffffffff)
      throw new RangeError("cbor: integers up to 32 bits");
    return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  }
  if (typeof value === "string") {
    const bytes = utf8(value);
    return concat(cborHead(3, bytes.length), bytes);
  }
  if (value instanceof Uint8Array) return concat(cborHead(2, value.length), value);
  const parts: Uint8Array[] = [cborHead(5, value.size)];
  for (const [key, entry] of value) parts.push(cbor(key), cbor(entry));
  return concat(...parts);
}
