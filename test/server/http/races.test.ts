/**
 * Races over real HTTP: every request is sent with a body that stays open until all of them have
 * reached the server, then the bodies are released together, so the handlers run truly
 * concurrently (not one after the other as sequential awaits would).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createTestPasswordHasher, type PasswordHasher } from "../../../src/server/crypto/password";
import { together as gatherConcurrently, type Harness, startServer } from "./harness";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Concurrent POSTs (harness `together`): statuses and JSON bodies. */
async function together(
  h: Harness,
  path: string,
  contentType: string,
  bodies: string[],
): Promise<Array<{ status: number; body: Record<string, unknown> }>> {
  const responses = await gatherConcurrently(h, path, bodies, { "content-type": contentType });
  return Promise.all(
    responses.map(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> })),
  );
}

function counting(inner: PasswordHasher) {
  let verified = 0;
  const hasher: PasswordHasher = {
    hash: (p) => inner.hash(p),
    async verify(p, phc) {
      verified++;
      return inner.verify(p, phc);
    },
  };
  return { hasher, verified: () => verified };
}

describe("races over real HTTP", () => {
  it("20 wrong passwords and the right one at once: at most 5 evaluated, at most one sign-in", async () => {
    const { hasher, verified } = counting(createTestPasswordHasher());
    harness = await startServer({ hasher });
    await harness.addUser("hanako@example.jp", "correct horse battery");
    const bodies = Array.from({ length: 21 }, (_, i) =>
      JSON.stringify({
        email: "hanako@example.jp",
        password: i === 10 ? "correct horse battery" : `wrong ${i}`,
      }),
    );
    const results = await together(harness, "/auth/sign-in", "application/json", bodies);
    const signedIn = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 401 || r.status === 423).length;
    expect(verified()).toBeLessThanOrEqual(5);
    expect(signedIn).toBeLessThanOrEqual(1);
    expect(signedIn + refused).toBe(21);
    expect(results.filter((r) => r.status === 423).length).toBeGreaterThanOrEqual(16);
  });

  it("one refresh token presented 20 times at once: one rotation, the family then ended", async () => {
    harness = await startServer();
    await harness.addUser("hanako@example.jp", "correct horse battery");
    const signIn = await fetch(`${harness.baseUrl}/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "hanako@example.jp", password: "correct horse battery" }),
    });
    const { refresh_token: token } = (await signIn.json()) as { refresh_token: string };
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: token }).toString();
    const results = await together(
      harness,
      "/oauth/token",
      "application/x-www-form-urlencoded",
      Array.from({ length: 20 }, () => form),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 400 && r.body.error === "invalid_grant")).toHaveLength(19);
    // The losers' reuse ended the family: the winner's new refresh token is dead too.
    const next = await fetch(`${harness.baseUrl}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: String(winners[0]?.body.refresh_token),
      }),
    });
    expect(next.status).toBe(400);
  });
});
