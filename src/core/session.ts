/**
 * The session model and its storage format.
 *
 * @module
 */
import { decode as base64url } from "jose/base64url";
import * as z from "zod/mini";
import { UserSchema, type WireTokenResponse, type WireUser } from "../wire";
import { pure } from "../wire/pure";

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

function fromUser(user: User): WireUser {
  const wire: WireUser = { id: user.id, email: user.email };
  if (user.name !== undefined) wire.name = user.name;
  if (user.emailVerified !== undefined) wire.email_verified = user.emailVerified;
  if (user.mfaEnabled !== undefined) wire.mfa_enabled = user.mfaEnabled;
  if (user.createdAt !== undefined) wire.created_at = user.createdAt.toISOString();
  return wire;
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

const StoredSessionSchema = /* @__PURE__ */ pure(() =>
  z.object({
    v: z.literal(1),
    access_token: z.string().check(z.minLength(1)),
    token_type: z.string().check(z.minLength(1)),
    expires_at: z.optional(z.number()),
    refresh_token: z.optional(z.string().check(z.minLength(1))),
    id_token: z.optional(z.string()),
    scope: z.optional(z.string()),
    user: z.nullable(UserSchema),
    provider: z.optional(
      z.object({
        id: z.string(),
        issuer: z.string(),
        client_id: z.string(),
        token_endpoint: z.string(),
        revocation_endpoint: z.optional(z.string()),
      }),
    ),
  }),
);

/** @internal serialises a session for storage (without the refresh token when asked). */
export function serializeSession(session: Session, includeRefreshToken = true): string {
  const stored: z.infer<typeof StoredSessionSchema> = {
    v: 1,
    access_token: session.accessToken,
    token_type: session.tokenType,
    user: session.user ? fromUser(session.user) : null,
  };
  if (session.expiresAt) stored.expires_at = session.expiresAt.getTime();
  if (includeRefreshToken && session.refreshToken !== undefined) stored.refresh_token = session.refreshToken;
  if (session.idToken !== undefined) stored.id_token = session.idToken;
  if (session.scope !== undefined) stored.scope = session.scope;
  if (session.provider) {
    const p = session.provider;
    stored.provider = { id: p.id, issuer: p.issuer, client_id: p.clientId, token_endpoint: p.tokenEndpoint };
    if (p.revocationEndpoint !== undefined) stored.provider.revocation_endpoint = p.revocationEndpoint;
  }
  return JSON.stringify(stored);
}

/** @internal parses stored data; anything corrupted, partial or foreign is "no session". */
export function deserializeSession(raw: string | null | undefined): Session | null {
  if (typeof raw !== "string" || raw === "") return null;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = StoredSessionSchema.safeParse(data);
  if (!parsed.success) return null;
  const s = parsed.data;
  const session: Session = {
    accessToken: s.access_token,
    tokenType: s.token_type,
    user: s.user ? toUser(s.user) : null,
  };
  if (s.expires_at !== undefined && Number.isFinite(s.expires_at)) {
    session.expiresAt = new Date(s.expires_at);
  }
  if (s.refresh_token !== undefined) session.refreshToken = s.refresh_token;
  if (s.id_token !== undefined) session.idToken = s.id_token;
  if (s.scope !== undefined) session.scope = s.scope;
  if (s.provider) {
    const p = s.provider;
    session.provider = { id: p.id, issuer: p.issuer, clientId: p.client_id, tokenEndpoint: p.token_endpoint };
    if (p.revocation_endpoint !== undefined) session.provider.revocationEndpoint = p.revocation_endpoint;
  }
  return session;
}
