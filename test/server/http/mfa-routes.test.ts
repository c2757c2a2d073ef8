/**
 * MFA management of createAuthServer over real HTTP on 127.0.0.1, driven by the SDK: enrolment,
 * activation, the second factor at sign-in (TOTP and recovery code), factors, new recovery codes,
 * removal; the refusals as the SDK's typed errors, the shared lockout, and races of one code sent
 * in truly concurrent requests (bodies held open until every request has reached the server).
 */
import { afterEach, describe, expect, it } from "vitest";
import { completeMfa, getUser, signIn, signOut } from "../../../src/credentials/index";
import type { MfaChallenge } from "../../../src/credentials/sign-in";
import {
  AccountLockedError,
  type AuthClient,
  createAuthClient,
  FactorExistsError,
  getSession,
  HttpError,
  InvalidCredentialsError,
  InvalidMfaCodeError,
  InvalidRequestError,
  MfaNotEnabledError,
  UnauthorizedError,
} from "../../../src/index";
import type { AuthServerOptions } from "../../../src/server/auth-server";
import type { AuthServerEvent } from "../../../src/server/http/env";
import {
  activateTotp,
  enrollTotp,
  generateTotp,
  listFactors,
  regenerateRecoveryCodes,
  removeFactor,
} from "../../../src/totp/index";
import { together as gatherConcurrently, type Harness, startServer } from "./harness";

const EMAIL = "hanako@example.jp";
const PASSWORD = "correct horse battery";
const STEP = 30_000;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function setup(options: Partial<AuthServerOptions> = {}) {
  harness = await startServer(options);
  await harness.addUser(EMAIL, PASSWORD, "山田花子");
  return harness;
}

function client(h: Harness): AuthClient {
  return createAuthClient({ baseUrl: h.baseUrl, clock: h.clock, retry: 0 });
}

/** A signed-in client. */
async function signedIn(h: Harness): Promise<AuthClient> {
  const auth = client(h);
  const result = await signIn(auth, { email: EMAIL, password: PASSWORD });
  expect(result.status).toBe("signed_in");
  return auth;
}

/** The TOTP code of `secret` at the harness clock's time. */
const codeNow = (h: Harness, secret: string) => generateTotp(secret, { time: h.clock.now() });

/** A six-digit code that is not the current one (nor its neighbours). */
async function wrongCode(h: Harness, secret: string): Promise<string> {
  const near = await Promise.all(
    [-STEP, 0, STEP].map((d) => generateTotp(secret, { time: h.clock.now() + d })),
  );
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, "0");
    if (!near.includes(code)) return code;
  }
}

/** Enrols and activates TOTP for a signed-in client; the clock then moves to the next step. */
async function enableTotp(h: Harness, auth: AuthClient) {
  const enrollment = await enrollTotp(auth);
  const { recoveryCodes } = await activateTotp(auth, {
    factorId: enrollment.factorId,
    code: await codeNow(h, enrollment.secret),
  });
  h.clock.advance(STEP); // the activation's step is used up
  return { ...enrollment, recoveryCodes };
}

/** The challenge of a sign-in that needs the second factor. */
async function challengeOf(auth: AuthClient): Promise<MfaChallenge> {
  const result = await signIn(auth, { email: EMAIL, password: PASSWORD });
  if (result.status !== "mfa_required") throw new Error(`expected mfa_required, got ${result.status}`);
  return result.challenge;
}

/** What a promise rejected with (`null` when it resolved). */
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: unknown) => e,
  );

/** The claims of a JWT, unverified (to read `amr`). */
function claimsOf(jwt: string | undefined): Record<string, unknown> {
  const payload = (jwt ?? "").split(".")[1] ?? "";
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** Concurrent POSTs of JSON bodies, bearer optional (harness `together`): statuses and bodies. */
async function together(
  h: Harness,
  path: string,
  bodies: unknown[],
  bearer?: string,
): Promise<Array<{ status: number; body: Record<string, unknown> }>> {
  const responses = await gatherConcurrently(
    h,
    path,
    bodies.map((b) => JSON.stringify(b)),
    {
      "content-type": "application/json",
      ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
    },
  );
  return Promise.all(
    responses.map(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> })),
  );
}

const accessTokenOf = async (auth: AuthClient) => (await getSession(auth))?.accessToken ?? "";

describe("MFA management over real HTTP with the SDK", () => {
  it("enrols, activates, signs in with a TOTP code and a recovery code, regenerates and removes", async () => {
    const h = await setup();
    const auth = await signedIn(h);
    expect(await listFactors(auth)).toEqual([]);

    const enrollment = await enrollTotp(auth, { issuer: "スキルマーケット" });
    expect(enrollment.factorId).toMatch(/^fac_/);
    expect(enrollment.uri).toContain("otpauth://totp/");
    expect(enrollment.uri).toContain(encodeURIComponent("スキルマーケット"));
    expect(enrollment.uri).toContain(`secret=${enrollment.secret}`);
    const pending = await listFactors(auth);
    expect(pending).toEqual([
      { id: enrollment.factorId, type: "totp", status: "pending", createdAt: new Date(h.clock.now()) },
    ]);

    const { recoveryCodes } = await activateTotp(auth, {
      factorId: enrollment.factorId,
      code: await codeNow(h, enrollment.secret),
    });
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const [active] = await listFactors(auth);
    expect(active).toMatchObject({ id: enrollment.factorId, status: "active" });
    expect(active?.lastUsedAt).toEqual(new Date(h.clock.now()));
    expect(await getUser(auth)).toMatchObject({ mfaEnabled: true });

    // The secret left the server once: the factor list carries no trace of it.
    const raw = await fetch(`${h.baseUrl}/auth/mfa/factors`, {
      headers: { authorization: `Bearer ${await accessTokenOf(auth)}` },
    });
    expect(raw.headers.get("cache-control")).toContain("no-store");
    const text = await raw.text();
    expect(text).not.toContain(enrollment.secret);
    expect(text).not.toContain("secret");

    // Sign out; the password alone now gets a challenge.
    await signOut(auth, { scope: "local" });
    h.clock.advance(STEP);
    const challenge = await challengeOf(auth);
    expect(challenge.methods).toEqual(["totp", "recovery_code", "email_code"]);
    const otp = await completeMfa(auth, { challenge, code: await codeNow(h, enrollment.secret) });
    expect(otp.status).toBe("signed_in");
    expect(claimsOf(otp.session.accessToken).amr).toEqual(["pwd", "otp"]);

    // A recovery code, typed loosely (lower case, with spaces), works once.
    await signOut(auth, { scope: "local" });
    const second = await challengeOf(auth);
    const recovery = recoveryCodes[0] ?? "";
    const rec = await completeMfa(auth, {
      challenge: second,
      recoveryCode: ` ${recovery.toLowerCase().replace("-", " - ")} `,
    });
    expect(claimsOf(rec.session.accessToken).amr).toEqual(["pwd", "rec"]);
    await signOut(auth, { scope: "local" });
    const third = await challengeOf(auth);
    expect(await rejection(completeMfa(auth, { challenge: third, recoveryCode: recovery }))).toBeInstanceOf(
      InvalidMfaCodeError,
    );
    h.clock.advance(STEP);
    await completeMfa(auth, { challenge: third, code: await codeNow(h, enrollment.secret) });

    // New recovery codes replace the old ones.
    h.clock.advance(STEP);
    const renewed = await regenerateRecoveryCodes(auth, { code: await codeNow(h, enrollment.secret) });
    expect(renewed.recoveryCodes).toHaveLength(10);
    expect(renewed.recoveryCodes).not.toContain(recoveryCodes[1]);
    await signOut(auth, { scope: "local" });
    const fourth = await challengeOf(auth);
    expect(
      await rejection(completeMfa(auth, { challenge: fourth, recoveryCode: recoveryCodes[1] ?? "" })),
    ).toBeInstanceOf(InvalidMfaCodeError);
    await completeMfa(auth, { challenge: fourth, recoveryCode: renewed.recoveryCodes[0] ?? "" });

    // Removing the active factor needs a current code (here a recovery code) and drops the codes.
    await removeFactor(auth, { factorId: enrollment.factorId, code: renewed.recoveryCodes[1] ?? "" });
    expect(await listFactors(auth)).toEqual([]);
    expect(await getUser(auth)).toMatchObject({ mfaEnabled: false });
    await signOut(auth, { scope: "local" });
    expect((await signIn(auth, { email: EMAIL, password: PASSWORD })).status).toBe("signed_in");
  });

  it("reports enrolment, activation, new codes and removal to onEvent, without a secret", async () => {
    const events: AuthServerEvent[] = [];
    const h = await setup({ onEvent: (event) => events.push(event) });
    const auth = await signedIn(h);
    const { factorId, secret, recoveryCodes } = await enableTotp(h, auth);
    const renewed = await regenerateRecoveryCodes(auth, { code: await codeNow(h, secret) });
    await removeFactor(auth, { factorId, code: renewed.recoveryCodes[0] ?? "" });
    const mfa = events.filter((e) => e.type.startsWith("mfa_"));
    expect(mfa.map((e) => e.type)).toEqual([
      "mfa_enroll_started",
      "mfa_enabled",
      "mfa_recovery_codes_regenerated",
      "mfa_factor_removed",
    ]);
    expect(mfa.every((e) => e.userId !== undefined && e.ip === "127.0.0.1")).toBe(true);
    const logged = JSON.stringify(events);
    for (const secretText of [secret, ...recoveryCodes, ...renewed.recoveryCodes]) {
      expect(logged).not.toContain(secretText);
    }
  });

  it("removes an active factor with a TOTP code, and a pending one without a check", async () => {
    const h = await setup();
    const auth = await signedIn(h);
    const pending = await enrollTotp(auth);
    // A new enrolment replaces the pending one.
    const again = await enrollTotp(auth);
    expect((await listFactors(auth)).map((f) => f.id)).toEqual([again.factorId]);
    await removeFactor(auth, { factorId: again.factorId, code: "anything" });
    expect(await listFactors(auth)).toEqual([]);
    expect(await rejection(removeFactor(auth, { factorId: pending.factorId, code: "123456" }))).toMatchObject(
      { status: 404, problemCode: "factor_not_found" },
    );

    const { factorId, secret } = await enableTotp(h, auth);
    await removeFactor(auth, { factorId, code: await codeNow(h, secret) });
    expect(await listFactors(auth)).toEqual([]);
  });

  it("refuses with the SDK's typed errors: factor_exists, mfa_not_enabled, factor_not_found, bad labels", async () => {
    const h = await setup();
    const auth = await signedIn(h);
    expect(await rejection(regenerateRecoveryCodes(auth, { code: "123456" }))).toBeInstanceOf(
      MfaNotEnabledError,
    );
    const notFound = await rejection(activateTotp(auth, { factorId: "fac_nope", code: "123456" }));
    expect(notFound).toBeInstanceOf(HttpError);
    expect(notFound).toMatchObject({ status: 404, problemCode: "factor_not_found" });
    expect(await rejection(enrollTotp(auth, { issuer: "ACME:evil" }))).toBeInstanceOf(InvalidRequestError);
    expect(await rejection(enrollTotp(auth, { accountName: "a\u0000b" }))).toBeInstanceOf(
      InvalidRequestError,
    );

    const { factorId, secret } = await enableTotp(h, auth);
    expect(await rejection(enrollTotp(auth))).toBeInstanceOf(FactorExistsError);
    const exists = await rejection(activateTotp(auth, { factorId, code: await codeNow(h, secret) }));
    expect(exists).toBeInstanceOf(FactorExistsError);
    expect(exists).toMatchObject({ status: 409 });
    expect(await rejection(removeFactor(auth, { factorId: "fac_nope", code: "123456" }))).toMatchObject({
      status: 404,
      problemCode: "factor_not_found",
    });
  });

  it("checks the bearer token before the body, and parses bodies with the wire schemas", async () => {
    const h = await setup();
    const auth = await signedIn(h);
    const paths = [
      "/auth/mfa/totp/enroll",
      "/auth/mfa/totp/activate",
      "/auth/mfa/factors/remove",
      "/auth/mfa/recovery-codes",
    ];
    for (const path of paths) {
      const response = await fetch(`${h.baseUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer not-a-token" },
        body: "{broken",
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
      expect(await response.json()).toMatchObject({ code: "unauthorized" });
    }
    const noToken = await fetch(`${h.baseUrl}/auth/mfa/factors`);
    expect(noToken.status).toBe(401);
    const token = await accessTokenOf(auth);
    const bodies: Array<[string, string, string, number]> = [
      ["/auth/mfa/totp/activate", "application/json", JSON.stringify({ factor_id: "fac_x" }), 400],
      ["/auth/mfa/totp/activate", "application/json", JSON.stringify({ factor_id: "", code: "1" }), 400],
      ["/auth/mfa/recovery-codes", "application/json", JSON.stringify({ code: 123456 }), 400],
      ["/auth/mfa/totp/enroll", "application/json", JSON.stringify({ issuer: 7 }), 400],
      ["/auth/mfa/factors/remove", "text/plain", "factor_id=x&code=1", 415],
    ];
    for (const [path, type, body, status] of bodies) {
      const response = await fetch(`${h.baseUrl}${path}`, {
        method: "POST",
        headers: { "content-type": type, authorization: `Bearer ${token}` },
        body,
      });
      expect(response.status).toBe(status);
      expect(await response.json()).toMatchObject({ code: "invalid_request" });
    }
    const wrongMethod = await fetch(`${h.baseUrl}/auth/mfa/factors`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(wrongMethod.status).toBe(405);
    // A session ended elsewhere gets 401 here too, while its access token has not expired.
    const elsewhere = await signedIn(h);
    await signOut(elsewhere, { scope: "others" });
    const ended = await fetch(`${h.baseUrl}/auth/mfa/factors`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ended.status).toBe(401);
    expect(await rejection(listFactors(auth))).toBeInstanceOf(UnauthorizedError);
  });

  it("counts wrong codes on the account's lockout, shared with sign-in and /auth/mfa/verify", async () => {
    const h = await setup();
    const auth = await signedIn(h);
    const other = client(h);
    const enrollment = await enrollTotp(auth);
    const first = await rejection(
      activateTotp(auth, { factorId: enrollment.factorId, code: await wrongCode(h, enrollment.secret) }),
    );
    expect(first).toBeInstanceOf(InvalidMfaCodeError);
    expect((first as InvalidMfaCodeError).remainingAttempts).toBe(4);
    const password = await rejection(signIn(other, { email: EMAIL, password: "wrong" }));
    expect(password).toBeInstanceOf(InvalidCredentialsError);
    expect((password as InvalidCredentialsError).remainingAttempts).toBe(3);
    // Activation clears the counter.
    const { secret } = await activateTotp(auth, {
      factorId: enrollment.factorId,
      code: await codeNow(h, enrollment.secret),
    }).then(() => enrollment);

    // The code of the activation's step does not work again anywhere (RFC 6238 section 5.2).
    const replay = await rejection(regenerateRecoveryCodes(auth, { code: await codeNow(h, secret) }));
    expect(replay).toBeInstanceOf(InvalidMfaCodeError);
    expect((replay as InvalidMfaCodeError).remainingAttempts).toBe(4);
    h.clock.advance(STEP);
    // The correct password of an account with a second factor is not a failure: its reservation
    // is given back (store.releaseAttempt), and only a correct second factor clears the counter.
    const challenge = await challengeOf(other);
    const atVerify = await rejection(completeMfa(other, { challenge, code: await wrongCode(h, secret) }));
    expect(atVerify).toBeInstanceOf(InvalidMfaCodeError);
    expect((atVerify as InvalidMfaCodeError).remainingAttempts).toBe(3);
    const atRemove = await rejection(
      removeFactor(auth, { factorId: enrollment.factorId, code: await wrongCode(h, secret) }),
    );
    expect((atRemove as InvalidMfaCodeError).remainingAttempts).toBe(2);
    const lastBut = await rejection(
      removeFactor(auth, { factorId: enrollment.factorId, code: await wrongCode(h, secret) }),
    );
    expect((lastBut as InvalidMfaCodeError).remainingAttempts).toBe(1);
    const locking = await rejection(
      removeFactor(auth, { factorId: enrollment.factorId, code: "AAAA-BBBB-CCCC" }),
    );
    expect(locking).toBeInstanceOf(AccountLockedError);
    expect((locking as AccountLockedError).retryAfter).toBe(900);

    // Locked: the right code is refused everywhere without being counted or used.
    h.clock.advance(60_000);
    const right = await codeNow(h, secret);
    const locked = await rejection(regenerateRecoveryCodes(auth, { code: right }));
    expect(locked).toBeInstanceOf(AccountLockedError);
    expect((locked as AccountLockedError).retryAfter).toBe(840);
    expect(await rejection(signIn(client(h), { email: EMAIL, password: PASSWORD }))).toBeInstanceOf(
      AccountLockedError,
    );
    expect(
      await rejection(removeFactor(auth, { factorId: enrollment.factorId, code: right })),
    ).toBeInstanceOf(AccountLockedError);

    expect(await rejection(completeMfa(other, { challenge, code: right }))).toBeInstanceOf(
      AccountLockedError,
    );

    // The lock runs out; a current code works again.
    h.clock.advance(840_000);
    const after = await codeNow(h, secret);
    const { recoveryCodes } = await regenerateRecoveryCodes(auth, { code: after });
    expect(recoveryCodes).toHaveLength(10);
  });
});

describe("MFA races over real HTTP (truly concurrent requests)", () => {
  it("accepts one TOTP code once for two concurrent challenges at /auth/mfa/verify", async () => {
    // Each round takes four lockout slots (two correct passwords of an MFA account, two codes); the
    // loser's slot may be taken after the winner cleared the counter and carry into the next round,
    // so the default limit of 5 could lock a round. The lockout is not what this test is about.
    const h = await setup({ lockout: { maxAttempts: 50 } });
    const { secret } = await enableTotp(h, await signedIn(h));
    for (let round = 0; round < 5; round++) {
      const challenges = [await challengeOf(client(h)), await challengeOf(client(h))];
      const code = await codeNow(h, secret);
      const results = await together(
        h,
        "/auth/mfa/verify",
        challenges.map((c) => ({ challenge_id: c.id, code })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 401]);
      expect(results.find((r) => r.status === 401)?.body).toMatchObject({ code: "invalid_mfa_code" });
      expect(results.find((r) => r.status === 200)?.body).toMatchObject({ status: "signed_in" });
      h.clock.advance(STEP);
    }
  });

  it("accepts one TOTP code once among ten concurrent challenges", async () => {
    const h = await setup({ lockout: { maxAttempts: 50 } });
    const { secret } = await enableTotp(h, await signedIn(h));
    const challenges: MfaChallenge[] = [];
    for (let i = 0; i < 10; i++) challenges.push(await challengeOf(client(h)));
    const code = await codeNow(h, secret);
    const results = await together(
      h,
      "/auth/mfa/verify",
      challenges.map((c) => ({ challenge_id: c.id, code })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(9);
  });

  it("accepts one recovery code once for two concurrent challenges", async () => {
    const h = await setup();
    const { recoveryCodes } = await enableTotp(h, await signedIn(h));
    const challenges = [await challengeOf(client(h)), await challengeOf(client(h))];
    const results = await together(
      h,
      "/auth/mfa/verify",
      challenges.map((c) => ({ challenge_id: c.id, recovery_code: recoveryCodes[0] })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it("completes one challenge once when two correct codes race on it", async () => {
    const h = await setup();
    const { recoveryCodes } = await enableTotp(h, await signedIn(h));
    const challenge = await challengeOf(client(h));
    const results = await together(h, "/auth/mfa/verify", [
      { challenge_id: challenge.id, recovery_code: recoveryCodes[0] },
      { challenge_id: challenge.id, recovery_code: recoveryCodes[1] },
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(results.find((r) => r.status === 400)?.body).toMatchObject({ code: "mfa_challenge_expired" });
  });

  it("issues new recovery codes once for one TOTP code sent twice at once", async () => {
    const h = await setup();
    const auth = await signedIn(h);
    const { secret } = await enableTotp(h, auth);
    const code = await codeNow(h, secret);
    const results = await together(
      h,
      "/auth/mfa/recovery-codes",
      [{ code }, { code }],
      await accessTokenOf(auth),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    const issued = results.find((r) => r.status === 200)?.body.recovery_codes as string[];
    // The codes that won are the ones in force.
    await signOut(auth, { scope: "local" });
    const challenge = await challengeOf(auth);
    await completeMfa(auth, { challenge, recoveryCode: issued[0] ?? "" });
  });

  it("activates a pending factor once when its first code is sent twice at once", async () => {
    const h = await setup();
    const auth = await signedIn(h);
    const { factorId, secret } = await enrollTotp(auth);
    const code = await codeNow(h, secret);
    const results = await together(
      h,
      "/auth/mfa/totp/activate",
      [
        { factor_id: factorId, code },
        { factor_id: factorId, code },
      ],
      await accessTokenOf(auth),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)?.body).toMatchObject({ code: "factor_exists" });
    expect(await listFactors(auth)).toMatchObject([{ id: factorId, status: "active" }]);
  });
});
