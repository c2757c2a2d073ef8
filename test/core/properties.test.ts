import fc from "fast-check";
import { decodeJwt, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { httpError, oauthRefreshError, parseRetryAfter, resolveUrl } from "../../src/core/http";
import { deserializeSession, jwtPayload, serializeSession } from "../../src/core/session";
import { isTegataError } from "../../src/index";

describe("properties", () => {
  it("deserializeSession never throws and returns null or a session", () => {
    // Besides noise, stored sessions with one member changed: both answers occur (counted).
    const stored = serializeSession({
      accessToken: "at",
      tokenType: "Bearer",
      refreshToken: "rt",
      expiresAt: new Date(Date.UTC(2026, 10, 25, 10)),
      user: { id: "usr_1", email: "a@example.com" },
    });
    const mutated = fc
      .tuple(
        fc.constantFrom(...Object.keys(JSON.parse(stored) as object)),
        fc.option(fc.jsonValue(), { nil: undefined }),
      )
      .map(([key, value]) => JSON.stringify({ ...JSON.parse(stored), [key]: value }));
    const seen = { null: 0, session: 0 };
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.json(), fc.constant(null), fc.constant(stored), mutated),
        (raw) => {
          const result = deserializeSession(raw);
          expect(result === null || typeof result.accessToken === "string").toBe(true);
          seen[result === null ? "null" : "session"]++;
        },
      ),
    );
    expect(seen.null).toBeGreaterThan(0);
    expect(seen.session).toBeGreaterThan(0);
  });

  it("serialize then deserialize is the identity", () => {
    const user = fc.record({ id: fc.string({ minLength: 1 }), email: fc.string() });
    fc.assert(
      fc.property(
        fc.record(
          {
            accessToken: fc.string({ minLength: 1 }),
            tokenType: fc.string({ minLength: 1 }),
            refreshToken: fc.string({ minLength: 1 }),
            expiresAt: fc.date({ noInvalidDate: true }),
            user: fc.option(user, { nil: null }),
          },
          { requiredKeys: ["accessToken", "tokenType", "user"] },
        ),
        (session) => {
          expect(deserializeSession(serializeSession(session))).toEqual(session);
        },
      ),
    );
  });

  it("parseRetryAfter never throws and is a non-negative integer or undefined", () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const r = parseRetryAfter(value);
        expect(r === undefined || (Number.isInteger(r) && r >= 0)).toBe(true);
      }),
    );
  });

  it("httpError maps any status and body to a TegataError", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 400, max: 599 }),
        fc.oneof(fc.string(), fc.json(), fc.anything()),
        fc.boolean(),
        (status, body, oauth) => {
          const error = httpError(
            new Response(null, { status }),
            body,
            undefined,
            undefined,
            oauth ? oauthRefreshError : undefined,
          );
          expect(isTegataError(error)).toBe(true);
          expect(error.status).toBe(status);
        },
      ),
    );
  });

  it("resolveUrl joins base and path with exactly one slash", () => {
    fc.assert(
      fc.property(fc.webUrl(), fc.webPath(), (base, path) => {
        const url = resolveUrl(base, path);
        expect(url.slice(base.replace(/\/+$/, "").length)).toMatch(/^\/(?!\/)|^\/$/);
      }),
    );
  });

  it("jwtPayload reads what jose's decodeJwt reads, and undefined wherever decodeJwt throws", () => {
    // The client reads the access token's exp with a base64url decode (jose/base64url) instead of
    // decodeJwt, for size: both must agree on every input, tokens and junk alike.
    const token = fc
      .dictionary(fc.string(), fc.jsonValue())
      .map((claims) => `${new UnsecuredJWT(claims).encode()}signature`);
    const junk = fc.oneof(
      fc.string(),
      fc.tuple(fc.string(), fc.string(), fc.string()).map((parts) => parts.join(".")),
      fc.jsonValue().map((v) => `e30.${Buffer.from(JSON.stringify(v)).toString("base64url")}.x`),
    );
    fc.assert(
      fc.property(fc.oneof(token, junk), (value) => {
        let expected: unknown;
        try {
          expected = decodeJwt(value);
        } catch {
          expected = undefined;
        }
        expect(jwtPayload(value)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
