import { describe, expect, it } from "vitest";
import type { PasswordChecker } from "../../../src/core/password-checker";
import { createTestPasswordHasher, type PasswordHasher } from "../../../src/server/crypto/password";
import { hashToken } from "../../../src/server/crypto/tokens";
import type { DomainContext } from "../../../src/server/domain/context";
import { createCredentials } from "../../../src/server/domain/credentials";
import { DomainError } from "../../../src/server/domain/errors";
import { activateTotp, enrollTotp } from "../../../src/server/domain/mfa";
import type { StoredSession, StoredUser } from "../../../src/server/store/types";
import { generateTotp } from "../../../src/totp/primitives";
import { countingHasher, meta, T0, testContext } from "./context";

const PASSWORD = "correct horse battery";
const ALICE = { email: "alice@example.com", password: PASSWORD, name: "Alice" };

/** The DomainError a promise rejects with. */
async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

/** A hasher that counts both hashes and verifications. */
function fullyCountingHasher(inner: PasswordHasher = createTestPasswordHasher()) {
  const counts = { hash: 0, verify: 0 };
  const hasher: PasswordHasher = {
    hash(password) {
      counts.hash++;
      return inner.hash(password);
    },
    verify(password, phc) {
      counts.verify++;
      return inner.verify(password, phc);
    },
  };
  return { hasher, counts };
}

function setup(overrides: Parameters<typeof testContext>[0] = {}) {
  const t = testContext(overrides);
  return { ...t, credentials: createCredentials(t.ctx) };
}

/** A session of `user` (the store's own record, as sessions.ts will make them). */
async function addSession(ctx: DomainContext, user: StoredUser, id: string): Promise<StoredSession> {
  const now = ctx.now();
  const session: StoredSession = {
    id,
    userId: user.id,
    createdAt: now,
    lastSeenAt: now,
    ip: meta.ip,
    userAgent: meta.userAgent,
    remember: true,
    amr: ["pwd"],
    expiresAt: now + 86_400_000,
    revokedAt: null,
  };
  await ctx.store.createSession(session, {
    tokenHash: await hashToken(`rt-${id}`),
    sessionId: id,
    expiresAt: session.expiresAt,
    usedAt: null,
  });
  return session;
}

async function history(ctx: DomainContext, user: StoredUser) {
  return (await ctx.store.listLoginEvents(user.id, { limit: 100 })).items;
}

describe("signUp", () => {
  it("creates an unverified account with a trimmed address, its email key and a PHC hash", async () => {
    const { ctx, credentials } = setup();
    const user = await credentials.signUp({ ...ALICE, email: "  Alice@Example.COM " });
    expect(user).toMatchObject({
      email: "Alice@Example.COM",
      emailKey: "alice@example.com",
      name: "Alice",
      emailVerified: false,
      showLastLogin: true,
      lastLoginAt: null,
      createdAt: T0,
    });
    expect(user.id).toMatch(/^usr_/);
    expect(user.passwordHash).toMatch(/^\$(argon2id|scrypt)\$/);
    expect(user.passwordHash).not.toContain(PASSWORD);
    expect((await ctx.hasher.verify(PASSWORD, user.passwordHash ?? "")).valid).toBe(true);
    expect(await ctx.store.getUserByEmailKey("alice@example.com")).toEqual(user);
  });

  it("refuses an address whose email key is taken (case, full width), with email_taken", async () => {
    const { credentials } = setup();
    await credentials.signUp(ALICE);
    expect((await refusal(credentials.signUp({ ...ALICE, email: "ALICE@example.com" }))).code).toBe(
      "email_taken",
    );
    expect(
      (await refusal(credentials.signUp({ ...ALICE, email: "ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ" }))).code,
    ).toBe("email_taken");
  });

  it("refuses a malformed address with invalid_request", async () => {
    const { credentials } = setup();
    for (const email of ["alice", "alice@example", "al ice@example.com", ""]) {
      expect((await refusal(credentials.signUp({ ...ALICE, email }))).code).toBe("invalid_request");
    }
  });

  it("refuses a password the policy refuses with password_policy and its issues; nothing is created", async () => {
    const { ctx, credentials } = setup();
    const error = await refusal(credentials.signUp({ ...ALICE, password: "short" }));
    expect(error.code).toBe("password_policy");
    expect(error.details.issues?.map((i) => i.code)).toEqual(["too_short"]);
    expect(await ctx.store.getUserByEmailKey("alice@example.com")).toBeNull();
  });

  it("checks a given policy with the email and name as context", async () => {
    const { credentials } = setup();
    const seen: unknown[] = [];
    const policy: PasswordChecker = {
      async check(password, context) {
        seen.push(context);
        return password.includes("alice")
          ? { ok: false, issues: [{ code: "context_word", message: "no", params: { word: "alice" } }] }
          : { ok: true, issues: [] };
      },
    };
    const error = await refusal(credentials.signUp({ ...ALICE, password: "alice-is-long-enough" }, policy));
    expect(error.details.issues).toEqual([
      { code: "context_word", message: "no", params: { word: "alice" } },
    ]);
    expect(seen).toEqual([{ email: "alice@example.com", name: "Alice" }]);
    await credentials.signUp({ email: "bob@example.com", password: "x" }, policy);
    expect(seen[1]).toEqual({ email: "bob@example.com" });
  });

  it("race: 10 concurrent sign-ups of one address create one account", async () => {
    const { credentials } = setup();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => credentials.signUp(ALICE)));
    const created = results.filter((r) => r.status === "fulfilled");
    const taken = results.filter(
      (r) => r.status === "rejected" && r.reason instanceof DomainError && r.reason.code === "email_taken",
    );
    expect(created).toHaveLength(1);
    expect(taken).toHaveLength(9);
  });
});

describe("signIn", () => {
  it("signs in with amr pwd and records a success with no session yet", async () => {
    const { ctx, clock, credentials } = setup();
    const alice = await credentials.signUp(ALICE);
    clock.advance(1000);
    const result = await credentials.signIn({ email: " ALICE@example.com", password: PASSWORD }, meta);
    if (result.kind !== "authenticated") throw new Error("expected authenticated");
    expect(result.user.id).toBe(alice.id);
    expect(result.amr).toEqual(["pwd"]);
    expect(result.remember).toBe(true);
    const events = await history(ctx, alice);
    expect(events).toEqual([
      {
        id: result.attemptId,
        userId: alice.id,
        email: "ALICE@example.com",
        at: T0 + 1000,
        ip: meta.ip,
        userAgent: meta.userAgent,
        method: "password",
        result: "success",
        sessionId: null,
        location: null,
      },
    ]);
    expect(result.attemptId).toMatch(/^att_[0-9a-z]{15}$/);
    expect(result.attemptId.slice(4, 13)).toBe((T0 + 1000).toString(36).padStart(9, "0"));
  });

  it("carries remember: false", async () => {
    const { credentials } = setup();
    await credentials.signUp(ALICE);
    const result = await credentials.signIn({ ...ALICE, remember: false }, meta);
    expect(result).toMatchObject({ kind: "authenticated", remember: false });
  });

  it("refuses a wrong password with invalid_credentials and the attempts left, recorded as failures", async () => {
    const { ctx, credentials } = setup();
    const alice = await credentials.signUp(ALICE);
    for (const left of [4, 3, 2, 1]) {
      const error = await refusal(credentials.signIn({ ...ALICE, password: "wrong password" }, meta));
      expect(error.code).toBe("invalid_credentials");
      expect(error.details).toEqual({ remainingAttempts: left });
    }
    expect((await history(ctx, alice)).map((e) => e.result)).toEqual(Array(4).fill("failure"));
  });

  it("locks at the failure that reaches maxAttempts, refuses the right password while locked, then lets it in", async () => {
    const { ctx, clock, credentials } = setup();
    const counting = countingHasher();
    ctx.hasher = counting.hasher;
    const alice = await credentials.signUp(ALICE);
    for (let i = 0; i < 4; i++) await refusal(credentials.signIn({ ...ALICE, password: "nope" }, meta));
    const fifth = await refusal(credentials.signIn({ ...ALICE, password: "nope" }, meta));
    expect(fifth.code).toBe("account_locked");
    expect(fifth.details).toEqual({ retryAfterSeconds: 900 });
    expect(counting.verifications()).toBe(5);

    clock.advance(100_500);
    const locked = await refusal(credentials.signIn(ALICE, meta));
    expect(locked.code).toBe("account_locked");
    expect(locked.details).toEqual({ retryAfterSeconds: 800 });
    expect(counting.verifications()).toBe(5); // refused without evaluating

    // Newest first; events of one millisecond sort in random order.
    const [last, ...burst] = (await history(ctx, alice)).map((e) => e.result);
    expect(last).toBe("locked");
    expect(burst.sort()).toEqual(["failure", "failure", "failure", "failure", "locked"]);

    clock.advance(800_000);
    expect((await credentials.signIn(ALICE, meta)).kind).toBe("authenticated");
  });

  it("a success clears the counter", async () => {
    const { credentials } = setup();
    await credentials.signUp(ALICE);
    for (let i = 0; i < 3; i++) await refusal(credentials.signIn({ ...ALICE, password: "nope" }, meta));
    await credentials.signIn(ALICE, meta);
    const error = await refusal(credentials.signIn({ ...ALICE, password: "nope" }, meta));
    expect(error.details.remainingAttempts).toBe(4);
  });

  it("answers an unknown address like a wrong password, after one verification against a dummy hash made once", async () => {
    const { ctx, credentials } = setup();
    const { hasher, counts } = fullyCountingHasher();
    ctx.hasher = hasher;
    await credentials.signUp(ALICE);
    expect(counts).toEqual({ hash: 1, verify: 0 });
    const wrong = await refusal(credentials.signIn({ ...ALICE, password: "nope" }, meta));
    const unknown = await refusal(
      credentials.signIn({ email: "nobody@example.com", password: "nope" }, meta),
    );
    expect({ code: unknown.code, details: unknown.details }).toEqual({
      code: wrong.code,
      details: wrong.details,
    });
    expect(counts).toEqual({ hash: 2, verify: 2 }); // the dummy hash
    await refusal(credentials.signIn({ email: "nobody@example.com", password: "nope" }, meta));
    await refusal(credentials.signIn({ email: "other@example.com", password: PASSWORD }, meta));
    expect(counts).toEqual({ hash: 2, verify: 4 }); // the dummy is made once
  });

  it("locks an unknown address like a known one", async () => {
    const { credentials } = setup();
    const ghost = { email: "ghost@example.com", password: "nope" };
    for (let i = 0; i < 4; i++) await refusal(credentials.signIn(ghost, meta));
    expect((await refusal(credentials.signIn(ghost, meta))).code).toBe("account_locked");
    expect((await refusal(credentials.signIn(ghost, meta))).code).toBe("account_locked");
  });

  it("refuses an account without a password, verifying against the dummy hash", async () => {
    const { ctx, credentials } = setup();
    const counting = countingHasher();
    ctx.hasher = counting.hasher;
    await ctx.store.createUser(
      {
        id: "usr_oauth",
        email: "oauth@example.com",
        emailKey: "oauth@example.com",
        name: null,
        passwordHash: null,
        emailVerified: true,
        showLastLogin: true,
        createdAt: T0,
      },
      T0,
    );
    const error = await refusal(credentials.signIn({ email: "oauth@example.com", password: "" }, meta));
    expect(error.code).toBe("invalid_credentials");
    expect(counting.verifications()).toBe(1);
    expect((await history(ctx, { id: "usr_oauth" } as StoredUser)).map((e) => e.result)).toEqual(["failure"]);
  });

  it("rehashes a hash in outdated parameters after a correct password", async () => {
    const { ctx, credentials } = setup();
    const old = await createTestPasswordHasher({ algorithm: "pbkdf2" }).hash(PASSWORD);
    await ctx.store.createUser(
      {
        id: "usr_old",
        email: ALICE.email,
        emailKey: ALICE.email,
        name: null,
        passwordHash: old,
        emailVerified: true,
        showLastLogin: true,
        createdAt: T0,
      },
      T0,
    );
    const result = await credentials.signIn(ALICE, meta);
    if (result.kind !== "authenticated") throw new Error("expected authenticated");
    const stored = await ctx.store.getUserById("usr_old");
    expect(stored?.passwordHash).not.toBe(old);
    expect(stored?.passwordHash).toMatch(/^\$(argon2id|scrypt)\$/);
    expect(result.user.passwordHash).toBe(stored?.passwordHash);
    expect((await ctx.hasher.verify(PASSWORD, stored?.passwordHash ?? "")).needsRehash).toBe(false);
    // An up-to-date hash is left alone.
    await credentials.signIn(ALICE, meta);
    expect((await ctx.store.getUserById("usr_old"))?.passwordHash).toBe(stored?.passwordHash);
  });

  it("hands an account with an active TOTP factor over to a challenge, without clearing the counter", async () => {
    const { ctx, credentials } = setup();
    const alice = await credentials.signUp(ALICE);
    const { factorId, secret } = await enrollTotp(ctx, alice);
    await activateTotp(ctx, alice, { factorId, code: await generateTotp(secret, { time: ctx.now() }) });
    await refusal(credentials.signIn({ ...ALICE, password: "nope" }, meta));
    const result = await credentials.signIn(ALICE, meta);
    if (result.kind !== "mfa_required") throw new Error("expected mfa_required");
    expect(result.challenge.id).toMatch(/^chl_[A-Za-z0-9_-]{43}$/);
    expect(result.challenge).toEqual({
      id: result.challenge.id,
      methods: ["totp", "recovery_code"],
      expires_in: 300,
    });
    // The wrong password is still counted; the correct one gave its slot back (not a failure).
    const next = await refusal(credentials.signIn({ ...ALICE, password: "nope" }, meta));
    expect(next.details.remainingAttempts).toBe(3);
  });

  it.each([0, 4, 10, 20])(
    "race: 20 wrong passwords and the right one (issued as number %i) at once: 5 evaluations, at most one sign-in",
    async (rightAt) => {
      const counting = countingHasher();
      const { ctx, credentials } = setup({ hasher: counting.hasher });
      const alice = await credentials.signUp(ALICE);
      const attempts = Array.from({ length: 21 }, (_, i) =>
        credentials.signIn({ ...ALICE, password: i === rightAt ? PASSWORD : `wrong ${i}` }, meta),
      );
      const results = await Promise.allSettled(attempts);
      const signedIn = results.filter((r) => r.status === "fulfilled").length;
      const codes = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as DomainError).code] : []));
      expect(counting.verifications()).toBe(5); // the 5 slots, nothing beyond
      expect(signedIn).toBeLessThanOrEqual(1);
      // The memory store hands the slots out in call order: the right password signs in iff it got one.
      expect(signedIn).toBe(rightAt < 5 ? 1 : 0);
      const invalid = codes.filter((c) => c === "invalid_credentials").length;
      const locked = codes.filter((c) => c === "account_locked").length;
      // Slots 1-4: invalid_credentials when wrong; slot 5: account_locked when wrong (it locks);
      // the 16 others: account_locked without evaluation.
      expect(invalid).toBe(rightAt < 4 ? 3 : 4);
      expect(locked).toBe(rightAt === 4 ? 16 : 17);
      const events = await history(ctx, alice);
      expect(events).toHaveLength(21);
      expect(events.filter((e) => e.result === "success")).toHaveLength(signedIn);
    },
  );
});

describe("changePassword", () => {
  it("changes the password and ends every session but the caller's", async () => {
    const { ctx, credentials } = setup();
    const alice = await credentials.signUp(ALICE);
    const mine = await addSession(ctx, alice, "ses_mine");
    await addSession(ctx, alice, "ses_other");
    const updated = await credentials.changePassword(alice, {
      currentPassword: PASSWORD,
      newPassword: "a brand new passphrase",
      currentSessionId: mine.id,
    });
    expect(updated.passwordHash).not.toBe(alice.passwordHash);
    expect((await ctx.store.listSessions(alice.id, ctx.now())).map((s) => s.id)).toEqual(["ses_mine"]);
    await refusal(credentials.signIn(ALICE, meta));
    expect((await credentials.signIn({ ...ALICE, password: "a brand new passphrase" }, meta)).kind).toBe(
      "authenticated",
    );
  });

  it("refuses a wrong current password with invalid_credentials, counted on the same lock as sign-in", async () => {
    const { credentials } = setup({ config: { lockout: { maxAttempts: 3, lockSeconds: 900 } } });
    const alice = await credentials.signUp(ALICE);
    const input = { currentPassword: "x", newPassword: "a brand new passphrase" };
    const first = await refusal(credentials.changePassword(alice, input));
    expect(first.code).toBe("invalid_credentials");
    expect(first.details).toEqual({ remainingAttempts: 2 });
    await refusal(credentials.requestEmailChange(alice, { newEmail: "z@new.example", password: "y" }));
    const locked = await refusal(credentials.changePassword(alice, input));
    expect(locked.code).toBe("account_locked");
    const right = await refusal(credentials.changePassword(alice, { ...input, currentPassword: PASSWORD }));
    expect(right.code).toBe("account_locked");
    expect((await refusal(credentials.signIn(ALICE, meta))).code).toBe("account_locked");
  });

  it("refuses a new password the policy refuses, keeping the old one", async () => {
    const { ctx, credentials } = setup();
    const alice = await credentials.signUp(ALICE);
    const error = await refusal(
      credentials.changePassword(alice, { currentPassword: PASSWORD, newPassword: "short" }),
    );
    expect(error.code).toBe("password_policy");
    expect((await ctx.store.getUserById(alice.id))?.passwordHash).toBe(alice.passwordHash);
  });
});

describe("password reset", () => {
  it("gives null for an unknown address and a token for a known one; the store holds only its hash", async () => {
    const { ctx, credentials } = setup();
    const alice = await credentials.signUp(ALICE);
    expect(await credentials.requestPasswordReset("nobody@example.com")).toBeNull();
    const issued = await credentials.requestPasswordReset(" ALICE@example.com ");
    expect(issued?.user.id).toBe(alice.id);
    expect(issued?.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const token = issued?.token ?? "";
    expect(await ctx.store.consumeOneTimeToken(token, "password_reset", ctx.now())).toBeNull();
    const record = await ctx.store.consumeOneTimeToken(await hashToken(token), "password_reset", ctx.now());
    expect(record).toMatchObject({ userId: alice.id, expiresAt: T0 + 3_600_000, data: {} });
  });

  it("sets the new password, ends every session and clears the lock", async () => {
    const { ctx, credentials } = setup();
    const alice = await credentials.signUp(ALICE);
    await addSession(ctx, alice, "ses_1");
    await addSession(ctx, alice, "ses_2");
    for (let i = 0; i < 5; i++) await refusal(credentials.signIn({ ...ALICE, password: "nope" }, meta));
    const issued = await credentials.requestPasswordReset(ALICE.email);
    const user = await credentials.resetPassword({
      token: issued?.token ?? "",
      password: "a fresh passphrase",
    });
    expect(user.id).toBe(alice.id);
    expect(await ctx.store.listSessions(alice.id, ctx.now())).toEqual([]);
    expect((await credentials.signIn({ ...ALICE, password: "a fresh passphrase" }, meta)).kind).toBe(
      "authenticated",
    );
  });

  it("refuses a used, expired, retired or foreign token with invalid_token", async () => {
    const { clock, credentials } = setup();
    await credentials.signUp(ALICE);
    const older = (await credentials.requestPasswordReset(ALICE.email))?.token ?? "";
    const newer = (await credentials.requestPasswordReset(ALICE.email))?.token ?? "";
    const reset = (token: string) => credentials.resetPassword({ token, password: "a fresh passphrase" });
    expect((await refusal(reset(older))).code).toBe("invalid_token"); // retired by the newer
    await reset(newer);
    expect((await refusal(reset(newer))).code).toBe("invalid_token"); // used
    expect((await refusal(reset("not a token"))).code).toBe("invalid_token");

    const late = (await credentials.requestPasswordReset(ALICE.email))?.token ?? "";
    clock.advance(3_600_000);
    expect((await refusal(reset(late))).code).toBe("invalid_token"); // expired

    const alice = await credentials.signIn({ ...ALICE, password: "a fresh passphrase" }, meta);
    if (alice.kind !== "authenticated") throw new Error("expected authenticated");
    const change = await credentials.requestEmailChange(alice.user, {
      newEmail: "alice@new.example",
      password: "a fresh passphrase",
    });
    expect((await refusal(reset(change.token))).code).toBe("invalid_token"); // another purpose
    expect((await credentials.confirmEmailChange(change.token)).email).toBe("alice@new.example");
  });

  it("keeps the token usable when the policy refuses the password", async () => {
    const { credentials } = setup();
    await credentials.signUp(ALICE);
    const token = (await credentials.requestPasswordReset(ALICE.email))?.token ?? "";
    expect((await refusal(credentials.resetPassword({ token, password: "short" }))).code).toBe(
      "password_policy",
    );
    await credentials.resetPassword({ token, password: "long enough now" });
  });

  it("race: one token used by 20 concurrent resets succeeds once", async () => {
    const { credentials } = setup();
    await credentials.signUp(ALICE);
    const token = (await credentials.requestPasswordReset(ALICE.email))?.token ?? "";
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        credentials.resetPassword({ token, password: `new passphrase ${i}` }),
      ),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const invalid = results.filter(
      (r) => r.status === "rejected" && (r.reason as DomainError).code === "invalid_token",
    );
    expect(ok).toHaveLength(1);
    expect(invalid).toHaveLength(19);
  });
});

describe("email change", () => {
  it("issues a token for the new address without changing the address; confirming changes it once", async () => {
    const { ctx, credentials } = setup();
    const alice = await credentials.signUp(ALICE);
    const issued = await credentials.requestEmailChange(alice, {
      newEmail: "  Alice@New.example ",
      password: PASSWORD,
    });
    expect(issued.newEmail).toBe("Alice@New.example");
    expect(issued.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await ctx.store.getUserById(alice.id))?.email).toBe(ALICE.email);

    const user = await credentials.confirmEmailChange(issued.token);
    expect(user).toMatchObject({
      id: alice.id,
      email: "Alice@New.example",
      emailKey: "alice@new.example",
      emailVerified: true,
    });
    expect(await ctx.store.getUserByEmailKey("alice@example.com")).toBeNull();
    expect((await refusal(credentials.confirmEmailChange(issued.token))).code).toBe("invalid_token");
    expect((await credentials.signIn({ email: "alice@new.example", password: PASSWORD }, meta)).kind).toBe(
      "authenticated",
    );
  });

  it("refuses a wrong password (counted), a malformed address and a taken one", async () => {
    const { credentials } = setup();
    const alice = await credentials.signUp(ALICE);
    await credentials.signUp({ email: "bob@example.com", password: PASSWORD });
    const wrong = await refusal(
      credentials.requestEmailChange(alice, { newEmail: "a@new.example", password: "x" }),
    );
    expect(wrong.code).toBe("invalid_credentials");
    expect(wrong.details).toEqual({ remainingAttempts: 4 });
    const malformed = await refusal(
      credentials.requestEmailChange(alice, { newEmail: "not an address", password: PASSWORD }),
    );
    expect(malformed.code).toBe("invalid_request");
    const taken = await refusal(
      credentials.requestEmailChange(alice, { newEmail: "BOB@example.com", password: PASSWORD }),
    );
    expect(taken.code).toBe("email_taken");
  });

  it("refuses a reset token and an expired token with invalid_token", async () => {
    const { clock, credentials } = setup();
    const alice = await credentials.signUp(ALICE);
    const reset = (await credentials.requestPasswordReset(ALICE.email))?.token ?? "";
    expect((await refusal(credentials.confirmEmailChange(reset))).code).toBe("invalid_token");
    const { token } = await credentials.requestEmailChange(alice, {
      newEmail: "a@new.example",
      password: PASSWORD,
    });
    clock.advance(3_600_000);
    expect((await refusal(credentials.confirmEmailChange(token))).code).toBe("invalid_token");
  });

  it("answers email_taken when the address was registered meanwhile, and the token stays usable", async () => {
    const { ctx, credentials } = setup();
    const alice = await credentials.signUp(ALICE);
    const { token } = await credentials.requestEmailChange(alice, {
      newEmail: "shared@example.com",
      password: PASSWORD,
    });
    const bob = await credentials.signUp({ email: "shared@example.com", password: PASSWORD });
    expect((await refusal(credentials.confirmEmailChange(token))).code).toBe("email_taken");
    await ctx.store.updateUser(bob.id, { email: "bob@example.com", emailKey: "bob@example.com" }, ctx.now());
    expect((await credentials.confirmEmailChange(token)).email).toBe("shared@example.com");
  });

  it("race: one token confirmed by 10 concurrent requests changes the address once", async () => {
    const { credentials } = setup();
    const alice = await credentials.signUp(ALICE);
    const { token } = await credentials.requestEmailChange(alice, {
      newEmail: "a@new.example",
      password: PASSWORD,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => credentials.confirmEmailChange(token)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });
});
