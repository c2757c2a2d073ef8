/**
 * The second factor by mail (「設定済みメールアドレスに認証コードが届いているか確認」) over real
 * HTTP, driven by the SDK: the challenge offers `email_code` to a verified address, the code is
 * mailed through the outbox, works once, for 10 minutes at most, its wrong tries count with the
 * challenge's others, a resend replaces it, 3 at most; and one code presented by 10 concurrent
 * requests signs in once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { completeMfa, sendMfaEmailCode, signIn } from "../../../src/credentials/index";
import type { MfaChallenge } from "../../../src/credentials/sign-in";
import {
  type AuthClient,
  createAuthClient,
  InvalidMfaCodeError,
  InvalidRequestError,
  MfaChallengeExpiredError,
  RateLimitedError,
} from "../../../src/index";
import type { AuthServerOptions } from "../../../src/server/auth-server";
import { activateTotp, enrollTotp, generateTotp } from "../../../src/totp/index";
import { type Harness, startServer, together } from "./harness";

const EMAIL = "hanako@example.jp";
const PASSWORD = "correct horse battery";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const client = (h: Harness): AuthClient => createAuthClient({ baseUrl: h.baseUrl, clock: h.clock, retry: 0 });

/** A server with Hanako (verified address) with TOTP on, and a client at her challenge. */
async function setup(options: Partial<AuthServerOptions> = {}, verified = true) {
  const h = await startServer(options);
  harness = h;
  const id = await h.addUser(EMAIL, PASSWORD, "山田花子");
  if (!verified) await h.store.updateUser(id, { emailVerified: false }, h.clock.now());
  const auth = client(h);
  await signIn(auth, { email: EMAIL, password: PASSWORD });
  const enrollment = await enrollTotp(auth);
  await activateTotp(auth, {
    factorId: enrollment.factorId,
    code: await generateTotp(enrollment.secret, { time: h.clock.now() }),
  });
  h.clock.advance(30_000);
  const signInAgain = client(h);
  const result = await signIn(signInAgain, { email: EMAIL, password: PASSWORD });
  if (result.status !== "mfa_required") throw new Error("expected the challenge");
  return { h, auth: signInAgain, challenge: result.challenge, secret: enrollment.secret };
}

/** The code of the newest code mail to Hanako. */
function mailedCode(h: Harness): string {
  const mail = h.server.outbox.filter((m) => m.to === EMAIL && m.kind === "mfa_code").at(-1);
  const code = /\b(\d{6})\b/.exec(mail?.text ?? "")?.[1];
  if (code === undefined) throw new Error("no code mail");
  return code;
}

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as { amr: string[] };

describe("a second factor by mail", () => {
  it("is offered to a verified address, mailed through the outbox, and signs in once", async () => {
    const { h, auth, challenge } = await setup();
    expect(challenge.methods).toEqual(["totp", "recovery_code", "email_code"]);
    expect(await sendMfaEmailCode(auth, { challenge })).toEqual({ expiresIn: 300 }); // never past the challenge
    const mail = h.server.outbox.at(-1);
    expect(mail).toMatchObject({ to: EMAIL, kind: "mfa_code", locale: "en" });
    expect(mail?.link).toBeUndefined();
    expect(mail?.subject).not.toMatch(/\d{6}/); // the code is in the body only
    const code = mailedCode(h);
    const { session } = await completeMfa(auth, { challenge, emailCode: code });
    expect(claimsOf(session.accessToken).amr).toEqual(["pwd", "otp"]);
    // Used: the challenge is complete.
    await expect(completeMfa(client(h), { challenge, emailCode: code })).rejects.toBeInstanceOf(
      MfaChallengeExpiredError,
    );
  });

  it("is not offered to an unverified address, nor when the server turns it off", async () => {
    const unverified = await setup({}, false);
    expect(unverified.challenge.methods).not.toContain("email_code");
    await expect(
      sendMfaEmailCode(unverified.auth, { challenge: unverified.challenge }),
    ).rejects.toBeInstanceOf(InvalidRequestError);
    expect(unverified.h.server.outbox.filter((m) => m.kind === "mfa_code")).toEqual([]);
    await unverified.h.close();
    harness = undefined;
    const off = await setup({ emailCodeMfa: false });
    expect(off.challenge.methods).not.toContain("email_code");
  });

  it("counts wrong codes with the challenge's other attempts, and a resend replaces the code", async () => {
    const { h, auth, challenge } = await setup();
    await sendMfaEmailCode(auth, { challenge });
    const first = mailedCode(h);
    await sendMfaEmailCode(auth, { challenge }); // a new code: the first stops working
    const second = mailedCode(h);
    const wrong = first === second ? String((Number(first) + 1) % 1_000_000).padStart(6, "0") : first;
    const refused = await completeMfa(auth, { challenge, emailCode: wrong }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidMfaCodeError);
    expect((refused as InvalidMfaCodeError).remainingAttempts).toBe(4);
    await expect(completeMfa(auth, { challenge, code: "000000" })).rejects.toBeInstanceOf(
      InvalidMfaCodeError,
    );
    await sendMfaEmailCode(auth, { challenge }); // the third and last
    await expect(sendMfaEmailCode(auth, { challenge })).rejects.toBeInstanceOf(RateLimitedError);
    const { session } = await completeMfa(auth, { challenge, emailCode: mailedCode(h) });
    expect(session.user?.email).toBe(EMAIL);
  });

  it("stops working after 10 minutes even when the challenge lives longer", async () => {
    const { h, auth, challenge } = await setup({ lifetimes: { challenge: 3600 } });
    expect(await sendMfaEmailCode(auth, { challenge })).toEqual({ expiresIn: 600 });
    const code = mailedCode(h);
    h.clock.advance(600_000);
    await expect(completeMfa(auth, { challenge, emailCode: code })).rejects.toBeInstanceOf(
      InvalidMfaCodeError,
    );
  });

  it("race: one mailed code presented by 10 concurrent requests signs in once", async () => {
    const { h, auth, challenge } = await setup();
    await sendMfaEmailCode(auth, { challenge });
    const body = JSON.stringify({ challenge_id: challenge.id, email_code: mailedCode(h) });
    const responses = await together(
      h,
      "/auth/mfa/verify",
      Array.from({ length: 10 }, () => body),
      { "content-type": "application/json" },
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    // The others: the challenge was completed (400), or their lockout slot was not given (423:
    // at most 5 evaluations of one account are in flight at once).
    expect(statuses.filter((s) => s !== 200).every((s) => s === 400 || s === 401 || s === 423)).toBe(true);
  });

  it("refuses a code for an unknown challenge and a request with two codes", async () => {
    const { auth, challenge } = await setup();
    await expect(sendMfaEmailCode(auth, { challenge: "chl_unknown" })).rejects.toBeInstanceOf(
      MfaChallengeExpiredError,
    );
    const both = await fetch(`${harness?.baseUrl}/auth/mfa/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        challenge_id: (challenge as MfaChallenge).id,
        code: "123456",
        email_code: "123456",
      }),
    });
    expect(both.status).toBe(400);
  });
});
