/**
 * Passkeys (WebAuthn) at the auth server: the registration ceremony of a signed-in user, the
 * authentication ceremony with a discoverable credential, and the user's list (rename, remove).
 *
 * The parsing and verification of responses (client data, authenticator data, attestation
 * objects, COSE keys, signatures) is `@simplewebauthn/server`'s, loaded on the first ceremony
 * (`import()`), so that nothing of it reaches a bundle that does not run a ceremony. What this
 * module adds is the state: challenges stored by hash and consumed once, before anything else is
 * checked (a response can be tried once); the passkey's signature counter written only when it
 * grows (`recordPasskeyUse`, atomic); and the login history (method `passkey`).
 *
 * User verification is required in both ceremonies: a passkey proves possession of the key and
 * the user's PIN or biometric, so a passkey sign-in is multi-factor (`amr: ["hwk", "mfa"]`, RFC
 * 8176) and no second factor is asked after it.
 *
 * @module
 */
import { base64url } from "jose";
import type { WireAuthenticationResponse, WirePasskey, WireRegistrationResponse } from "../../wire/passkeys";
import { hashToken } from "../crypto/tokens";
import type { StoredPasskey, StoredUser } from "../store/types";
import type { DomainContext, RequestMeta } from "./context";
import { accountSuspended, DomainError } from "./errors";
import { type AuthenticatedResult, recordLoginAttempt } from "./mfa";

/** The relying party: who the passkeys are for, and where ceremonies may run. */
export interface PasskeySettings {
  /** The RP ID: a domain (`example.com`), the suffix of every origin's host. */
  rpId: string;
  /** The name authenticators show. */
  rpName: string;
  /** Origins (`https://app.example.com`) whose pages may run the ceremonies. */
  origins: string[];
}

/** The `passkeys` option of `createAuthServer`. */
export interface PasskeyOptions {
  /** The RP ID. Default: the issuer's host name. */
  rpId?: string;
  /** The name authenticators show. Default: the server's `serviceName`. */
  rpName?: string;
  /**
   * The origins allowed to run ceremonies. Default: the issuer's origin and the `appOrigins`
   * whose host is the RP ID or under it.
   */
  origins?: string[];
}

/** Whether `host` is `rpId` or a subdomain of it. */
function underRpId(host: string, rpId: string): boolean {
  return host === rpId || host.endsWith(`.${rpId}`);
}

/**
 * The settings from the server's options.
 *
 * @throws TypeError for an origin that is not an absolute http(s) URL or whose host is not under
 *   the RP ID (explicit `origins` only: default origins outside it are left out).
 */
export function resolvePasskeySettings(
  options: PasskeyOptions | undefined,
  issuer: URL,
  appOrigins: readonly string[],
  serviceName: string,
): PasskeySettings {
  const rpId = (options?.rpId ?? issuer.hostname).toLowerCase();
  if (rpId === "" || rpId.includes("/") || rpId.includes(":")) {
    throw new TypeError("tegata: passkeys.rpId must be a domain, such as example.com");
  }
  const parse = (value: string): URL | null => {
    try {
      const url = new URL(value);
      return url.protocol === "https:" || url.protocol === "http:" ? url : null;
    } catch {
      return null;
    }
  };
  let origins: string[];
  if (options?.origins !== undefined) {
    origins = options.origins.map((value) => {
      const url = parse(value);
      if (url === null || !underRpId(url.hostname, rpId)) {
        throw new TypeError(
          `tegata: passkeys.origins: ${JSON.stringify(value)} is not an http(s) origin under the RP ID ${rpId}`,
        );
      }
      return url.origin;
    });
  } else {
    origins = [issuer.origin, ...appOrigins]
      .map(parse)
      .filter((url): url is URL => url !== null && underRpId(url.hostname, rpId))
      .map((url) => url.origin);
  }
  return { rpId, rpName: options?.rpName ?? serviceName, origins: [...new Set(origins)] };
}

type WebAuthnLibrary = typeof import("@simplewebauthn/server");
let library: Promise<WebAuthnLibrary> | undefined;

/** `@simplewebauthn/server`, loaded on first use. */
function webauthn(): Promise<WebAuthnLibrary> {
  library ??= import("@simplewebauthn/server");
  return library;
}

/** The login-history method of a passkey sign-in. */
export const PASSKEY_METHOD = "passkey";

/** The default name of a passkey registered without one. */
export const DEFAULT_PASSKEY_NAME = "Passkey";

/** A passkey as the wire describes it (`PasskeySchema`): no key material. */
export function wirePasskey(passkey: StoredPasskey): WirePasskey {
  return {
    id: passkey.id,
    name: passkey.name,
    device_type: passkey.deviceType,
    backed_up: passkey.backedUp,
    transports: [...passkey.transports],
    created_at: new Date(passkey.createdAt).toISOString(),
    last_used_at: passkey.lastUsedAt === null ? null : new Date(passkey.lastUsedAt).toISOString(),
  };
}

function invalidPasskey(message: string): DomainError {
  return new DomainError("invalid_passkey", message);
}

function challengeGone(): DomainError {
  return new DomainError(
    "passkey_challenge_expired",
    "The passkey challenge is unknown, expired or already used: start the ceremony again",
  );
}

/** The challenge a response signed (from its client data), or `null` when that is malformed. */
function signedChallenge(clientDataJSON: string): string | null {
  try {
    const data: unknown = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(base64url.decode(clientDataJSON)),
    );
    if (typeof data !== "object" || data === null) return null;
    const challenge = (data as { challenge?: unknown }).challenge;
    return typeof challenge === "string" && /^[A-Za-z0-9_-]{16,512}$/.test(challenge) ? challenge : null;
  } catch {
    return null;
  }
}

/** Stores a new challenge of a ceremony; its hash is the key. */
async function storeChallenge(
  ctx: DomainContext,
  challenge: string,
  purpose: "register" | "sign_in",
  userId: string | null,
): Promise<void> {
  const now = ctx.now();
  await ctx.store.createWebAuthnChallenge({
    challengeHash: await hashToken(challenge),
    purpose,
    userId,
    expiresAt: now + ctx.config.lifetimes.challenge * 1000,
    createdAt: now,
  });
}

/** The WebAuthn user handle of a user: the UTF-8 bytes of their id. */
function userHandle(user: Pick<StoredUser, "id">): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(user.id);
}

/**
 * The options of a registration (`navigator.credentials.create`) for a signed-in user: a
 * discoverable credential with user verification, no attestation, the user's passkeys excluded.
 */
export async function passkeyRegistrationOptions(
  ctx: DomainContext,
  settings: PasskeySettings,
  user: StoredUser,
) {
  const lib = await webauthn();
  const existing = await ctx.store.listPasskeys(user.id);
  const options = await lib.generateRegistrationOptions({
    rpName: settings.rpName,
    rpID: settings.rpId,
    userName: user.email,
    userID: userHandle(user),
    userDisplayName: user.name ?? user.email,
    timeout: ctx.config.lifetimes.challenge * 1000,
    attestationType: "none",
    excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
  });
  await storeChallenge(ctx, options.challenge, "register", user.id);
  return options;
}

/**
 * Verifies a registration response and stores its passkey. The challenge is consumed first: a
 * response is checked once.
 *
 * @throws DomainError `passkey_challenge_expired` (the challenge is not this user's live one),
 *   `invalid_passkey` (malformed, another origin or RP ID, no user verification, a bad attestation),
 *   `passkey_exists` (the credential is registered already). Nothing is stored then.
 */
export async function registerPasskey(
  ctx: DomainContext,
  settings: PasskeySettings,
  user: StoredUser,
  input: { response: WireRegistrationResponse; name?: string },
): Promise<StoredPasskey> {
  const challenge = signedChallenge(input.response.response.clientDataJSON);
  if (challenge === null) throw invalidPasskey("The client data is malformed");
  const now = ctx.now();
  const stored = await ctx.store.consumeWebAuthnChallenge(await hashToken(challenge), "register", now);
  if (stored === null || stored.userId !== user.id) throw challengeGone();
  const lib = await webauthn();
  let verified: Awaited<ReturnType<WebAuthnLibrary["verifyRegistrationResponse"]>>;
  try {
    verified = await lib.verifyRegistrationResponse({
      // The schema checked the shape; the library checks every value.
      response: input.response as Parameters<WebAuthnLibrary["verifyRegistrationResponse"]>[0]["response"],
      expectedChallenge: challenge,
      expectedOrigin: settings.origins,
      expectedRPID: settings.rpId,
      requireUserVerification: true,
    });
  } catch (error) {
    throw invalidPasskey(`The registration response does not verify: ${messageOf(error)}`);
  }
  if (!verified.verified) throw invalidPasskey("The registration response does not verify");
  const info = verified.registrationInfo;
  if (info.credential.id !== input.response.id || input.response.rawId !== input.response.id) {
    throw invalidPasskey("The response's credential id is not the attested one");
  }
  const passkey: StoredPasskey = {
    id: info.credential.id,
    userId: user.id,
    publicKey: base64url.encode(info.credential.publicKey),
    signCount: info.credential.counter,
    transports: [...(input.response.response.transports ?? [])],
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    name: input.name?.trim() || DEFAULT_PASSKEY_NAME,
    createdAt: now,
    lastUsedAt: null,
  };
  if ((await ctx.store.addPasskey(passkey)) === "taken") {
    throw new DomainError("passkey_exists", "That passkey is registered already");
  }
  return passkey;
}

/** The options of a sign-in (`navigator.credentials.get`): any discoverable passkey of this RP. */
export async function passkeySignInOptions(ctx: DomainContext, settings: PasskeySettings) {
  const lib = await webauthn();
  const options = await lib.generateAuthenticationOptions({
    rpID: settings.rpId,
    timeout: ctx.config.lifetimes.challenge * 1000,
    userVerification: "required",
  });
  await storeChallenge(ctx, options.challenge, "sign_in", null);
  return options;
}

/**
 * Verifies an authentication response: the challenge is consumed first, then the passkey, its
 * user, the signature, origin, RP ID and user verification are checked, and the use is recorded
 * only if the signature counter grew (or stays 0 without one). Every attempt is in the login
 * history (method `passkey`; of the passkey's user when the passkey is known).
 *
 * @throws DomainError `passkey_challenge_expired`, `invalid_passkey`, `account_suspended`.
 */
export async function signInWithPasskey(
  ctx: DomainContext,
  settings: PasskeySettings,
  input: { response: WireAuthenticationResponse; remember?: boolean },
  meta: RequestMeta,
): Promise<AuthenticatedResult> {
  const { response } = input;
  const passkey = await ctx.store.getPasskey(response.id);
  const user = passkey === null ? null : await ctx.store.getUserById(passkey.userId);
  const record = (result: "success" | "failure") =>
    recordLoginAttempt(
      ctx,
      { userId: user?.id ?? null, email: user?.email ?? "", method: PASSKEY_METHOD, result },
      meta,
    );
  const fail = async (error: DomainError): Promise<never> => {
    await record("failure");
    throw error;
  };
  const challenge = signedChallenge(response.response.clientDataJSON);
  if (challenge === null) return fail(invalidPasskey("The client data is malformed"));
  const now = ctx.now();
  const stored = await ctx.store.consumeWebAuthnChallenge(await hashToken(challenge), "sign_in", now);
  if (stored === null) return fail(challengeGone());
  if (passkey === null || user === null) return fail(invalidPasskey("No such passkey"));
  if (
    response.response.userHandle !== undefined &&
    response.response.userHandle !== null &&
    response.response.userHandle !== base64url.encode(userHandle(user))
  ) {
    return fail(invalidPasskey("The passkey's user handle is not its user's"));
  }
  if (user.suspendedAt !== null) return fail(accountSuspended());
  const lib = await webauthn();
  let info: Awaited<ReturnType<WebAuthnLibrary["verifyAuthenticationResponse"]>>["authenticationInfo"];
  try {
    const verified = await lib.verifyAuthenticationResponse({
      response: response as Parameters<WebAuthnLibrary["verifyAuthenticationResponse"]>[0]["response"],
      expectedChallenge: challenge,
      expectedOrigin: settings.origins,
      expectedRPID: settings.rpId,
      credential: {
        id: passkey.id,
        publicKey: new Uint8Array(base64url.decode(passkey.publicKey)),
        counter: passkey.signCount,
        transports: passkey.transports as never,
      },
      requireUserVerification: true,
    });
    if (!verified.verified) return fail(invalidPasskey("The authentication response does not verify"));
    info = verified.authenticationInfo;
  } catch (error) {
    return fail(invalidPasskey(`The authentication response does not verify: ${messageOf(error)}`));
  }
  const used = await ctx.store.recordPasskeyUse(
    passkey.id,
    { signCount: info.newCounter, backedUp: info.credentialBackedUp },
    now,
  );
  if (!used) {
    return fail(
      invalidPasskey("The signature counter did not grow: a cloned authenticator or a replayed response"),
    );
  }
  const attemptId = await record("success");
  return { kind: "authenticated", user, amr: ["hwk", "mfa"], remember: input.remember ?? true, attemptId };
}

/** The user's passkeys, oldest first. */
export async function listPasskeys(
  ctx: DomainContext,
  user: Pick<StoredUser, "id">,
): Promise<StoredPasskey[]> {
  return ctx.store.listPasskeys(user.id);
}

/**
 * Renames a passkey of the user.
 *
 * @throws DomainError `passkey_not_found`, `invalid_request` for a name empty once trimmed.
 */
export async function renamePasskey(
  ctx: DomainContext,
  user: Pick<StoredUser, "id">,
  id: string,
  name: string,
): Promise<StoredPasskey> {
  const trimmed = name.trim();
  if (trimmed === "") throw new DomainError("invalid_request", "The name is empty");
  if (!(await ctx.store.renamePasskey(user.id, id, trimmed))) throw passkeyNotFound();
  const passkey = await ctx.store.getPasskey(id);
  if (passkey === null || passkey.userId !== user.id) throw passkeyNotFound();
  return passkey;
}

/**
 * Removes a passkey of the user (the authenticator keeps its key: the browser or OS offers to
 * delete it there).
 *
 * @throws DomainError `passkey_not_found`.
 */
export async function removePasskey(
  ctx: DomainContext,
  user: Pick<StoredUser, "id">,
  id: string,
): Promise<void> {
  if (!(await ctx.store.removePasskey(user.id, id))) throw passkeyNotFound();
}

function passkeyNotFound(): DomainError {
  return new DomainError("passkey_not_found", "The account has no such passkey");
}

/** The message of a library error (no secret: it names fields and expected values). */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 300) : "unknown error";
}
