/**
 * Sessions and their tokens, without HTTP: starting a session (an ES256 access token and the first
 * refresh token of a new family), refreshing it (rotation with reuse detection, in the store's one
 * atomic step), checking a bearer access token, signing out, listing and ending sessions, and RFC
 * 7009 revocation. Refusals are {@link DomainError}s; the HTTP layer maps them.
 *
 * Refresh tokens are `<session id>.<32 random bytes, base64url>`. The whole string is the secret
 * the store knows only as its SHA-256 ({@link hashToken}); the session id in front, which is not a
 * secret (it is the access token's `sid`), lets a refresh read the session's `remember` flag before
 * the rotation, so that the new token gets the session's lifetime. It is trusted for nothing else:
 * the store looks the token up by the hash of the whole string, so an altered prefix is an unknown
 * token.
 *
 * @module
 */
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";
import type { WireSessionItem } from "../../wire/history";
import { hashToken, randomToken } from "../crypto/tokens";
import type { StoredSession, StoredUser } from "../store/types";
import type { DomainContext, RequestMeta } from "./context";
import { accountSuspended, DomainError } from "./errors";

/** The JWS `typ` of access tokens (RFC 9068). */
const ACCESS_TOKEN_TYP = "at+jwt";
/** A refresh token as this module issues them: the session id, a dot, 32 random bytes. */
/** How often a session's "last seen" is written on bearer requests, at most. */
const LAST_SEEN_INTERVAL_MS = 60_000;
const REFRESH_TOKEN = /^(ses_[A-Za-z0-9_-]{1,64})\.[A-Za-z0-9_-]{43}$/;

/** The claims of an access token, as {@link startSession} and {@link refreshSession} sign them. */
export interface AccessTokenClaims extends JWTPayload {
  /** The issuer (`config.issuer`). */
  iss: string;
  /** The audience (`config.audience`). */
  aud: string | string[];
  /** The user id. */
  sub: string;
  /** The session id. */
  sid: string;
  /** Authentication methods of the session (`pwd`, `otp`, …). */
  amr: string[];
  /** The user's address when the token was issued. */
  email: string;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Expires at, seconds since the epoch (`iat` + `lifetimes.accessToken`). */
  exp: number;
  /** The token's unique id. */
  jti: string;
}

/**
 * The RFC 6749 section 5.1 token response of a new or refreshed session (the shape of
 * `TokenResponseSchema` in `src/wire/index.ts`).
 */
export interface SessionTokens {
  /** The ES256 access token (JWT, `typ: at+jwt`). */
  access_token: string;
  token_type: "Bearer";
  /** Seconds the access token lives (`lifetimes.accessToken`). */
  expires_in: number;
  /** The session's new refresh token: it works once. */
  refresh_token: string;
}

/** A session with its current tokens. */
export interface IssuedSession {
  /** The session as stored after the operation. */
  session: StoredSession;
  /** What the client receives. */
  tokens: SessionTokens;
}

/** A checked bearer access token: its user, its session (active) and its claims. */
export interface Authenticated {
  user: StoredUser;
  session: StoredSession;
  claims: AccessTokenClaims;
}

/** Which sessions {@link signOut} ends: the caller's, every one of the user's, or all but the caller's. */
export type SignOutScope = "local" | "global" | "others";

/** What {@link startSession} needs about the sign-in. */
export interface StartSessionInput {
  /** The user who signed in. */
  user: StoredUser;
  /** "Keep me signed in": refresh tokens live `lifetimes.refreshToken`, else `refreshTokenShort`. */
  remember: boolean;
  /** Authentication methods used (`["pwd"]`, `["pwd", "otp"]`, …): the access token's `amr`. */
  amr: string[];
}

/** Options of {@link authenticate}. */
export interface AuthenticateOptions {
  /**
   * Accept an access token whose `exp` has passed (sign-out: a user can always sign out without a
   * refresh). The signature, `typ`, `iss`, `aud`, an active session and its user are still required.
   */
  allowExpired?: boolean;
  /** The request's facts: when given, the session's "last seen" (time, IP, user agent) moves. */
  seen?: RequestMeta;
}

const isActive = (session: StoredSession, now: number) =>
  session.revokedAt === null && session.expiresAt > now;

function refreshLifetimeMs(ctx: DomainContext, remember: boolean): number {
  const { refreshToken, refreshTokenShort } = ctx.config.lifetimes;
  return (remember ? refreshToken : refreshTokenShort) * 1000;
}

/** A new refresh token of a session. */
const newRefreshToken = (sessionId: string) => `${sessionId}.${randomToken(32)}`;

/** The session id in front of a refresh token, or `null` when it is not one of ours. */
function sessionIdOf(refreshToken: unknown): string | null {
  if (typeof refreshToken !== "string") return null;
  return REFRESH_TOKEN.exec(refreshToken)?.[1] ?? null;
}

async function signAccessToken(
  ctx: DomainContext,
  session: StoredSession,
  user: StoredUser,
  now: number,
): Promise<string> {
  const { kid, alg, key } = await ctx.keys.signingKey();
  const iat = Math.floor(now / 1000);
  return new SignJWT({ sid: session.id, amr: [...session.amr], email: user.email })
    .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYP })
    .setIssuer(ctx.config.issuer)
    .setAudience(ctx.config.audience)
    .setSubject(user.id)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ctx.config.lifetimes.accessToken)
    .setJti(randomToken(16))
    .sign(key);
}

function tokenResponse(ctx: DomainContext, accessToken: string, refreshToken: string): SessionTokens {
  return {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: ctx.config.lifetimes.accessToken,
    refresh_token: refreshToken,
  };
}

/**
 * Starts a session after a successful sign-in: stores the session (id `ses_…`) with its first
 * refresh token (by hash; it lives `lifetimes.refreshToken` when `remember`, else
 * `refreshTokenShort`, and the session ends with it unless refreshed), records the sign-in as the
 * user's `lastLoginAt`, and signs the first access token.
 *
 * @returns The stored session and the token response for the client.
 * @throws DomainError `unauthorized` when the user no longer exists (deleted during the sign-in);
 *   the session just stored is ended again.
 *
 * @example
 * ```ts
 * const { session, tokens } = await startSession(ctx, { user, remember: true, amr: ["pwd"] }, meta);
 * return { status: "signed_in", ...tokens, user: wireUser(user) };
 * ```
 */
export async function startSession(
  ctx: DomainContext,
  input: StartSessionInput,
  meta: RequestMeta,
): Promise<IssuedSession> {
  const { user, remember } = input;
  const now = ctx.now();
  const expiresAt = now + refreshLifetimeMs(ctx, remember);
  const session: StoredSession = {
    id: `ses_${randomToken(16)}`,
    userId: user.id,
    createdAt: now,
    lastSeenAt: now,
    ip: meta.ip,
    userAgent: meta.userAgent,
    remember,
    amr: [...input.amr],
    expiresAt,
    revokedAt: null,
  };
  const refreshToken = newRefreshToken(session.id);
  // Signed before anything is stored: a failing key ring leaves no session behind.
  const tokens = tokenResponse(ctx, await signAccessToken(ctx, session, user, now), refreshToken);
  const created = await ctx.store.createSession(session, {
    tokenHash: await hashToken(refreshToken),
    sessionId: session.id,
    expiresAt,
    usedAt: null,
  });
  if (!created) {
    // Deleted or suspended since the credentials were checked: the store kept nothing.
    const current = await ctx.store.getUserById(user.id);
    if (current !== null && current.suspendedAt !== null) throw accountSuspended();
    throw new DomainError("unauthorized", "The account no longer exists");
  }
  // A deletion from now on takes the session with it; a suspension ends it.
  await ctx.store.updateUser(user.id, { lastLoginAt: now }, now);
  return { session, tokens };
}

/**
 * Refreshes a session (grant `refresh_token`): rotates the refresh token in the store's one atomic
 * step and issues a new access token and a new refresh token with a fresh lifetime of the
 * session's kind (`remember` or not). The session's `lastSeenAt`, `ip` and `userAgent` follow
 * `meta`.
 *
 * Every refresh token works once. Presenting one that was already used is taken as theft: the
 * store ends the whole session, so its newest refresh token fails too. There is no grace period:
 * two refreshes racing with the same token end the session (one of them succeeds first).
 *
 * @throws DomainError `oauth:invalid_grant` when the token is unknown, malformed, expired, of an
 *   ended session, reused (the session is now ended), or its user no longer exists (the session
 *   is ended).
 *
 * @example
 * ```ts
 * const { tokens } = await refreshSession(ctx, form.get("refresh_token"), meta);
 * ```
 */
export async function refreshSession(
  ctx: DomainContext,
  refreshToken: string,
  meta: RequestMeta,
): Promise<IssuedSession> {
  const invalid = () => new DomainError("oauth:invalid_grant", "The refresh token is invalid");
  const sessionId = sessionIdOf(refreshToken);
  if (sessionId === null) throw invalid();
  const known = await ctx.store.getSession(sessionId);
  if (known === null) throw invalid();
  const now = ctx.now();
  const user = await ctx.store.getUserById(known.userId);
  // Signed before the rotation (the claims do not depend on it): a failing key ring then leaves
  // the presented token unused, so the client's retry is not taken for reuse.
  // A suspended user's sessions were ended; should one rotate meanwhile, it ends below all the same.
  const accessToken =
    user === null || user.suspendedAt !== null ? null : await signAccessToken(ctx, known, user, now);
  const next = newRefreshToken(sessionId);
  const result = await ctx.store.rotateRefreshToken(
    await hashToken(refreshToken),
    { tokenHash: await hashToken(next), expiresAt: now + refreshLifetimeMs(ctx, known.remember) },
    { ip: meta.ip, userAgent: meta.userAgent },
    now,
  );
  if (result.kind === "reused") {
    throw new DomainError("oauth:invalid_grant", "The refresh token was already used; the session has ended");
  }
  if (result.kind === "invalid") throw invalid();
  const { session } = result;
  if (accessToken === null || session.id !== known.id || session.userId !== known.userId) {
    // The token was proven (it rotated), but its user is gone or suspended: the session ends with it.
    await ctx.store.revokeSession(session.userId, session.id, now);
    throw invalid();
  }
  return { session, tokens: tokenResponse(ctx, accessToken, next) };
}

function hasClaimShapes(payload: JWTPayload): payload is AccessTokenClaims {
  const { sub, sid, amr, email, iat, exp, jti } = payload as Record<string, unknown>;
  return (
    typeof sub === "string" &&
    typeof sid === "string" &&
    Array.isArray(amr) &&
    amr.every((method) => typeof method === "string") &&
    typeof email === "string" &&
    typeof iat === "number" &&
    typeof exp === "number" &&
    typeof jti === "string"
  );
}

/**
 * Verifies an access token of ours: ES256 signature by a key of the JWKS (`ctx.keys.verificationKeys()`, so a
 * retired key still verifies until it leaves the JWKS), `typ: at+jwt`, `iss`, `aud` and `exp` at
 * `ctx.now()` (unless `allowExpired`), and the claims this module signs. `null` when the token
 * does not verify.
 */
async function verifyAccessToken(
  ctx: DomainContext,
  token: string,
  allowExpired: boolean,
): Promise<AccessTokenClaims | null> {
  const now = ctx.now();
  // Outside the `try`: a failing key ring or store is the server's fault, not the token's.
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return null; // not a JWS at all
  }
  const keys = createLocalJWKSet(await ctx.keys.verificationKeys(kid));
  try {
    let at = now;
    if (allowExpired) {
      // Verify at an instant the token was live: every check but `exp` still applies. `exp` is
      // read unverified here, and the signature then covers it.
      const { exp } = decodeJwt(token);
      if (typeof exp === "number" && exp * 1000 <= now) at = exp * 1000 - 1000;
    }
    const { payload } = await jwtVerify(token, keys, {
      issuer: ctx.config.issuer,
      audience: ctx.config.audience,
      algorithms: ["ES256"],
      typ: ACCESS_TOKEN_TYP,
      requiredClaims: ["sub", "sid", "exp", "iat", "jti"],
      currentDate: new Date(at),
    });
    return hasClaimShapes(payload) ? payload : null;
  } catch (error) {
    if (error instanceof errors.JOSEError) return null; // the token does not verify
    throw error;
  }
}

/**
 * Checks a bearer access token and finds its session and user (the bearer requests of the
 * contract). The token is the credentials of `Authorization: Bearer <token>`, without the scheme.
 *
 * `lastSeenAt` is not written here: the store has no method for it, and it moves on every refresh
 * (at least once per access-token lifetime of an active client).
 *
 * @throws DomainError `unauthorized` when the token is missing or malformed, not signed by a key of
 *   the JWKS, of another issuer or audience, not an access token (`typ`), expired (unless
 *   `allowExpired`), or when its session has ended or its user no longer exists.
 *
 * @example
 * ```ts
 * const auth = await authenticate(ctx, bearerOf(request));
 * const items = await listSessions(ctx, auth);
 * ```
 */
export async function authenticate(
  ctx: DomainContext,
  bearer: string | null,
  options: AuthenticateOptions = {},
): Promise<Authenticated> {
  if (bearer === null || bearer === "") {
    throw new DomainError("unauthorized", "A bearer token is required");
  }
  const claims = await verifyAccessToken(ctx, bearer, options.allowExpired === true);
  if (claims === null) throw new DomainError("unauthorized", "The access token is invalid or expired");
  const session = await ctx.store.getSession(claims.sid);
  if (session === null || session.userId !== claims.sub || !isActive(session, ctx.now())) {
    throw new DomainError("unauthorized", "The session has ended");
  }
  const user = await ctx.store.getUserById(session.userId);
  if (user === null || user.suspendedAt !== null)
    throw new DomainError("unauthorized", "The session has ended");
  if (options.seen && ctx.now() - session.lastSeenAt >= LAST_SEEN_INTERVAL_MS) {
    // "Last seen" moves on bearer requests too, written at most once a minute per session (the
    // store checks again, atomically: of two requests at once, one writes).
    await ctx.store.touchSession(session.id, options.seen, ctx.now(), LAST_SEEN_INTERVAL_MS);
  }
  return { user, session, claims };
}

/**
 * Signs out: `local` ends the caller's session, `global` every session of the user, `others`
 * every session but the caller's. Their refresh tokens then get `invalid_grant` and their access
 * tokens `unauthorized`. Sessions that already ended meanwhile are skipped without error.
 *
 * @param auth From {@link authenticate} (sign-out accepts an expired access token: `allowExpired`).
 *
 * @example
 * ```ts
 * const auth = await authenticate(ctx, bearer, { allowExpired: true });
 * await signOut(ctx, auth, body.scope);
 * ```
 */
export async function signOut(
  ctx: DomainContext,
  auth: Pick<Authenticated, "user" | "session">,
  scope: SignOutScope,
): Promise<void> {
  const now = ctx.now();
  if (scope === "local") await ctx.store.revokeSession(auth.user.id, auth.session.id, now);
  else if (scope === "global") await ctx.store.revokeUserSessions(auth.user.id, now);
  else await ctx.store.revokeUserSessions(auth.user.id, now, auth.session.id);
}

/**
 * The user's sessions that have not ended, most recently seen first, as the items of
 * `GET /auth/sessions` (`SessionItemSchema`): times as ISO strings, `current` for the caller's.
 *
 * @example
 * ```ts
 * return { sessions: await listSessions(ctx, auth) };
 * ```
 */
export async function listSessions(
  ctx: DomainContext,
  auth: Pick<Authenticated, "user" | "session">,
): Promise<WireSessionItem[]> {
  const sessions = await ctx.store.listSessions(auth.user.id, ctx.now());
  return sessions
    .sort(
      (a, b) =>
        b.lastSeenAt - a.lastSeenAt || b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
    )
    .map((session) => ({
      id: session.id,
      created_at: new Date(session.createdAt).toISOString(),
      last_seen_at: new Date(session.lastSeenAt).toISOString(),
      ip: session.ip,
      user_agent: session.userAgent,
      current: session.id === auth.session.id,
    }));
}

/**
 * Ends one of the user's sessions by id ("sign out that device"); the caller's own is allowed.
 *
 * @throws DomainError `session_not_found` when the id is unknown, another user's, or the session
 *   has already ended.
 *
 * @example
 * ```ts
 * await revokeSessionById(ctx, auth, body.session_id);
 * ```
 */
export async function revokeSessionById(
  ctx: DomainContext,
  auth: Pick<Authenticated, "user">,
  sessionId: string,
): Promise<void> {
  if (!(await ctx.store.revokeSession(auth.user.id, sessionId, ctx.now()))) {
    throw new DomainError("session_not_found", "No such session");
  }
}

/**
 * Ends every session of the user but the caller's ("sign out of all other devices").
 *
 * @returns How many sessions ended.
 *
 * @example
 * ```ts
 * await revokeOtherSessions(ctx, auth);
 * ```
 */
export function revokeOtherSessions(
  ctx: DomainContext,
  auth: Pick<Authenticated, "user" | "session">,
): Promise<number> {
  return ctx.store.revokeUserSessions(auth.user.id, ctx.now(), auth.session.id);
}

/**
 * RFC 7009 revocation (`POST /oauth/revoke`), as docs/api.md states it: a refresh token of an
 * active session ends that session, and so does an access token signed by a key of the JWKS for
 * this issuer and audience (expired or not) whose session is active. Anything else is ignored
 * without error: RFC 7009 section 2.2 answers 200 for unknown tokens.
 *
 * A refresh token proves itself by a rotation in the store (the store has no other lookup by
 * hash): the one atomic step that a refresh would take, whose new token is discarded, followed by
 * the end of the session. A refresh token that was already used ends the session as reuse.
 *
 * @throws Only when the store or the key ring fails; never a {@link DomainError}.
 *
 * @example
 * ```ts
 * await revokeToken(ctx, form.get("token") ?? "");
 * return new Response(null, { status: 200 });
 * ```
 */
export async function revokeToken(ctx: DomainContext, token: string): Promise<void> {
  const sessionId = sessionIdOf(token);
  if (sessionId !== null) {
    const session = await ctx.store.getSession(sessionId);
    const now = ctx.now();
    if (session === null || !isActive(session, now)) return;
    const result = await ctx.store.rotateRefreshToken(
      await hashToken(token),
      { tokenHash: await hashToken(newRefreshToken(sessionId)), expiresAt: session.expiresAt },
      { ip: session.ip, userAgent: session.userAgent },
      now,
    );
    // `reused`: the store has already ended the session.
    if (result.kind === "rotated")
      await ctx.store.revokeSession(result.session.userId, result.session.id, now);
    return;
  }
  if (typeof token !== "string" || token.split(".").length !== 3) return;
  const claims = await verifyAccessToken(ctx, token, true);
  if (claims !== null) await ctx.store.revokeSession(claims.sub, claims.sid, ctx.now());
}
