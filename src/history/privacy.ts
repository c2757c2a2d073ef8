import type { AuthClient } from "../core/client";
import { PRIVACY } from "../core/endpoints";
import { callJson } from "../core/request";
import { PrivacySchema } from "../wire/history";

/** The user's privacy settings. */
export interface PrivacySettings {
  /** Whether other users see when this user last signed in. */
  showLastLogin: boolean;
  /** The last sign-in as others would see it: `null` when hidden or unknown. */
  lastLoginAt: Date | null;
}

function toSettings(body: {
  show_last_login: boolean;
  last_login_at?: string | null | undefined;
}): PrivacySettings {
  return {
    showLastLogin: body.show_last_login,
    lastLoginAt: body.last_login_at ? new Date(body.last_login_at) : null,
  };
}

/**
 * Reads the privacy settings ("show my last-login time to others").
 *
 * @example
 * ```ts
 * const { showLastLogin } = await getPrivacySettings(auth);
 * ```
 */
export async function getPrivacySettings(
  auth: AuthClient,
  options: { signal?: AbortSignal } = {},
): Promise<PrivacySettings> {
  return toSettings(
    await callJson(auth, PRIVACY, undefined, PrivacySchema, {
      authenticated: true,
      signal: options.signal,
    }),
  );
}

/**
 * Updates the privacy settings.
 *
 * @returns the settings as saved
 * @example
 * ```ts
 * await updatePrivacySettings(auth, { showLastLogin: false }); // hide my last-login time
 * ```
 */
export async function updatePrivacySettings(
  auth: AuthClient,
  settings: { showLastLogin: boolean; signal?: AbortSignal },
): Promise<PrivacySettings> {
  if (typeof settings?.showLastLogin !== "boolean") {
    throw new TypeError('tegata: "showLastLogin" must be a boolean');
  }
  return toSettings(
    await callJson(auth, PRIVACY, { show_last_login: settings.showLastLogin }, PrivacySchema, {
      method: "PATCH",
      authenticated: true,
      signal: settings.signal,
    }),
  );
}
