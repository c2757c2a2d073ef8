import { describe, expect, it } from "vitest";
import { hashToken } from "../../../src/server/crypto/tokens";
import type { DomainContext } from "../../../src/server/domain/context";
import { createCredentials } from "../../../src/server/domain/credentials";
import { DomainError } from "../../../src/server/domain/errors";
import {
  activateTotp,
  completeMfa,
  createChallenge,
  enrollTotp,
  listFactors,
  loginEventId,
  regenerateRecoveryCodes,
  removeFactor,
} from "../../../src/server/domain/mfa";
import type { AuthStore, StoredUser } from "../../../src/server/store/types";
import { generateTotp } from "../../../src/totp/primitives";
import { hashRecoveryCode, normalizeRecoveryCode } from "../../../src/totp/recovery";
import { meta, T0, testContext } from "./context";

const PASSWORD = "correct horse battery";
const ALICE = { email: "alice@example.com", password: PASSWORD };
const STEP = 30_000;

/** The DomainError a promise rejects with. */
async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

/** Counts the openings of sealed secrets: one per TOTP code evaluated. */
function countOpens(ctx: DomainContext) {
  const inner = ctx.sealer;
  let opens = 0;
  ctx.sealer = {
    seal: (plaintext, purpose) => inner.seal(plaintext, purpose),
    open(sealed, purpose) {
      opens++;
      return inner.open(sealed, purpose);
    },
  };
  return () => opens;
}

/**
 * Wraps the store so that every argument passed to it and every result it gives is kept as JSON:
 * everything that reached or left a store record.
 */
function recordingStore(store: AuthStore) {
  const seen: string[] = [];
  const wrapped = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        seen.push(JSON.stringify(args) ?? "");
        const result = value.apply(target, args) as Promise<unknown>;
        return result.then((out) => {
          seen.push(JSON.stringify(out) ?? "");
          return out;
        });
      };
    },
  });
  return { store: wrapped, seen: () => seen.join("\n") };
}

function setup(overrides: Parameters<typeof testContext>[0] = {}) {
  const t = testContext(overrides);
  return { ...t, credentials: createCredentials(t.ctx) };
}

type Setup = ReturnType<typeof setup>;

/** Alice with an active TOTP factor; the clock is one step past the activation code. */
async function mfaUser({ ctx, clock, credentials }: Setup) {
  const user = await credentials.signUp(ALICE);
  const { factorId, secret } = await enrollTotp(ctx, user);
  const { recoveryCodes } = await activateTotp(ctx, user, {
    factorId,
    code: await generateTotp(secret, { time: ctx.now() }),
  });
  clock.advance(STEP);
  return { user, factorId, secret, recoveryCodes };
}

/** Signs Alice in with her password: the challenge id. */
async function challenge({ credentials }: Setup, remember = true): Promise<string> {
  const result = await credentials.signIn({ ...ALICE, remember }, meta);
  if (result.kind !== "mfa_required") throw new Error("expected mfa_required");
  return result.challenge.id;
}

async function history(ctx: DomainContext, user: StoredUser) {
  return (await ctx.store.listLoginEvents(user.id, { limit: 100 })).items;
}

describe("loginEventId", () => {
  it("is att_, the time in 9 base36 digits and 6 random ones, sorting by time", () => {
    const a = loginEventId(T0);
    const b = loginEventId(T0 + 1);
    expect(a).toMatch(/^att_[0-9a-z]{15}$/);
    expect(a.slice(4, 13)).toBe(T0.toString(36).padStart(9, "0"));
    expect(a < b).toBe(true);
    expect(loginEventId(0).slice(4, 13)).toBe("000000000");
    expect(new Set(Array.from({ length: 200 }, () => loginEventId(T0))).size).toBe(200);
  });
});

describe("enrollTotp", () => {
  it("stores a sealed pending factor and gives the secret and its Key URI", async () => {
    const s = setup();
    const user = await s.credentials.signUp(ALICE);
    const enrollment = await enrollTotp(s.ctx, user);
    expect(enrollment.factorId).toMatch(/^fac_/);
    expect(enrollment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrollment.uri).toBe(
      `otpauth://totp/tegata:alice%40example.com?secret=${enrollment.secret}&issuer=tegata`,
    );
    const [factor] = await s.store.listFactors(user.id);
    expect(factor).toMatchObject({ id: enrollment.factorId, status: "pending", lastStep: -1, kind: "totp" });
    expect(await s.ctx.sealer.open(factor?.secretSealed ?? "", "totp-secret")).toBe(enrollment.secret);
    expect(await listFactors(s.ctx, user)).toEqual([
      { id: enrollment.factorId, type: "totp", status: "pending", createdAt: T0, lastUsedAt: null },
    ]);
  });

  it("takes an issuer and account name, and refuses bad labels with invalid_request", async () => {
    const s = setup();
    const user = await s.credentials.signUp(ALICE);
    const { uri } = await enrollTotp(s.ctx, user, { issuer: "スキルマーケット", accountName: "花子" });
    expect(uri).toContain("issuer=%E3%82%B9");
    for (const bad of ["", "  ", "a:b", "bell\u0007", "c1\u0085", "lone\ud800", "x".repeat(257)]) {
      expect((await refusal(enrollTotp(s.ctx, user, { issuer: bad }))).code).toBe("invalid_request");
      expect((await refusal(enrollTotp(s.ctx, user, { accountName: bad }))).code).toBe("invalid_request");
    }
    await enrollTotp(s.ctx, user, { issuer: "x".repeat(256), accountName: "😀 emoji" });
  });

  it("replaces a pending factor, and refuses with factor_exists once one is active", async () => {
    const s = setup();
    const user = await s.credentials.signUp(ALICE);
    const first = await enrollTotp(s.ctx, user);
    const second = await enrollTotp(s.ctx, user);
    expect((await s.store.listFactors(user.id)).map((f) => f.id)).toEqual([second.factorId]);
    expect(first.secret).not.toBe(second.secret);
    await activateTotp(s.ctx, user, {
      factorId: second.factorId,
      code: await generateTotp(second.secret, { time: s.ctx.now() }),
    });
    expect((await refusal(enrollTotp(s.ctx, user))).code).toBe("factor_exists");
  });
});

describe("activateTotp", () => {
  it("activates with the current code, clears the counter and issues 10 recovery codes", async () => {
    const s = setup();
    const user = await s.credentials.signUp(ALICE);
    await refusal(s.credentials.signIn({ ...ALICE, password: "nope" }, meta));
    const { factorId, secret } = await enrollTotp(s.ctx, user);
    s.clock.advance(5000);
    const { recoveryCodes } = await activateTotp(s.ctx, user, {
      factorId,
      code: await generateTotp(secret, { time: s.ctx.now() }),
    });
    expect(recoveryCodes).toHaveLength(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    expect(await s.store.countRecoveryCodes(user.id)).toBe(10);
    const [factor] = await s.store.listFactors(user.id);
    expect(factor).toMatchObject({
      status: "active",
      lastStep: Math.floor((T0 + 5000) / STEP),
      lastUsedAt: T0 + 5000,
    });
    expect(await s.store.lockedUntil(user.emailKey, s.ctx.now())).toBeNull();
    const wrong = await refusal(s.credentials.signIn({ ...ALICE, password: "nope" }, meta));
    expect(wrong.details.remainingAttempts).toBe(4);
  });

  it("refuses a wrong code with invalid_mfa_code, counted on the account's lockout", async () => {
    const s = setup();
    const user = await s.credentials.signUp(ALICE);
    const { factorId } = await enrollTotp(s.ctx, user);
    for (const left of [4, 3, 2, 1]) {
      const error = await refusal(activateTotp(s.ctx, user, { factorId, code: "000000" }));
      expect(error.code).toBe("invalid_mfa_code");
      expect(error.details).toEqual({ remainingAttempts: left });
    }
    const locked = await refusal(activateTotp(s.ctx, user, { factorId, code: "000000" }));
    expect(locked).toMatchObject({ code: "account_locked", details: { retryAfterSeconds: 900 } });
    expect((await refusal(s.credentials.signIn(ALICE, meta))).code).toBe("account_locked");
    expect((await s.store.listFactors(user.id))[0]?.status).toBe("pending");
  });

  it("refuses an unknown factor with factor_not_found and an active one with factor_exists", async () => {
    const s = setup();
    const { user, factorId, secret } = await mfaUser(s);
    const code = await generateTotp(secret, { time: s.ctx.now() });
    expect((await refusal(activateTotp(s.ctx, user, { factorId: "fac_nope", code }))).code).toBe(
      "factor_not_found",
    );
    expect((await refusal(activateTotp(s.ctx, user, { factorId, code }))).code).toBe("factor_exists");
  });
});

describe("secrets at rest", () => {
  it("no stored record holds the TOTP secret, a recovery code or a challenge id", async () => {
    const s = setup();
    const recording = recordingStore(s.store);
    s.ctx.store = recording.store;
    const { user, secret, recoveryCodes } = await mfaUser(s);
    const id = await challenge(s);
    await completeMfa(
      s.ctx,
      { challengeId: id, code: await generateTotp(secret, { time: s.ctx.now() }) },
      meta,
    );
    const id2 = await challenge(s);
    await completeMfa(s.ctx, { challengeId: id2, recoveryCode: recoveryCodes[0] }, meta);

    const everything = recording.seen();
    expect(everything).toContain('"secretSealed":"v1.'); // the sealed secret went in
    for (const value of [
      secret,
      secret.toLowerCase(),
      id,
      id.slice(4),
      id2,
      ...recoveryCodes,
      ...recoveryCodes.map(normalizeRecoveryCode),
    ]) {
      expect(everything).not.toContain(value);
    }
    // Read back through the store: sealed, hashed.
    const [factor] = await s.store.listFactors(user.id);
    expect(factor?.secretSealed).toMatch(/^v1\./);
    expect(await s.ctx.sealer.open(factor?.secretSealed ?? "", "totp-secret")).toBe(secret);
    const raw = recoveryCodes[1] ?? "";
    expect(await s.store.consumeRecoveryCode(user.id, raw, s.ctx.now())).toBe(false);
    expect(await s.store.consumeRecoveryCode(user.id, normalizeRecoveryCode(raw), s.ctx.now())).toBe(false);
    expect(await s.store.consumeRecoveryCode(user.id, await hashRecoveryCode(raw), s.ctx.now())).toBe(true);
    const id3 = await challenge(s);
    expect((await s.store.claimChallengeAttempt(id3, 5, s.ctx.now())).kind).toBe("invalid");
    const claimed = await s.store.claimChallengeAttempt(await hashToken(id3), 5, s.ctx.now());
    expect(claimed.kind).toBe("ok");
    expect(JSON.stringify(claimed)).not.toContain(id3);
  });
});

describe("createChallenge", () => {
  it("offers recovery codes only while the user has some, and lives lifetimes.challenge", async () => {
    const s = setup({
      config: {
        lifetimes: {
          accessToken: 900,
          refreshToken: 1,
          refreshTokenShort: 1,
          challenge: 120,
          oneTimeToken: 1,
        },
      },
    });
    const { user } = await mfaUser(s);
    const first = await createChallenge(s.ctx, user, false);
    expect(first).toEqual({ id: first.id, methods: ["totp", "recovery_code"], expires_in: 120 });
    await s.store.replaceRecoveryCodes(user.id, []);
    const second = await createChallenge(s.ctx, user, true);
    expect(second.methods).toEqual(["totp"]);
    expect(second.id).not.toBe(first.id);
    const claimed = await s.store.claimChallengeAttempt(await hashToken(first.id), 5, s.ctx.now());
    expect(claimed).toMatchObject({
      kind: "ok",
      challenge: { userId: user.id, remember: false, expiresAt: s.ctx.now() + 120_000, completedAt: null },
    });
  });
});

describe("completeMfa", () => {
  it("signs in with a TOTP code: amr pwd+otp, remember carried, counter cleared, recorded", async () => {
    const s = setup();
    const { user, secret } = await mfaUser(s);
    await refusal(s.credentials.signIn({ ...ALICE, password: "nope" }, meta));
    const id = await challenge(s, false);
    const code = await generateTotp(secret, { time: s.ctx.now() });
    const result = await completeMfa(s.ctx, { challengeId: id, code: code.replace(/(\d{3})/, "$1 ") }, meta);
    expect(result).toMatchObject({ kind: "authenticated", amr: ["pwd", "otp"], remember: false });
    expect(result.user.id).toBe(user.id);
    const events = await history(s.ctx, user);
    expect(events.find((e) => e.id === result.attemptId)).toMatchObject({
      method: "totp",
      result: "success",
      sessionId: null,
    });
    const wrong = await refusal(s.credentials.signIn({ ...ALICE, password: "nope" }, meta));
    expect(wrong.details.remainingAttempts).toBe(4); // the counter was cleared
    // The same code cannot be used again (its step is spent).
    const again = await challenge(s);
    expect((await refusal(completeMfa(s.ctx, { challengeId: again, code }, meta))).code).toBe(
      "invalid_mfa_code",
    );
  });

  it("signs in with a recovery code as typed (case, spaces), once: amr pwd+rec", async () => {
    const s = setup();
    const { user, recoveryCodes } = await mfaUser(s);
    const code = recoveryCodes[0] ?? "";
    const typed = ` ${code.toUpperCase().replaceAll("-", " ")} `;
    const result = await completeMfa(s.ctx, { challengeId: await challenge(s), recoveryCode: typed }, meta);
    expect(result.amr).toEqual(["pwd", "rec"]);
    expect(await s.store.countRecoveryCodes(user.id)).toBe(9);
    const again = await refusal(
      completeMfa(s.ctx, { challengeId: await challenge(s), recoveryCode: code }, meta),
    );
    expect(again.code).toBe("invalid_mfa_code");
    expect((await history(s.ctx, user)).map((e) => `${e.method}:${e.result}`).sort()).toEqual([
      "recovery_code:failure",
      "recovery_code:success",
    ]);
  });

  it("refuses both or neither of code and recoveryCode with invalid_request", async () => {
    const s = setup();
    await mfaUser(s);
    const id = await challenge(s);
    expect((await refusal(completeMfa(s.ctx, { challengeId: id }, meta))).code).toBe("invalid_request");
    expect(
      (await refusal(completeMfa(s.ctx, { challengeId: id, code: "123456", recoveryCode: "x" }, meta))).code,
    ).toBe("invalid_request");
  });

  it("refuses an unknown, expired or completed challenge with mfa_challenge_expired", async () => {
    const s = setup();
    const { secret } = await mfaUser(s);
    const code = () => generateTotp(secret, { time: s.ctx.now() });
    expect(
      (await refusal(completeMfa(s.ctx, { challengeId: "chl_nope", code: await code() }, meta))).code,
    ).toBe("mfa_challenge_expired");
    const expiring = await challenge(s);
    s.clock.advance(300_000);
    expect(
      (await refusal(completeMfa(s.ctx, { challengeId: expiring, code: await code() }, meta))).code,
    ).toBe("mfa_challenge_expired");
    const id = await challenge(s);
    await completeMfa(s.ctx, { challengeId: id, code: await code() }, meta);
    s.clock.advance(STEP);
    expect((await refusal(completeMfa(s.ctx, { challengeId: id, code: await code() }, meta))).code).toBe(
      "mfa_challenge_expired",
    );
  });

  it("refuses wrong codes with invalid_mfa_code on the sign-in's lock, then the right one while locked", async () => {
    const s = setup();
    const { user, secret } = await mfaUser(s);
    const opens = countOpens(s.ctx);
    const id = await challenge(s); // its correct password gave its slot back: 5 are left
    for (const left of [4, 3, 2, 1]) {
      const error = await refusal(completeMfa(s.ctx, { challengeId: id, code: "000000" }, meta));
      expect(error).toMatchObject({ code: "invalid_mfa_code", details: { remainingAttempts: left } });
    }
    const locking = await refusal(
      completeMfa(s.ctx, { challengeId: id, recoveryCode: "nope-nope-nope" }, meta),
    );
    expect(locking).toMatchObject({ code: "account_locked", details: { retryAfterSeconds: 900 } });
    expect(opens()).toBe(4);
    s.clock.advance(60_000);
    const code = await generateTotp(secret, { time: s.ctx.now() });
    const locked = await refusal(completeMfa(s.ctx, { challengeId: id, code }, meta));
    expect(locked).toMatchObject({ code: "account_locked", details: { retryAfterSeconds: 840 } });
    expect(opens()).toBe(4); // refused without evaluating
    expect((await refusal(s.credentials.signIn(ALICE, meta))).code).toBe("account_locked");
    const results = (await history(s.ctx, user)).map((e) => `${e.method}:${e.result}`).sort();
    expect(results).toEqual([
      "password:locked",
      "recovery_code:locked",
      "totp:failure",
      "totp:failure",
      "totp:failure",
      "totp:failure",
      "totp:locked",
    ]);
    // The lock outlives the challenge (900 s against 300 s).
    s.clock.advance(840_000);
    const later = await generateTotp(secret, { time: s.ctx.now() });
    expect((await refusal(completeMfa(s.ctx, { challengeId: id, code: later }, meta))).code).toBe(
      "mfa_challenge_expired",
    );
  });

  it("refuses the right code while the account is locked by wrong passwords, without evaluating it", async () => {
    const s = setup();
    const { user, secret } = await mfaUser(s);
    const opens = countOpens(s.ctx);
    const id = await challenge(s);
    for (let i = 0; i < 5; i++) await refusal(s.credentials.signIn({ ...ALICE, password: "nope" }, meta));
    s.clock.advance(60_000);
    const code = await generateTotp(secret, { time: s.ctx.now() });
    const error = await refusal(completeMfa(s.ctx, { challengeId: id, code }, meta));
    expect(error).toMatchObject({ code: "account_locked", details: { retryAfterSeconds: 840 } });
    expect(opens()).toBe(0);
    expect((await history(s.ctx, user)).some((e) => e.method === "totp" && e.result === "locked")).toBe(true);
  });

  it("refuses a challenge whose attempts are spent without evaluating the code", async () => {
    const s = setup();
    const { user, secret } = await mfaUser(s);
    const opens = countOpens(s.ctx);
    const id = await challenge(s);
    for (let i = 0; i < 5; i++) {
      await s.store.clearAttempts(user.emailKey); // e.g. a sign-in elsewhere
      await refusal(completeMfa(s.ctx, { challengeId: id, code: "000000" }, meta));
    }
    expect(opens()).toBe(5);
    const code = await generateTotp(secret, { time: s.ctx.now() });
    const exhausted = await refusal(completeMfa(s.ctx, { challengeId: id, code }, meta));
    expect(exhausted.code).toBe("invalid_mfa_code");
    expect(opens()).toBe(5);
    // Once the account is locked, the spent challenge answers with the lock.
    for (let i = 0; i < 5; i++) await refusal(s.credentials.signIn({ ...ALICE, password: "nope" }, meta));
    expect((await refusal(completeMfa(s.ctx, { challengeId: id, code }, meta))).code).toBe("account_locked");
  });

  it("race: one TOTP code presented to two concurrent challenges is accepted once", async () => {
    const s = setup();
    const { secret } = await mfaUser(s);
    const ids = [await challenge(s), await challenge(s)];
    const code = await generateTotp(secret, { time: s.ctx.now() });
    const results = await Promise.allSettled(
      ids.map((challengeId) => completeMfa(s.ctx, { challengeId, code }, meta)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as DomainError).code] : []));
    expect(refused).toEqual(["invalid_mfa_code"]);
  });

  it("race: one TOTP code presented to 10 concurrent challenges is accepted once", async () => {
    const s = setup({ config: { lockout: { maxAttempts: 50, lockSeconds: 900 } } });
    const { secret } = await mfaUser(s);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await challenge(s));
    const code = await generateTotp(secret, { time: s.ctx.now() });
    const results = await Promise.allSettled(
      ids.map((challengeId) => completeMfa(s.ctx, { challengeId, code }, meta)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("race: 30 concurrent wrong codes on one challenge: at most 5 evaluated", async () => {
    const s = setup();
    const { user, secret } = await mfaUser(s);
    const opens = countOpens(s.ctx);
    const id = await challenge(s);
    await s.store.clearAttempts(user.emailKey); // so that the challenge's own limit is what binds
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        completeMfa(s.ctx, { challengeId: id, code: String(100000 + i) }, meta),
      ),
    );
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(opens()).toBe(5);
    const codes = new Set(
      results.map((r) => (r.status === "rejected" ? (r.reason as DomainError).code : "ok")),
    );
    expect([...codes].sort()).toEqual(["account_locked", "invalid_mfa_code"]);
    // The fifth failure locked the account: the right code gets nowhere, unevaluated.
    const code = await generateTotp(secret, { time: s.ctx.now() });
    expect((await refusal(completeMfa(s.ctx, { challengeId: id, code }, meta))).code).toBe("account_locked");
    expect(opens()).toBe(5);
    expect(await s.store.lockedUntil(user.emailKey, s.ctx.now())).toBe(s.ctx.now() + 900_000);
  });

  it("race: 30 concurrent wrong codes on a fresh challenge: 5 evaluations (the correct password gave its slot back)", async () => {
    const s = setup();
    await mfaUser(s);
    const opens = countOpens(s.ctx);
    const id = await challenge(s);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        completeMfa(s.ctx, { challengeId: id, code: String(200000 + i) }, meta),
      ),
    );
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(opens()).toBe(5);
  });

  it("race: one recovery code used by 10 concurrent challenges works once", async () => {
    const s = setup({ config: { lockout: { maxAttempts: 50, lockSeconds: 900 } } });
    const { user, recoveryCodes } = await mfaUser(s);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await challenge(s));
    const recoveryCode = recoveryCodes[3] ?? "";
    const results = await Promise.allSettled(
      ids.map((challengeId) => completeMfa(s.ctx, { challengeId, recoveryCode }, meta)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await s.store.countRecoveryCodes(user.id)).toBe(9);
  });

  it("race: one recovery code sent 5 times at once on one challenge works once", async () => {
    const s = setup();
    const { user, recoveryCodes } = await mfaUser(s);
    const id = await challenge(s);
    const recoveryCode = recoveryCodes[0] ?? "";
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => completeMfa(s.ctx, { challengeId: id, recoveryCode }, meta)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await s.store.countRecoveryCodes(user.id)).toBe(9);
  });
});

describe("removeFactor", () => {
  it("removes an active factor with a TOTP code, and its recovery codes with it", async () => {
    const s = setup();
    const { user, factorId, secret } = await mfaUser(s);
    await removeFactor(s.ctx, user, { factorId, code: await generateTotp(secret, { time: s.ctx.now() }) });
    expect(await s.store.listFactors(user.id)).toEqual([]);
    expect(await s.store.countRecoveryCodes(user.id)).toBe(0);
    expect((await s.credentials.signIn(ALICE, meta)).kind).toBe("authenticated");
  });

  it("removes an active factor with a recovery code", async () => {
    const s = setup();
    const { user, factorId, recoveryCodes } = await mfaUser(s);
    await removeFactor(s.ctx, user, { factorId, code: recoveryCodes[5] ?? "" });
    expect(await s.store.listFactors(user.id)).toEqual([]);
  });

  it("refuses a wrong code (counted) and a replayed one, and an unknown factor with factor_not_found", async () => {
    const s = setup();
    const { user, factorId, secret } = await mfaUser(s);
    const wrong = await refusal(removeFactor(s.ctx, user, { factorId, code: "000000" }));
    expect(wrong).toMatchObject({ code: "invalid_mfa_code", details: { remainingAttempts: 4 } });
    const code = await generateTotp(secret, { time: s.ctx.now() });
    await completeMfa(s.ctx, { challengeId: await challenge(s), code }, meta);
    const replay = await refusal(removeFactor(s.ctx, user, { factorId, code }));
    expect(replay.code).toBe("invalid_mfa_code");
    expect((await refusal(removeFactor(s.ctx, user, { factorId: "fac_nope", code }))).code).toBe(
      "factor_not_found",
    );
    expect(await s.store.listFactors(user.id)).toHaveLength(1);
  });

  it("removes a pending factor without checking the code, but not while locked", async () => {
    const s = setup();
    const user = await s.credentials.signUp(ALICE);
    const { factorId } = await enrollTotp(s.ctx, user);
    for (let i = 0; i < 5; i++) await refusal(s.credentials.signIn({ ...ALICE, password: "nope" }, meta));
    expect((await refusal(removeFactor(s.ctx, user, { factorId, code: "x" }))).code).toBe("account_locked");
    s.clock.advance(900_000);
    await removeFactor(s.ctx, user, { factorId, code: "x" });
    expect(await s.store.listFactors(user.id)).toEqual([]);
  });
});

describe("regenerateRecoveryCodes", () => {
  it("replaces the codes after a TOTP code", async () => {
    const s = setup();
    const { user, secret, recoveryCodes } = await mfaUser(s);
    const { recoveryCodes: fresh } = await regenerateRecoveryCodes(s.ctx, user, {
      code: await generateTotp(secret, { time: s.ctx.now() }),
    });
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(recoveryCodes[0]);
    expect(await s.store.countRecoveryCodes(user.id)).toBe(10);
    const old = await refusal(
      completeMfa(s.ctx, { challengeId: await challenge(s), recoveryCode: recoveryCodes[0] ?? "" }, meta),
    );
    expect(old.code).toBe("invalid_mfa_code");
    await completeMfa(s.ctx, { challengeId: await challenge(s), recoveryCode: fresh[0] ?? "" }, meta);
  });

  it("refuses without an active factor (mfa_not_enabled), and a wrong code (counted)", async () => {
    const s = setup();
    const user = await s.credentials.signUp(ALICE);
    await enrollTotp(s.ctx, user);
    expect((await refusal(regenerateRecoveryCodes(s.ctx, user, { code: "123456" }))).code).toBe(
      "mfa_not_enabled",
    );
    const t = setup();
    const { user: alice, recoveryCodes } = await mfaUser(t);
    const wrong = await refusal(regenerateRecoveryCodes(t.ctx, alice, { code: "000000" }));
    expect(wrong).toMatchObject({ code: "invalid_mfa_code", details: { remainingAttempts: 4 } });
    // A recovery code is not a TOTP code here.
    const rc = await refusal(regenerateRecoveryCodes(t.ctx, alice, { code: recoveryCodes[0] ?? "" }));
    expect(rc.code).toBe("invalid_mfa_code");
  });
});
