/**
 * `tegata/passkeys`: sign in with a fingerprint, a face or a device PIN (WebAuthn passkeys) at the
 * tegata server. Register a passkey for the signed-in user, sign in with one (a dialog, or the
 * autofill of a username field), list, rename and remove them. The browser's ceremony is
 * `@simplewebauthn/browser`'s; the server verifies every answer.
 *
 * @example
 * ```ts
 * import { registerPasskey, signInWithPasskey } from "tegata/passkeys";
 * await registerPasskey(auth, { name: "MacBook" }); // signed in
 * const { session } = await signInWithPasskey(auth); // later, signed out
 * ```
 * @module
 */

export { passkeyAutofillSupported, passkeysSupported } from "./browser";
export type { Passkey, RegisterPasskeyParams, SignInWithPasskeyParams } from "./client";
export { listPasskeys, registerPasskey, removePasskey, renamePasskey, signInWithPasskey } from "./client";
