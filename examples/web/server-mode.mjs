// examples/web against a real tegata server: `npm run example:web:server` (it builds first).
//
// Runs tegata's auth server, what `tegata serve` runs (createAuthServer of tegata/server on
// sqliteStore of tegata/server/sqlite), in this process over node:http, on an SQLite file in a
// temporary folder, allowing the web app's origin (CORS and the links in mails); seeds the demo
// accounts through its HTTP API with tegata's own client (sign-up; Hanako's TOTP enrolled and
// activated; the seller signed in from a phone); then runs the Vite dev server with
// VITE_TEGATA_SERVER pointing at it: the page talks to the server over HTTP, cross-origin, and no
// service worker is started. Ctrl+C stops both and removes the folder.
//
// In-process rather than the `tegata serve` command, for the dev mailbox: the command sends no
// mail (its mailer only says a mail was not sent), while here the server's mailer is this
// script's, which keeps every mail and lists them at GET /dev/mailbox on the server's port, newest
// first, for the page's 「メールボックス（開発用）」 (VITE_TEGATA_DEV_MAILBOX). Development only: the
// mails hold one-time links that reset passwords.
//
// Ports: the app on EXAMPLE_WEB_PORT (default 5173), the server on TEGATA_PORT (default 8787; 0 for
// any free one). The test (test/e2e/web.e2e.mjs) uses startDemoServer() with its own ports.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { serve } from "@hono/node-server";
import { createAuthClient } from "tegata";
import { signIn, signOut, signUp } from "tegata/credentials";
import { createAuthServer } from "tegata/server";
import { sqliteStore } from "tegata/server/sqlite";
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

/** Where the server's port answers with the mails it sent (this script's endpoint, not tegata's). */
export const MAILBOX_PATH = "/dev/mailbox";

/** A fetch that sends this User-Agent (what the login history shows as the device). */
const withAgent = (userAgent) => (input, init) => {
  const request = new Request(input, init);
  request.headers.set("user-agent", userAgent);
  return fetch(request);
};

/**
 * Starts the auth server on a fresh SQLite file and seeds the demo accounts.
 *
 * @param {object} options
 * @param {string[]} options.appOrigins the web app's origins (CORS; the first is where mailed links
 *   lead; those on localhost may use passkeys, whose RP ID is then localhost)
 * @param {number} [options.port] the server's port (0: a free one)
 * @param {(line: string) => void} [options.log] receives the server's log, line by line (one per request)
 */
export async function startDemoServer({ appOrigins, port = 0, log = () => {} }) {
  const folder = mkdtempSync(join(tmpdir(), "tegata-web-"));
  const database = join(folder, "auth.sqlite");
  // The server's secret (it seals the signing keys, TOTP secrets and queued mails): fresh, for
  // this folder only, and the same across a restart (or the database's keys would not open).
  const secret = randomBytes(32).toString("base64url");

  /** What the server sent, oldest first: the dev mailbox. Kept across a restart. */
  const mails = [];
  const mailer = {
    async send(message) {
      // The outbox's id is the same on every attempt: a mail sent again is not listed twice.
      if (message.id !== undefined && mails.some((mail) => mail.id === message.id)) return;
      mails.push({
        id: message.id ?? `mail-${mails.length + 1}`,
        to: message.to,
        kind: message.kind,
        locale: message.locale,
        subject: message.subject,
        text: message.text,
        link: message.link ?? null,
        at: new Date().toISOString(),
      });
      log(`mail ${message.kind} to ${message.to} (in the dev mailbox)`);
    },
  };

  /** GET /dev/mailbox: the mails, newest first, readable by the app's origins (CORS). */
  const mailbox = (request) => {
    const headers = { "content-type": "application/json", "cache-control": "no-store", vary: "Origin" };
    const origin = request.headers.get("origin");
    if (origin && appOrigins.includes(origin)) headers["access-control-allow-origin"] = origin;
    if (request.method !== "GET")
      return new Response(null, { status: 405, headers: { ...headers, allow: "GET" } });
    return new Response(JSON.stringify({ mails: mails.toReversed() }), { headers });
  };

  const passkeyOrigins = appOrigins.filter((origin) => new URL(origin).hostname === "localhost");
  let http;
  let auth;
  /** Listens on `onPort`, then makes the server (its issuer is the URL bound); resolves with the URL. */
  const launch = async (onPort) => {
    let started;
    const ready = new Promise((resolve) => {
      started = resolve;
    });
    http = await new Promise((resolve, reject) => {
      const server = serve(
        {
          hostname: "127.0.0.1",
          port: onPort,
          async fetch(request, env) {
            const began = performance.now();
            const path = new URL(request.url).pathname;
            const response =
              path === MAILBOX_PATH
                ? mailbox(request)
                : await (await ready).fetch(request, { remoteAddress: env.incoming.socket.remoteAddress });
            // One line per request, as `tegata serve` logs them (no query string: it may hold a token).
            log(`${request.method} ${path} ${response.status} ${Math.round(performance.now() - began)}ms`);
            return response;
          },
        },
        () => resolve(server),
      );
      server.once("error", reject);
    });
    const url = `http://127.0.0.1:${http.address().port}`;
    const store = await sqliteStore({ path: database }); // applies the schema migrations it lacks
    auth = createAuthServer({
      issuer: url,
      secret,
      store,
      appOrigins,
      cors: { origins: appOrigins },
      // Passkeys belong to a domain (the RP ID), and browsers refuse WebAuthn on a page opened by IP
      // address: the app's localhost origins run the ceremonies.
      ...(passkeyOrigins.length > 0
        ? { passkeys: { rpId: "localhost", rpName: "tegata demo", origins: passkeyOrigins } }
        : {}),
      mailer,
      onError: (error) => log(`stderr: tegata: request failed: ${error?.stack ?? error}`),
    });
    started(auth);
    log(`tegata/server listening on ${url} (SQLite ${database})`);
    return url;
  };
  const stopServer = async () => {
    if (!http) return;
    const closed = new Promise((resolve) => http.close(resolve));
    http.closeAllConnections();
    await closed;
    await auth?.close(); // the mail sender, then the database
    http = undefined;
    auth = undefined;
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
      /** The mails the server sent, oldest first (what the dev mailbox lists, newest first). */
      mails,
      /** What the web app's build needs (Vite reads VITE_* from the environment). */
      viteEnv: {
        VITE_TEGATA_SERVER: url,
        VITE_TEGATA_DEMO_TOTP_SECRET: seeded.totpSecret,
        VITE_TEGATA_DEMO_SELLER_ID: seeded.sellerId,
        VITE_TEGATA_DEV_MAILBOX: `${url}${MAILBOX_PATH}`,
      },
      /** Stops the server and starts it again on the same file and port (same secret). */
      async restart() {
        await stopServer();
        await launch(Number(new URL(url).port));
      },
      /** Stops the server and removes the folder. */
      async stop() {
        await stopServer();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopServer().catch(() => {});
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}

/** The demo accounts, made through the server's HTTP API as any client would. */
async function seed(baseUrl) {
  const client = () => createAuthClient({ baseUrl, fetch: withAgent(SEED_AGENT) });

  // Hanako, with an authenticator app (TOTP) and recovery codes.
  const hanako = client();
  // The demo accounts read their mail in Japanese (their setting, chosen at sign-up).
  await signUp(hanako, { ...DEMO.mfa, locale: "ja" });
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
  await signUp(taro, { ...DEMO.plain, locale: "ja" });
  await signOut(taro);

  // The seller, whose last login others see: last signed in from a phone.
  const seller = client();
  const { session } = await signUp(seller, { ...DEMO.seller, locale: "ja" });
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
  const port = Number(process.env.TEGATA_PORT ?? 8787);
  let demo;
  try {
    demo = await startDemoServer({ appOrigins, port, log: (line) => console.log(`tegata | ${line}`) });
  } catch (error) {
    console.error(
      error?.code === "EADDRINUSE"
        ? `examples/web: port ${port} is in use (set TEGATA_PORT)`
        : `examples/web: ${error?.stack ?? error}`,
    );
    process.exit(1);
  }
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
  passkeys: ${appOrigins[1]}/   (WebAuthn refuses a page opened by IP address)
  server:   ${demo.url}   (tegata/server, SQLite ${demo.database})
  mailbox:  ${demo.viteEnv.VITE_TEGATA_DEV_MAILBOX}   (the page's 「メールボックス（開発用）」)
  accounts: ${DEMO.mfa.email} / ${DEMO.mfa.password} (TOTP: the page's helper shows the code)
            ${DEMO.plain.email} / ${DEMO.plain.password}
  recovery codes of ${DEMO.mfa.email}: ${demo.recoveryCodes.slice(0, 3).join(", ")}, …
Ctrl+C stops both and removes the database.
`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
