/**
 * Passkeys at the tegata server: the registration ceremony of a signed-in user, the sign-in
 * ceremony with a discoverable passkey (a modal dialog, or the autofill of a username field), and
 * the user's list. The server hands out the options and verifies the answers; the browser's part
 * is `@simplewebauthn/browser`'s.
 *
 * @module
 */

import {
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
} from "@simplewebauthn/browser";
import type { AuthClient } from "../core/client";
import {
  PASSKEY_REGISTER,
  PASSKEY_REGISTER_OPTIONS,
  PASSKEY_REMOVE,
  PASSKEY_RENAME,
  PASSKEY_SIGN_IN,
  PASSKEY_SIGN_IN_OPTIONS,
  PASSKEYS,
} from "../core/endpoints";
import { PasskeysUnsupportedError, ResponseValidationError } from "../core/errors";
import { acceptTokens, callJson, callVoid, requireString } from "../core/request";
import type { Session } from "../core/session";
import { context } from "../core/state";
import { SignedInSchema } from "../wire";
import {
  CreationOptionsSchema,
  PasskeyListSchema,
  PasskeyResponseSchema,
  RequestOptionsSchema,
  type WirePasskey,
} from "../wire/passkeys";
import { passkeyAutofillSupported, requireWebAuthn, runCeremony, throwIfAborted } from "./browser";

/** A passkey of the signed-in user, as the server lists it (no key material). */
export interface Passkey {
  /** The credential id (base64url): pass it to {@link renamePasskey} and {@link removePasskey}. */
  id: string;
  /** The user's name of it ("MacBook"); "Passkey" when none was given. */
  name: string;
  /** `"multiDevice"` for a synced passkey (iCloud Keychain, Google Password Manager), else `"singleDevice"`. */
  deviceType: string;
  /** Whether the passkey is backed up (synced) now. */
  backedUp: boolean;
  /** How the authenticator said it can be reached (`internal`, `hybrid`, `usb`, …). */
  transports: string[];
  createdAt: Date;
  /** The last sign-in with it, `null` before the first. */
  lastUsedAt: Date | null;
}

/** Parameters of {@link registerPasskey}. */
export interface RegisterPasskeyParams {
  /** The user's name of the passkey ("MacBook"), 1–64 characters. Default: the server's ("Passkey"). */
  name?: string;
  /** Cancels the requests and the browser's dialog (then `AbortedError` or `PasskeyCancelledError`). */
  signal?: AbortSignal;
}

/** Parameters of {@link signInWithPasskey}. */
export interface SignInWithPasskeyParams {
  /**
   * `"conditional"`: offer the passkeys in the autofill of a username field
   * (`<input autocomplete="username webauthn">`) instead of a dialog. Start it when the page loads;
   * it settles when the user picks a passkey. Needs {@link passkeyAutofillSupported}: else
   * `PasskeysUnsupportedError`. Default: the browser's dialog.
   */
  mediation?: "conditional";
  /** "Keep me signed in". Default: the server's (true). */
  remember?: boolean;
  /**
   * Cancels the requests and the browser's dialog or autofill (then `AbortedError` or
   * `PasskeyCancelledError`). A new ceremony also cancels a pending one (a button click after an
   * autofill request, for example).
   */
  signal?: AbortSignal;
}

function toPasskey(wire: WirePasskey): Passkey {
  return {
    id: wire.id,
    name: wire.name,
    deviceType: wire.device_type,
    backedUp: wire.backed_up,
    transports: [...wire.transports],
    createdAt: new Date(wire.created_at),
    lastUsedAt: wire.last_used_at === null ? null : new Date(wire.last_used_at),
  };
}

/**
 * Registers a passkey for the signed-in user: the server's options, the browser's dialog (the
 * user's fingerprint, face or PIN), the server's verification. A passkey counts as two factors: an
 * account that has one may sign in with {@link signInWithPasskey} without a code.
 *
 * @returns The new passkey.
 * @throws PasskeysUnsupportedError where WebAuthn is unavailable (before any request);
 * PasskeyCancelledError when the user dismisses the dialog (nothing stored); PasskeyExistsError
 * when this authenticator holds one of the account's passkeys already; InvalidPasskeyError when
 * the server refuses the response (another origin or RP ID, no user verification);
 * PasskeyChallengeExpiredError; PasskeyCeremonyError (another browser failure, `reason`);
 * NotSignedInError, SessionExpiredError; InvalidRequestError for a bad name; NetworkError,
 * TimeoutError, AbortedError, ResponseValidationError.
 * @example
 * ```ts
 * const passkey = await registerPasskey(auth, { name: "MacBook" });
 * console.log(passkey.id, passkey.backedUp);
 * ```
 */
export async function registerPasskey(
  auth: AuthClient,
  params: RegisterPasskeyParams = {},
): Promise<Passkey> {
  const body: Record<string, unknown> = {};
  if (params.name !== undefined) {
    requireString("name", params.name);
    body.name = params.name.trim();
  }
  requireWebAuthn();
  const signal = params.signal;
  const options = await callJson(auth, PASSKEY_REGISTER_OPTIONS, {}, CreationOptionsSchema, {
    method: "POST",
    authenticated: true,
    signal,
  });
  const credential = await runCeremony(
    () => startRegistration({ optionsJSON: options as unknown as PublicKeyCredentialCreationOptionsJSON }),
    "registration",
    signal,
  );
  throwIfAborted(signal);
  const result = await callJson(auth, PASSKEY_REGISTER, { ...body, credential }, PasskeyResponseSchema, {
    method: "POST",
    authenticated: true,
    signal,
  });
  return toPasskey(result.passkey);
}

/**
 * Signs in with a passkey the user picks (a discoverable credential: no email asked), and stores
 * the session as `signIn` does (`SIGNED_IN`). A passkey is multi-factor (possession and the user's
 * biometric or PIN: `amr` `["hwk", "mfa"]`), so no second factor is asked.
 *
 * @returns `{ status: "signed_in", session }`.
 * @throws PasskeysUnsupportedError where WebAuthn (or, for `mediation: "conditional"`, autofill) is
 * unavailable, before any request; PasskeyCancelledError when the user dismisses the dialog or a
 * newer ceremony replaces this one (nothing stored); InvalidPasskeyError when the server refuses
 * the passkey (unknown or removed, another origin or RP ID, a signature counter that did not grow);
 * PasskeyChallengeExpiredError; AccountSuspendedError; PasskeyCeremonyError; RateLimitedError,
 * NetworkError, TimeoutError, AbortedError, ResponseValidationError.
 * @example
 * ```ts
 * try {
 *   const { session } = await signInWithPasskey(auth);
 *   console.log(session.user?.email);
 * } catch (error) {
 *   if (!isTegataError(error, "passkey_cancelled")) throw error;
 * }
 * ```
 */
export async function signInWithPasskey(
  auth: AuthClient,
  params: SignInWithPasskeyParams = {},
): Promise<{ status: "signed_in"; session: Session }> {
  const conditional = params.mediation === "conditional";
  if (params.mediation !== undefined && !conditional) {
    throw new TypeError('tegata: signInWithPasskey: "mediation" must be "conditional" or absent');
  }
  requireWebAuthn();
  if (conditional && !(await passkeyAutofillSupported())) {
    throw new PasskeysUnsupportedError("This browser does not offer passkeys in autofill");
  }
  const signal = params.signal;
  const options = await callJson(auth, PASSKEY_SIGN_IN_OPTIONS, {}, RequestOptionsSchema, {
    method: "POST",
    signal,
  });
  const credential = await runCeremony(
    () =>
      startAuthentication({
        optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON,
        useBrowserAutofill: conditional,
      }),
    "authentication",
    signal,
  );
  throwIfAborted(signal);
  const body: Record<string, unknown> = { credential };
  if (params.remember !== undefined) body.remember = params.remember;
  const result = await callJson(auth, PASSKEY_SIGN_IN, body, SignedInSchema, {
    method: "POST",
    signal,
  });
  const receivedAt = context(auth).clock.now();
  if (result.status !== "signed_in") throw new ResponseValidationError("Unexpected passkey sign-in response");
  return { status: "signed_in", session: await acceptTokens(auth, result, receivedAt) };
}

/**
 * The signed-in user's passkeys, oldest first.
 *
 * @throws NotSignedInError, SessionExpiredError when there is no usable session.
 * @example
 * ```ts
 * for (const passkey of await listPasskeys(auth)) console.log(passkey.name, passkey.lastUsedAt);
 * ```
 */
export async function listPasskeys(
  auth: AuthClient,
  options: { signal?: AbortSignal } = {},
): Promise<Passkey[]> {
  const body = await callJson(auth, PASSKEYS, undefined, PasskeyListSchema, {
    authenticated: true,
    signal: options.signal,
  });
  return body.passkeys.map(toPasskey);
}

/**
 * Renames one of the signed-in user's passkeys (1–64 characters, trimmed).
 *
 * @returns The renamed passkey.
 * @throws InvalidRequestError for an empty or too long name; HttpError 404 (`passkey_not_found`)
 * for a passkey the account does not have.
 * @example
 * ```ts
 * await renamePasskey(auth, { id: passkey.id, name: "仕事用 MacBook" });
 * ```
 */
export async function renamePasskey(
  auth: AuthClient,
  params: { id: string; name: string; signal?: AbortSignal },
): Promise<Passkey> {
  requireString("id", params?.id);
  requireString("name", params.name);
  const result = await callJson(
    auth,
    PASSKEY_RENAME,
    { id: params.id, name: params.name.trim() },
    PasskeyResponseSchema,
    { method: "POST", authenticated: true, signal: params.signal },
  );
  return toPasskey(result.passkey);
}

/**
 * Removes one of the signed-in user's passkeys: it no longer signs in. (The authenticator keeps
 * its key until the user deletes it there.)
 *
 * @throws HttpError 404 (`passkey_not_found`) for a passkey the account does not have.
 * @example
 * ```ts
 * await removePasskey(auth, { id: passkey.id });
 * ```
 */
export async function removePasskey(
  auth: AuthClient,
  params: { id: string; signal?: AbortSignal },
): Promise<void> {
  requireString("id", params?.id);
  await callVoid(
    auth,
    PASSKEY_REMOVE,
    { id: params.id },
    { method: "POST", authenticated: true, signal: params.signal },
  );
}
