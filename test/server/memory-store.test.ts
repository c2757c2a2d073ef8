import { describe, expect, it } from "vitest";
import { type AuthStore, memoryStore } from "../../src/server/store/index";
import {
  concurrently,
  DAY,
  describeStoreConformance,
  ensureUser,
  eventId,
  HOUR,
  MINUTE,
  newChallenge,
  newEvent,
  newFactor,
  newMail,
  newOneTime,
  newRefresh,
  newSession,
  newSigningKey,
  newUser,
  T0,
} from "./store-conformance";

describeStoreConformance("memoryStore", async () => memoryStore());

/** A promise and the function that resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const SEEN = { ip: "198.51.100.9", userAgent: null };

async function seedSession(store: AuthStore, id = "ses_1", over: Parameters<typeof newSession>[2] = {}) {
  const session = newSession(id, "usr_1", over);
  await ensureUser(store, "usr_1");
  await store.createSession(session, newRefresh(`rt_${id}`, id, { expiresAt: session.expiresAt }));
  return session;
}

describe("memoryStore", () => {
  describe("records are copies", () => {
    it("mutating a returned record changes nothing in the store", async () => {
      const store = memoryStore();
      const created = await store.createUser(newUser(1), T0);
      if (created === "email_taken") throw new Error("unexpected");
      created.name = "Mallory";
      created.emailKey = "mallory@example.jp";
      const read = await store.getUserById("usr_1");
      if (read === null) throw new Error("unexpected");
      read.passwordHash = null;
      expect(await store.getUserById("usr_1")).toMatchObject({
        name: "User 1",
        emailKey: "user1@example.jp",
      });
      expect((await store.getUserById("usr_1"))?.passwordHash).not.toBeNull();

      await seedSession(store);
      const session = await store.getSession("ses_1");
      session?.amr.push("otp");
      if (session) session.revokedAt = T0;
      expect(await store.getSession("ses_1")).toEqual(newSession("ses_1", "usr_1"));
      const listed = await store.listSessions("usr_1", T0);
      listed[0]?.amr.splice(0);
      expect((await store.getSession("ses_1"))?.amr).toEqual(["pwd"]);
      const rotated = await store.rotateRefreshToken(
        "rt_ses_1",
        { tokenHash: "rt_2", expiresAt: T0 + DAY },
        SEEN,
        T0,
      );
      if (rotated.kind === "rotated") rotated.session.userId = "usr_evil";
      expect((await store.getSession("ses_1"))?.userId).toBe("usr_1");

      await store.createChallenge(newChallenge("ch_1", "usr_1"));
      const claim = await store.claimChallengeAttempt("ch_1", 5, T0);
      if (claim.kind === "ok") {
        claim.challenge.methods.push("password");
        claim.challenge.attempts = -100;
      }
      expect(await store.claimChallengeAttempt("ch_1", 5, T0)).toMatchObject({
        attempt: 2,
        challenge: { methods: ["totp", "recovery_code"] },
      });

      await store.appendLoginEvent(newEvent(1, "usr_1"));
      const [event] = (await store.listLoginEvents("usr_1", { limit: 1 })).items;
      if (event?.location) event.location.country = "XX";
      expect((await store.listLoginEvents("usr_1", { limit: 1 })).items[0]?.location?.country).toBe("JP");

      await store.addSigningKey(newSigningKey("k_1"));
      const [key] = await store.listSigningKeys(T0);
      if (key) key.publicJwk.x = "tampered";
      expect((await store.listSigningKeys(T0))[0]?.publicJwk.x).toBe("x-k_1");

      await store.enqueueMail(newMail("m_1"));
      const [mail] = await store.claimMail(T0, 1, MINUTE);
      if (mail) mail.status = "queued";
      expect(await store.claimMail(T0, 1, MINUTE)).toEqual([]);

      await store.issueOneTimeToken(
        newOneTime("ot_1", "usr_1", "email_change", { data: { email: "a@example.jp" } }),
      );
      await store.addFactor(newFactor("fac_1", "usr_1", { lastStep: 5 }));
      const [factor] = await store.listFactors("usr_1");
      if (factor) factor.lastStep = 1000;
      expect(await store.advanceTotpStep("fac_1", 6, T0)).toBe(true);
    });

    it("mutating an argument after the call changes nothing in the store", async () => {
      const store = memoryStore();
      const user = newUser(1);
      await store.createUser(user, T0);
      user.emailKey = "other@example.jp";
      expect(await store.getUserByEmailKey("user1@example.jp")).not.toBeNull();

      const session = newSession("ses_1", "usr_1");
      await store.createSession(session, newRefresh("rt_1", "ses_1"));
      session.amr.push("otp");
      session.revokedAt = T0;
      expect(await store.getSession("ses_1")).toEqual(newSession("ses_1", "usr_1"));

      const token = newOneTime("ot_1", "usr_1", "email_change", { data: { email: "a@example.jp" } });
      await store.issueOneTimeToken(token);
      token.data.email = "attacker@example.jp";
      expect((await store.consumeOneTimeToken("ot_1", "email_change", T0))?.data).toEqual({
        email: "a@example.jp",
      });

      const event = newEvent(1, "usr_1");
      await store.appendLoginEvent(event);
      event.result = "failure";
      expect((await store.listLoginEvents("usr_1", { limit: 1 })).items[0]?.result).toBe("success");

      const codes = ["h1", "h2"];
      await store.replaceRecoveryCodes("usr_1", codes);
      codes.push("h3");
      expect(await store.countRecoveryCodes("usr_1")).toBe(2);

      const key = newSigningKey("k_1");
      await store.addSigningKey(key);
      key.publicJwk.x = "tampered";
      expect((await store.listSigningKeys(T0))[0]?.publicJwk.x).toBe("x-k_1");
    });
  });

  describe("races, exact numbers", () => {
    it("50 concurrent rotations: 1 rotated, 1 reused (which revokes), 48 invalid", async () => {
      const store = memoryStore();
      await seedSession(store);
      const results = await concurrently(50, (i) =>
        store.rotateRefreshToken(
          "rt_ses_1",
          { tokenHash: `rt_next_${i}`, expiresAt: T0 + DAY },
          SEEN,
          T0 + 1,
        ),
      );
      expect(results.map((r) => r.kind)).toEqual(["rotated", "reused", ...Array(48).fill("invalid")]);
      expect((await store.getSession("ses_1"))?.revokedAt).toBe(T0 + 1);
    });
  });

  describe("transactions", () => {
    it("run one after another: a second transaction sees the first one whole", async () => {
      const store = memoryStore();
      const gate = deferred();
      const order: string[] = [];
      const first = store.transaction(async (tx) => {
        order.push("first:start");
        await tx.createUser(newUser(1), T0);
        await gate.promise;
        await tx.createUser(newUser(2), T0);
        order.push("first:end");
      });
      const second = store.transaction(async (tx) => {
        order.push("second:start");
        return [await tx.getUserById("usr_1"), await tx.getUserById("usr_2")];
      });
      await Promise.resolve();
      gate.resolve();
      await first;
      const [one, two] = await second;
      expect(order).toEqual(["first:start", "first:end", "second:start"]);
      expect(one).not.toBeNull();
      expect(two).not.toBeNull();
    });

    it("a call outside waits for the transaction, so a rollback never undoes it", async () => {
      const store = memoryStore();
      const gate = deferred();
      const tx = store.transaction(async (inner) => {
        await inner.createUser(newUser(1), T0);
        await gate.promise;
        throw new Error("rolled back");
      });
      await Promise.resolve();
      const outside = store.createUser(newUser(2), T0);
      const attempt = store.reserveAttempt("k", { maxAttempts: 3, lockSeconds: 60 }, T0);
      gate.resolve();
      await expect(tx).rejects.toThrow("rolled back");
      expect(await outside).not.toBe("email_taken");
      expect(await attempt).toMatchObject({ kind: "reserved", remaining: 2 });
      expect(await store.getUserById("usr_1")).toBeNull();
      expect(await store.getUserById("usr_2")).not.toBeNull();
      expect(await store.reserveAttempt("k", { maxAttempts: 3, lockSeconds: 60 }, T0)).toMatchObject({
        remaining: 1,
      });
    });

    it("a nested transaction is a savepoint of the enclosing one", async () => {
      const store = memoryStore();
      await store.transaction(async (tx) => {
        await tx.createUser(newUser(1), T0);
        await expect(
          tx.transaction(async (inner) => {
            await inner.createUser(newUser(2), T0);
            throw new Error("inner");
          }),
        ).rejects.toThrow("inner");
        await tx.transaction(async (inner) => {
          await inner.createUser(newUser(3), T0);
        });
      });
      expect(await store.getUserById("usr_1")).not.toBeNull();
      expect(await store.getUserById("usr_2")).toBeNull();
      expect(await store.getUserById("usr_3")).not.toBeNull();
    });

    it("the store of a finished transaction acts as the store itself", async () => {
      const store = memoryStore();
      let kept: AuthStore | undefined;
      await store.transaction(async (tx) => {
        kept = tx;
      });
      const gate = deferred();
      const running = store.transaction(async (tx) => {
        await gate.promise;
        await tx.createUser(newUser(1), T0);
      });
      await Promise.resolve();
      // Issued while the second transaction runs: waits for it, as an outside call does.
      const late = kept?.getUserById("usr_1");
      gate.resolve();
      await running;
      expect(await late).not.toBeNull();
    });

    it("a synchronous throw in fn rejects the transaction and leaves the store usable", async () => {
      const store = memoryStore();
      await expect(
        store.transaction((() => {
          throw new Error("sync");
        }) as unknown as (tx: AuthStore) => Promise<void>),
      ).rejects.toThrow("sync");
      await store.createUser(newUser(1), T0);
      expect(await store.getUserById("usr_1")).not.toBeNull();
    });
  });

  describe("deleteExpired", () => {
    it("keeps a revoked session for exactly one day, then removes it with its tokens", async () => {
      const store = memoryStore();
      await seedSession(store, "ses_1", { expiresAt: T0 + 30 * DAY });
      await store.revokeSession("usr_1", "ses_1", T0);
      expect(await store.deleteExpired(T0 + DAY - 1)).toBe(0);
      expect((await store.getSession("ses_1"))?.revokedAt).toBe(T0);
      expect(await store.deleteExpired(T0 + DAY)).toBe(2); // the session and its refresh token
      expect(await store.getSession("ses_1")).toBeNull();
    });

    it("counts every record it removes, and removes finished mails only", async () => {
      const store = memoryStore();
      const now = T0 + HOUR;
      await store.issueOneTimeToken(newOneTime("ot_1", "usr_1", "unlock", { expiresAt: now }));
      await store.createChallenge(newChallenge("ch_1", "usr_1", { expiresAt: now }));
      await seedSession(store, "ses_1", { expiresAt: now }); // + 1 refresh token
      await store.consumeRateLimit("ip", { max: 1, windowSeconds: 60 }, T0);
      for (let i = 0; i < 2; i++) await store.reserveAttempt("k", { maxAttempts: 2, lockSeconds: 60 }, T0);
      await store.reserveAttempt("no-lock", { maxAttempts: 2, lockSeconds: 60 }, T0); // kept
      await store.addSigningKey(newSigningKey("k_1", { expiresAt: now }));
      await store.enqueueMail(newMail("m_sent", { status: "sent", sentAt: T0 }));
      await store.enqueueMail(newMail("m_failed", { status: "failed" }));
      await store.enqueueMail(newMail("m_queued"));
      await store.enqueueMail(newMail("m_sending"));
      await store.claimMail(T0, 1, HOUR + 1); // m_queued, now sending under a lease
      expect(await store.deleteExpired(now)).toBe(9);
      expect((await store.claimMail(now, 10, MINUTE)).map((m) => m.id)).toEqual(["m_sending"]);
      expect(await store.reserveAttempt("no-lock", { maxAttempts: 2, lockSeconds: 60 }, now)).toMatchObject({
        lockedNow: true,
      });
    });
  });

  describe("login history", () => {
    it("pages near the bottom of 100,000 events", async () => {
      const store = memoryStore();
      for (let n = 0; n < 100_000; n++) await store.appendLoginEvent(newEvent(n, "usr_1"));
      const page = await store.listLoginEvents("usr_1", { limit: 3, before: eventId(5) });
      expect(page.items.map((e) => e.id)).toEqual([4, 3, 2].map(eventId));
      expect(page.next).toBe(eventId(2));
    });

    it("clamps the page size to 1–100", async () => {
      const store = memoryStore();
      for (let n = 0; n < 150; n++) await store.appendLoginEvent(newEvent(n, "usr_1"));
      expect((await store.listLoginEvents("usr_1", { limit: 1000 })).items).toHaveLength(100);
      expect((await store.listLoginEvents("usr_1", { limit: 0 })).items).toHaveLength(1);
      expect((await store.listLoginEvents("usr_1", { limit: Number.NaN })).items).toHaveLength(1);
    });

    it("refuses a second event with the same id", async () => {
      const store = memoryStore();
      await store.appendLoginEvent(newEvent(2, "usr_1"));
      await store.appendLoginEvent(newEvent(1, "usr_1"));
      await expect(store.appendLoginEvent(newEvent(1, "usr_1"))).rejects.toThrow(/already holds/);
      await expect(store.appendLoginEvent(newEvent(2, "usr_1"))).rejects.toThrow(/already holds/);
    });
  });

  describe("failures of the store", () => {
    it("rejects a duplicate key instead of overwriting a record", async () => {
      const store = memoryStore();
      await store.createUser(newUser(1), T0);
      await expect(store.createUser(newUser(1, { emailKey: "other@example.jp" }), T0)).rejects.toThrow(
        /user/,
      );
      await seedSession(store);
      await expect(seedSession(store)).rejects.toThrow(/session/);
      await store.createChallenge(newChallenge("ch_1", "usr_1"));
      await expect(store.createChallenge(newChallenge("ch_1", "usr_1"))).rejects.toThrow(/challenge/);
      await expect(
        store.createSession(newSession("ses_2", "usr_1"), newRefresh("rt_x", "ses_other")),
      ).rejects.toThrow(/belong/);
      expect(await store.getSession("ses_2")).toBeNull();
    });

    it("rejects every call after close", async () => {
      const store = memoryStore();
      await store.close();
      await expect(store.getUserById("usr_1")).rejects.toThrow(/closed/);
      await expect(store.transaction(async () => 1)).rejects.toThrow(/closed/);
    });

    it("two stores share nothing", async () => {
      const a = memoryStore();
      const b = memoryStore();
      await a.createUser(newUser(1), T0);
      expect(await b.getUserById("usr_1")).toBeNull();
    });
  });
});
