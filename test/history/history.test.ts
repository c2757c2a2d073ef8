import { describe, expect, it } from "vitest";
import { signIn } from "../../src/credentials/index";
import {
  getPrivacySettings,
  listLoginHistory,
  listSessions,
  loginHistory,
  revokeOtherSessions,
  revokeSessionById,
  updatePrivacySettings,
} from "../../src/history/index";
import { AbortedError, createAuthClient, HttpError, UnauthorizedError } from "../../src/index";
import { createMockOidcProvider } from "../../src/mock/index";
import { alice, bob, useMockServer } from "../support";

const ctx = useMockServer();
const iphone =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1";

async function signedIn(options: Parameters<typeof ctx.fresh>[0] = {}) {
  const { auth, mock } = await ctx.fresh(options, {
    headers: { "user-agent": iphone, "x-forwarded-for": "203.0.113.7" },
  });
  return { auth, mock };
}

describe("listLoginHistory", () => {
  it("lists every attempt newest first with device, method, result and the current flag", async () => {
    const { auth, mock } = await signedIn({
      locate: (ip) => (ip.startsWith("203.") ? { country: "JP", city: "Tokyo" } : null),
    });
    await signIn(auth, { email: alice.email, password: "wrong" }).catch(() => {});
    await signIn(auth, alice);
    mock.clock.advance(1000);
    const { items, nextCursor } = await listLoginHistory(auth);
    expect(nextCursor).toBeNull();
    expect(items.map((i) => [i.method, i.result, i.current])).toEqual([
      ["password", "success", true],
      ["password", "failure", false],
    ]);
    const [latest] = items;
    expect(latest?.ip).toBe("203.0.113.7");
    expect(latest?.device).toMatchObject({ browser: "Safari", os: "iOS", type: "mobile" });
    expect(latest?.location).toEqual({ country: "JP", city: "Tokyo" });
    expect(latest?.at).toBeInstanceOf(Date);
  });

  it("records MFA, recovery codes, lockouts and OAuth sign-ins", async () => {
    const { auth, mock } = await signedIn({ lockout: { maxAttempts: 2 } });
    const r = await signIn(auth, bob);
    if (r.status !== "mfa_required") throw new Error("unreachable");
    await signIn(auth, { email: bob.email, password: "x" }).catch(() => {});
    await signIn(auth, { email: bob.email, password: "x" }).catch(() => {});
    mock.users.unlock(bob.email);
    const r2 = await signIn(auth, bob);
    if (r2.status !== "mfa_required") throw new Error("unreachable");
    await (await import("../../src/credentials/index")).completeMfa(auth, {
      challenge: r2.challenge,
      recoveryCode: bob.recoveryCodes[0],
    });
    const google = createMockOidcProvider({
      issuer: "https://accounts.google.com",
      users: [{ email: bob.email }],
      onAuthorize: (a) => mock.recordLogin({ ...a, method: "google" }),
    });
    ctx.server.use(...google.handlers);
    await fetch(
      "https://accounts.google.com/authorize?response_type=code&client_id=x&redirect_uri=https://app.example/cb&code_challenge=abc&code_challenge_method=S256",
      { redirect: "manual" },
    );
    const { items } = await listLoginHistory(auth);
    expect(items.map((i) => `${i.method}:${i.result}`)).toEqual([
      "google:success",
      "recovery_code:success",
      "password:locked",
      "password:failure",
    ]);
  });

  it("filters by result, method and time", async () => {
    const { auth, mock } = await signedIn();
    await signIn(auth, alice);
    mock.seedHistory(alice.email, 300, { seed: 7 });
    const failures = await listLoginHistory(auth, { result: "failure", limit: 100 });
    expect(failures.items.length).toBeGreaterThan(0);
    expect(failures.items.every((i) => i.result === "failure")).toBe(true);
    const google = await listLoginHistory(auth, { method: "google", limit: 100 });
    expect(google.items.length).toBeGreaterThan(0);
    expect(google.items.every((i) => i.method === "google")).toBe(true);
    const now = mock.clock.now();
    const lastWeek = await listLoginHistory(auth, {
      from: now - 7 * 86_400_000,
      to: new Date(now),
      limit: 100,
    });
    expect(lastWeek.items.length).toBeGreaterThan(0);
    expect(lastWeek.items.every((i) => i.at.getTime() >= now - 7 * 86_400_000 && i.at.getTime() < now)).toBe(
      true,
    );
    const total = mock.loginAttempts.filter(
      (a) => a.at.getTime() >= now - 7 * 86_400_000 && a.at.getTime() < now,
    ).length;
    expect(lastWeek.items.length).toBe(Math.min(total, 100));
  });

  it("pages with a cursor, stable while new sign-ins arrive", async () => {
    const { auth, mock } = await signedIn();
    await signIn(auth, alice);
    mock.seedHistory(alice.email, 95, { seed: 3 });
    const first = await listLoginHistory(auth, { limit: 40 });
    expect(first.items).toHaveLength(40);
    // Two new sign-ins while the user reads page 1.
    mock.clock.advance(1000);
    await signIn(auth, alice);
    await signIn(auth, alice);
    const second = await listLoginHistory(auth, { limit: 40, cursor: first.nextCursor ?? "" });
    const third = await listLoginHistory(auth, { limit: 40, cursor: second.nextCursor ?? "" });
    expect(third.nextCursor).toBeNull();
    const ids = [...first.items, ...second.items, ...third.items].map((i) => i.id);
    expect(ids).toHaveLength(96);
    expect(new Set(ids).size).toBe(96);
    const times = [...first.items, ...second.items, ...third.items].map((i) => i.at.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it("iterates over every page with for await, and stops on abort", async () => {
    const { auth, mock } = await signedIn();
    await signIn(auth, alice);
    mock.seedHistory(alice.email, 250, { seed: 1 });
    let n = 0;
    for await (const item of loginHistory(auth, { limit: 100 })) {
      expect(item.id).toMatch(/^att_/);
      n++;
    }
    expect(n).toBe(251);
    expect(mock.count("/auth/history")).toBe(3);

    const controller = new AbortController();
    let seen = 0;
    const run = async () => {
      for await (const _ of loginHistory(auth, { limit: 10, signal: controller.signal })) {
        if (++seen === 15) controller.abort();
      }
    };
    await expect(run()).rejects.toBeInstanceOf(AbortedError);
    expect(seen).toBe(15);
  });

  it("breaking out of the loop stops fetching", async () => {
    const { auth, mock } = await signedIn();
    await signIn(auth, alice);
    mock.seedHistory(alice.email, 100);
    const before = mock.count("/auth/history");
    for await (const _ of loginHistory(auth, { limit: 10 })) break;
    expect(mock.count("/auth/history") - before).toBe(1);
  });

  it("refuses bad parameters", async () => {
    const { auth } = await signedIn();
    await signIn(auth, alice);
    await expect(listLoginHistory(auth, { limit: 0 })).rejects.toBeInstanceOf(TypeError);
    await expect(listLoginHistory(auth, { limit: 101 })).rejects.toBeInstanceOf(TypeError);
    await expect(listLoginHistory(auth, { cursor: "garbage" })).rejects.toMatchObject({
      code: "invalid_request",
    });
  });
});

describe("sessions", () => {
  it("lists active sessions with the current one, revokes one, then all others", async () => {
    const { auth, mock } = await signedIn();
    const laptop = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
    const tablet = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
    await signIn(laptop, alice);
    await signIn(tablet, alice);
    await signIn(auth, alice);
    const sessions = await listSessions(auth);
    expect(sessions).toHaveLength(3);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    expect(sessions.find((s) => s.current)?.device.os).toBe("iOS");
    const laptopId = sessions.find((s) => !s.current)?.id ?? "";
    await revokeSessionById(auth, laptopId);
    expect(await listSessions(auth)).toHaveLength(2);
    await expect(revokeSessionById(auth, laptopId)).rejects.toBeInstanceOf(HttpError);
    await revokeOtherSessions(auth);
    const left = await listSessions(auth);
    expect(left.map((s) => s.current)).toEqual([true]);
    await expect(listSessions(tablet)).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe("sessions whose refresh token expired", () => {
  it("are not listed as active", async () => {
    const { auth, mock } = await signedIn({ refreshTokenTtlSeconds: 2 * 3600 });
    const old = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
    await signIn(old, alice);
    mock.clock.advance(3 * 3600_000);
    await signIn(auth, alice);
    const sessions = await listSessions(auth);
    expect(sessions.map((s) => s.current)).toEqual([true]);
  });
});

describe("privacy", () => {
  it("hides and shows the last-login time", async () => {
    const { auth } = await signedIn();
    await signIn(auth, alice);
    const initial = await getPrivacySettings(auth);
    expect(initial.showLastLogin).toBe(true);
    expect(initial.lastLoginAt).toBeInstanceOf(Date);
    const hidden = await updatePrivacySettings(auth, { showLastLogin: false });
    expect(hidden).toEqual({ showLastLogin: false, lastLoginAt: null });
    expect((await getPrivacySettings(auth)).showLastLogin).toBe(false);
    await expect(updatePrivacySettings(auth, { showLastLogin: "no" as never })).rejects.toBeInstanceOf(
      TypeError,
    );
  });
});
