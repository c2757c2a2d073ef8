/**
 * What every domain operation works with: the store, the clock, the crypto and the settings. The
 * HTTP layer builds one per server; the request's own facts (IP, user agent) travel apart in
 * {@link RequestMeta}.
 *
 * @module
 */
import type { KeyRing } from "../crypto/keys";
import type { PasswordHasher } from "../crypto/password";
import type { Sealer } from "../crypto/seal";
import type { AuthStore, LockoutPolicy } from "../store/types";

/** Token lifetimes, in seconds. */
export interface TokenLifetimes {
  /** Access tokens. Default 900 (15 minutes). */
  accessToken: number;
  /** Refresh tokens of a "keep me signed in" session. Default 30 days. */
  refreshToken: number;
  /** Refresh tokens of a session without "keep me signed in". Default 1 day. */
  refreshTokenShort: number;
  /** MFA challenges. Default 300. */
  challenge: number;
  /** Password-reset and email-change links. Default 3600. */
  oneTimeToken: number;
}

/** The domain's settings, resolved from the server options. */
export interface DomainConfig {
  /** `iss` of the tokens: the server's public URL. */
  issuer: string;
  /** `aud` of the access tokens. */
  audience: string;
  lockout: LockoutPolicy;
  lifetimes: TokenLifetimes;
  /** Whether challenges offer a code by mail to verified addresses (`email_code`). Default true. */
  emailCodeMfa?: boolean;
}

/** The dependencies of the domain. */
export interface DomainContext {
  store: AuthStore;
  /** The server's clock, ms since the epoch. */
  now: () => number;
  hasher: PasswordHasher;
  sealer: Pick<Sealer, "seal" | "open">;
  keys: KeyRing;
  config: DomainConfig;
  /** Where an IP address is, for the login history (the server's `locate` option). */
  locate?: (ip: string) => LoginLocation | null;
}

/** Where an IP address is, as a `locate` function says (a GeoIP lookup, say). */
export interface LoginLocation {
  /** ISO 3166-1 alpha-2 code, such as `"JP"`. */
  country?: string | null;
  region?: string | null;
  city?: string | null;
}

/** Facts of the request an operation runs for (never trusted for anything but records). */
export interface RequestMeta {
  /** The client's IP (from the socket, or `X-Forwarded-For` only when the server trusts a proxy). */
  ip: string;
  userAgent: string | null;
}
