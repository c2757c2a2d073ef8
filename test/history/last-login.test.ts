import { describe, expect, it } from "vitest";
import { completeMfa, signIn } from "../../src/credentials/index";
import { getLastLogin, updatePrivacySettings } from "../../src/history/index";
import { createAuthClient, NotSignedInError, UserNotFoundError } from "../../src/index";
import type { MockAuth } from "../../src/mock/index";
import { alice, bob, useMockServer } from "../support";

const ctx = useMockServer();

async function signInBob(mock: MockAuth) {
  const auth = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
  const first = await signIn(auth, bob);
  if (first.status === "mfa_required") {
    await completeMfa(auth, { challenge: first.challenge, code: await mock.totp(bob.email) });
  }
  return auth;
}

describe("getLastLogin", () => {
  it("shows another user's last sign-in, and null at once when they hide it", async () => {
    const { auth, mock } = await ctx.fresh();
    const signedInAt = mock.clock.now();
    await signIn(auth, alice);
    const aliceId = mock.users.get(alice.email)?.id ?? "";
    mock.clock.advance(60_000);
    const viewer = await signInBob(mock);
    expect(await getLastLogin(viewer, aliceId)).toEqual(new Date(signedInAt));
    await updatePrivacySettings(auth, { showLastLogin: false });
    expect(await getLastLogin(viewer, aliceId)).toBeNull();
    await updatePrivacySettings(auth, { showLastLogin: true });
    expect(await getLastLogin(viewer, aliceId)).toEqual(new Date(signedInAt));
  });

  it("null for a user who never signed in and for a suspended one", async () => {
    const { mock } = await ctx.fresh();
    const carol = await mock.users.add({ email: "carol@example.com", password: "carol's passphrase" });
    const viewer = await signInBob(mock);
    expect(await getLastLogin(viewer, carol.id)).toBeNull();
    const aliceId = mock.users.get(alice.email)?.id ?? "";
    mock.recordLogin({ email: alice.email, method: "password" });
    expect(await getLastLogin(viewer, aliceId)).not.toBeNull();
    await mock.server.admin.suspend(aliceId, { actor: "test", reason: "spam" });
    expect(await getLastLogin(viewer, aliceId)).toBeNull();
  });

  it("UserNotFoundError for an unknown user; NotSignedInError without a session; TypeError for no id", async () => {
    const { auth, mock } = await ctx.fresh();
    await expect(getLastLogin(auth, "usr_nobody")).rejects.toBeInstanceOf(NotSignedInError);
    const viewer = await signInBob(mock);
    await expect(getLastLogin(viewer, "usr_nobody")).rejects.toBeInstanceOf(UserNotFoundError);
    await expect(getLastLogin(viewer, "")).rejects.toBeInstanceOf(TypeError);
  });
});
