/**
 * The browser's side of the passkey ceremonies, through `@simplewebauthn/browser`: feature
 * detection, and the browser's failures as tegata errors (a cancellation is its own error).
 *
 * @module
 */
import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  WebAuthnAbortService,
} from "@simplewebauthn/browser";
import {
  AbortedError,
  isTegataError,
  PasskeyCancelledError,
  PasskeyCeremonyError,
  PasskeyExistsError,
  PasskeysUnsupportedError,
} from "../core/errors";

/**
 * Whether this browser can run passkey ceremonies (WebAuthn is there: `PublicKeyCredential`, which
 * browsers offer in secure contexts only, https or localhost). Where it is false,
 * `registerPasskey` and `signInWithPasskey` throw `PasskeysUnsupportedError`.
 *
 * @example
 * ```ts
 * if (passkeysSupported()) showPasskeyButton();
 * ```
 */
export function passkeysSupported(): boolean {
  return browserSupportsWebAuthn();
}

/**
 * Whether this browser offers passkeys in the autofill of a username field
 * (`PublicKeyCredential.isConditionalMediationAvailable()`), the condition of
 * `signInWithPasskey(auth, { mediation: "conditional" })`.
 *
 * @example
 * ```ts
 * if (await passkeyAutofillSupported()) void signInWithPasskey(auth, { mediation: "conditional" });
 * ```
 */
export async function passkeyAutofillSupported(): Promise<boolean> {
  try {
    return await browserSupportsWebAuthnAutofill();
  } catch {
    return false;
  }
}

/** @internal throws PasskeysUnsupportedError where WebAuthn is unavailable. */
export function requireWebAuthn(): void {
  if (!passkeysSupported()) {
    throw new PasskeysUnsupportedError("This browser does not support passkeys (WebAuthn)");
  }
}

/** @internal throws AbortedError when the caller's signal fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError("The passkey ceremony was aborted", { cause: signal.reason });
}

/** The DOMException name of a browser failure (`@simplewebauthn/browser` keeps it as `name`). */
function domName(error: unknown): string {
  const named = error as { name?: unknown; cause?: { name?: unknown } } | null;
  if (typeof named?.cause?.name === "string") return named.cause.name;
  return typeof named?.name === "string" ? named.name : "Error";
}

/**
 * @internal runs the browser's ceremony, cancelled by the caller's signal, and turns its failures
 * into tegata errors: NotAllowedError and AbortError (the user dismissed the dialog, a timeout, an
 * abort) are a cancellation; InvalidStateError at registration is a passkey the authenticator
 * holds already.
 */
export async function runCeremony<T>(
  ceremony: () => Promise<T>,
  kind: "registration" | "authentication",
  signal: AbortSignal | undefined,
): Promise<T> {
  throwIfAborted(signal);
  const onAbort = () => WebAuthnAbortService.cancelCeremony();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await ceremony();
  } catch (error) {
    if (isTegataError(error)) throw error;
    const name = domName(error);
    if (name === "NotAllowedError" || name === "AbortError") {
      throw new PasskeyCancelledError(`The passkey ${kind} was cancelled`, { cause: error });
    }
    if (kind === "registration" && name === "InvalidStateError") {
      throw new PasskeyExistsError("This authenticator holds a passkey of this account already", {
        cause: error,
      });
    }
    throw new PasskeyCeremonyError(`The browser could not complete the passkey ${kind}`, {
      cause: error,
      reason: name,
    });
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
