// examples/web against a real tegata server: `npm run example:web:server` (it builds first).
//
// Starts the `tegata serve` command (the package's bin, a child process) on an SQLite file in a
// temporary folder, allowing the web app's origin (--cors-origin), seeds the demo accounts through
// its HTTP API with tegata's own client (sign-up; Hanako's TOTP enrolled and activated; the seller
// signed in from a phone), then runs the Vite dev server with VITE_TEGATA_SERVER pointing at it: the
// page talks to the server over HTTP, cross-origin, and no service worker is started. Ctrl+C stops
// both and removes the folder.
//
// Ports: the app on EXAMPLE_WEB_PORT (default 5173), the server on TEGATA_PORT (default 8787; 0 for
// any free one). The test (test/e2e/web.e2e.mjs) uses startDemoServer() with its own ports.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createAuthClient } from "tegata";
import { signIn, signOut, signUp } from "tegata/credentials";
import { activateTotp, enrollTotp, generateTotp } from "tegata/totp";

/** The demo accounts: the same as the mock's (src/demo.ts). */
const DEMO = {
  mfa: { email: "hanako@example.jp", password: "sakura-mochi-2026", name: "山田花子" },
  plain: { email: "taro@example.jp", password: "correct horse battery", name: "Taro" },
  seller: { email: "sakura@example.jp", password: "yozakura no shita de 2026", name: "Sakura" },
};
const SEED_AGENT = "tegata-example-seed/1.0";
const PHONE_AGENT =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";

// The `tegata` command as npx finds it: the package's "bin" (dist/cli/index.js, made by the build).
const pkgFile = fileURLToPath(import.meta.resolve("tegata/package.json"));
const cli = join(dirname(pkgFile), JSON.parse(readFileSync(pkgFile, "utf8")).bin.tegata);

/** A fetch that sends this User-Agent (what the login history shows as the device). */
const withAgent = (userAgent) => (input, init) => {
  const request = new Request(input, init);
  request.headers.set("user-agent", userAgent);
  return fetch(request);
};

/**
 * Starts `tegata serve` on a fresh SQLite file and seeds the demo accounts.
 *
 * @param {object} options
 * @param {string[]} options.appOrigins the web app's origins (CORS)
 * @param {number} [options.port] the server's port (0: a free one)
 * @param {(line: string) => void} [options.log] receives the server's output, line by line
 */
export async function startDemoServer({ appOrigins, port = 0, log = () => {} }) {
  const folder = mkdtempSync(join(tmpdir(), "tegata-web-"));
  const database = join(folder, "auth.sqlite");
  // The server's secret (it seals the signing keys and TOTP secrets): fresh, for this folder only.
  // Not --dev, whose secret would change on a restart and lock the database's keys away.
  const env = { ...process.env, TEGATA_SECRET: randomBytes(32).toString("base64url") };
  const origins = appOrigins.flatMap((origin) => ["--cors-origin", origin, "--app-origin", origin]);

  let child;
  let exited;
  /** Starts the command; resolves with its URL once it listens. */
  const launch = (onPort) =>
    new Promise((resolve, reject) => {
      // Its own process group: Ctrl+C in the terminal reaches this script alone, which stops the
      // server (one signal, one graceful shutdown); it is also stopped if this process exits.
      child = spawn(
        process.execPath,
        [cli, "serve", "--db", database, "--port", String(onPort), ...origins],
        {
          env,
          stdio: ["ignore", "pipe", "pipe"],
          detached: true,
        },
      );
      const orphaned = () => child.kill("SIGTERM");
      process.once("exit", orphaned);
      exited = new Promise((done) =>
        child.once("exit", (code, signal) => {
          process.off("exit", orphaned);
          done(code ?? signal);
        }),
      );
      let stderr = "";
      for (const [stream, prefix] of [
        [child.stdout, ""],
        [child.stderr, "stderr: "],
      ]) {
        let buffered = "";
        stream.setEncoding("utf8").on("data", (chunk) => {
          const lines = (buffered + chunk).split("\n");
          buffered = lines.pop();
          for (const line of lines) {
            log(prefix + line);
            if (prefix) stderr += `${line}\n`;
            const listening = /listening on (http:\/\/\S+)/.exec(line);
            if (listening) resolve(listening[1]);
          }
        });
      }
      exited.then((code) => reject(new Error(`tegata serve ended (${code}) before listening\n${stderr}`)));
    });
  const stopChild = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };

  let url;
  try {
    url = await launch(port);
    const seeded = await seed(url);
    return {
      url,
      folder,
      database,
      ...seeded,
      /** What the web app's build needs (Vite reads VITE_* from the environment). */
      viteEnv: {
        VITE_TEGATA_SERVER: url,
        VITE_TEGATA_DEMO_TOTP_SECRET: seeded.totpSecret,
        VITE_TEGATA_DEMO_SELLER_ID: seeded.sellerId,
      },
      /** Stops the server and starts it again on the same file and port. */
      async restart() {
        await stopChild();
        await launch(new URL(url).port);
      },
      /** Stops the server and removes the folder. */
      async stop() {
        await stopChild();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child) await stopChild();
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}

/** The demo accounts, made through the server's HTTP API as any client would. */
async function seed(baseUrl) {
  const client = () => createAuthClient({ baseUrl, fetch: withAgent(SEED_AGENT) });

  // Hanako, with an authenticator app (TOTP) and recovery codes.
  const hanako = client();
  await signUp(hanako, DEMO.mfa);
  const enrollment = await enrollTotp(hanako, { issuer: "tegata demo" });
  // Activated with the previous 30-second step's code (the server takes one step either side), so
  // the code of the current step, which the helper shows, has not been used yet: the server refuses
  // a code again, and any older one. Not in the last second of a step, or the previous step would
  // be out of the window by the time the request arrives.
  const intoStep = Date.now() % 30_000;
  if (intoStep > 29_000) await new Promise((resolve) => setTimeout(resolve, 30_050 - intoStep));
  const previous = (Math.floor(Date.now() / 30_000) - 1) * 30_000;
  const { recoveryCodes } = await activateTotp(hanako, {
    factorId: enrollment.factorId,
    code: await generateTotp(enrollment.secret, { time: previous }),
  });
  await signOut(hanako);

  // Taro, with a password only.
  const taro = client();
  await signUp(taro, DEMO.plain);
  await signOut(taro);

  // The seller, whose last login others see: last signed in from a phone.
  const seller = client();
  const { session } = await signUp(seller, DEMO.seller);
  await signOut(seller);
  const phone = createAuthClient({ baseUrl, fetch: withAgent(PHONE_AGENT) });
  await signIn(phone, { email: DEMO.seller.email, password: DEMO.seller.password });
  await signOut(phone);

  return { totpSecret: enrollment.secret, recoveryCodes, sellerId: session.user.id };
}

/** `npm run example:web:server`: the server, the seeding, and the Vite dev server. */
async function main() {
  const appPort = Number(process.env.EXAMPLE_WEB_PORT ?? 5173);
  const appOrigins = [`http://127.0.0.1:${appPort}`, `http://localhost:${appPort}`];
  const demo = await startDemoServer({
    appOrigins,
    port: Number(process.env.TEGATA_PORT ?? 8787),
    log: (line) => console.log(`tegata | ${line}`),
  });
  let vite;
  const stop = async () => {
    await vite?.close().catch(() => {});
    await demo.stop();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    Object.assign(process.env, demo.viteEnv);
    const { createServer } = await import("vite");
    vite = await createServer({
      configFile: fileURLToPath(new URL("vite.config.ts", import.meta.url)),
      server: { port: appPort, strictPort: true },
    });
    await vite.listen();
  } catch (error) {
    console.error(`examples/web: ${error?.message ?? error}`);
    await demo.stop();
    process.exit(1);
  }
  console.log(`
examples/web against a real tegata server
  app:      ${appOrigins[0]}/   (Vite; no service worker)
  server:   ${demo.url}   (tegata serve, SQLite ${demo.database})
  accounts: ${DEMO.mfa.email} / ${DEMO.mfa.password} (TOTP: the page's helper shows the code)
            ${DEMO.plain.email} / ${DEMO.plain.password}
  recovery codes of ${DEMO.mfa.email}: ${demo.recoveryCodes.slice(0, 3).join(", ")}, …
Ctrl+C stops both and removes the database.
`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
