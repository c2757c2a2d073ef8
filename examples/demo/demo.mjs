// A terminal walk-through of tegata against its embedded mock server (msw in this process):
// a wrong password, sign-in with a TOTP second factor, an authorized call, a token refresh and
// sign-out. Run with `npm run demo` (it builds first, then imports the package by its name).
import { setupServer } from "msw/node";
import { generate } from "otplib";
import { createAuthClient, isTegataError, onAuthStateChange } from "tegata";
import { completeMfa, getUser, signIn, signOut } from "tegata/credentials";
import { createMockAuth } from "tegata/mock";

const started = performance.now();
const tty = process.stdout.isTTY;
const paint = (code, text) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const step = (n, text) => console.log(`\n${paint("1;36", `${n}.`)} ${paint("1", text)}`);
const info = (text) => console.log(`   ${text}`);

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"; // what the user's authenticator app holds
const user = { email: "hanako@example.com", password: "sakura-mochi-2026", name: "Hanako" };

const mock = createMockAuth({
  users: [{ ...user, totpSecret: SECRET, recoveryCodes: ["kiri-tanpo-0001"] }],
  lockout: { maxAttempts: 5, durationSeconds: 900 },
  accessTokenTtlSeconds: 3600,
});
const server = setupServer(...mock.handlers);
server.listen({ onUnhandledFrame: "error" });

try {
  console.log(paint("1", "tegata demo: email + password + TOTP against the embedded mock"));
  info(`mock server: ${mock.baseUrl} (msw, in memory)`);

  const auth = createAuthClient({ baseUrl: mock.baseUrl, clock: mock.clock });
  onAuthStateChange(auth, (event, session) =>
    info(paint("35", `event ${event}`) + (session?.user ? ` (${session.user.email})` : "")),
  );

  step(1, "Sign in with a wrong password");
  try {
    await signIn(auth, { email: user.email, password: "wrong password" });
  } catch (error) {
    if (!isTegataError(error, "invalid_credentials")) throw error;
    info(`${error.name} code=${error.code} remainingAttempts=${error.remainingAttempts}`);
  }

  step(2, "Sign in with the right password");
  const first = await signIn(auth, { email: user.email, password: user.password });
  info(`status=${first.status}`);
  if (first.status !== "mfa_required") throw new Error("expected a second-factor challenge");
  info(
    `challenge accepts ${first.challenge.methods.join(" or ")}, expires ${first.challenge.expiresAt.toISOString()}`,
  );

  step(3, "Answer the TOTP challenge with the code an authenticator app shows");
  const code = await generate({ secret: SECRET, epoch: Math.floor(mock.clock.now() / 1000) });
  info(`authenticator code: ${code}`);
  const { session } = await completeMfa(auth, { challenge: first.challenge, code });
  info(`signed in as ${session.user?.email}; access token expires ${session.expiresAt?.toISOString()}`);

  step(4, "Call an authorized endpoint (GET /auth/user with the bearer token)");
  const me = await getUser(auth);
  info(`user id=${me.id} email=${me.email} mfaEnabled=${me.mfaEnabled}`);

  step(5, "Let 59 minutes pass: the next call refreshes the token first (refresh-token rotation)");
  mock.clock.advance(59 * 60 * 1000);
  await getUser(auth);
  info(`token endpoint called ${mock.count("/oauth/token")} time(s)`);

  step(6, "Sign out everywhere");
  await signOut(auth, { scope: "global" });
  const active = mock.sessions(user.email).filter((s) => !s.revoked).length;
  info(`active sessions on the server: ${active}`);

  step(7, "What the server saw");
  for (const r of mock.requests) info(`${r.method.padEnd(4)} ${r.path.padEnd(22)} ${r.status}`);
  for (const a of mock.loginAttempts) info(`login attempt: ${a.method.padEnd(8)} ${a.result}`);

  console.log(`\n${paint("32", "done")} in ${Math.round(performance.now() - started)} ms`);
} finally {
  server.close();
}
