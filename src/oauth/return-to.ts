import { InvalidReturnToError } from "../core/errors";

/** @internal how a refused `returnTo` is shown in a message: JSON-quoted, without its query or fragment, short. */
export function shown(value: string): string {
  const path = value.split(/[?#]/, 1)[0] ?? "";
  const cut = path.length > 80 ? `${path.slice(0, 80)}…` : path;
  return JSON.stringify(cut);
}

/** Resolves like a browser assigning `location.href` on a page of `origin`; `null` when it cannot. */
function resolve(value: string, origin: string): URL | null {
  try {
    return new URL(value, origin);
  } catch {
    return null;
  }
}

/** A path that a browser resolves on the page's own origin: one `/`, then neither `/` nor `\`. */
function isOwnPath(path: string, origin: string): boolean {
  if (!/^\/(?![/\\])/.test(path)) return false;
  const again = resolve(path, origin);
  return (
    again !== null && again.origin === origin && `${again.pathname}${again.search}${again.hash}` === path
  );
}

/**
 * @internal normalises a `returnTo` to a canonical path (`pathname + search + hash`) on `origin`,
 * the app's origin, or throws {@link InvalidReturnToError}. The value is resolved as a browser
 * would (WHATWG URL parser: dot segments, `%2e`, case), and the *result* is checked: it must stay
 * on `origin` and must not start with `//` or `/\`, so that assigning it to `location.href`
 * stays on the site whatever it looked like before normalisation. Backslashes and control
 * characters (tab, newline, which browsers drop) are refused outright, as are scheme-relative
 * values (`//host`) and anything that is neither a path starting with `/` nor an http(s) URL.
 */
export function safeReturnTo(returnTo: string, origin: string): string {
  if (typeof returnTo !== "string") {
    throw new TypeError(
      `tegata: returnTo must be a string (a path on this site such as "/account"), got ${returnTo === null ? "null" : typeof returnTo}`,
    );
  }
  const refuse = (why: string) =>
    new InvalidReturnToError(
      `returnTo ${shown(returnTo)} ${why}: give a path on this site such as "/account" (no open redirect)`,
    );
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(returnTo)) {
    throw refuse("contains a control character (tab, newline…), which browsers drop from URLs");
  }
  if (returnTo.includes("\\")) throw refuse("contains a backslash, which browsers read as a slash");
  if (returnTo.startsWith("//")) throw refuse("is scheme-relative (//host), which leaves the site");
  if (!returnTo.startsWith("/") && !/^https?:\/\//i.test(returnTo)) {
    throw refuse("is neither a path that starts with / nor an http(s) URL");
  }
  const resolved = resolve(returnTo, origin);
  if (resolved === null) throw refuse("is not a valid URL");
  if (resolved.origin !== origin) throw refuse(`leads to ${resolved.origin}, not ${origin}`);
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  if (!isOwnPath(path, origin)) {
    throw refuse(`normalises to ${shown(path)}, which a browser reads as another site`);
  }
  return path;
}

/** @internal the origin of a provider's `redirectUri`: the app's origin, which `returnTo` must stay on. */
export function appOrigin(redirectUri: string): string {
  let url: URL | null = null;
  try {
    url = new URL(redirectUri);
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new TypeError(
      `tegata: returnTo needs a provider whose redirectUri is an http(s) URL (its origin is the site returnTo must stay on), got ${JSON.stringify(redirectUri)}`,
    );
  }
  return url.origin;
}
