import type { AuthClient } from "../core/client";
import { REVOKE } from "../core/endpoints";
import { HttpError, isTegataError } from "../core/errors";
import { oauthRefreshError, processEmpty, send } from "../core/http";
import { clearSession, context, endpointUrl, loadSession } from "../core/state";

/**
 * Revokes the session's refresh token at the server's RFC 7009 revocation endpoint (`revoke`,
 * default `/oauth/revoke`; for an OAuth session, the provider's `revocation_endpoint`), then removes the session here (`SIGNED_OUT`). A server without the
 * endpoint (404, 405, 501) is not an error; the local sign-out happens in every case.
 *
 * @returns whether the server confirmed the revocation
 * @throws NetworkError and the like when the server could not be asked (the session is removed
 * locally all the same).
 * @example
 * ```ts
 * await revokeTokens(auth);
 * ```
 */
export async function revokeTokens(
  auth: AuthClient,
  options: { signal?: AbortSignal } = {},
): Promise<boolean> {
  const session = await loadSession(auth);
  if (!session) return false;
  const token = session.refreshToken ?? session.accessToken;
  const form: Record<string, string> = {
    token,
    token_type_hint: session.refreshToken ? "refresh_token" : "access_token",
  };
  const clientId = session.provider?.clientId ?? auth.options.clientId;
  if (clientId) form.client_id = clientId;
  const url = session.provider ? session.provider.revocationEndpoint : endpointUrl(auth, REVOKE);
  if (url === undefined) {
    // The provider has no revocation endpoint: sign out here only.
    await clearSession(auth);
    return false;
  }
  try {
    const response = await send(context(auth), {
      method: "POST",
      url,
      form,
      signal: options.signal,
      oauthError: oauthRefreshError,
    });
    await processEmpty(response);
    return true;
  } catch (error) {
    if (isTegataError(error) && error instanceof HttpError && [404, 405, 501].includes(error.status ?? 0)) {
      return false;
    }
    throw error;
  } finally {
    await clearSession(auth);
  }
}
