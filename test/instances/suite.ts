/**
 * What four server processes on one database must show (the many-instance suite, run by
 * sqlite.test.ts and postgres.test.ts): every guard that is one atomic store step holds across
 * processes, not only inside one, and the signing keys live in the store, so every instance signs,
 * verifies and serves the same JWKS, rotation included.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { generateTotp } from "../../src/totp/index";
import {
  type Answer,
  type Cluster,
  call,
  INSTANCES,
  type Instance,
  PASSWORD,
  startCluster,
  statuses,
  together,
} from "./cluster";

const DAY = 86_400_000;

interface SignedIn {
  access_token: string;
  refresh_token: string;
}

/** The `kid` of a JWT's protected header. */
function kidOf(jwt: string): string {
  const header = JSON.parse(Buffer.from(jwt.split(".")[0] ?? "", "base64url").toString()) as { kid: string };
  return header.kid;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The distinct problem codes (or OAuth `error`s) of the answers with `status`. */
const codes = (answers: Answer[], status: number) => [
  ...new Set(answers.filter((a) => a.status === status).map((a) => a.body.code ?? a.body.error)),
];

export function describeManyInstances(
  name: string,
  store: () => Promise<{ kind: "sqlite" | "postgres"; target: string }>,
): void {
  describe(name, () => {
    let cluster: Cluster;
    let at: (i: number) => Instance;
    let accounts = 0;

    beforeAll(async () => {
      cluster = await startCluster(await store());
      at = (i) => cluster.instances[i % INSTANCES]!;
    }, 20_000);

    afterAll(async () => {
      await cluster?.close();
    });

    afterEach(() => {
      // Nothing was answered 500 (a store step failing under contention, say).
      expect(cluster.errors).toEqual([]);
    });

    /** Signs up a new account at `instance`; its email and first session. */
    async function newAccount(instance: number): Promise<{ email: string } & SignedIn> {
      const email = `user${++accounts}@example.jp`;
      const signedUp = await call(at(instance), "POST", "/auth/sign-up", {
        json: { email, password: PASSWORD },
      });
      expect(signedUp.status).toBe(201);
      return { email, ...(signedUp.body as unknown as SignedIn) };
    }

    async function signIn(instance: number, email: string, password = PASSWORD): Promise<Answer> {
      return call(at(instance), "POST", "/auth/sign-in", { json: { email, password } });
    }

    async function jwksEverywhere(): Promise<Array<{ keys: Array<{ kid: string }> }>> {
      return Promise.all(
        cluster.instances.map(async (instance) => {
          const answer = await call(instance, "GET", "/.well-known/jwks.json");
          expect(answer.status).toBe(200);
          return answer.body as { keys: Array<{ kid: string }> };
        }),
      );
    }

    /** GET /auth/user with `token` at every instance: the statuses. */
    async function userEverywhere(token: string): Promise<number[]> {
      return Promise.all(
        cluster.instances.map(
          async (instance) => (await call(instance, "GET", "/auth/user", { token })).status,
        ),
      );
    }

    it("100 concurrent wrong passwords for one account across 4 processes: exactly maxAttempts (5) evaluated", async () => {
      const { email } = await newAccount(0);
      const before = await cluster.verified();
      const answers = await together(
        cluster,
        "/auth/sign-in",
        Array.from({ length: 100 }, (_, i) => ({ json: { email, password: `wrong password ${i}` } })),
      );
      const after = await cluster.verified();
      const perInstance = after.map((n, i) => n - (before[i] ?? 0));
      console.info(`${name}: passwords evaluated per process ${JSON.stringify(perInstance)}`);
      expect(sum(perInstance)).toBe(5);
      // Four failures answer 401; the fifth locks (423) and every other attempt meets the lock.
      expect(statuses(answers)).toEqual({ 401: 4, 423: 96 });
      expect(codes(answers, 401)).toEqual(["invalid_credentials"]);
      expect(codes(answers, 423)).toEqual(["account_locked"]);
      // Locked at every instance, the right password included, without evaluating it.
      for (let i = 0; i < INSTANCES; i++) expect((await signIn(i, email)).status).toBe(423);
      expect(sum(await cluster.verified())).toBe(sum(after));
    });

    it("one refresh token presented 20 times across 4 processes: one rotation, then the family is revoked", async () => {
      const { refresh_token, access_token } = await newAccount(1);
      const answers = await together(
        cluster,
        "/oauth/token",
        Array.from({ length: 20 }, () => ({ form: { grant_type: "refresh_token", refresh_token } })),
      );
      const winners = answers.filter((a) => a.status === 200);
      expect(winners).toHaveLength(1);
      expect(statuses(answers)).toEqual({ 200: 1, 400: 19 });
      expect(codes(answers, 400)).toEqual(["invalid_grant"]);
      const winner = winners[0]!.body as unknown as SignedIn;
      // The reuse ended the session: the winner's new refresh token is dead at every instance,
      // and so are the session's access tokens.
      for (let i = 0; i < INSTANCES; i++) {
        const next = await call(at(i), "POST", "/oauth/token", {
          form: { grant_type: "refresh_token", refresh_token: winner.refresh_token },
        });
        expect(next.status).toBe(400);
        expect(next.body.error).toBe("invalid_grant");
      }
      expect(await userEverywhere(winner.access_token)).toEqual([401, 401, 401, 401]);
      expect(await userEverywhere(access_token)).toEqual([401, 401, 401, 401]);
    });

    it("a password-reset token presented 20 times across 4 processes: used once", async () => {
      const { email } = await newAccount(2);
      const requested = await call(at(3), "POST", "/auth/password/reset-request", { json: { email } });
      expect(requested.status).toBe(202);
      const mail = await cluster.mail((m) => m.kind === "password_reset" && m.to === email);
      const token = new URL(mail.link ?? "").searchParams.get("token") ?? "";
      expect(token).not.toBe("");
      const answers = await together(
        cluster,
        "/auth/password/reset",
        Array.from({ length: 20 }, (_, i) => ({ json: { token, password: `${PASSWORD} new ${i}` } })),
      );
      expect(statuses(answers)).toEqual({ 204: 1, 400: 19 });
      expect(codes(answers, 400)).toEqual(["invalid_token"]);
      // The one reset that happened set its own password, at every instance.
      const winner = answers.findIndex((a) => a.status === 204);
      for (let i = 0; i < INSTANCES; i++) {
        expect((await signIn(i, email, `${PASSWORD} new ${winner}`)).status).toBe(200);
      }
      expect((await signIn(0, email)).status).toBe(401);
    });

    it("an email-change token presented 20 times across 4 processes: used once", async () => {
      const { email, access_token } = await newAccount(3);
      const newEmail = `changed-${email}`;
      const requested = await call(at(0), "POST", "/auth/email/change-request", {
        json: { new_email: newEmail, password: PASSWORD },
        token: access_token,
      });
      expect(requested.status).toBe(202);
      const mail = await cluster.mail((m) => m.kind === "email_change" && m.to === newEmail);
      const token = new URL(mail.link ?? "").searchParams.get("token") ?? "";
      const answers = await together(
        cluster,
        "/auth/email/confirm",
        Array.from({ length: 20 }, () => ({ json: { token } })),
      );
      expect(statuses(answers)).toEqual({ 200: 1, 400: 19 });
      expect(codes(answers, 400)).toEqual(["invalid_token"]);
      expect(answers.find((a) => a.status === 200)?.body.user).toMatchObject({ email: newEmail });
      expect((await signIn(2, newEmail)).status).toBe(200);
    });

    it("one TOTP code presented to 4 challenges on 4 processes at once: accepted once", async () => {
      const { email, access_token } = await newAccount(0);
      const enrolled = await call(at(1), "POST", "/auth/mfa/totp/enroll", { json: {}, token: access_token });
      expect(enrolled.status).toBe(200);
      const { factor_id, secret } = enrolled.body as { factor_id: string; secret: string };
      const activated = await call(at(2), "POST", "/auth/mfa/totp/activate", {
        json: { factor_id, code: await generateTotp(secret, { time: cluster.now() }) },
        token: access_token,
      });
      expect(activated.status).toBe(200);
      // The next step, so that its code is newer than the one activation used.
      await cluster.advance(30_000);
      const challenges: string[] = [];
      for (let i = 0; i < INSTANCES; i++) {
        const answer = await signIn(i, email);
        expect(answer.status).toBe(200);
        expect(answer.body.status).toBe("mfa_required");
        challenges.push((answer.body.challenge as { id: string }).id);
      }
      const code = await generateTotp(secret, { time: cluster.now() });
      const answers = await together(
        cluster,
        "/auth/mfa/verify",
        challenges.map((challenge_id, i) => ({ json: { challenge_id, code }, instance: i })),
      );
      expect(statuses(answers)).toEqual({ 200: 1, 401: 3 });
      expect(codes(answers, 401)).toEqual(["invalid_mfa_code"]);
      expect(answers.find((a) => a.status === 200)?.body.status).toBe("signed_in");
    });

    it("signing keys are shared: a token issued by one instance verifies at every other; one JWKS", async () => {
      const { email } = await newAccount(0);
      for (let i = 0; i < INSTANCES; i++) {
        const signedIn = await signIn(i, email);
        expect(signedIn.status).toBe(200);
        expect(await userEverywhere(String(signedIn.body.access_token))).toEqual([200, 200, 200, 200]);
      }
      const jwks = await jwksEverywhere();
      for (const other of jwks.slice(1)) expect(other).toEqual(jwks[0]);
      // Four instances started on an empty database and signed in turn: one key among them.
      expect(jwks[0]?.keys).toHaveLength(1);
    });

    it("key rotation is seen by all: the next sign-in makes a key, every JWKS lists it, old tokens still verify", async () => {
      const { email } = await newAccount(1);
      const first = await signIn(0, email);
      const oldKid = kidOf(String(first.body.access_token));
      expect((await jwksEverywhere())[0]?.keys.map((k) => k.kid)).toEqual([oldKid]);

      // Just before the key is 30 days old: still the same key; a token signed by it now.
      await cluster.advance(30 * DAY - 5 * 60_000);
      const before = await signIn(1, email);
      expect(kidOf(String(before.body.access_token))).toBe(oldKid);

      // Past 30 days: the next sign-in, at one instance, makes a new key.
      await cluster.advance(10 * 60_000);
      const rotated = await signIn(2, email);
      expect(rotated.status).toBe(200);
      const newKid = kidOf(String(rotated.body.access_token));
      expect(newKid).not.toBe(oldKid);
      const jwks = await jwksEverywhere();
      for (const other of jwks) expect(other.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
      for (const other of jwks.slice(1)) expect(other).toEqual(jwks[0]);
      // Every instance signs with the new key (none makes another) and verifies both keys' tokens.
      for (let i = 0; i < INSTANCES; i++) {
        const signedIn = await signIn(i, email);
        expect(kidOf(String(signedIn.body.access_token))).toBe(newKid);
      }
      expect(await userEverywhere(String(rotated.body.access_token))).toEqual([200, 200, 200, 200]);
      expect(await userEverywhere(String(before.body.access_token))).toEqual([200, 200, 200, 200]);

      // Once the tokens it signed have expired (900 s + 1 h), the old key leaves every JWKS.
      await cluster.advance(900_000 + 3_600_000 + 1000);
      for (const other of await jwksEverywhere()) expect(other.keys.map((k) => k.kid)).toEqual([newKid]);
      expect(await userEverywhere(String(before.body.access_token))).toEqual([401, 401, 401, 401]);
    });

    it("a rotation due at 4 processes at once: every token verifies everywhere; one JWKS", async () => {
      const { email } = await newAccount(2);
      const kids = new Set((await jwksEverywhere())[0]?.keys.map((k) => k.kid));
      await cluster.advance(31 * DAY);
      const answers = await together(
        cluster,
        "/auth/sign-in",
        Array.from({ length: INSTANCES }, () => ({ json: { email, password: PASSWORD } })),
      );
      expect(statuses(answers)).toEqual({ 200: INSTANCES });
      const made = new Set(answers.map((a) => kidOf(String(a.body.access_token))));
      for (const kid of made) expect(kids.has(kid)).toBe(false);
      // The key ring allows two instances to make a key each at the same moment (keys.ts): at
      // least one, at most one per instance, every one of them in every JWKS.
      expect(made.size).toBeGreaterThanOrEqual(1);
      expect(made.size).toBeLessThanOrEqual(INSTANCES);
      const jwks = await jwksEverywhere();
      for (const other of jwks) {
        expect(new Set(other.keys.map((k) => k.kid))).toEqual(new Set([...made, ...kids]));
      }
      for (const other of jwks.slice(1)) expect(other).toEqual(jwks[0]);
      for (const answer of answers) {
        expect(await userEverywhere(String(answer.body.access_token))).toEqual([200, 200, 200, 200]);
      }
      console.info(`${name}: a rotation due at 4 processes at once made ${made.size} key(s)`);

      // The next rotation retires them all: one key is left once their tokens have expired.
      await cluster.advance(31 * DAY);
      const next = await signIn(3, email);
      const nextKid = kidOf(String(next.body.access_token));
      expect(made.has(nextKid)).toBe(false);
      await cluster.advance(900_000 + 3_600_000 + 1000);
      for (const other of await jwksEverywhere()) expect(other.keys.map((k) => k.kid)).toEqual([nextKid]);
      expect(await userEverywhere(String(next.body.access_token))).toEqual([401, 401, 401, 401]);
    });
  });
}
