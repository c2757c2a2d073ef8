// Starts the example on http://127.0.0.1:8787 (PORT).
//
//   npm run example:node -- --dev        the auth server and the API in this one process, a random
//                                        secret and a demo user (also with NODE_ENV=development)
//   AUTH_SECRET=… npm run example:node   the same without the demo user; refused without a secret
//                                        of at least 32 bytes
//   AUTH_BASE_URL=https://auth.example.com npm run example:node
//                                        the API only, against a tegata auth server elsewhere
//                                        (AUTH_ISSUER and AUTH_AUDIENCE default to AUTH_BASE_URL
//                                        and "tegata")
//
// Node runs this file as it is (type stripping), after `npm run example:node` has built tegata
// into dist/.
import { serve } from "@hono/node-server";

// Node's type stripping needs the ".ts" of a relative import, which this repository's tsconfig
// (bundler resolution, for the library) refuses in a static import: load by URL, keep the types.
const load = (path: string) => import(new URL(path, import.meta.url).href);
const { createBackend, createCombinedApp, seedUser } = (await load("./app.ts")) as typeof import("./app");
const { curlSteps, demoUser, isDevMode, readAuthSecret } = (await load(
  "./setup.ts",
)) as typeof import("./setup");

const port = Number(process.env.PORT ?? 8787);
const hostname = "127.0.0.1";
const listen = (fetch: Parameters<typeof serve>[0]["fetch"]) =>
  new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const server = serve({ fetch, port, hostname }, () => resolve(server));
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new Error(`port ${port} is in use (set PORT)`) : error),
    );
  });
const local = `http://${hostname}:${port}`;
const audience = process.env.AUTH_AUDIENCE ?? "tegata";

if (process.env.AUTH_BASE_URL) {
  // The API only; the auth server is elsewhere.
  const authBaseUrl = process.env.AUTH_BASE_URL.replace(/\/+$/, "");
  const app = createBackend({ authBaseUrl, issuer: process.env.AUTH_ISSUER ?? authBaseUrl, audience });
  await listen(app.fetch);
  console.log(`example API on ${local}`);
  console.log(`access tokens verified against ${authBaseUrl}/.well-known/jwks.json`);
} else {
  const dev = isDevMode(process.argv.slice(2), process.env);
  const secret = readAuthSecret({ value: process.env.AUTH_SECRET, dev });
  if (!secret.ok) {
    console.error(secret.message);
    process.exit(1);
  }
  if (secret.notice) console.log(secret.notice);
  const issuer = process.env.AUTH_ISSUER ?? local;
  const combined = createCombinedApp({ issuer, secret: secret.secret, audience });
  if (dev) await seedUser(combined.auth, issuer, demoUser);
  const http = await listen(combined.fetch);
  const stop = () => http.close(() => void combined.close());
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);

  console.log(`tegata auth server and example API on ${local} (one process, memory store: nothing survives a restart)
  auth server: /auth/*, /oauth/*, /.well-known/jwks.json, /health
  API:         /api/me, /api/notes (bearer token), /signup`);
  if (dev) console.log(`dev mode: demo user ${demoUser.email}, password "${demoUser.password}"`);
  console.log(`\nTry it:\n\n${curlSteps(local, dev ? demoUser : undefined)}\n`);
}
