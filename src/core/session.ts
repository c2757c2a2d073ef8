/**
 * The session model and its storage format.
 *
 * @module
 */
import { decode as base64url } from "jose/base64url";
import * as z from "zod/mini";
import type { WireTokenResponse, WireUser } from "../wire";
import { pure } from "../wire/pure";
import { parseStored } from "./storage";

/** The signed-in user. */
export interface User {
  /** Stable user id. */
  id: string;
  /** Current email address. */
  email: string;
  /** Display name, when the user gave one. */
  name?: string | null;
  /** Whether the email address is confirmed. */
  emailVerified?: boolean;
  /** Whether a second factor is active. */
  mfaEnabled?: boolean;
  /** When the account was created. */
  createdAt?: Date;
}

/** A signed-in session: the tokens and the user they belong to. */
export interface Session {
  /** The bearer token for API calls. Never log it. */
  accessToken: string;
  /** Token type, normally `Bearer`. */
  tokenType: string;
  /** When the access token expires, when the server said (`expires_in`). */
  expiresAt?: Date;
  /** The refresh token, when the server issued one. Never log it. */
  refreshToken?: string;
  /** The OpenID Connect ID token, when there is one. */
  idToken?: string;
  /** Granted scopes, space-separated. */
  scope?: string;
  /** The user, when the server described it. */
  user: User | null;
  /** For sessions from an OAuth / OpenID Connect provider: where to refresh and revoke them. */
  provider?: SessionProvider;
}

/** The OAuth provider a session came from (absent for sessions of the tegata API itself). */
export interface SessionProvider {
  /** The provider's id, such as `google`. */
  id: string;
  issuer: string;
  clientId: string;
  tokenEndpoint: string;
  revocationEndpoint?: string;
}

/** @internal converts the wire user to the public shape. */
export function toUser(wire: WireUser): User {
  const user: User = { id: wire.id, email: wire.email };
  if (wire.name !== undefined) user.name = wire.name;
  if (wire.email_verified !== undefined) user.emailVerified = wire.email_verified;
  if (wire.mfa_enabled !== undefined) user.mfaEnabled = wire.mfa_enabled;
  if (wire.created_at !== undefined) {
    const created = new Date(wire.created_at);
    if (!Number.isNaN(created.getTime())) user.createdAt = created;
  }
  return user;
}

/**
 * @internal builds a session from a token response received at `receivedAt` (ms).
 * `previous` supplies what a refresh response may omit (the refresh token, the user).
 */
export function sessionFromTokens(
  tokens: WireTokenResponse,
  user: User | null,
  receivedAt: number,
  previous?: Session | null,
): Session {
  const session: Session = {
    accessToken: tokens.access_token,
    tokenType: tokens.token_type,
    user: user ?? previous?.user ?? null,
  };
  if (tokens.expires_in !== undefined) {
    session.expiresAt = new Date(receivedAt + tokens.expires_in * 1000);
  } else {
    const exp = jwtExpiry(tokens.access_token, receivedAt);
    if (exp !== undefined) session.expiresAt = new Date(exp);
  }
  const refreshToken = tokens.refresh_token ?? previous?.refreshToken;
  if (refreshToken !== undefined) session.refreshToken = refreshToken;
  const idToken = tokens.id_token ?? previous?.idToken;
  if (idToken !== undefined) session.idToken = idToken;
  const scope = tokens.scope ?? previous?.scope;
  if (scope !== undefined) session.scope = scope;
  if (previous?.provider) session.provider = previous.provider;
  return session;
}

/**
 * @internal the expiry of a JWT access token on the client's clock: `exp` shifted by the offset
 * between the server's `iat` and the client's time of receipt (clock skew), as Amplify does.
 * `undefined` for opaque tokens.
 */
export function jwtExpiry(token: string, receivedAt: number): number | undefined {
  const { exp, iat } = jwtPayload(token) ?? {};
  if (typeof exp !== "number") return undefined;
  const skew = typeof iat === "number" ? iat * 1000 - receivedAt : 0;
  return exp * 1000 - skew;
}

/**
 * @internal the payload of a compact JWS, not verified (the server verifies its own tokens), or
 * undefined when it is not one. jose's `decodeJwt` does the same with its JWT error classes; its
 * base64url decoder alone keeps 0.6 kB gz off every bundle.
 */
export function jwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const payload: unknown = JSON.parse(new TextDecoder().decode(base64url(parts[1] as string)));
    return typeof payload === "object" && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const nonEmpty = () => z.string().check(z.minLength(1));

/**
 * A session as stored (format 2): the {@link Session} itself as `JSON.stringify` writes it, its
 * dates as ISO strings. (Format 1, snake_case, is not read: nothing was released with it.)
 */
const StoredSessionSchema = /* @__PURE__ */ pure(() =>
  z.object({
    v: z.literal(2),
    accessToken: nonEmpty(),
    tokenType: nonEmpty(),
    expiresAt: z.optional(z.string()),
    refreshToken: z.optional(nonEmpty()),
    idToken: z.optional(z.string()),
    scope: z.optional(z.string()),
    user: z.nullable(
      z.object({
        id: nonEmpty(),
        email: z.string(),
        name: z.optional(z.nullable(z.string())),
        emailVerified: z.optional(z.boolean()),
        mfaEnabled: z.optional(z.boolean()),
        createdAt: z.optional(z.string()),
      }),
    ),
    provider: z.optional(
      z.object({
        id: z.string(),
        issuer: z.string(),
        clientId: z.string(),
        tokenEndpoint: z.string(),
        revocationEndpoint: z.optional(z.string()),
      }),
    ),
  }),
);

/** @internal serialises a session for storage (without the refresh token when asked). */
export function serializeSession(session: Session, includeRefreshToken = true): string {
  // The session's own members only (not what an app may have added to the object); dates become
  // ISO strings, and undefined members (the refresh token when not kept) are left out.
  return JSON.stringify({
    v: 2,
    ...pick(session, "accessToken tokenType expiresAt idToken scope"),
    refreshToken: includeRefreshToken ? session.refreshToken : undefined,
    user: pick(session.user, "id email name emailVerified mfaEnabled createdAt"),
    provider: pick(session.provider, "id issuer clientId tokenEndpoint revocationEndpoint"),
  });
}

/** The named members of an object (space-separated), or the object itself when it is null or undefined. */
function pick(from: object | null | undefined, names: string) {
  return (
    from &&
    Object.fromEntries(names.split(" ").map((name) => [name, (from as Record<string, unknown>)[name]]))
  );
}

/** A date read back from storage, or undefined when it is not one. */
function storedDate(iso: string | undefined): Date | undefined {
  const date = new Date(iso ?? Number.NaN);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** @internal parses stored data; anything corrupted, partial or foreign is "no session". */
export function deserializeSession(raw: string | null | undefined): Session | null {
  const stored = parseStored(raw, StoredSessionSchema);
  if (!stored) return null;
  // zod keeps only the members it knows, and only those present: the rest is the session.
  const { v: _format, expiresAt, user, ...rest } = stored;
  const session: Session = { ...rest, user: null };
  const expires = storedDate(expiresAt);
  // An expiry that is not a date would make a session that never refreshes: no session.
  if (expiresAt !== undefined && !expires) return null;
  if (expires) session.expiresAt = expires;
  if (user) {
    const { createdAt, ...fields } = user;
    const created = storedDate(createdAt);
    session.user = created ? { ...fields, createdAt: created } : fields;
  }
  return session;
}
