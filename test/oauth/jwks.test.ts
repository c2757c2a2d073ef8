/**
 * The provider's JWKS, fetched while `handleRedirectCallback` validates the ID token: every failure
 * is a typed tegata error with its cause, a slow JWKS honours the client's `timeoutMs`, and keys are
 * cached per client with one refetch for an unknown `kid` at most every 30 s (issue 11, point 3).
 */
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AbortedError,
  getSession,
  HttpError,
  IdTokenValidationError,
  isTegataError,
  NetworkError,
  ResponseValidationError,
  TimeoutError,
} from "../../src/index";
import { createAuthorizationUrl, handleRedirectCallback } from "../../src/oauth/index";
import { stalledJsonResponse, useMockServer } from "../support";
import { authorize, ISSUER, oidcSetup, transactionKey } from "./helpers";

const ctx = useMockServer();
const setup = oidcSetup(ctx);
const JWKS = `${ISSUER}/jwks`;

afterEach(() => {
  vi.useRealTimers();
});

/** A pending sign-in whose callback is ready, on a client that retries fast. */
async function ready(clientOptions: Parameters<typeof setup>[1] = {}) {
  const s = setup({}, { retry: { limit: 2, backoffLimit: 1 }, ...clientOptions });
  const url = await createAuthorizationUrl(s.auth, s.provider);
  const state = url.searchParams.get("state") ?? "";
  const callback = await authorize(url);
  return { ...s, url, state, callback };
}

/** Counts the JWKS requests that reach msw (overrides included). */
function countJwks() {
  let n = 0;
  ctx.server.events.on("request:start", ({ request }) => {
    if (request.url === JWKS) n++;
  });
  return () => n;
}

describe("JWKS failures during handleRedirectCallback: typed, with their cause", () => {
  afterEach(() => ctx.server.events.removeAllListeners());

  it("cannot be reached: NetworkError", async () => {
    const { auth, callback, storage, state } = await ready();
    ctx.server.use(http.get(JWKS, () => HttpResponse.error()));
    const error = await handleRedirectCallback(auth, callback).catch((e) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain(JWKS);
    expect(error.cause).toBeInstanceOf(Error);
    expect(await getSession(auth)).toBeNull();
    expect(await storage.getItem(transactionKey(state))).toBeNull();
  });

  it("answers 503 (after the client's retries): HttpError with the status", async () => {
    const { auth, callback } = await ready();
    const requests = countJwks();
    ctx.server.use(
      http.get(
        JWKS,
        () => new HttpResponse("unavailable", { status: 503, headers: { "content-type": "text/plain" } }),
      ),
    );
    const error = await handleRedirectCallback(auth, callback).catch((e) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(503);
    expect(error.message).toMatch(/JWKS .*HTTP 503/);
    expect(isTegataError(error.cause)).toBe(true);
    expect(requests()).toBe(3); // the first attempt and 2 retries: it is an idempotent GET
  });

  it.each([
    [
      "an HTML page",
      () => new HttpResponse("<!doctype html><h1>Sign in</h1>", { headers: { "content-type": "text/html" } }),
      /not JSON/,
    ],
    [
      "malformed JSON",
      () => new HttpResponse('{"keys": [', { headers: { "content-type": "application/json" } }),
      /malformed JSON/,
    ],
    ['{"keys":"nope"}', () => HttpResponse.json({ keys: "nope" }), /not a JSON Web Key Set/],
    ["no keys member", () => HttpResponse.json({ kty: "EC" }), /not a JSON Web Key Set/],
    ["a key without kty", () => HttpResponse.json({ keys: [{ kid: "x" }] }), /not a JSON Web Key Set/],
  ])("serves %s: ResponseValidationError", async (_label, respond, message) => {
    const { auth, callback } = await ready();
    ctx.server.use(http.get(JWKS, respond));
    const error = await handleRedirectCallback(auth, callback).catch((e) => e);
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect(error.status).toBe(200);
    expect(error.message).toContain(JWKS);
    expect(error.message).toMatch(message);
    expect(await getSession(auth)).toBeNull();
  });

  it("holds a key for the token's kid that cannot be imported: ResponseValidationError", async () => {
    const { auth, callback, op } = await ready();
    const { keys } = await op.jwks();
    const kid = keys[0]?.kid;
    ctx.server.use(
      http.get(JWKS, () => HttpResponse.json({ keys: [{ kty: "EC", crv: "P-256", kid, x: "AA", y: "AA" }] })),
    );
    const error = await handleRedirectCallback(auth, callback).catch((e) => e);
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect(error.message).toMatch(/cannot be used/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("is slow to answer: TimeoutError after the client's timeoutMs (7 s here, not jose's 5 s), no real wait", async () => {
    const { auth, callback } = await ready({ timeoutMs: 7_000 });
    let reached!: () => void;
    const jwksReached = new Promise<void>((resolve) => {
      reached = resolve;
    });
    ctx.server.use(
      http.get(JWKS, () => {
        reached();
        return new Promise<never>(() => {}); // never answers
      }),
    );
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let settled: unknown = "pending";
    const outcome = handleRedirectCallback(auth, callback).then(
      () => {
        settled = "resolved";
      },
      (error) => {
        settled = error;
      },
    );
    await jwksReached;
    await vi.advanceTimersByTimeAsync(6_999);
    expect(settled).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    await outcome;
    expect(settled).toBeInstanceOf(TimeoutError);
    expect((settled as Error).message).toMatch(/JWKS .*7000 ms/);
  });

  it("sends headers, then never finishes the body: TimeoutError after timeoutMs too", async () => {
    const { auth, callback } = await ready({ timeoutMs: 3_000 });
    let reached!: () => void;
    const jwksReached = new Promise<void>((resolve) => {
      reached = resolve;
    });
    ctx.server.use(
      http.get(JWKS, () => {
        reached();
        return stalledJsonResponse('{"keys":[');
      }),
    );
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const outcome = handleRedirectCallback(auth, callback).catch((e) => e);
    await jwksReached;
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await outcome).toBeInstanceOf(TimeoutError);
  });

  it("is aborted through options.signal: AbortedError", async () => {
    const { auth, callback } = await ready();
    const controller = new AbortController();
    ctx.server.use(
      http.get(JWKS, () => {
        controller.abort();
        return new Promise<never>(() => {});
      }),
    );
    const error = await handleRedirectCallback(auth, callback, { signal: controller.signal }).catch((e) => e);
    expect(error).toBeInstanceOf(AbortedError);
  });
});

describe("JWKS cache and key rotation", () => {
  afterEach(() => ctx.server.events.removeAllListeners());

  /** Signs in with an ID token signed by `key` under `kid` (a key the provider may not publish yet). */
  async function signInWith(s: ReturnType<typeof setup>, key: CryptoKey | null, kid?: string) {
    const url = await createAuthorizationUrl(s.auth, s.provider);
    if (key && kid) {
      const nonce = url.searchParams.get("nonce") ?? "";
      const now = Math.floor(s.op.clock.now() / 1000);
      const idToken = await new SignJWT({ sub: "sub-taro-example-jp", email: "taro@example.jp", nonce })
        .setProtectedHeader({ alg: "ES256", kid })
        .setIssuer(ISSUER)
        .setAudience("web-app")
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(key);
      s.op.interceptNextToken({ response: (body) => ({ ...body, id_token: idToken }) });
    }
    return handleRedirectCallback(s.auth, await authorize(url)).catch((e) => e);
  }

  it("fetches the JWKS once per client for several sign-ins", async () => {
    const s = setup();
    const requests = countJwks();
    for (let i = 0; i < 3; i++) expect((await signInWith(s, null)).providerId).toBe("corp");
    expect(requests()).toBe(1);
  });

  it("two sign-ins completing at once share one JWKS request", async () => {
    const s = setup();
    const requests = countJwks();
    const urls = [
      await createAuthorizationUrl(s.auth, s.provider),
      await createAuthorizationUrl(s.auth, s.provider),
    ];
    const callbacks = await Promise.all(urls.map(authorize));
    const results = await Promise.all(callbacks.map((c) => handleRedirectCallback(s.auth, c)));
    expect(results.map((r) => r.providerId)).toEqual(["corp", "corp"]);
    expect(requests()).toBe(1);
  });

  it("tries each key when several match the token's kid (one of them verifies)", async () => {
    const s = setup();
    const { keys } = await s.op.jwks();
    const decoy = await generateKeyPair("ES256", { extractable: true });
    const twin = { ...(await exportJWK(decoy.publicKey)), kid: keys[0]?.kid, alg: "ES256", use: "sig" };
    ctx.server.use(http.get(JWKS, () => HttpResponse.json({ keys: [twin, ...keys] })));
    expect((await signInWith(s, null)).providerId).toBe("corp");
    // With only decoys under that kid, the signature is refused.
    const t = setup();
    const kid = (await t.op.jwks()).keys[0]?.kid;
    const other = await generateKeyPair("ES256", { extractable: true });
    const decoys = [
      { ...(await exportJWK(decoy.publicKey)), kid, alg: "ES256" },
      { ...(await exportJWK(other.publicKey)), kid, alg: "ES256" },
    ];
    ctx.server.use(http.get(JWKS, () => HttpResponse.json({ keys: decoys })));
    const error = await signInWith(t, null);
    expect(error).toBeInstanceOf(IdTokenValidationError);
    expect(error.reason).toBe("signature");
    expect(error.cause?.name).toBe("JWSSignatureVerificationFailed");
  });

  it("refetches after 10 minutes", async () => {
    const s = setup();
    const requests = countJwks();
    await signInWith(s, null);
    s.op.clock.advance(9 * 60_000);
    await signInWith(s, null);
    expect(requests()).toBe(1);
    s.op.clock.advance(2 * 60_000);
    await signInWith(s, null);
    expect(requests()).toBe(2);
  });

  it("refetches once for an unknown kid (rotation), at most every 30 s (no refetch storm)", async () => {
    const s = setup();
    const requests = countJwks();
    expect((await signInWith(s, null)).providerId).toBe("corp");
    expect(requests()).toBe(1);

    // The provider rotates to a new key and signs with it: one refetch finds it.
    const rotated = await generateKeyPair("ES256", { extractable: true });
    const published = { ...(await exportJWK(rotated.publicKey)), kid: "rotated", alg: "ES256", use: "sig" };
    ctx.server.use(
      http.get(JWKS, async () => HttpResponse.json({ keys: [...(await s.op.jwks()).keys, published] })),
    );
    s.op.clock.advance(31_000);
    const result = await signInWith(s, rotated.privateKey, "rotated");
    expect(result.providerId).toBe("corp");
    expect(result.claims?.sub).toBe("sub-taro-example-jp");
    expect(requests()).toBe(2);

    // Tokens naming kids nobody publishes, right after: refused without refetching.
    const stranger = await generateKeyPair("ES256");
    for (let i = 0; i < 3; i++) {
      const error = await signInWith(s, stranger.privateKey, `unknown-${i}`);
      expect(error).toBeInstanceOf(IdTokenValidationError);
      expect(error.reason).toBe("signature");
    }
    expect(requests()).toBe(2);

    // 30 s later, one refetch again (still unknown: refused).
    s.op.clock.advance(31_000);
    const error = await signInWith(s, stranger.privateKey, "unknown-late");
    expect(error).toBeInstanceOf(IdTokenValidationError);
    expect(requests()).toBe(3);
  });

  it("does not cache a failed fetch: the next sign-in fetches again and succeeds", async () => {
    const s = setup({}, { retry: 0 });
    const requests = countJwks();
    ctx.server.use(http.get(JWKS, () => HttpResponse.error(), { once: true }));
    expect(await signInWith(s, null)).toBeInstanceOf(NetworkError);
    expect((await signInWith(s, null)).providerId).toBe("corp");
    expect(requests()).toBe(2);
  });
});
