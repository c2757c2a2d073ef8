import { generateKeyPair, SignJWT } from "jose";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { signIn } from "../../src/credentials/index";
import { getSession, InvalidAccessTokenError } from "../../src/index";
import { createAccessTokenVerifier, verifyAccessToken } from "../../src/server/index";
import { alice, useMockServer } from "../support";

const ctx = useMockServer();

async function setup() {
  const { auth, mock } = await ctx.fresh();
  await signIn(auth, alice);
  const token = (await getSession(auth))?.accessToken ?? "";
  const options = {
    jwksUrl: `${mock.baseUrl}/.well-known/jwks.json`,
    issuer: mock.issuer,
    audience: mock.audience,
    now: () => mock.clock.now(),
  };
  return { auth, mock, token, options };
}

describe("verifyAccessToken", () => {
  it("verifies a token of the mock against its JWKS", async () => {
    const { mock, token, options } = await setup();
    const result = await verifyAccessToken(`Bearer ${token}`, options);
    expect(result.userId).toBe(mock.users.get(alice.email)?.id);
    expect(result.sessionId).toMatch(/^ses_/);
    expect(result.claims.iss).toBe(mock.issuer);
  });

  it("a verifier fetches the JWKS once for many tokens", async () => {
    const { mock, token, options } = await setup();
    const verify = createAccessTokenVerifier(options);
    for (let i = 0; i < 5; i++) await verify(token);
    expect(mock.count("/.well-known/jwks.json")).toBe(1);
  });

  it.each([
    ["missing", async () => "", "missing"],
    ["malformed", async () => "not.a.jwt", "malformed"],
  ])("refuses a %s token", async (_l, make, reason) => {
    const { options } = await setup();
    const error = await verifyAccessToken(await make(), options).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidAccessTokenError);
    expect(error.reason).toBe(reason);
    expect(error.status).toBe(401);
  });

  it("refuses an expired token, another issuer, another audience and a foreign signature", async () => {
    const { mock, token, options } = await setup();
    const reason = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e) => (e as InvalidAccessTokenError).reason,
      );
    expect(await reason(verifyAccessToken(token, { ...options, issuer: "https://other.example" }))).toBe(
      "issuer",
    );
    expect(await reason(verifyAccessToken(token, { ...options, audience: "other-api" }))).toBe("audience");
    const { privateKey } = await generateKeyPair("ES256");
    const forged = await new SignJWT({ sub: "x" })
      .setProtectedHeader({ alg: "ES256", kid: "nope" })
      .setIssuer(mock.issuer)
      .setAudience(mock.audience)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey);
    expect(await reason(verifyAccessToken(forged, options))).toBe("signature");
    mock.clock.advance(2 * 3_600_000);
    expect(await reason(verifyAccessToken(token, options))).toBe("expired");
  });

  it.each([
    ["a network failure", () => HttpResponse.error()],
    ["a 503", () => HttpResponse.json({ code: "down" }, { status: 503 })],
    ["an HTML page", () => new HttpResponse("<html></html>", { headers: { "content-type": "text/html" } })],
    ["a body that is not a JWKS", () => HttpResponse.json({ keys: "nope" })],
  ])("keys that cannot be had (%s) are reason jwks, not a bad token", async (_label, answer) => {
    const { mock, token, options } = await setup();
    ctx.server.use(http.get(`${mock.baseUrl}/.well-known/jwks.json`, answer));
    const error = await verifyAccessToken(token, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidAccessTokenError);
    expect((error as InvalidAccessTokenError).reason).toBe("jwks");
  });

  it("needs its options", () => {
    expect(() => createAccessTokenVerifier({} as never)).toThrow(TypeError);
  });
});
