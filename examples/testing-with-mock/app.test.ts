import { setupServer } from "msw/node";
import { createAuthClient } from "tegata";
import { requestPasswordReset, resetPassword } from "tegata/credentials";
import { createMockAuth } from "tegata/mock";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { submitSignIn } from "./account";

// The two lines: an in-memory auth server, mounted in msw.
const mock = createMockAuth({
  users: [{ email: "yui@example.com", password: "correct horse battery", name: "Yui" }],
  lockout: { maxAttempts: 3, durationSeconds: 600 },
});
const server = setupServer(...mock.handlers);

beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterEach(() => {
  mock.faults.clear();
  mock.users.unlock("yui@example.com");
});
afterAll(() => server.close());

const auth = () => createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });

test("a successful sign-in greets the user", async () => {
  expect(await submitSignIn(auth(), "yui@example.com", "correct horse battery")).toEqual({
    kind: "ok",
    text: "Welcome, Yui",
  });
});

test("wrong passwords count down, then the lockout message shows the wait", async () => {
  const a = auth();
  expect((await submitSignIn(a, "yui@example.com", "nope")).text).toBe(
    "Wrong email or password (2 attempts left)",
  );
  await submitSignIn(a, "yui@example.com", "nope");
  expect((await submitSignIn(a, "yui@example.com", "nope")).text).toBe(
    "Too many attempts. Try again in 10 minutes.",
  );
});

test("an outage shows a connection message", async () => {
  mock.faults.inject("/auth/sign-in", { network: true });
  expect((await submitSignIn(auth(), "yui@example.com", "x")).text).toBe(
    "Cannot reach the server. Check your connection.",
  );
});

test("the password-reset email can be followed", async () => {
  const a = auth();
  await requestPasswordReset(a, { email: "yui@example.com" });
  const token = mock.lastEmail("yui@example.com", "password_reset")?.token ?? "";
  await resetPassword(a, { token, password: "a brand new passphrase" });
  expect((await submitSignIn(a, "yui@example.com", "a brand new passphrase")).kind).toBe("ok");
});
