import { describe, expect, it } from "vitest";
import { AuthenticationResponseSchema } from "../../src/wire/passkeys";

/** An assertion as the browser gives it, with a signature of `bytes` bytes. */
function assertion(bytes: number) {
  const b64 = (n: number) => Buffer.alloc(n, 7).toString("base64url");
  return {
    id: "Y3JlZGVudGlhbC1pZA",
    rawId: "Y3JlZGVudGlhbC1pZA",
    type: "public-key",
    response: { clientDataJSON: b64(120), authenticatorData: b64(37), signature: b64(bytes) },
    clientExtensionResults: {},
  };
}

describe("AuthenticationResponseSchema", () => {
  // Found by the Chromium e2e: its virtual authenticator signs with ML-DSA-44 (2,420 bytes) when
  // offered, and a cap of 2,048 characters refused every such sign-in with a 400.
  it("takes post-quantum signatures: ML-DSA-44 (2,420 bytes) and ML-DSA-87 (4,627 bytes)", () => {
    expect(AuthenticationResponseSchema.safeParse(assertion(2420)).success).toBe(true);
    expect(AuthenticationResponseSchema.safeParse(assertion(4627)).success).toBe(true);
    expect(AuthenticationResponseSchema.safeParse(assertion(72)).success).toBe(true); // ES256
  });

  it("still bounds a signature", () => {
    expect(AuthenticationResponseSchema.safeParse(assertion(7000)).success).toBe(false);
  });
});
