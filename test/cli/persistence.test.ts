/**
 * Persistence: `tegata serve` (a child process, real HTTP) on an SQLite file is stopped with
 * SIGTERM and started again on the same file with the same secret and issuer. Sessions still
 * refresh, old access tokens still verify (the same signing keys, from the store), the lockout
 * counter continues, a lock holds, the login history, the privacy setting and the TOTP factor are
 * kept (its last accepted step too: a code that worked before the restart does not work again).
 */
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { verifyAccessToken } from "../../src/server/verify";
import { generateTotp } from "../../src/totp/primitives";
import { call, cleanup, ISSUER, PASSWORD, runCli, startServe, tempDir } from "./support";

afterAll(cleanup);
// Child processes: generous under a loaded CI machine (nothing here waits on the clock).
vi.setConfig({ testTimeout: 60_000 });

const WRONG = "not the password at all";

async function signUp(url: string, email: string) {
  const { status, body } = await call(url, "/auth/sign-up", { json: { email, password: PASSWORD } });
  expect(status).toBe(201);
  return body as { access_token: string; refresh_token: string; user: { id: string } };
}

async function signIn(url: string, email: string, password = PASSWORD) {
  return call(url, "/auth/sign-in", { json: { email, password } });
}

describe("tegata serve on an SQLite file, stopped and started again", () => {
  it("keeps sessions, signing keys, lockout, history, privacy and the second factor", async () => {
    const db = join(tempDir(), "auth.sqlite");
    const args = ["--db", db, "--issuer", ISSUER];

    // ---- first run ----------------------------------------------------------------------------
    const first = await startServe(args);
    const url1 = first.url;

    // hanako: TOTP, a hidden last login, a history.
    const hanako = await signUp(url1, "hanako@example.jp");
    const enrolled = await call(url1, "/auth/mfa/totp/enroll", { json: {}, token: hanako.access_token });
    expect(enrolled.status).toBe(200);
    const { factor_id: factorId, secret } = enrolled.body as { factor_id: string; secret: string };
    const activationStep = Math.floor(Date.now() / 30_000);
    const activated = await call(url1, "/auth/mfa/totp/activate", {
      json: { factor_id: factorId, code: await generateTotp(secret, { time: activationStep * 30_000 }) },
      token: hanako.access_token,
    });
    expect(activated.status).toBe(200);
    const recoveryCodes = activated.body.recovery_codes as string[];
    const privacy = await call(url1, "/auth/privacy", {
      method: "PATCH",
      json: { show_last_login: false },
      token: hanako.access_token,
    });
    expect(privacy.body.show_last_login).toBe(false);

    expect((await signIn(url1, "hanako@example.jp", WRONG)).status).toBe(401);
    const challenged = await signIn(url1, "hanako@example.jp");
    expect(challenged.body.status).toBe("mfa_required");
    // The activation spent its step: the next one (inside the window of one step) signs in.
    const usedCode = await generateTotp(secret, { time: (activationStep + 1) * 30_000 });
    const verified = await call(url1, "/auth/mfa/verify", {
      json: { challenge_id: (challenged.body.challenge as { id: string }).id, code: usedCode },
    });
    expect(verified.status).toBe(200);
    const session = verified.body as { access_token: string; refresh_token: string };
    const historyBefore = await call(url1, "/auth/history", { token: session.access_token });
    const idsBefore = (historyBefore.body.items as Array<{ id: string; method: string; result: string }>).map(
      (i) => `${i.id} ${i.method} ${i.result}`,
    );
    // Newest first: the TOTP step, the wrong password, the sign-up (a correct password that only
    // opens a challenge is no entry of its own).
    expect(idsBefore.map((i) => i.split(" ").slice(1).join(" "))).toEqual([
      "totp success",
      "password failure",
      "password success",
    ]);
    const jwksBefore = await call(url1, "/.well-known/jwks.json");

    // taro: two failures counted (3 left); jiro: locked.
    await signUp(url1, "taro@example.jp");
    await signUp(url1, "jiro@example.jp");
    for (const remaining of [4, 3]) {
      const failed = await signIn(url1, "taro@example.jp", WRONG);
      expect(failed.body.remaining_attempts).toBe(remaining);
    }
    for (let i = 0; i < 5; i++) await signIn(url1, "jiro@example.jp", WRONG);
    expect((await signIn(url1, "jiro@example.jp")).status).toBe(423);

    expect(await first.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    expect(first.lines()).toContain("tegata: stopped");

    // ---- second run: the same file, secret and issuer -----------------------------------------
    const second = await startServe(args);
    const url2 = second.url;
    expect(url2).not.toBe(""); // (a new port, most likely: nothing depends on it)

    // The same keys: the JWKS is the one of the first run, and its access tokens verify.
    expect((await call(url2, "/.well-known/jwks.json")).body).toEqual(jwksBefore.body);
    const me = await call(url2, "/auth/user", { token: session.access_token });
    expect(me.status).toBe(200);
    expect((me.body.user as { email: string }).email).toBe("hanako@example.jp");
    const verifiedToken = await verifyAccessToken(session.access_token, {
      jwksUrl: `${url2}/.well-known/jwks.json`,
      issuer: ISSUER,
      audience: "tegata",
    });
    expect(verifiedToken.userId).toBe(hanako.user.id);

    // The session refreshes (its refresh token was issued by the first run).
    const refreshed = await call(url2, "/oauth/token", {
      form: { grant_type: "refresh_token", refresh_token: session.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    const fresh = refreshed.body as { access_token: string; refresh_token: string };
    expect(fresh.refresh_token).not.toBe(session.refresh_token);

    // History and privacy are kept.
    const historyAfter = await call(url2, "/auth/history", { token: fresh.access_token });
    expect(
      (historyAfter.body.items as Array<{ id: string; method: string; result: string }>).map(
        (i) => `${i.id} ${i.method} ${i.result}`,
      ),
    ).toEqual(idsBefore);
    const privacyAfter = await call(url2, "/auth/privacy", { token: fresh.access_token });
    expect(privacyAfter.body.show_last_login).toBe(false);

    // The lockout counter continues: 2 failures before the restart, so 2 left after the third.
    const third = await signIn(url2, "taro@example.jp", WRONG);
    expect(third.status).toBe(401);
    expect(third.body.remaining_attempts).toBe(2);
    // The lock holds, the right password included; an operator lifts it from another process.
    const stillLocked = await signIn(url2, "jiro@example.jp");
    expect(stillLocked.status).toBe(423);
    expect(stillLocked.body.retry_after).toBeGreaterThan(0);
    const unlock = await runCli(["user", "unlock", "jiro@example.jp", "--db", db, "--actor", "sato"]);
    expect(unlock.stderr).toBe("");
    expect(unlock.code).toBe(0);
    expect(unlock.stdout).toMatch(/unlocked jiro@example\.jp \(usr_[\w-]+\) \(it was locked until /);
    expect((await signIn(url2, "jiro@example.jp")).status).toBe(200);

    // The factor is kept, and so is its last accepted step: the code used before is refused.
    const again = await signIn(url2, "hanako@example.jp");
    expect(again.body.status).toBe("mfa_required");
    const challengeId = (again.body.challenge as { id: string }).id;
    const replay = await call(url2, "/auth/mfa/verify", {
      json: { challenge_id: challengeId, code: usedCode },
    });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe("invalid_mfa_code");
    const recovered = await call(url2, "/auth/mfa/verify", {
      json: { challenge_id: challengeId, recovery_code: recoveryCodes[0] },
    });
    expect(recovered.status).toBe(200);

    expect(await second.stop("SIGINT")).toEqual({ code: 0, signal: null });
    expect(second.stderr()).toBe("");
  });
});
