/**
 * What the interop suites share: the redirect URI they register with oidc-provider, and a tiny
 * browser that walks its login and consent pages.
 */

/** The client's redirect URI: never served, the suites read the Location header. */
export const REDIRECT = "http://127.0.0.1:9/callback";

/** A tiny browser: follows redirects by hand, keeps cookies, submits the provider's forms. */
export async function browse(start: URL, login = "sogo"): Promise<string> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const remember = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair?.indexOf("=") ?? -1;
      if (pair && eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  };
  let url = start.href;
  let init: RequestInit = {};
  for (let hop = 0; hop < 20; hop++) {
    const res = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: { ...(init.headers as object), cookie: cookieHeader() },
    });
    remember(res);
    init = {};
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url).href;
      if (next.startsWith(REDIRECT)) return next;
      url = next;
      continue;
    }
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`stuck at ${url}: ${res.status} ${html.slice(0, 200)}`);
    const form = new URLSearchParams();
    for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) {
      form.set(m[1] ?? "", m[2] ?? "");
    }
    if (/name="login"/.test(html)) {
      form.set("login", login);
      form.set("password", "anything");
    }
    url = new URL(action.replace(/&amp;/g, "&"), url).href;
    init = { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } };
  }
  throw new Error("too many hops");
}
