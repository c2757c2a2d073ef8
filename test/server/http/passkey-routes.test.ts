/**
 * Passkeys at createAuthServer over real HTTP on 127.0.0.1, driven by the software authenticator
 * of tegata/mock: registration and sign-in ceremonies, the list, and every bad input of the issue
 * (replayed assertion, wrong origin, wrong RP ID, another user's credential, a challenge used
 * twice or expired, a decreasing counter, malformed attestation objects and client data), each a
 * typed refusal that stores nothing.
 */
import fc from "fast-check";
import { decodeJwt } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { createSoftwareAuthenticator, type SoftwareAuthenticator } from "../../../src/mock/index";
import { type Harness, startServer } from "./harness";

const ORIGIN = "https://app.example.com";
const RP_ID = "example.com";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function setup(options: Parameters<typeof startServer>[0] = {}) {
  h = await startServer({ passkeys: { rpId: RP_ID, rpName: "Example", origins: [ORIGIN] }, ...options });
  return h;
}

async function post(path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(`${h.baseUrl}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
}

async function get(path: string, token: string): Promise<Response> {
  return fetch(`${h.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

/** A user signed in with a password: their id and access token. */
async function signedInUser(email = "hanako@example.jp"): Promise<{ userId: string; token: string }> {
  const userId = await h.addUser(email, "correct horse battery staple", "Hanako");
  const response = await post("/auth/sign-in", { email, password: "correct horse battery staple" });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { access_token: string };
  return { userId, token: body.access_token };
}

/** Registers a passkey of the authenticator for the user; the server's answer. */
async function register(
  authenticator: SoftwareAuthenticator,
  token: string,
  ceremony: Parameters<SoftwareAuthenticator["create"]>[1] = {},
  name?: string,
): Promise<Response> {
  const options = await (await post("/auth/passkeys/register/options", {}, token)).json();
  const credential = await authenticator.create(options, ceremony);
  return post("/auth/passkeys/register", { credential, ...(name === undefined ? {} : { name }) }, token);
}

/** An assertion of the authenticator for fresh sign-in options. */
async function assertion(
  authenticator: SoftwareAuthenticator,
  ceremony: Parameters<SoftwareAuthenticator["get"]>[1] = {},
) {
  const options = await (await post("/auth/passkeys/sign-in/options", {})).json();
  return authenticator.get(options, ceremony);
}

async function code(response: Response): Promise<string> {
  return ((await response.json()) as { code: string }).code;
}

async function history(userId: string) {
  return (await h.store.listLoginEvents(userId, { limit: 100 })).items;
}

describe("passkey ceremonies", () => {
  it("registers a passkey, lists it and signs in with it: signed_in, amr hwk+mfa, history method passkey", async () => {
    await setup();
    const { userId, token } = await signedInUser();
    const authenticator = createSoftwareAuthenticator({ origin: ORIGIN });

    const optionsResponse = await post("/auth/passkeys/register/options", {}, token);
    expect(optionsResponse.status).toBe(200);
    const options = await optionsResponse.json();
    expect(options).toMatchObject({
      rp: { id: RP_ID, name: "Example" },
      user: { name: "hanako@example.jp", displayName: "Hanako" },
      attestation: "none",
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
    });
    const credential = await authenticator.create(options);
    const registered = await post("/auth/passkeys/register", { credential, name: " MacBook " }, token);
    expect(registered.status).toBe(201);
    const { passkey } = (await registered.json()) as { passkey: Record<string, unknown> };
    expect(passkey).toMatchObject({
      id: credential.id,
      name: "MacBook",
      device_type: "multiDevice",
      backed_up: true,
      transports: ["internal", "hybrid"],
      last_used_at: null,
    });
    expect(JSON.stringify(passkey)).not.toContain("public");

    const list = await (await get("/auth/passkeys", token)).json();
    expect(list).toEqual({ passkeys: [passkey] });

    // The next registration options exclude it.
    const again = await (await post("/auth/passkeys/register/options", {}, token)).json();
    expect(again.excludeCredentials).toEqual([
      { id: credential.id, type: "public-key", transports: ["internal", "hybrid"] },
    ]);

    const signIn = await post("/auth/passkeys/sign-in", { credential: await assertion(authenticator) });
    expect(signIn.status).toBe(200);
    const body = (await signIn.json()) as { status: string; access_token: string; user: { id: string } };
    expect(body.status).toBe("signed_in");
    expect(body.user.id).toBe(userId);
    expect(decodeJwt(body.access_token)).toMatchObject({ sub: userId, amr: ["hwk", "mfa"] });
    const stored = await h.store.getPasskey(credential.id);
    expect(stored).toMatchObject({ signCount: 1, backedUp: true, lastUsedAt: h.clock.now() });
    expect((await history(userId))[0]).toMatchObject({ method: "passkey", result: "success" });
    expect((await history(userId))[0]?.sessionId).not.toBeNull();
  });

  it("a passkey is a second factor too: an account with TOTP signs in without a code", async () => {
    await setup();
    const { userId, token } = await signedInUser();
    const authenticator = createSoftwareAuthenticator({ origin: ORIGIN, counter: "none" });
    expect((await register(authenticator, token)).status).toBe(201);
    await h.store.addFactor({
      id: "fac_1",
      userId,
      kind: "totp",
      secretSealed: "sealed",
      status: "active",
      lastStep: -1,
      createdAt: h.clock.now(),
      lastUsedAt: null,
    });
    const password = await post("/auth/sign-in", {
      email: "hanako@example.jp",
      password: "correct horse battery staple",
    });
    expect(await password.json()).toMatchObject({ status: "mfa_required" });
    for (let i = 0; i < 3; i++) {
      // Without a counter (synced passkeys): 0 each time, every fresh challenge accepted.
      const response = await post("/auth/passkeys/sign-in", { credential: await assertion(authenticator) });
      expect(await response.json()).toMatchObject({ status: "signed_in" });
    }
  });

  it("renames and removes a passkey; a removed passkey signs in no more", async () => {
    await setup();
    const { token } = await signedInUser();
    const authenticator = createSoftwareAuthenticator({ origin: ORIGIN });
    const { passkey } = (await (await register(authenticator, token)).json()) as { passkey: { id: string } };
    const renamed = await post("/auth/passkeys/rename", { id: passkey.id, name: "iPhone" }, token);
    expect(await renamed.json()).toMatchObject({ passkey: { id: passkey.id, name: "iPhone" } });
    expect(await code(await post("/auth/passkeys/rename", { id: passkey.id, name: "a\nb" }, token))).toBe(
      "invalid_request",
    );
    expect((await post("/auth/passkeys/remove", { id: passkey.id }, token)).status).toBe(204);
    expect(await code(await post("/auth/passkeys/remove", { id: passkey.id }, token))).toBe(
      "passkey_not_found",
    );
    expect(await (await get("/auth/passkeys", token)).json()).toEqual({ passkeys: [] });
    const response = await post("/auth/passkeys/sign-in", { credential: await assertion(authenticator) });
    expect(response.status).toBe(401);
    expect(await code(response)).toBe("invalid_passkey");
  });

  it("the bearer endpoints need a signed-in user", async () => {
    await setup();
    for (const path of [
      "/auth/passkeys/register/options",
      "/auth/passkeys/register",
      "/auth/passkeys/rename",
    ]) {
      const response = await post(path, {});
      expect(response.status).toBe(401);
    }
    expect((await fetch(`${h.baseUrl}/auth/passkeys`)).status).toBe(401);
  });
});

describe("passkey bad input: each a typed refusal, nothing stored", () => {
  it("a replayed assertion is refused (its challenge is consumed), and recorded as a failure", async () => {
    await setup();
    const { userId, token } = await signedInUser();
    const authenticator = createSoftwareAuthenticator({ origin: ORIGIN });
    await register(authenticator, token);
    const credential = await assertion(authenticator);
    expect((await post("/auth/passkeys/sign-in", { credential })).status).toBe(200);
    const replay = await post("/auth/passkeys/sign-in", { credential });
    expect(replay.status).toBe(400);
    expect(await code(replay)).toBe("passkey_challenge_expired");
    expect((await history(userId)).map((e) => [e.method, e.result])).toEqual([
      ["passkey", "failure"],
      ["passkey", "success"],
      ["password", "success"],
    ]);
    expect((await h.store.getPasskey(credential.id))?.signCount).toBe(1);
  });

  it("a wrong origin is refused at registration and sign-in", async () => {
    await setup();
    const { userId, token } = await signedInUser();
    const authenticator = createSoftwareAuthenticator({ origin: ORIGIN });
    const refused = await register(authenticator, token, {
      origin: "https://evil.example.com.attacker.test",
    });
    expect(refused.status).toBe(401);
    expect(await code(refused)).toBe("invalid_passkey");
    expect(await h.store.listPasskeys(userId)).toEqual([]);
    await register(authenticator, token);
    const [held] = authenticator.passkeys.slice(-1);
    const credential = await assertion(authenticator, { origin: "https://phish.example.net", rpId: RP_ID });
    const response = await post("/auth/passkeys/sign-in", { credential });
    expect(await code(response)).toBe("invalid_passkey");
    expect(await h.store.getPasskey(held?.id ?? "")).toMatchObject({ signCount: 0, lastUsedAt: null });
  });

  it("a wrong RP ID is refused at registration and sign-in", async () => {
    await setup();
    const { userId, token } = await signedInUser();
    const authenticator = createSoftwareAuthenticator({ origin: ORIGIN });
    expect(await code(await register(authenticator, token, { rpId: "evil.com" }))).toBe("invalid_passkey");
    expect(await h.store.listPasskeys(userId)).toEqual([]);
    await register(authenticator, token);
    const credential = await assertion(authenticator, {
      rpId: "app.example.com",
      credentialId: authenticator.passkeys.at(-1)?.id,
    });
    expect(await code(await post("/auth/passkeys/sign-in", { credential }))).toBe("invalid_passkey");
  });

  it("no user verification is refused at registration and sign-in", async () => {
    await setup();
    const { userId, token } = await signedInUser();
    const authenticator = createSoftwareAuthenticator({ origin: ORIGIN });
    expect(await code(await register(authenticator, token, { userVerified: false }))).toBe("invalid_passkey");
    expect(await h.store.listPasskeys(userId)).toEqual([]);
    await register(authenticator, token);
    const credential = await assertion(authenticator, {
      userVerified: false,
      credentialId: authenticator.passkeys.at(-1)?.id,
    });
    expect(await code(await post("/auth/passkeys/sign-in", { credential }))).toBe("invalid_passkey");
  });

  it("another user's credential: not registered twice, not renamed or removed, its user handle must match", async () => {
    await setup();
    const hanako = await signedInUser("hanako@example.jp");
    const taro = await signedInUser("taro@example.jp");
    const authenticator = createSoftwareAuthenticator({ origin: ORIGIN });
    const registered = await register(authenticator, hanako.token);
    const { passkey } = (await registered.json()) as { passkey: { id: string } };

    const first = await h.store.getPasskey(passkey.id);
    // Taro posts a registration that names Hanako's credential id on the wire only: refused.
    const taroAuthenticator = createSoftwareAuthenticator({ origin: ORIGIN });
    const options = await (await post("/auth/passkeys/register/options", {}, taro.token)).json();
    const relabelled = await taroAuthenticator.create(options);
    relabelled.id = passkey.id;
    relabelled.rawId = passkey.id;
    expect(await code(await post("/auth/passkeys/register", { credential: relabelled }, taro.token))).toBe(
      "invalid_passkey",
    );
    // Taro's authenticator attests a new key under Hanako's credential id: the id is taken.
    const again = await (await post("/auth/passkeys/register/options", {}, taro.token)).json();
    const collision = await taroAuthenticator.create(again, { credentialId: passkey.id });
    const taken = await post("/auth/passkeys/register", { credential: collision }, taro.token);
    expect(taken.status).toBe(409);
    expect(await code(taken)).toBe("passkey_exists");
    expect(await h.store.getPasskey(passkey.id)).toEqual(first);
    expect(await h.store.listPasskeys(taro.userId)).toEqual([]);
    expect(
      await code(await post("/auth/passkeys/rename", { id: passkey.id, name: "mine" }, taro.token)),
    ).toBe("passkey_not_found");
    expect(await code(await post("/auth/passkeys/remove", { id: passkey.id }, taro.token))).toBe(
      "passkey_not_found",
    );
    expect((await h.store.getPasskey(passkey.id))?.name).toBe("Passkey");

    // An assertion whose user handle names Taro for Hanako's passkey.
    const credential = await assertion(authenticator, { credentialId: passkey.id });
    credential.response.userHandle = Buffer.from(taro.userId).toString("base64url");
    expect(await code(await post("/auth/passkeys/sign-in", { credential }))).toBe("invalid_passkey");
  });

  it("the same registration response posted twice hits its consumed challenge", async () => {
    await setup();
    const { token } = await signedInUser();
    const authenticator = createSoftwareAuthenticator({ origin: ORIGIN });
    const options = await (await post("/auth/passkeys/register/options", {}, token)).json();
    const credential = await authenticator.create(options);
    expect((await post("/auth/passkeys/register", { credential }, token)).status).toBe(201);
    // A second challenge, the same attestation re-signed over it is not possible without the
    // authenticator; the same response again hits its consumed challenge first.
    const twice = await post("/auth/passkeys/register", { credential }, token);
    expect(await code(twice)).toBe("passkey_challenge_expired");
  });

  it("a challenge expired, of another user or of the other ceremony is refused", async () => {
    await setup();
    const hanako = await signedInUser("hanako@example.jp");
    const taro = await signedInUser("taro@example.jp");
    const authenticator = createSoftwareAuthenticator({ origin: ORIGIN });

    // Expired: the challenge lives `lifetimes.challenge` (300 s); the access token 900 s.
    const options = await (await post("/auth/passkeys/register/options", {}, hanako.token)).json();
    const late = await authenticator.create(options);
    h.clock.advance(301_000);
    expect(await code(await post("/auth/passkeys/register", { credential: late }, hanako.token))).toBe(
      "passkey_challenge_expired",
    );

    // Hanako's challenge posted by Taro.
    const hers = await authenticator.create(
      await (await post("/auth/passkeys/register/options", {}, hanako.token)).json(),
    );
    expect(await code(await post("/auth/passkeys/register", { credential: hers }, taro.token))).toBe(
      "passkey_challenge_expired",
    );

    // A sign-in challenge used for a registration, and a registration one for a sign-in.
    const signInOptions = await (await post("/auth/passkeys/sign-in/options", {})).json();
    const crossed = await authenticator.create({ ...options, challenge: signInOptions.challenge });
    expect(await code(await post("/auth/passkeys/register", { credential: crossed }, hanako.token))).toBe(
      "passkey_challenge_expired",
    );
    expect(await h.store.listPasskeys(hanako.userId)).toEqual([]);
    expect(await h.store.listPasskeys(taro.userId)).toEqual([]);

    await register(authenticator, hanako.token);
    const registerOptions = await (await post("/auth/passkeys/register/options", {}, hanako.token)).json();
    const wrongCeremony = await authenticator.get({ challenge: registerOptions.challenge, rpId: RP_ID });
    expect(await code(await post("/auth/passkeys/sign-in", { credential: wrongCeremony }))).toBe(
      "passkey_challenge_expired",
    );
    // An expired sign-in challenge.
    const stale = await assertion(authenticator);
    h.clock.advance(301_000);
    expect(await code(await post("/auth/passkeys/sign-in", { credential: stale }))).toBe(
      "passkey_challenge_expired",
    );
  });

  it("a decreasing signature counter (a cloned authenticator) is refused; the stored counter stays", async () => {
    await setup();
    const { userId, token } = await signedInUser();
    const authenticator = createSoftwareAuthenticator({ origin: ORIGIN });
    await register(authenticator, token);
    const held = authenticator.passkeys[0];
    if (held === undefined) throw new Error("no passkey");
    for (let i = 0; i < 3; i++) {
      expect(
        (await post("/auth/passkeys/sign-in", { credential: await assertion(authenticator) })).status,
      ).toBe(200);
    }
    expect((await h.store.getPasskey(held.id))?.signCount).toBe(3);
    held.signCount = 1; // the clone's counter: its next assertion says 2
    const response = await post("/auth/passkeys/sign-in", { credential: await assertion(authenticator) });
    expect(response.status).toBe(401);
    expect(await code(response)).toBe("invalid_passkey");
    held.signCount = 2; // says 3: equal is not greater
    expect(
      await code(await post("/auth/passkeys/sign-in", { credential: await assertion(authenticator) })),
    ).toBe("invalid_passkey");
    expect((await h.store.getPasskey(held.id))?.signCount).toBe(3);
    expect((await history(userId)).slice(0, 2).map((e) => e.result)).toEqual(["failure", "failure"]);
  });
});

/** Bytes of base64url text; text of bytes. */
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, "base64url"));
const toB64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

/** Flips, drops or inserts bytes. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("random" as const), bytes: fc.uint8Array({ minLength: 0, maxLength: 300 }) }),
);

function mutate(bytes: Uint8Array, m: typeof mutation extends fc.Arbitrary<infer T> ? T : never): Uint8Array {
  if (m.kind === "random") return m.bytes;
  const at = bytes.length === 0 ? 0 : m.at % bytes.length;
  if (m.kind === "flip") {
    const out = bytes.slice();
    out[at] = (out[at] ?? 0) ^ (1 << m.bit);
    return out;
  }
  if (m.kind === "cut") return bytes.slice(0, at);
  return new Uint8Array([...bytes.slice(0, at), m.byte, ...bytes.slice(at)]);
}

const REFUSALS = ["invalid_passkey", "passkey_challenge_expired", "invalid_request"];

describe("passkey fuzz: malformed attestation objects and client data", () => {
  it("a mutated registration is a typed refusal or (a harmless flip) accepted; never a 500, never a stray passkey", async () => {
    await setup();
    const { userId, token } = await signedInUser();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("attestationObject", "clientDataJSON"), mutation, async (field, m) => {
        const authenticator = createSoftwareAuthenticator({ origin: ORIGIN });
        const before = (await h.store.listPasskeys(userId)).length;
        const options = await (await post("/auth/passkeys/register/options", {}, token)).json();
        const credential = await authenticator.create(options);
        credential.response[field] = toB64(mutate(fromB64(credential.response[field]), m));
        const response = await post("/auth/passkeys/register", { credential }, token);
        const after = await h.store.listPasskeys(userId);
        if (response.status === 201) {
          expect(after.length).toBe(before + 1);
        } else {
          expect([400, 401, 409]).toContain(response.status);
          expect(REFUSALS).toContain(await code(response));
          expect(after.length).toBe(before);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("a mutated assertion is a typed refusal; never a 500, the counter never moves on a refusal", async () => {
    await setup();
    const { token } = await signedInUser();
    const authenticator = createSoftwareAuthenticator({ origin: ORIGIN });
    await register(authenticator, token);
    const id = authenticator.passkeys[0]?.id ?? "";
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("authenticatorData", "clientDataJSON", "signature"),
        mutation,
        async (field, m) => {
          const before = await h.store.getPasskey(id);
          const credential = await assertion(authenticator);
          const original = credential.response[field];
          const mutated = toB64(mutate(fromB64(original), m));
          credential.response[field] = mutated;
          const response = await post("/auth/passkeys/sign-in", { credential });
          if (mutated === original) return;
          expect(response.status).not.toBe(200);
          expect(response.status).toBeLessThan(500);
          expect(REFUSALS).toContain(await code(response));
          expect(await h.store.getPasskey(id)).toEqual(before);
        },
      ),
      { numRuns: 40 },
    );
  });
});
