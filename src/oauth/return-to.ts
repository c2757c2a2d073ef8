import { InvalidCallbackError } from "../core/errors";

/**
 * @internal normalises a `returnTo` to a path on the redirect URI's origin, or throws: absolute
 * URLs of other origins, protocol-relative (`//evil.example`) and backslash tricks are refused
 * (no open redirect).
 */
export function safeReturnTo(returnTo: string, redirectUri: string): string {
  const origin = new URL(redirectUri).origin;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (typeof returnTo !== "string" || /[\u0000-\u001f\\]/.test(returnTo)) {
    throw new InvalidCallbackError("returnTo must be a path on this site");
  }
  let resolved: URL;
  try {
    resolved = new URL(returnTo, origin);
  } catch {
    throw new InvalidCallbackError("returnTo must be a path on this site");
  }
  const relative = returnTo.startsWith("/") && !returnTo.startsWith("//");
  const sameOrigin = resolved.origin === origin;
  if (!sameOrigin || (!relative && !/^https?:\/\//i.test(returnTo))) {
    throw new InvalidCallbackError("returnTo must be a path on this site");
  }
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}
