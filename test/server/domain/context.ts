/**
 * A domain context for tests: the memory store, a hand-driven clock, the fast test hasher, a
 * sealer and a key ring. Nothing depends on real elapsed time.
 */
import { createKeyRing } from "../../../src/server/crypto/keys";
import { createTestPasswordHasher, type PasswordHasher } from "../../../src/server/crypto/password";
import { createSealer } from "../../../src/server/crypto/seal";
import type { DomainConfig, DomainContext, RequestMeta } from "../../../src/server/domain/context";
import { memoryStore } from "../../../src/server/store/memory";

/** 2026-11-25 09:00 UTC, the tests' "now". */
export const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);

export const meta: RequestMeta = { ip: "203.0.113.7", userAgent: "Mozilla/5.0 (test)" };

/** A hasher that counts verifications (how many guesses were evaluated). */
export function countingHasher(inner: PasswordHasher = createTestPasswordHasher()) {
  let verifications = 0;
  const hasher: PasswordHasher = {
    hash: (password) => inner.hash(password),
    async verify(password, phc) {
      verifications++;
      return inner.verify(password, phc);
    },
  };
  return { hasher, verifications: () => verifications };
}

/** A fresh context; `clock.advance(ms)` moves its time. */
export function testContext(overrides: { config?: Partial<DomainConfig>; hasher?: PasswordHasher } = {}) {
  let now = T0;
  const clock = {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
  const store = memoryStore();
  const sealer = createSealer("a test secret of at least thirty-two bytes, not for production");
  const config: DomainConfig = {
    issuer: "https://auth.tegata.test",
    audience: "tegata",
    lockout: { maxAttempts: 5, lockSeconds: 900 },
    lifetimes: {
      accessToken: 900,
      refreshToken: 30 * 24 * 3600,
      refreshTokenShort: 24 * 3600,
      challenge: 300,
      oneTimeToken: 3600,
    },
    ...overrides.config,
  };
  const ctx: DomainContext = {
    store,
    now: clock.now,
    hasher: overrides.hasher ?? createTestPasswordHasher(),
    sealer,
    keys: createKeyRing({ store, sealer, now: clock.now }),
    config,
  };
  return { ctx, clock, store };
}
