/**
 * The client's state as the feature modules see it: read only after storage was loaded, one path
 * to a valid access token, and a bug's TypeError never disguised as a network failure.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import { serializeSession } from "../../src/core/session";
import { changePassword, confirmEmailChange, requestEmailChange, signIn } from "../../src/credentials/index";
import {
  createAuthClient,
  getSession,
  memoryStorage,
  PasswordPolicyError,
  SessionExpiredError,
  TimeoutError,
} from "../../src/index";
import { definePasswordPolicy } from "../../src/password/index";
import { authFetch, getAccessToken } from "../../src/session/index";
import { alice, stalledJsonResponse, useMockServer } from "../support";

const ctx = useMockServer();

/** A second client over the same storage: a page reload, with nothing read from storage yet. */
async function reloaded(options: { name?: string; at?: number } = {}) {
  const storage = memoryStorage();
  const { auth, mock } = await ctx.fresh({}, { storage });
  if (options.name) {
    await mock.users.add({ email: "named@example.com", password: "a long passphrase", name: options.name });
    await signIn(auth, { email: "named@example.com", password: "a long passphrase" });
  } else {
    await signIn(auth, alice);
  }
  const fresh = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock, storage, retry: 0 });
  return { mock, auth: fresh, storage };
}

describe("feature modules read the session only after it is loaded", () => {
  it("changePassword on a fresh client checks context words against the stored user", async () => {
    const { auth } = await reloaded({ name: "sakuramochi" });
    const policy = definePasswordPolicy({ minLength: 8, forbidContextWords: true });
    const error = await changePassword(auth, {
      currentPassword: "a long passphrase",
      newPassword: "my-sakuramochi-2026",
      policy,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PasswordPolicyError);
    expect((error as PasswordPolicyError).issues.map((i) => i.code)).toContain("context_word");
  });

  it("confirmEmailChange on a fresh client updates the stored user", async () => {
    const { auth, mock, storage } = await reloaded();
    const before = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock, storage });
    await requestEmailChange(before, { newEmail: "alice.new@example.com", password: alice.password });
    const token = mock.lastEmail("alice.new@example.com")?.token ?? "";
    expect(token).not.toBe("");
    await confirmEmailChange(auth, { token });
    expect((await getSession(auth))?.user?.email).toBe("alice.new@example.com");
    const third = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock, storage });
    expect((await getSession(third))?.user?.email).toBe("alice.new@example.com");
  });

  it("no module outside src/core reaches the client's internals", () => {
    const root = join(__dirname, "../../src");
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== "core") walk(path);
        } else if (entry.name.endsWith(".ts") && readFileSync(path, "utf8").includes("_internal")) {
          offenders.push(path);
        }
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});

describe("one path to a valid access token", () => {
  async function withoutRefreshToken(expiresIn: number) {
    const { mock } = await ctx.fresh();
    // A session without a refresh token, as an OAuth provider may issue.
    const storage = memoryStorage();
    const now = mock.clock.now();
    await storage.setItem(
      "tegata.session",
      serializeSession({
        accessToken: "opaque-access-token",
        tokenType: "Bearer",
        expiresAt: new Date(now + expiresIn * 1000),
        user: { id: "u1", email: alice.email },
      }),
    );
    return createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock, storage });
  }

  it("a token within the leeway but not expired is used by getAccessToken and by authenticated calls alike", async () => {
    const auth = await withoutRefreshToken(30);
    expect(await getAccessToken(auth)).toBe("opaque-access-token");
    let seen: string | null = null;
    ctx.server.use(
      http.get("https://api.example.com/me", ({ request }) => {
        seen = request.headers.get("authorization");
        return HttpResponse.json({});
      }),
    );
    await authFetch(auth, "https://api.example.com/me");
    expect(seen).toBe("Bearer opaque-access-token");
  });

  it("an expired token without a refresh token ends the session the same way on both paths", async () => {
    for (const call of [
      (a: ReturnType<typeof createAuthClient>) => getAccessToken(a),
      (a: ReturnType<typeof createAuthClient>) =>
        changePassword(a, { currentPassword: "x", newPassword: "y" }),
    ]) {
      const auth = await withoutRefreshToken(-1);
      const events: string[] = [];
      (await import("../../src/index")).onAuthStateChange(auth, (e) => events.push(e));
      await expect(call(auth)).rejects.toBeInstanceOf(SessionExpiredError);
      expect(events).toEqual(["SESSION_EXPIRED", "SIGNED_OUT"]);
      expect(await getSession(auth)).toBeNull();
    }
  });
});

describe("a TypeError from a bug is not a NetworkError", () => {
  it("a fetch that throws a programming error surfaces it unchanged", async () => {
    const { mock } = await ctx.fresh();
    const bug = new TypeError("Cannot read properties of undefined (reading 'headers')");
    const auth = createAuthClient({
      baseUrl: mock.baseUrl,
      retry: 0,
      fetch: () => {
        throw bug;
      },
    });
    await expect(signIn(auth, alice)).rejects.toBe(bug);
  });

  it("authFetch with an invalid URL throws the platform's TypeError, not NetworkError", async () => {
    const { auth } = await ctx.fresh();
    await signIn(auth, alice);
    const error = await authFetch(auth, "http://[not a url").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).name).toBe("TypeError");
  });

  it("a real network failure is still a NetworkError", async () => {
    const { auth, mock } = await ctx.fresh({}, { retry: 0 });
    mock.faults.inject("/auth/sign-in", { network: true });
    await expect(signIn(auth, alice)).rejects.toMatchObject({ code: "network_error" });
    await signIn(auth, alice);
    ctx.server.use(http.get("https://api.example.com/me", () => HttpResponse.error()));
    await expect(authFetch(auth, "https://api.example.com/me")).rejects.toMatchObject({
      code: "network_error",
    });
  });
});

describe("the public types", () => {
  const dts = join(__dirname, "../../dist/index.d.ts");
  // CI builds before testing; locally the check runs once `npm run build` has made dist/.
  it.skipIf(!existsSync(dts) && !process.env.CI)("leave the client's internals out of every .d.ts", () => {
    const dist = join(__dirname, "../../dist");
    const files = readdirSync(dist, { recursive: true, encoding: "utf8" }).filter((f) =>
      /\.d\.c?ts$/.test(f),
    );
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = readFileSync(join(dist, file), "utf8");
      expect(text, file).not.toContain("_internal");
      expect(text, file).not.toContain("ClientInternals");
    }
  });
});

describe("a body that stalls after the headers", () => {
  it("is a TimeoutError after the client's timeoutMs, for every call (no real wait)", async () => {
    const { auth, mock } = await ctx.fresh({}, { timeoutMs: 4_000, retry: 0 });
    let reached!: () => void;
    const answered = new Promise<void>((resolve) => {
      reached = resolve;
    });
    ctx.server.use(
      http.post(`${mock.baseUrl}/auth/sign-in`, () => {
        reached();
        return stalledJsonResponse('{"status":"signed_in",');
      }),
    );
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const outcome = signIn(auth, alice).catch((e: unknown) => e);
      await answered;
      await vi.advanceTimersByTimeAsync(3_999);
      await vi.advanceTimersByTimeAsync(1);
      const error = await outcome;
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).message).toContain("4000 ms");
    } finally {
      vi.useRealTimers();
    }
  });
});
