/**
 * Social sign-in at the server: an OpenID Connect provider's ID token, verified against that
 * provider's JWKS, signs in the linked account or creates one; identities are listed, linked and
 * unlinked. No HTTP here: refusals are {@link DomainError}s, and no session is started (the HTTP
 * layer starts it, as after a password sign-in).
 *
 * **Verification.** The token's signature by a key of the provider's JWKS (from `jwksUri`, or
 * its discovery document; cached per provider), an asymmetric algorithm only (never `none` nor
 * HMAC), `iss` exactly the provider's issuer, `aud` one of its configured client IDs (with
 * several audiences, `azp` one of them too), `exp` and `iat` at the server's clock with
 * {@link CLOCK_TOLERANCE_SECONDS}, and `nonce` equal to the nonce sent along (or to its SHA-256
 * in hex, as native Apple and Google SDKs put it when given the hash). A token's nonce works once
 * (`claimOnce`, until the token expires), so a captured token cannot sign in twice.
 *
 * **Accounts.** A linked identity signs its user in. Otherwise, when the provider's address
 * belongs to an account, the identity is linked to it only when the provider marks the address
 * verified *and* the account's address is verified (anything else could hand an account to
 * whoever registered the address first): then that account signs in; else `identity_conflict`
 * and nothing changes. With no such account, a new one is made (no password, the address
 * verified as the provider says) and the identity linked. Every step that writes runs in one
 * store transaction: a refusal leaves no user, no identity and no used nonce behind.
 *
 * **Second factor.** An account with an active TOTP factor gets the same `mfa_required`
 * challenge as after a password: a second factor the user turned on is not skipped because the
 * first step happened at a provider. The provider step alone changes nothing on such an account:
 * no identity is linked by address and `lastUsedAt` does not move (link it with
 * {@link linkIdentity}; a verified address keeps leading to the account meanwhile).
 *
 * @module
 */
import {
  createRemoteJWKSet,
  decodeJwt,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import * as z from "zod/mini";
import { hashToken, randomToken } from "../crypto/tokens";
import { emailKey } from "../store/email-key";
import type { AuthStore, StoredIdentity, StoredUser } from "../store/types";
import { assertEmailNotBlocked } from "./account-life";
import type { DomainContext, RequestMeta } from "./context";
import type { Credentials } from "./credentials";
import { accountSuspended, DomainError } from "./errors";
import {
  type AuthenticatedResult,
  activeTotpFactor,
  createChallenge,
  type MfaChallenge,
  recordLoginAttempt,
} from "./mfa";

/** An OpenID Connect provider whose ID tokens the server accepts (`providers` option). */
export interface IdTokenProvider {
  /** The provider's issuer (`iss`), exactly as its tokens carry it. */
  issuer: string;
  /**
   * Your client ID at that provider: the `aud` its ID tokens must carry. List every client whose
   * tokens reach the server (web, iOS, Android).
   */
  clientId: string | string[];
  /** Its JWKS URL. Default: from its discovery document (`/.well-known/openid-configuration`). */
  jwksUri?: string;
}

/** Seconds of clock skew allowed on the ID token's `exp` and `iat`. */
export const CLOCK_TOLERANCE_SECONDS = 60;

/**
 * How long after its sign-in a session of an account with neither a password nor a second factor
 * may link another provider (the re-authentication of such accounts): 5 minutes, as account
 * deletion asks.
 */
export const REAUTHENTICATION_WINDOW_MS = 5 * 60_000;

/** Signature algorithms accepted: asymmetric only (never `none`, never a shared-secret HMAC). */
const ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

/** A verified ID token: what the server uses of it. */
export interface VerifiedIdToken {
  /** The provider's id in the `providers` option. */
  provider: string;
  /** `sub`. */
  subject: string;
  /** `email`, trimmed, or `null` when the token has none. */
  email: string | null;
  /** `email_verified` is `true` (or Apple's `"true"`). */
  emailVerified: boolean;
  /** `name`, else `given_name` and `family_name`, or `null`. */
  name: string | null;
  /** The token's `nonce` claim (as the token carries it). */
  nonce: string;
  /** `exp`, in ms since the epoch. */
  expiresAt: number;
}

/** What {@link signInWithIdToken} takes. */
export interface IdTokenSignInInput {
  /** The provider's id in the `providers` option. */
  provider: string;
  idToken: string;
  /** The nonce the app put in its authorization request. */
  nonce: string;
  /** The name of a new account when the token has none (Apple sends it once, in the form_post). */
  name?: string;
  /** "Keep me signed in". Default `true`. */
  remember?: boolean;
}

/** The outcome of {@link signInWithIdToken}. */
export type IdTokenSignInResult =
  | (AuthenticatedResult & { created: boolean })
  | { kind: "mfa_required"; challenge: MfaChallenge };

/** What {@link linkIdentity} takes. */
export interface LinkIdentityInput {
  provider: string;
  idToken: string;
  nonce: string;
  /** The account's password (re-authentication). */
  password?: string;
  /** Or a second-factor code (TOTP or recovery code). */
  code?: string;
}

/** An identity as the wire lists it (`IdentitySchema` of `src/wire/identities.ts`). */
export interface IdentityItem {
  provider: string;
  subject: string;
  email: string | null;
  created_at: string;
  last_used_at: string | null;
}

/** The provider's discovery document, as far as the server reads it. */
const DiscoverySchema = z.looseObject({
  issuer: z.string(),
  jwks_uri: z.string().check(z.minLength(1)),
});

/** The JWKS, or the discovery document, of a provider could not be fetched or used: the server's problem. */
export class ProviderUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProviderUnavailableError";
  }
}

/** Key sources per provider configuration (the object of the `providers` option). */
const keySources = new WeakMap<IdTokenProvider, Promise<JWTVerifyGetKey>>();

/** The provider's JWKS URL: its `jwksUri`, or the `jwks_uri` of its discovery document. */
async function jwksUrl(provider: IdTokenProvider): Promise<URL> {
  if (provider.jwksUri !== undefined) return new URL(provider.jwksUri);
  const url = `${provider.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  let body: unknown;
  try {
    const response = await fetch(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    throw new ProviderUnavailableError(`tegata: discovery of ${provider.issuer} failed (${url})`, {
      cause: error,
    });
  }
  const parsed = DiscoverySchema.safeParse(body);
  if (!parsed.success || parsed.data.issuer !== provider.issuer) {
    throw new ProviderUnavailableError(
      `tegata: the discovery document of ${provider.issuer} lacks jwks_uri or names another issuer`,
    );
  }
  return new URL(parsed.data.jwks_uri);
}

/**
 * The provider's keys, fetched on first use and cached (jose refetches on an unknown `kid`, at
 * most every 30 s). A JWKS that cannot be fetched is {@link ProviderUnavailableError}; a failed
 * discovery is not cached.
 */
function keysOf(provider: IdTokenProvider): Promise<JWTVerifyGetKey> {
  let source = keySources.get(provider);
  if (source === undefined) {
    const made = jwksUrl(provider).then((url) => {
      const remote = createRemoteJWKSet(url, { timeoutDuration: 5000 });
      const getKey: JWTVerifyGetKey = async (header, token) => {
        try {
          return await remote(header, token);
        } catch (error) {
          if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
            throw error; // the token's fault: no key of the provider signed it
          }
          throw new ProviderUnavailableError(`tegata: the JWKS of ${provider.issuer} (${url}) is unusable`, {
            cause: error,
          });
        }
      };
      return getKey;
    });
    source = made;
    keySources.set(provider, made);
    made.catch(() => {
      if (keySources.get(provider) === made) keySources.delete(provider);
    });
  }
  return source;
}

const invalidIdToken = (message: string, cause?: unknown) => {
  const error = new DomainError("invalid_id_token", message);
  if (cause !== undefined) Object.defineProperty(error, "cause", { value: cause });
  return error;
};

const identityConflict = (message: string) => new DomainError("identity_conflict", message);

/** The configuration of provider `id`, or `unknown_provider`. */
function providerOf(providers: Readonly<Record<string, IdTokenProvider>>, id: string): IdTokenProvider {
  const provider = Object.hasOwn(providers, id) ? providers[id] : undefined;
  if (provider === undefined) throw new DomainError("unknown_provider", `No provider "${id}" is configured`);
  return provider;
}

/** SHA-256 of a string, lower-case hex. */
async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The reason jose gave, as a message that names the failed check. */
function describeFailure(error: unknown): DomainError {
  if (error instanceof errors.JWTExpired) return invalidIdToken("The ID token has expired", error);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return invalidIdToken("The ID token is of another issuer", error);
    if (error.claim === "aud") return invalidIdToken("The ID token is for another client (aud)", error);
    if (error.claim === "iat" || error.claim === "nbf") {
      return invalidIdToken("The ID token is not valid yet", error);
    }
    return invalidIdToken(`The ID token lacks a valid ${error.claim} claim`, error);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return invalidIdToken("The ID token's signature algorithm is not accepted", error);
  }
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return invalidIdToken("The ID token's signature does not verify with the provider's keys", error);
  }
  return invalidIdToken("The ID token is malformed", error);
}

function stringClaim(payload: JWTPayload, name: string, max = 512): string | null {
  const value = payload[name];
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed.slice(0, max);
}

/**
 * Verifies an ID token of `providerId` (see the module's description). No store access: the
 * nonce is claimed by the caller.
 *
 * @throws DomainError `unknown_provider`, `invalid_id_token` (the message names the failed check);
 *   {@link ProviderUnavailableError} when the provider's keys cannot be fetched.
 *
 * @example
 * ```ts
 * const verified = await verifyIdToken(ctx, providers, "google", idToken, nonce);
 * ```
 */
export async function verifyIdToken(
  ctx: DomainContext,
  providers: Readonly<Record<string, IdTokenProvider>>,
  providerId: string,
  idToken: string,
  nonce: string,
): Promise<VerifiedIdToken> {
  const provider = providerOf(providers, providerId);
  const keys = await keysOf(provider);
  const clientIds = typeof provider.clientId === "string" ? [provider.clientId] : [...provider.clientId];
  const now = ctx.now();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, keys, {
      issuer: provider.issuer,
      audience: clientIds,
      algorithms: ALGORITHMS,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(now),
      requiredClaims: ["iss", "sub", "aud", "exp", "iat"],
    }));
  } catch (error) {
    if (error instanceof ProviderUnavailableError) throw error;
    if (error instanceof errors.JOSEError) throw describeFailure(error);
    throw error; // WebCrypto refused a key of the provider: the server's problem, not the token's
  }
  if (typeof payload.iat !== "number" || payload.iat * 1000 > now + CLOCK_TOLERANCE_SECONDS * 1000) {
    throw invalidIdToken("The ID token was issued in the future");
  }
  const azp = payload.azp;
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && !clientIds.includes(String(azp))) {
    throw invalidIdToken("An ID token of several audiences needs azp naming a configured client");
  }
  const subject = payload.sub;
  if (typeof subject !== "string" || subject === "" || subject.length > 255) {
    throw invalidIdToken("The ID token's sub is missing or too long");
  }
  const claimed = payload.nonce;
  if (typeof claimed !== "string" || claimed === "") throw invalidIdToken("The ID token has no nonce");
  if (claimed !== nonce && claimed !== (await sha256Hex(nonce))) {
    throw invalidIdToken("The ID token's nonce is not the one sent");
  }
  const given = stringClaim(payload, "given_name", 128);
  const family = stringClaim(payload, "family_name", 128);
  const verified = payload.email_verified;
  return {
    provider: providerId,
    subject,
    email: stringClaim(payload, "email", 320),
    emailVerified: verified === true || verified === "true",
    name: stringClaim(payload, "name", 256) ?? ([given, family].filter(Boolean).join(" ") || null),
    nonce: claimed,
    expiresAt: (payload.exp as number) * 1000,
  };
}

/**
 * Claims the token's nonce once, until the token expires (plus the clock tolerance).
 *
 * @throws DomainError `invalid_id_token` when it was presented before.
 */
async function claimNonce(store: AuthStore, token: VerifiedIdToken, now: number): Promise<void> {
  const key = `nonce:${token.provider}:${await hashToken(token.nonce)}`;
  const until = Math.max(token.expiresAt + CLOCK_TOLERANCE_SECONDS * 1000, now + 1);
  if (!(await store.claimOnce(key, until, now))) {
    throw invalidIdToken("The ID token was already used: its nonce works once");
  }
}

/** The `email` an unverified token names, for the history of a refused attempt. */
function namedEmail(idToken: string): string {
  try {
    const email = decodeJwt(idToken).email;
    return typeof email === "string" ? email.slice(0, 320) : "";
  } catch {
    return "";
  }
}

/**
 * Signs in with a provider's ID token: verifies it ({@link verifyIdToken}), claims its nonce,
 * then signs in the linked account, links a matching verified account, or creates an account
 * (see the module's description), in one store transaction. Every attempt with a known provider
 * is recorded in the login history with the provider's id as `method` (a refusal before the
 * token verified: without a user; an account that needs its second factor: when the factor
 * completes, as after a password).
 *
 * @returns The authenticated user (`amr: ["fed"]`, `created` for a new account; the HTTP layer
 *   starts the session), or an MFA challenge for an account with an active TOTP factor.
 * @throws DomainError `unknown_provider`, `invalid_id_token` (also: a nonce presented before, or
 *   a new account's token without `email`), `identity_conflict`, `account_suspended`,
 *   `email_blocked` (`retryAfterSeconds`); {@link ProviderUnavailableError}.
 *
 * @example
 * ```ts
 * const result = await signInWithIdToken(ctx, env.providers, { provider: "google", idToken, nonce }, meta);
 * ```
 */
export async function signInWithIdToken(
  ctx: DomainContext,
  providers: Readonly<Record<string, IdTokenProvider>>,
  input: IdTokenSignInInput,
  meta: RequestMeta,
): Promise<IdTokenSignInResult> {
  providerOf(providers, input.provider);
  const record = (user: { id: string; email: string } | null, email: string, result: "success" | "failure") =>
    recordLoginAttempt(
      ctx,
      { userId: user?.id ?? null, email: user?.email ?? email, method: input.provider, result },
      meta,
    );
  let token: VerifiedIdToken;
  try {
    token = await verifyIdToken(ctx, providers, input.provider, input.idToken, input.nonce);
  } catch (error) {
    if (error instanceof DomainError) await record(null, namedEmail(input.idToken), "failure");
    throw error;
  }
  /** The existing account the attempt concerned, for the history of a refusal. */
  let concerned: StoredUser | null = null;
  let outcome: { user: StoredUser; created: boolean; secondFactor: boolean };
  try {
    outcome = await ctx.store.transaction(async (store) => {
      const now = ctx.now();
      await claimNonce(store, token, now);
      /** An active TOTP factor: the provider step alone then changes nothing on the account. */
      const hasSecondFactor = async (userId: string) =>
        (await store.listFactors(userId)).some((f) => f.kind === "totp" && f.status === "active");
      const linked = await store.getIdentity(token.provider, token.subject);
      if (linked !== null) {
        const user = await store.getUserById(linked.userId);
        if (user === null) throw new Error("tegata: an identity of a user that no longer exists");
        concerned = user;
        if (user.suspendedAt !== null) throw accountSuspended();
        if (await hasSecondFactor(user.id)) return { user, created: false, secondFactor: true };
        await store.touchIdentity(
          token.provider,
          token.subject,
          { email: token.email, emailVerified: token.emailVerified },
          now,
        );
        return { user, created: false, secondFactor: false };
      }
      if (token.email === null) {
        throw invalidIdToken("The ID token carries no email address: ask the provider for the email scope");
      }
      const key = emailKey(token.email);
      const identity = (userId: string): StoredIdentity => ({
        provider: token.provider,
        subject: token.subject,
        userId,
        email: token.email,
        emailVerified: token.emailVerified,
        createdAt: now,
        lastUsedAt: now,
      });
      const existing = await store.getUserByEmailKey(key);
      if (existing !== null) {
        concerned = existing;
        if (!token.emailVerified || !existing.emailVerified) {
          throw identityConflict(
            "The provider's address belongs to an account, and is not verified by both: sign in to that account and link the provider",
          );
        }
        if (existing.suspendedAt !== null) throw accountSuspended();
        if (await hasSecondFactor(existing.id)) return { user: existing, created: false, secondFactor: true };
        if ((await store.linkIdentity(identity(existing.id))) === "taken") {
          throw identityConflict("The identity was linked meanwhile");
        }
        return { user: existing, created: false, secondFactor: false };
      }
      await assertEmailNotBlocked(ctx, key, store);
      const name = token.name ?? (input.name?.trim() ? input.name.trim().slice(0, 256) : null);
      const created = await store.createUser(
        {
          id: `usr_${randomToken(9)}`,
          email: token.email,
          emailKey: key,
          name,
          passwordHash: null,
          emailVerified: token.emailVerified,
          showLastLogin: true,
          createdAt: now,
        },
        now,
      );
      if (created === "email_taken") throw identityConflict("The address was registered meanwhile");
      if ((await store.linkIdentity(identity(created.id))) === "taken") {
        throw identityConflict("The identity was linked meanwhile");
      }
      return { user: created, created: true, secondFactor: false };
    });
  } catch (error) {
    if (error instanceof DomainError) {
      await record(concerned as StoredUser | null, token.email ?? "", "failure");
    }
    throw error;
  }
  const { user, created, secondFactor } = outcome;
  const remember = input.remember ?? true;
  if (secondFactor) {
    // Recorded when the second factor completes (or fails) it, as after a password.
    return { kind: "mfa_required", challenge: await createChallenge(ctx, user, remember, ["fed"]) };
  }
  const attemptId = await record(user, user.email, "success");
  return { kind: "authenticated", user, amr: ["fed"], remember, attemptId, created };
}

/** An identity as the wire lists it. */
function identityItem(identity: StoredIdentity): IdentityItem {
  return {
    provider: identity.provider,
    subject: identity.subject,
    email: identity.email,
    created_at: new Date(identity.createdAt).toISOString(),
    last_used_at: identity.lastUsedAt === null ? null : new Date(identity.lastUsedAt).toISOString(),
  };
}

/**
 * The user's linked identities, oldest first, as `GET /auth/identities` lists them.
 *
 * @example
 * ```ts
 * return { identities: await listIdentities(ctx, auth.user) };
 * ```
 */
export async function listIdentities(ctx: DomainContext, user: StoredUser): Promise<IdentityItem[]> {
  return (await ctx.store.listIdentities(user.id)).map(identityItem);
}

/**
 * Re-authenticates the signed-in user before a link: the account's password or a second-factor
 * code (`credentials.reauthenticate`: the account lockout counts wrong ones); an account with
 * neither a password nor a second factor proves itself by a session started within
 * {@link REAUTHENTICATION_WINDOW_MS}, as account deletion asks.
 */
async function reauthenticate(
  ctx: DomainContext,
  credentials: Pick<Credentials, "reauthenticate">,
  auth: { user: StoredUser; session: { createdAt: number } },
  proof: { password?: string; code?: string },
): Promise<void> {
  const { user } = auth;
  if (proof.password !== undefined || proof.code !== undefined) {
    await credentials.reauthenticate(user, proof);
    return;
  }
  const proofless = user.passwordHash === null && (await activeTotpFactor(ctx, user.id)) === null;
  if (!proofless) {
    throw new DomainError("invalid_request", "Send the password or a second-factor code to link a provider");
  }
  if (ctx.now() - auth.session.createdAt > REAUTHENTICATION_WINDOW_MS) {
    throw new DomainError("invalid_request", "Sign in again, then link the provider");
  }
}

/**
 * Links a provider's identity to the signed-in user, after re-authentication: the account's
 * password or a second-factor code; an account with neither proves itself by a session started
 * in the last 5 minutes. The ID token is verified as at sign-in and its nonce claimed. The
 * provider's address does not matter here: the user proved both the account and the identity.
 * Linking an identity the user already has is a no-op that answers it again.
 *
 * @returns The linked identity.
 * @throws DomainError `unknown_provider`, `invalid_id_token`, `invalid_request` (no proof from an
 *   account that has one, or both; a stale session of an account without one),
 *   `invalid_credentials` (`remainingAttempts`), `invalid_mfa_code`, `account_locked`,
 *   `identity_conflict` (linked to another account); {@link ProviderUnavailableError}.
 *
 * @example
 * ```ts
 * const identity = await linkIdentity(ctx, env.providers, env.credentials, auth, { provider: "google", idToken, nonce, password });
 * ```
 */
export async function linkIdentity(
  ctx: DomainContext,
  providers: Readonly<Record<string, IdTokenProvider>>,
  credentials: Pick<Credentials, "reauthenticate">,
  auth: { user: StoredUser; session: { createdAt: number } },
  input: LinkIdentityInput,
): Promise<IdentityItem> {
  const token = await verifyIdToken(ctx, providers, input.provider, input.idToken, input.nonce);
  await reauthenticate(ctx, credentials, auth, {
    ...(input.password === undefined ? {} : { password: input.password }),
    ...(input.code === undefined ? {} : { code: input.code }),
  });
  const identity = await ctx.store.transaction(async (store) => {
    const now = ctx.now();
    await claimNonce(store, token, now);
    const linked = await store.getIdentity(token.provider, token.subject);
    if (linked !== null) {
      if (linked.userId !== auth.user.id) {
        throw identityConflict("The identity is linked to another account");
      }
      return linked;
    }
    const made: StoredIdentity = {
      provider: token.provider,
      subject: token.subject,
      userId: auth.user.id,
      email: token.email,
      emailVerified: token.emailVerified,
      createdAt: now,
      lastUsedAt: null,
    };
    if ((await store.linkIdentity(made)) === "taken") {
      throw identityConflict("The identity is linked to another account");
    }
    return made;
  });
  return identityItem(identity);
}

/**
 * Unlinks one of the user's identities, unless it is their last way to sign in (no password and
 * no other identity), decided in one store step.
 *
 * @throws DomainError `last_sign_in_method`, `not_found` (no such identity of this user).
 *
 * @example
 * ```ts
 * await unlinkIdentity(ctx, auth.user, "google", subject);
 * ```
 */
export async function unlinkIdentity(
  ctx: DomainContext,
  user: StoredUser,
  provider: string,
  subject: string,
): Promise<void> {
  const result = await ctx.store.unlinkIdentity(user.id, provider, subject);
  if (result === "last") {
    throw new DomainError(
      "last_sign_in_method",
      "This identity is the account's last way to sign in: set a password or link another provider first",
    );
  }
  if (result === "not_found") throw new DomainError("not_found", "No such linked identity");
}
