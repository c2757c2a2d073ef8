/**
 * The second factor by mail through a real SMTP server (in-process, 127.0.0.1): the code mail
 * (`mfa_code`) arrives in the user's language with the code only (no link, the code not in the
 * subject), and the code read from the parsed mail finishes the sign-in through the SDK.
 */
import { afterEach, describe, expect, it } from "vitest";
import { completeMfa, sendMfaEmailCode, signIn } from "../../../src/credentials/index";
import { smtpMailer } from "../../../src/server/smtp/index";
import { memoryStore } from "../../../src/server/store/memory";
import { activateTotp, enrollTotp, generateTotp } from "../../../src/totp/index";
import { addUser, FROM, startMailServer, testClock } from "./mail-server";
import { startSmtp } from "./smtp-harness";

const HANAKO = { email: "hanako@example.jp", password: "correct horse battery" };
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe("mfa_code over SMTP", () => {
  it("the mailed code finishes the sign-in", async () => {
    const smtp = await startSmtp();
    cleanup.push(() => smtp.close());
    const store = memoryStore();
    const mailer = smtpMailer({ url: smtp.url, from: FROM });
    cleanup.push(() => mailer.close());
    const clock = testClock();
    const app = await startMailServer({ store, mailer, clock, serviceName: "スキルマーケット" });
    cleanup.push(() => app.close());
    await addUser(store, HANAKO.email, HANAKO.password);

    const setupClient = app.client();
    await signIn(setupClient, HANAKO);
    const enrollment = await enrollTotp(setupClient);
    await activateTotp(setupClient, {
      factorId: enrollment.factorId,
      code: await generateTotp(enrollment.secret, { time: clock.now() }),
    });

    const auth = app.client();
    const result = await signIn(auth, HANAKO);
    if (result.status !== "mfa_required") throw new Error("expected the challenge");
    await sendMfaEmailCode(auth, { challenge: result.challenge });
    const [mail] = await smtp.waitFor(1);
    expect(mail?.envelope.to).toEqual([HANAKO.email]);
    expect(mail?.parsed.subject).toBe("スキルマーケット: your sign-in code");
    expect(mail?.parsed.subject).not.toMatch(/\d{6}/);
    const code = /\b(\d{6})\b/.exec(mail?.parsed.text ?? "")?.[1] ?? "";
    expect(code).toMatch(/^\d{6}$/);
    expect(mail?.parsed.text).not.toMatch(/https?:\/\//);
    const { session } = await completeMfa(auth, { challenge: result.challenge, emailCode: code });
    expect(session.user?.email).toBe(HANAKO.email);
    expect(smtp.messages).toHaveLength(1);
  });
});
