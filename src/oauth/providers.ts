import type { WireProviderMetadata } from "../wire/oauth";

/** An OpenID Connect provider this app signs in with. */
export interface OAuthProvider {
  /** Short id, stored with the sign-in so the callback knows the provider: `google`, `apple`, … */
  readonly id: string;
  /** The issuer identifier; discovery must return exactly this value. */
  readonly issuer: string;
  readonly clientId: string;
  /** For confidential clients (a server): sent with `client_secret_post` or `client_secret_basic`. Never ship it to a browser. */
  readonly clientSecret?: string;
  readonly redirectUri: string;
  /** Scopes asked for when the call gives none. Default `["openid", "email", "profile"]`. */
  readonly scopes?: readonly string[];
  /** Extra authorization parameters sent on every sign-in. */
  readonly authorizationParams?: Readonly<Record<string, string>>;
  /** Metadata to use instead of discovery (all of it, or the fields to override). */
  readonly metadata?: Partial<WireProviderMetadata>;
  /** Picks the `response_mode` for a set of scopes (Apple needs `form_post` for `name`/`email`). */
  readonly responseMode?: (scopes: readonly string[]) => string | undefined;
}

/** Options of {@link oidcProvider} and the presets. */
export interface OidcProviderOptions {
  /** Default: derived from the issuer's host. */
  id?: string;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
  scopes?: readonly string[];
  authorizationParams?: Record<string, string>;
  metadata?: Partial<WireProviderMetadata>;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return typeof value;
}

/**
 * @internal throws a TypeError naming the argument and what is expected when `provider` is not
 * an {@link OAuthProvider} (the result of `google()`, `apple()`, `yahooJapan()` or `oidcProvider()`).
 */
export function assertProvider(provider: unknown, call: string): asserts provider is OAuthProvider {
  if (typeof provider !== "object" || provider === null) {
    throw new TypeError(
      `tegata: ${call} needs a provider made by google(), apple(), yahooJapan() or oidcProvider(), got ${describe(provider)}`,
    );
  }
  for (const key of ["id", "issuer", "clientId", "redirectUri"] as const) {
    const value = (provider as Record<string, unknown>)[key];
    if (typeof value !== "string" || value === "") {
      throw new TypeError(
        `tegata: ${call}: the provider's "${key}" must be a non-empty string, got ${describe(value)}`,
      );
    }
  }
}

function check(options: OidcProviderOptions, call: string): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `tegata: ${call} needs an options object { clientId, redirectUri, … }, got ${describe(options)}`,
    );
  }
  for (const key of ["issuer", "clientId", "redirectUri"] as const) {
    if (typeof options[key] !== "string" || options[key] === "") {
      throw new TypeError(
        `tegata: ${call}: "${key}" must be a non-empty string, got ${describe(options[key])}`,
      );
    }
  }
  let issuer: URL;
  try {
    issuer = new URL(options.issuer);
  } catch {
    throw new TypeError(
      `tegata: ${call}: "issuer" must be an absolute URL such as "https://id.example.com", got ${describe(options.issuer)}`,
    );
  }
  try {
    new URL(options.redirectUri);
  } catch {
    throw new TypeError(
      `tegata: ${call}: "redirectUri" must be an absolute URL such as "https://app.example.com/auth/callback", got ${describe(options.redirectUri)}`,
    );
  }
  if (issuer.protocol !== "https:" && issuer.hostname !== "localhost" && issuer.hostname !== "127.0.0.1") {
    throw new TypeError(
      `tegata: ${call}: "issuer" must use https (http only for localhost), got ${describe(options.issuer)}`,
    );
  }
}

/**
 * Any OpenID Connect provider, configured by discovery from its issuer.
 *
 * @example
 * ```ts
 * const corp = oidcProvider({ issuer: "https://id.example.com", clientId: "web", redirectUri: "https://app.example.com/callback" });
 * ```
 */
export function oidcProvider(options: OidcProviderOptions): OAuthProvider {
  return make(options, "oidcProvider(options)");
}

function make(options: OidcProviderOptions, call: string): OAuthProvider {
  check(options, call);
  const provider: {
    -readonly [K in keyof OAuthProvider]: OAuthProvider[K];
  } = {
    id: options.id ?? new URL(options.issuer).host,
    issuer: options.issuer,
    clientId: options.clientId,
    redirectUri: options.redirectUri,
  };
  if (options.clientSecret !== undefined) provider.clientSecret = options.clientSecret;
  if (options.scopes !== undefined) provider.scopes = [...options.scopes];
  if (options.authorizationParams !== undefined)
    provider.authorizationParams = { ...options.authorizationParams };
  if (options.metadata !== undefined) provider.metadata = { ...options.metadata };
  return Object.freeze(provider);
}

type PresetOptions = Omit<OidcProviderOptions, "issuer" | "id"> & { id?: string };

/**
 * Google (`https://accounts.google.com`). Google issues refresh tokens only with
 * `access_type=offline` (pass it in `authorizationParams`, with `prompt: "consent"` on the first
 * sign-in), and its ID tokens may have `iss` `accounts.google.com` without the scheme for old
 * clients: tegata requires the https form that discovery returns.
 *
 * @example
 * ```ts
 * const provider = google({ clientId, redirectUri: "https://app.example.com/auth/callback" });
 * ```
 */
export function google(options: PresetOptions): OAuthProvider {
  return make({ id: "google", issuer: "https://accounts.google.com", ...options }, "google(options)");
}

/**
 * Sign in with Apple (`https://appleid.apple.com`). When the `name` or `email` scope is asked,
 * Apple requires `response_mode=form_post`: the callback then arrives as a `POST` to your
 * redirect URI, so a server route must receive it and pass the form body to
 * `handleRedirectCallback` (see docs/oauth.md). Apple's client secret is a JWT you sign with
 * your Apple key (ES256) and renew at most every 6 months; `name` is sent only on the first
 * authorization, in the form's `user` field.
 *
 * @example
 * ```ts
 * const provider = apple({ clientId: "com.example.web", redirectUri: "https://app.example.com/auth/apple", scopes: ["openid", "email", "name"] });
 * ```
 */
export function apple(options: PresetOptions): OAuthProvider {
  const base = make(
    { id: "apple", issuer: "https://appleid.apple.com", scopes: ["openid", "email", "name"], ...options },
    "apple(options)",
  );
  return Object.freeze({
    ...base,
    responseMode: (scopes: readonly string[]) =>
      scopes.includes("name") || scopes.includes("email") ? "form_post" : undefined,
  });
}

/**
 * Yahoo! JAPAN ID連携 (YConnect v2, issuer `https://auth.login.yahoo.co.jp/yconnect/v2`). Scopes
 * are `openid`, `profile`, `email` and `address`; `bail=1` in `authorizationParams` returns to the
 * app when the user cancels consent instead of showing Yahoo! JAPAN's top page.
 *
 * @example
 * ```ts
 * const provider = yahooJapan({ clientId, redirectUri: "https://app.example.com/auth/callback" });
 * ```
 */
export function yahooJapan(options: PresetOptions): OAuthProvider {
  return make(
    { id: "yahoo_japan", issuer: "https://auth.login.yahoo.co.jp/yconnect/v2", ...options },
    "yahooJapan(options)",
  );
}
