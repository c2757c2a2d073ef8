import { base64url, decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createKeyRing } from "../../../src/server/crypto/keys";
import { hashToken, randomToken } from "../../../src/server/crypto/tokens";
import type { DomainContext } from "../../../src/server/domain/context";
import { DomainError } from "../../../src/server/domain/errors";
import {
  authenticate,
  listSessions,
  refreshSession,
  revokeOtherSessions,
  revokeSessionById,
  revokeToken,
  type SessionTokens,
  signOut,
  startSession,
} from "../../../src/server/domain/sessions";
import { emailKey } from "../../../src/server/store/email-key";
import type { AuthStore, StoredUser } from "../../../src/server/store/types";
import { TokenResponseSchema } from "../../../src/wire";
import { SessionItemSchema } from "../../../src/wire/history";
import { meta, T0, testContext } from "./context";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const otherMeta = { ip: "198.51.100.23", userAgent: "curl/8.0" };

async function addUser(store: AuthStore, id: string, email: string): Promise<StoredUser> {
  const created = await store.createUser(
    {
      id,
      email,
      emailKey: emailKey(email),
      name: null,
      passwordHash: null,
      emailVerified: true,
      showLastLogin: true,
      createdAt: T0,
    },
    T0,
  );
  if (created === "email_taken") throw new Error("test setup: email taken");
  return created;
}

/** A test context with two users. */
async function setup() {
  const t = testContext();
  const hanako = await addUser(t.store, "usr_hanako", "hanako@example.com");
  const taro = await addUser(t.store, "usr_taro", "taro@example.com");
  return { ...t, hanako, taro };
}

function start(ctx: DomainContext, user: StoredUser, remember = true, amr = ["pwd"]) {
  return startSession(ctx, { user, remember, amr }, meta);
}

/** The refusal of `promise`: a DomainError with that code. */
async function refusal(promise: Promise<unknown>, code: DomainError["code"]): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(code);
    return error as DomainError;
  }
  throw new Error(`expected a refusal with ${code}`);
}

/** Whether the session of `tokens` is active (its access token, expired or not, authenticates). */
async function isActive(ctx: DomainContext, tokens: SessionTokens): Promise<boolean> {
  try {
    await authenticate(ctx, tokens.access_token, { allowExpired: true });
    return true;
  } catch (error) {
    if (error instanceof DomainError && error.code === "unauthorized") return false;
    throw error;
  }
}

/** A store that records the arguments of every call (copied at call time). */
function recordingStore(store: AuthStore) {
  const calls: Array<{ method: string; args: unknown[] }> = [];
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push({ method: String(prop), args: structuredClone(args) });
        return value.apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

/** A store in which the users of `deleted` no longer exist (the memory store has no deleteUser). */
function withDeletedUsers(store: AuthStore, deleted: Set<string>): AuthStore {
  return {
    ...store,
    getUserById: (id) => (deleted.has(id) ? Promise.resolve(null) : store.getUserById(id)),
    updateUser: (id, patch, now) =>
      deleted.has(id) ? Promise.resolve(null) : store.updateUser(id, patch, now),
  };
}

const encodeJson = (value: unknown) => base64url.encode(new TextEncoder().encode(JSON.stringify(value)));

describe("startSession", () => {
  it("stores a session with its first refresh token and answers a token response", async () => {
    const { ctx, store, hanako } = await setup();
    const { session, tokens } = await start(ctx, hanako, true, ["pwd", "otp"]);

    expect(TokenResponseSchema.parse(tokens)).toEqual(tokens);
    expect(tokens.token_type).toBe("Bearer");
    expect(tokens.expires_in).toBe(900);
    expect(tokens.refresh_token.startsWith(`${session.id}.`)).toBe(true);
    expect(base64url.decode(tokens.refresh_token.slice(session.id.length + 1))).toHaveLength(32);

    expect(session.id).toMatch(/^ses_[A-Za-z0-9_-]{22}$/);
    expect(session).toMatchObject({
      userId: hanako.id,
      createdAt: T0,
      lastSeenAt: T0,
      ip: meta.ip,
      userAgent: meta.userAgent,
      remember: true,
      amr: ["pwd", "otp"],
      expiresAt: T0 + 30 * DAY,
      revokedAt: null,
    });
    expect(await store.getSession(session.id)).toEqual(session);
  });

  it("signs an ES256 at+jwt access token with the claims of the mock", async () => {
    const { ctx, hanako } = await setup();
    const { session, tokens } = await start(ctx, hanako, false, ["pwd"]);
    const header = decodeProtectedHeader(tokens.access_token);
    const { keys } = await ctx.keys.jwks();
    expect(header).toEqual({ alg: "ES256", kid: keys[0]?.kid, typ: "at+jwt" });
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toEqual({
      iss: "https://auth.tegata.test",
      aud: "tegata",
      sub: hanako.id,
      sid: session.id,
      amr: ["pwd"],
      email: "hanako@example.com",
      iat: T0 / 1000,
      exp: T0 / 1000 + 900,
      jti: expect.any(String),
    });
  });

  it("gives each session its own id, tokens and jti", async () => {
    const { ctx, hanako } = await setup();
    const a = await start(ctx, hanako);
    const b = await start(ctx, hanako);
    expect(a.session.id).not.toBe(b.session.id);
    expect(a.tokens.refresh_token).not.toBe(b.tokens.refresh_token);
    expect(decodeJwt(a.tokens.access_token).jti).not.toBe(decodeJwt(b.tokens.access_token).jti);
  });

  it("sets the user's lastLoginAt", async () => {
    const { ctx, store, clock, hanako } = await setup();
    clock.advance(5 * MINUTE);
    await start(ctx, hanako);
    expect((await store.getUserById(hanako.id))?.lastLoginAt).toBe(T0 + 5 * MINUTE);
  });

  it("remember: false makes the session and its refresh token live refreshTokenShort", async () => {
    const { ctx, hanako } = await setup();
    const { session } = await start(ctx, hanako, false);
    expect(session.remember).toBe(false);
    expect(session.expiresAt).toBe(T0 + DAY);
  });

  it("refuses a user who no longer exists, and leaves no active session", async () => {
    const { ctx, store } = await setup();
    const ghost: StoredUser = { ...(await store.getUserById("usr_hanako"))!, id: "usr_ghost" };
    await refusal(start(ctx, ghost), "unauthorized");
    expect(await store.listSessions("usr_ghost", T0)).toEqual([]);
  });

  it("stores the refresh token only as its SHA-256; neither token reaches the store", async () => {
    const t = await setup();
    const recorded = recordingStore(t.store);
    const ctx: DomainContext = { ...t.ctx, store: recorded.store };
    const { session, tokens } = await start(ctx, t.hanako);
    const refreshed = await refreshSession(ctx, tokens.refresh_token, otherMeta);

    const create = recorded.calls.find((call) => call.method === "createSession");
    expect(create?.args[1]).toEqual({
      tokenHash: await hashToken(tokens.refresh_token),
      sessionId: session.id,
      expiresAt: T0 + 30 * DAY,
      usedAt: null,
    });
    const rotate = recorded.calls.find((call) => call.method === "rotateRefreshToken");
    expect(rotate?.args[0]).toBe(await hashToken(tokens.refresh_token));
    expect(rotate?.args[1]).toEqual({
      tokenHash: await hashToken(refreshed.tokens.refresh_token),
      expiresAt: T0 + 30 * DAY,
    });

    // Nothing any call carried into the store holds a token or its secret part.
    const carried = JSON.stringify(recorded.calls);
    for (const secret of [tokens, refreshed.tokens].flatMap((issued) => [
      issued.refresh_token,
      issued.refresh_token.split(".")[1]!,
      issued.access_token,
    ])) {
      expect(carried).not.toContain(secret);
    }
    // And nothing is stored under the raw token: as a hash it is unknown.
    const next = { tokenHash: await hashToken(randomToken()), expiresAt: T0 + DAY };
    expect(await t.store.rotateRefreshToken(refreshed.tokens.refresh_token, next, meta, T0)).toEqual({
      kind: "invalid",
    });
    expect(JSON.stringify(await t.store.getSession(session.id))).not.toContain(
      refreshed.tokens.refresh_token.split(".")[1]!,
    );
  });
});

describe("authenticate", () => {
  it("answers the user, the session and the claims", async () => {
    const { ctx, hanako } = await setup();
    const { session, tokens } = await start(ctx, hanako, true, ["pwd", "otp"]);
    const auth = await authenticate(ctx, tokens.access_token);
    expect(auth.user).toEqual(await ctx.store.getUserById(hanako.id));
    expect(auth.session).toEqual(session);
    expect(auth.claims).toMatchObject({ sub: hanako.id, sid: session.id, amr: ["pwd", "otp"] });
  });

  it("refuses a missing or malformed token", async () => {
    const { ctx } = await setup();
    for (const bearer of [null, "", "abc", "a.b.c", "e30.e30.", "Bearer x.y.z", "ses_abc.def", "...."]) {
      await refusal(authenticate(ctx, bearer), "unauthorized");
    }
  });

  it("refuses an expired access token, at exactly exp, unless allowExpired", async () => {
    const { ctx, clock, hanako } = await setup();
    const { tokens } = await start(ctx, hanako);
    clock.advance(900 * SECOND - 1);
    await authenticate(ctx, tokens.access_token);
    clock.advance(1);
    await refusal(authenticate(ctx, tokens.access_token), "unauthorized");
    clock.advance(10 * DAY);
    const auth = await authenticate(ctx, tokens.access_token, { allowExpired: true });
    expect(auth.user.id).toBe(hanako.id);
  });

  it("refuses a tampered token: payload swapped, signature altered, header altered", async () => {
    const { ctx, hanako, taro } = await setup();
    const { tokens } = await start(ctx, hanako);
    const { tokens: taroTokens } = await start(ctx, taro);
    const [header, payload, signature] = tokens.access_token.split(".") as [string, string, string];

    const claims = decodeJwt(tokens.access_token);
    const swapped = `${header}.${encodeJson({ ...claims, sub: taro.id, sid: decodeJwt(taroTokens.access_token).sid })}.${signature}`;
    await refusal(authenticate(ctx, swapped), "unauthorized");
    const extended = `${header}.${encodeJson({ ...claims, exp: (claims.exp ?? 0) + 3600 })}.${signature}`;
    await refusal(authenticate(ctx, extended), "unauthorized");

    const i = 20;
    const flipped = signature.slice(0, i) + (signature[i] === "A" ? "B" : "A") + signature.slice(i + 1);
    await refusal(authenticate(ctx, `${header}.${payload}.${flipped}`), "unauthorized");

    const none = `${encodeJson({ alg: "none", typ: "at+jwt" })}.${payload}.`;
    await refusal(authenticate(ctx, none), "unauthorized");
  });

  it("refuses a token signed by a foreign key, with our kid or its own", async () => {
    const { ctx, hanako } = await setup();
    const { tokens } = await start(ctx, hanako);
    const claims = decodeJwt(tokens.access_token);
    const { kid } = decodeProtectedHeader(tokens.access_token);
    const foreign = await generateKeyPair("ES256");
    for (const header of [
      { alg: "ES256", kid, typ: "at+jwt" },
      { alg: "ES256", kid: "foreign", typ: "at+jwt" },
    ]) {
      const forged = await new SignJWT(claims).setProtectedHeader(header).sign(foreign.privateKey);
      await refusal(authenticate(ctx, forged), "unauthorized");
    }
  });

  it("refuses our signature over a wrong issuer, audience or typ, or a missing claim", async () => {
    const { ctx, hanako } = await setup();
    const { tokens } = await start(ctx, hanako);
    const claims = decodeJwt(tokens.access_token);
    const { kid, key } = await ctx.keys.signingKey();
    const sign = (body: Record<string, unknown>, typ = "at+jwt") =>
      new SignJWT(body).setProtectedHeader({ alg: "ES256", kid, typ }).sign(key);

    // The control: the same claims re-signed do authenticate.
    await authenticate(ctx, await sign(claims));
    await refusal(authenticate(ctx, await sign({ ...claims, iss: "https://evil.test" })), "unauthorized");
    await refusal(authenticate(ctx, await sign({ ...claims, aud: "another-api" })), "unauthorized");
    await refusal(authenticate(ctx, await sign(claims, "JWT")), "unauthorized");
    for (const claim of ["sid", "sub", "exp", "iat", "jti", "amr", "email"]) {
      const { [claim]: _dropped, ...without } = claims;
      await refusal(authenticate(ctx, await sign(without)), "unauthorized");
    }
    await refusal(authenticate(ctx, await sign({ ...claims, amr: "pwd" })), "unauthorized");
    // A sid of another user's session.
    const taroSession = await start(ctx, (await ctx.store.getUserById("usr_taro"))!);
    await refusal(authenticate(ctx, await sign({ ...claims, sid: taroSession.session.id })), "unauthorized");
  });

  it("refuses the token of an ended session, expired or not", async () => {
    const { ctx, clock, hanako } = await setup();
    const { session, tokens } = await start(ctx, hanako);
    await ctx.store.revokeSession(hanako.id, session.id, T0);
    await refusal(authenticate(ctx, tokens.access_token), "unauthorized");
    clock.advance(HOUR);
    await refusal(authenticate(ctx, tokens.access_token, { allowExpired: true }), "unauthorized");
  });

  it("refuses the token of a session whose refresh token expired (the session is over)", async () => {
    const { ctx, clock, hanako } = await setup();
    const { tokens } = await start(ctx, hanako, false);
    clock.advance(DAY);
    await refusal(authenticate(ctx, tokens.access_token, { allowExpired: true }), "unauthorized");
  });

  it("refuses the token of a user who no longer exists", async () => {
    const { ctx, hanako } = await setup();
    const { tokens } = await start(ctx, hanako);
    const gone = { ...ctx, store: withDeletedUsers(ctx.store, new Set([hanako.id])) };
    await refusal(authenticate(gone, tokens.access_token), "unauthorized");
    await refusal(authenticate(gone, tokens.access_token, { allowExpired: true }), "unauthorized");
  });

  it("key rotation: a token signed before the rotation authenticates while its key is in the JWKS", async () => {
    const { ctx, store, clock, hanako } = await setup();
    const rotating: DomainContext = {
      ...ctx,
      keys: createKeyRing({
        store,
        sealer: ctx.sealer,
        now: ctx.now,
        rotateAfterMs: 10 * MINUTE,
        keepAfterRetireMs: 20 * MINUTE,
      }),
    };
    const before = await start(rotating, hanako);
    clock.advance(11 * MINUTE);
    const after = await start(rotating, hanako); // signs with a new key; the first is retired
    const oldKid = decodeProtectedHeader(before.tokens.access_token).kid;
    const newKid = decodeProtectedHeader(after.tokens.access_token).kid;
    expect(oldKid).not.toBe(newKid);
    expect((await rotating.keys.jwks()).keys.map((key) => key.kid)).toEqual([newKid, oldKid]);

    await authenticate(rotating, before.tokens.access_token);
    await authenticate(rotating, after.tokens.access_token);
    // A refresh now signs with the new key.
    const refreshed = await refreshSession(rotating, before.tokens.refresh_token, meta);
    expect(decodeProtectedHeader(refreshed.tokens.access_token).kid).toBe(newKid);

    // 31 minutes after T0 the retired key leaves the JWKS: its tokens no longer verify, even
    // where an expired token is accepted, while the new key's still do.
    clock.advance(20 * MINUTE);
    expect((await rotating.keys.jwks()).keys.map((key) => key.kid)).toEqual([newKid]);
    await refusal(authenticate(rotating, before.tokens.access_token, { allowExpired: true }), "unauthorized");
    await authenticate(rotating, after.tokens.access_token, { allowExpired: true });
  });
});

describe("refreshSession", () => {
  it("start → authenticate → refresh → reuse ends the family", async () => {
    const { ctx, store, clock, hanako } = await setup();
    const first = await start(ctx, hanako, true, ["pwd", "otp"]);
    await authenticate(ctx, first.tokens.access_token);

    clock.advance(10 * MINUTE);
    const second = await refreshSession(ctx, first.tokens.refresh_token, otherMeta);
    expect(TokenResponseSchema.parse(second.tokens)).toEqual(second.tokens);
    expect(second.tokens.access_token).not.toBe(first.tokens.access_token);
    expect(second.tokens.refresh_token).not.toBe(first.tokens.refresh_token);
    expect(second.session).toMatchObject({
      id: first.session.id,
      lastSeenAt: T0 + 10 * MINUTE,
      ip: otherMeta.ip,
      userAgent: otherMeta.userAgent,
      expiresAt: T0 + 10 * MINUTE + 30 * DAY,
      createdAt: T0,
      revokedAt: null,
    });
    expect(decodeJwt(second.tokens.access_token)).toMatchObject({
      sub: hanako.id,
      sid: first.session.id,
      amr: ["pwd", "otp"],
      iat: (T0 + 10 * MINUTE) / 1000,
    });
    const auth = await authenticate(ctx, second.tokens.access_token);
    expect(auth.session.id).toBe(first.session.id);

    // The old refresh token again: reuse, the whole session ends.
    const reuse = await refusal(refreshSession(ctx, first.tokens.refresh_token, meta), "oauth:invalid_grant");
    expect(reuse.message).toMatch(/already used/);
    expect((await store.getSession(first.session.id))?.revokedAt).toBe(T0 + 10 * MINUTE);
    await refusal(refreshSession(ctx, second.tokens.refresh_token, meta), "oauth:invalid_grant");
    await refusal(authenticate(ctx, second.tokens.access_token), "unauthorized");
    await refusal(authenticate(ctx, first.tokens.access_token), "unauthorized");
  });

  it("a chain of refreshes: each token works once", async () => {
    const { ctx, hanako } = await setup();
    let { tokens } = await start(ctx, hanako);
    const seen = new Set([tokens.refresh_token]);
    for (let i = 0; i < 5; i++) {
      ({ tokens } = await refreshSession(ctx, tokens.refresh_token, meta));
      expect(seen.has(tokens.refresh_token)).toBe(false);
      seen.add(tokens.refresh_token);
    }
    expect(await isActive(ctx, tokens)).toBe(true);
  });

  it("refuses unknown, malformed and forged refresh tokens without touching the session", async () => {
    const { ctx, store, hanako } = await setup();
    const { session, tokens } = await start(ctx, hanako);
    const secret = tokens.refresh_token.split(".")[1]!;
    for (const token of [
      "",
      "garbage",
      randomToken(),
      secret,
      `${session.id}.${randomToken()}`, // the right session, a guessed secret
      `ses_other.${secret}`, // the right secret, another prefix
      `${tokens.refresh_token}x`,
      tokens.access_token,
    ]) {
      await refusal(refreshSession(ctx, token, meta), "oauth:invalid_grant");
    }
    expect(await store.getSession(session.id)).toEqual(session);
    await refreshSession(ctx, tokens.refresh_token, meta);
  });

  it("refresh tokens expire: remember → refreshToken lifetime, kept on every refresh", async () => {
    const { ctx, clock, hanako } = await setup();
    const { tokens } = await start(ctx, hanako, true);
    clock.advance(29 * DAY);
    const next = await refreshSession(ctx, tokens.refresh_token, meta);
    expect(next.session.expiresAt).toBe(T0 + 59 * DAY);
    clock.advance(30 * DAY - 1);
    const last = await refreshSession(ctx, next.tokens.refresh_token, meta);
    clock.advance(30 * DAY);
    await refusal(refreshSession(ctx, last.tokens.refresh_token, meta), "oauth:invalid_grant");
  });

  it("refresh tokens expire: no remember → refreshTokenShort, kept on every refresh", async () => {
    const { ctx, clock, hanako } = await setup();
    const { tokens } = await start(ctx, hanako, false);
    clock.advance(23 * HOUR);
    const next = await refreshSession(ctx, tokens.refresh_token, meta);
    expect(next.session.remember).toBe(false);
    expect(next.session.expiresAt).toBe(T0 + 47 * HOUR);
    clock.advance(DAY);
    await refusal(refreshSession(ctx, next.tokens.refresh_token, meta), "oauth:invalid_grant");
  });

  it("a short session's first refresh token is over after refreshTokenShort, a remembered one is not", async () => {
    const { ctx, clock, hanako } = await setup();
    const short = await start(ctx, hanako, false);
    const long = await start(ctx, hanako, true);
    clock.advance(DAY);
    await refusal(refreshSession(ctx, short.tokens.refresh_token, meta), "oauth:invalid_grant");
    await refreshSession(ctx, long.tokens.refresh_token, meta);
  });

  it("refuses the token of an ended session", async () => {
    const { ctx, hanako } = await setup();
    const { tokens } = await start(ctx, hanako);
    await signOut(ctx, await authenticate(ctx, tokens.access_token), "local");
    await refusal(refreshSession(ctx, tokens.refresh_token, meta), "oauth:invalid_grant");
  });

  it("refuses when the user no longer exists, and ends the session", async () => {
    const { ctx, store, hanako } = await setup();
    const { session, tokens } = await start(ctx, hanako);
    const gone = { ...ctx, store: withDeletedUsers(store, new Set([hanako.id])) };
    await refusal(refreshSession(gone, tokens.refresh_token, meta), "oauth:invalid_grant");
    expect((await store.getSession(session.id))?.revokedAt).toBe(T0);
  });

  it("a key ring failure leaves the refresh token unused: the retry succeeds", async () => {
    const { ctx, hanako } = await setup();
    const { tokens } = await start(ctx, hanako);
    let failures = 1;
    const flaky: DomainContext = {
      ...ctx,
      keys: {
        jwks: () => ctx.keys.jwks(),
        verificationKeys: (kid) => ctx.keys.verificationKeys(kid),
        signingKey: () => (failures-- > 0 ? Promise.reject(new Error("sealer down")) : ctx.keys.signingKey()),
      },
    };
    await expect(refreshSession(flaky, tokens.refresh_token, meta)).rejects.toThrow("sealer down");
    const retried = await refreshSession(flaky, tokens.refresh_token, meta);
    expect(await isActive(ctx, retried.tokens)).toBe(true);
  });

  it("a user gone: a guessed token of that session does not end it, the real one does", async () => {
    const { ctx, store, hanako } = await setup();
    const { session, tokens } = await start(ctx, hanako);
    const gone = { ...ctx, store: withDeletedUsers(store, new Set([hanako.id])) };
    await refusal(refreshSession(gone, `${session.id}.${randomToken()}`, meta), "oauth:invalid_grant");
    expect((await store.getSession(session.id))?.revokedAt).toBeNull();
    await refusal(refreshSession(gone, tokens.refresh_token, meta), "oauth:invalid_grant");
    expect((await store.getSession(session.id))?.revokedAt).toBe(T0);
  });

  it("race: 50 concurrent refreshes with one token → one success, 49 invalid_grant, the family revoked", async () => {
    const { ctx, store, hanako } = await setup();
    const { session, tokens } = await start(ctx, hanako);
    const calls = Array.from({ length: 50 }, () => refreshSession(ctx, tokens.refresh_token, meta));
    const results = await Promise.allSettled(calls);

    const won = results.filter((result) => result.status === "fulfilled");
    const lost = results.filter((result) => result.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const result of lost) {
      expect(result.reason).toBeInstanceOf(DomainError);
      expect((result.reason as DomainError).code).toBe("oauth:invalid_grant");
    }
    expect((await store.getSession(session.id))?.revokedAt).toBe(T0);
    const winner = won[0]!.value;
    await refusal(refreshSession(ctx, winner.tokens.refresh_token, meta), "oauth:invalid_grant");
    await refusal(authenticate(ctx, winner.tokens.access_token), "unauthorized");
    expect(await store.listSessions(hanako.id, T0)).toEqual([]);
  });
});

describe("signOut", () => {
  async function threeSessions() {
    const t = await setup();
    const a = await start(t.ctx, t.hanako);
    const b = await start(t.ctx, t.hanako);
    const c = await start(t.ctx, t.hanako);
    const taro = await start(t.ctx, t.taro);
    const auth = await authenticate(t.ctx, a.tokens.access_token);
    const active = async () => Promise.all([a, b, c, taro].map((issued) => isActive(t.ctx, issued.tokens)));
    return { ...t, a, b, c, taro, auth, active };
  }

  it("local ends the caller's session only", async () => {
    const { ctx, a, auth, active } = await threeSessions();
    await signOut(ctx, auth, "local");
    expect(await active()).toEqual([false, true, true, true]);
    await refusal(refreshSession(ctx, a.tokens.refresh_token, meta), "oauth:invalid_grant");
  });

  it("others ends every session of the user but the caller's", async () => {
    const { ctx, b, auth, active } = await threeSessions();
    await signOut(ctx, auth, "others");
    expect(await active()).toEqual([true, false, false, true]);
    await refusal(refreshSession(ctx, b.tokens.refresh_token, meta), "oauth:invalid_grant");
  });

  it("global ends every session of the user, not another user's", async () => {
    const { ctx, auth, active } = await threeSessions();
    await signOut(ctx, auth, "global");
    expect(await active()).toEqual([false, false, false, true]);
  });

  it("works with an expired access token (allowExpired); an ended session is then refused", async () => {
    const { ctx, clock, a, active } = await threeSessions();
    clock.advance(HOUR);
    const auth = await authenticate(ctx, a.tokens.access_token, { allowExpired: true });
    await signOut(ctx, auth, "local");
    await refusal(authenticate(ctx, a.tokens.access_token, { allowExpired: true }), "unauthorized");
    expect(await active()).toEqual([false, true, true, true]);
  });
});

describe("listSessions", () => {
  it("lists the user's active sessions, most recently seen first, in the wire shape", async () => {
    const { ctx, clock, hanako, taro } = await setup();
    const a = await start(ctx, hanako, true);
    clock.advance(MINUTE);
    const b = await start(ctx, hanako, false);
    clock.advance(MINUTE);
    const c = await start(ctx, hanako, true);
    await start(ctx, taro);
    clock.advance(MINUTE);
    await refreshSession(ctx, a.tokens.refresh_token, otherMeta); // a is now the most recently seen
    await ctx.store.revokeSession(hanako.id, c.session.id, ctx.now());

    const auth = await authenticate(ctx, b.tokens.access_token);
    const items = await listSessions(ctx, auth);
    for (const item of items) expect(SessionItemSchema.parse(item)).toEqual(item);
    expect(items).toEqual([
      {
        id: a.session.id,
        created_at: new Date(T0).toISOString(),
        last_seen_at: new Date(T0 + 3 * MINUTE).toISOString(),
        ip: otherMeta.ip,
        user_agent: otherMeta.userAgent,
        current: false,
      },
      {
        id: b.session.id,
        created_at: new Date(T0 + MINUTE).toISOString(),
        last_seen_at: new Date(T0 + MINUTE).toISOString(),
        ip: meta.ip,
        user_agent: meta.userAgent,
        current: true,
      },
    ]);

    // b (no remember) is over a day after its start; the list drops it.
    clock.advance(DAY - 2 * MINUTE);
    expect((await listSessions(ctx, auth)).map((item) => item.id)).toEqual([a.session.id]);
  });
});

describe("revokeSessionById and revokeOtherSessions", () => {
  it("ends one of the user's sessions; unknown, ended or another user's → session_not_found", async () => {
    const { ctx, hanako, taro } = await setup();
    const mine = await start(ctx, hanako);
    const other = await start(ctx, hanako);
    const theirs = await start(ctx, taro);
    const auth = await authenticate(ctx, mine.tokens.access_token);

    await refusal(revokeSessionById(ctx, auth, theirs.session.id), "session_not_found");
    await refusal(revokeSessionById(ctx, auth, "ses_unknown"), "session_not_found");
    await revokeSessionById(ctx, auth, other.session.id);
    expect(await isActive(ctx, other.tokens)).toBe(false);
    await refusal(revokeSessionById(ctx, auth, other.session.id), "session_not_found");
    expect(await isActive(ctx, theirs.tokens)).toBe(true);

    // The caller's own session may be ended too.
    await revokeSessionById(ctx, auth, mine.session.id);
    expect(await isActive(ctx, mine.tokens)).toBe(false);
  });

  it("race: 20 concurrent revocations of one session → one succeeds, 19 session_not_found", async () => {
    const { ctx, hanako } = await setup();
    const mine = await start(ctx, hanako);
    const other = await start(ctx, hanako);
    const auth = await authenticate(ctx, mine.tokens.access_token);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => revokeSessionById(ctx, auth, other.session.id)),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    for (const result of results.filter((r) => r.status === "rejected")) {
      expect((result.reason as DomainError).code).toBe("session_not_found");
    }
  });

  it("revokeOtherSessions ends all but the caller's and says how many", async () => {
    const { ctx, hanako, taro } = await setup();
    const mine = await start(ctx, hanako);
    const others = [await start(ctx, hanako), await start(ctx, hanako)];
    const theirs = await start(ctx, taro);
    const auth = await authenticate(ctx, mine.tokens.access_token);
    expect(await revokeOtherSessions(ctx, auth)).toBe(2);
    expect(await isActive(ctx, mine.tokens)).toBe(true);
    for (const issued of others) expect(await isActive(ctx, issued.tokens)).toBe(false);
    expect(await isActive(ctx, theirs.tokens)).toBe(true);
    expect(await revokeOtherSessions(ctx, auth)).toBe(0);
  });
});

describe("revokeToken (RFC 7009)", () => {
  it("a refresh token ends its session", async () => {
    const { ctx, store, hanako } = await setup();
    const { session, tokens } = await start(ctx, hanako);
    await expect(revokeToken(ctx, tokens.refresh_token)).resolves.toBeUndefined();
    expect((await store.getSession(session.id))?.revokedAt).toBe(T0);
    await refusal(authenticate(ctx, tokens.access_token), "unauthorized");
    await refusal(refreshSession(ctx, tokens.refresh_token, meta), "oauth:invalid_grant");
  });

  it("an already used refresh token ends its session (reuse)", async () => {
    const { ctx, hanako } = await setup();
    const { tokens } = await start(ctx, hanako);
    const next = await refreshSession(ctx, tokens.refresh_token, meta);
    await revokeToken(ctx, tokens.refresh_token);
    expect(await isActive(ctx, next.tokens)).toBe(false);
  });

  it("an access token we signed ends its session, expired or not (docs/api.md)", async () => {
    const { ctx, clock, hanako } = await setup();
    const fresh = await start(ctx, hanako);
    const old = await start(ctx, hanako);
    await revokeToken(ctx, fresh.tokens.access_token);
    expect(await isActive(ctx, fresh.tokens)).toBe(false);
    clock.advance(HOUR);
    await revokeToken(ctx, old.tokens.access_token);
    await refusal(refreshSession(ctx, old.tokens.refresh_token, meta), "oauth:invalid_grant");
  });

  it("ignores unknown, forged and foreign tokens without error, and ends nothing", async () => {
    const { ctx, hanako } = await setup();
    const { session, tokens } = await start(ctx, hanako);
    const foreign = await generateKeyPair("ES256");
    const forged = await new SignJWT(decodeJwt(tokens.access_token))
      .setProtectedHeader(decodeProtectedHeader(tokens.access_token) as { alg: string })
      .sign(foreign.privateKey);
    for (const token of [
      "",
      "garbage",
      "a.b.c",
      randomToken(),
      tokens.refresh_token.split(".")[1]!,
      `${session.id}.${randomToken()}`, // knowing the session id is not enough
      `ses_unknown.${randomToken()}`,
      forged,
    ]) {
      await expect(revokeToken(ctx, token)).resolves.toBeUndefined();
    }
    expect(await isActive(ctx, tokens)).toBe(true);
    await refreshSession(ctx, tokens.refresh_token, meta);
  });

  it("a token of an ended session is ignored without error", async () => {
    const { ctx, hanako } = await setup();
    const { tokens } = await start(ctx, hanako);
    await revokeToken(ctx, tokens.refresh_token);
    await expect(revokeToken(ctx, tokens.refresh_token)).resolves.toBeUndefined();
    await expect(revokeToken(ctx, tokens.access_token)).resolves.toBeUndefined();
  });
});
