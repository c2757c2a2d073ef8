// A terminal walk-through of tegata on the real thing: the `tegata serve` command (a child process)
// on an SQLite file in a temporary folder, on a free port of 127.0.0.1, and the client talking to
// it over HTTP: sign-up, TOTP enrollment, sign-in with the lockout (the remaining attempts, the
// lock, an operator's unlock), the TOTP challenge, a refresh, the login history and sign-out.
// Run with `npm run demo` (it builds first, then imports the package by its name). Nothing to
// set up; the folder is removed at the end.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAuthClient, getSession, isTegataError, onAuthStateChange } from "tegata";
import { completeMfa, getUser, signIn, signOut, signUp } from "tegata/credentials";
import { listLoginHistory } from "tegata/history";
import { refreshSessionNow } from "tegata/session";
import { activateTotp, enrollTotp, generateTotp } from "tegata/totp";

const started = performance.now();
const tty = process.stdout.isTTY;
const paint = (code, text) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const step = (n, text) => console.log(`\n${paint("1;36", `${n}.`)} ${paint("1", text)}`);
const info = (text) => console.log(`   ${text}`);
const dim = (text) => paint("2", text);

const user = { email: "hanako@example.com", password: "sakura-mochi-2026", name: "Hanako" };

// The `tegata` command, found as npx finds it: the package's "bin".
const pkgFile = fileURLToPath(import.meta.resolve("tegata/package.json"));
const cli = join(dirname(pkgFile), JSON.parse(readFileSync(pkgFile, "utf8")).bin.tegata);
const folder = mkdtempSync(join(tmpdir(), "tegata-demo-"));
const database = join(folder, "auth.sqlite");
// The server's secret (it seals signing keys and TOTP secrets): a fresh one, for this run only.
const env = { ...process.env, TEGATA_SECRET: randomBytes(32).toString("base64url") };

/** Starts `tegata serve`; resolves with its URL and its request log once it listens. */
function startServer() {
  const child = spawn(process.execPath, [cli, "serve", "--db", database, "--port", "0"], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const log = [];
  let buffered = "";
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const url = new Promise((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      const lines = (buffered + chunk).split("\n");
      buffered = lines.pop();
      for (const line of lines) {
        const listening = /listening on (http:\/\/\S+)/.exec(line);
        if (listening) resolve(listening[1]);
        else if (/^[A-Z]+ \//.test(line)) log.push(line);
      }
    });
    exited.then(({ code, signal }) => reject(new Error(`tegata serve ended early (${code ?? signal})`)));
  });
  return { child, url, log, exited };
}

/** Runs a `tegata` command to its end; its output. */
function tegata(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.once("exit", (code) => (code === 0 ? resolve(output.trim()) : reject(new Error(output.trim()))));
  });
}

const server = startServer();
try {
  const baseUrl = await server.url;
  console.log(paint("1", "tegata demo: the client against a real tegata server over HTTP"));
  info(`server: ${baseUrl} ${dim(`(tegata serve, SQLite ${database})`)}`);

  const auth = createAuthClient({ baseUrl });
  onAuthStateChange(auth, (event, session) =>
    info(paint("35", `event ${event}`) + (session?.user ? ` (${session.user.email})` : "")),
  );

  step(1, "Sign up");
  const { session: created } = await signUp(auth, user);
  info(`user id=${created.user?.id} emailVerified=${created.user?.emailVerified}`);

  step(2, "Enroll TOTP: the authenticator app takes the secret, its first code activates it");
  const enrollment = await enrollTotp(auth);
  info(`secret ${enrollment.secret} ${dim("(or the QR code of its otpauth:// URI)")}`);
  const activationStep = Math.floor(Date.now() / 30_000);
  const firstCode = await generateTotp(enrollment.secret, { time: activationStep * 30_000 });
  const { recoveryCodes } = await activateTotp(auth, { factorId: enrollment.factorId, code: firstCode });
  info(`code ${firstCode}: active; ${recoveryCodes.length} recovery codes, such as ${recoveryCodes[0]}`);
  await signOut(auth);

  step(3, "Sign in with a wrong password until the account locks");
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      await signIn(auth, { email: user.email, password: "wrong password" });
    } catch (error) {
      if (isTegataError(error, "invalid_credentials")) {
        info(`${attempt}: ${error.name} remainingAttempts=${error.remainingAttempts}`);
      } else if (isTegataError(error, "account_locked")) {
        info(`${attempt}: ${paint("31", error.name)} retryAfter=${error.retryAfter} s`);
      } else throw error;
    }
  }
  try {
    await signIn(auth, { email: user.email, password: user.password });
  } catch (error) {
    if (!isTegataError(error, "account_locked")) throw error;
    info(`the right password: ${error.name} too, for ${error.retryAfter} s more`);
  }

  step(4, "An operator lifts the lock: tegata user unlock");
  info(dim(`$ tegata user unlock ${user.email} --db ${database} --actor demo`));
  info(await tegata(["user", "unlock", user.email, "--db", database, "--actor", "demo"]));

  step(5, "Sign in: the right password opens a TOTP challenge");
  const first = await signIn(auth, { email: user.email, password: user.password });
  if (first.status !== "mfa_required") throw new Error("expected a second-factor challenge");
  info(`status=${first.status}, methods ${first.challenge.methods.join(" or ")}`);

  step(6, "Answer it with the code the authenticator app shows");
  // A code is accepted once: while the step of the activation code lasts, the app's next code
  // (the server accepts one step either side) is the one that works.
  const now = Date.now();
  const time = Math.floor(now / 30_000) === activationStep ? (activationStep + 1) * 30_000 : now;
  const code = await generateTotp(enrollment.secret, { time });
  info(`code ${code}${time === now ? "" : dim(" (the next step's: the activation spent this one)")}`);
  const { session } = await completeMfa(auth, { challenge: first.challenge, code });
  info(`signed in; access token until ${session.expiresAt?.toISOString()}`);
  const me = await getUser(auth);
  info(`GET /auth/user: ${me.email} mfaEnabled=${me.mfaEnabled}`);

  step(7, "Refresh the session (the refresh token rotates)");
  const before = (await getSession(auth))?.refreshToken;
  await refreshSessionNow(auth);
  const after = (await getSession(auth))?.refreshToken;
  info(
    `new access token until ${(await getSession(auth))?.expiresAt?.toISOString()}; refresh token replaced: ${before !== after}`,
  );

  step(8, "The login history, as the user sees it");
  const { items } = await listLoginHistory(auth, { limit: 20 });
  for (const item of items) {
    info(
      `${item.at.toISOString().slice(11, 19)} ${item.method.padEnd(8)} ${item.result.padEnd(7)} ${item.ip}${item.current ? paint("32", "  ← this session") : ""}`,
    );
  }

  step(9, "Sign out everywhere");
  await signOut(auth, { scope: "global" });
  const stale = await fetch(`${baseUrl}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: after ?? "" }),
  });
  info(`the last refresh token now: ${stale.status} ${(await stale.json()).error}`);
} finally {
  server.child.kill("SIGTERM");
  const { code, signal } = await server.exited;
  rmSync(folder, { recursive: true, force: true });
  if (server.log.length > 0) {
    step(10, "What the server logged (one line per request: no query string, token or body)");
    for (const line of server.log) info(dim(line));
  }
  console.log(`\nserver stopped by SIGTERM (exit ${code ?? signal}); ${dim(`${folder} removed`)}`);
}
console.log(`${paint("32", "done")} in ${Math.round(performance.now() - started)} ms`);
