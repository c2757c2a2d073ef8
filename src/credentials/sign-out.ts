import type { AuthClient } from "../core/client";
import { SIGN_OUT } from "../core/endpoints";
import { isTegataError, NotSignedInError } from "../core/errors";
import { clearSession, loadSession } from "../core/state";
import { postVoid } from "./shared";

/** Which sessions {@link signOut} ends. */
export type SignOutScope = "local" | "global" | "others";

/**
 * Signs out.
 *
 * - `"local"` (default): ends this device's session. The server is told (best effort) so the
 *   refresh token dies too; this device is signed out even when the server cannot be reached.
 * - `"global"`: ends every session of the account, on every device. This device is signed out
 *   locally in any case; the call throws when the server could not end the others.
 * - `"others"`: ends every session except this one; this device stays signed in.
 *
 * @throws NotSignedInError for `"global"` and `"others"` without a session; NetworkError and the like when the
 * server could not be reached for `"global"` or `"others"`.
 * @example
 * ```ts
 * await signOut(auth);                       // this device
 * await signOut(auth, { scope: "others" }); // "sign out of all other devices"
 * ```
 */
export async function signOut(
  auth: AuthClient,
  params: { scope?: SignOutScope; signal?: AbortSignal } = {},
): Promise<void> {
  const scope = params.scope ?? "local";
  if (scope !== "local" && scope !== "global" && scope !== "others") {
    throw new TypeError('tegata: "scope" must be "local", "global" or "others"');
  }
  const session = await loadSession(auth);
  if (!session) {
    // Ending sessions on the server needs this device's session to authenticate the request.
    if (scope !== "local") throw new NotSignedInError("Nobody is signed in");
    await clearSession(auth);
    return;
  }
  // The current token, as it is: an expired token still identifies the session to revoke, and a
  // refresh here could fail for the very reason the user signs out.
  const call = postVoid(auth, SIGN_OUT, { scope }, { signal: params.signal, bearer: session.accessToken });
  if (scope === "others") {
    await call;
    return;
  }
  let failure: unknown;
  try {
    await call;
  } catch (error) {
    failure = error;
  }
  await clearSession(auth);
  if (failure !== undefined && scope === "global") throw failure;
  if (failure !== undefined && !isTegataError(failure)) throw failure;
}
