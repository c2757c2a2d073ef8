// Starts the example API on http://127.0.0.1:8787 (PORT).
//
//   npm run example:node                 against tegata's mock auth server, started here on
//                                        http://127.0.0.1:8788 (AUTH_PORT), with a demo user
//   AUTH_BASE_URL=https://auth.example.com npm run example:node
//                                        against a real tegata auth server (AUTH_ISSUER and
//                                        AUTH_AUDIENCE default to AUTH_BASE_URL and "tegata")
//
// `--mock` forces the mock even when AUTH_BASE_URL is set. Node runs this file as it is (type
// stripping), after `npm run example:node` has built tegata into dist/.
import { serve } from "@hono/node-server";

// Node's type stripping needs the ".ts" of a relative import, which this repository's tsconfig
// (bundler resolution, for the library) refuses in a static import: load by URL, keep the types.
const load = (path: string) => import(new URL(path, import.meta.url).href);
const { createBackend } = (await load("./app.ts")) as typeof import("./app");
const { createMockAuthServer, demoUser } = (await load("./mock-auth.ts")) as typeof import("./mock-auth");

const port = Number(process.env.PORT ?? 8787);
const useMock = process.argv.includes("--mock") || !process.env.AUTH_BASE_URL;
const listen = (fetch: (request: Request) => Response | Promise<Response>, at: number) =>
  new Promise<void>((resolve, reject) => {
    const server = serve({ fetch, port: at, hostname: "127.0.0.1" }, () => resolve());
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new Error(`port ${at} is in use (set PORT / AUTH_PORT)`) : error),
    );
  });

let auth: { baseUrl: string; issuer: string; audience: string };
if (useMock) {
  const authPort = Number(process.env.AUTH_PORT ?? 8788);
  const { mock, handle } = createMockAuthServer({ baseUrl: `http://127.0.0.1:${authPort}` });
  await mock.ready();
  await listen(handle, authPort);
  auth = { baseUrl: mock.baseUrl, issuer: mock.issuer, audience: mock.audience };
} else {
  const baseUrl = String(process.env.AUTH_BASE_URL).replace(/\/+$/, "");
  auth = {
    baseUrl,
    issuer: process.env.AUTH_ISSUER ?? baseUrl,
    audience: process.env.AUTH_AUDIENCE ?? "tegata",
  };
}

const app = createBackend({ authBaseUrl: auth.baseUrl, issuer: auth.issuer, audience: auth.audience });
await listen(app.fetch, port);
const api = `http://127.0.0.1:${port}`;

console.log(`example API on ${api}`);
console.log(`auth server: ${auth.baseUrl}${useMock ? " (tegata's mock, in this process)" : ""}`);
if (useMock) {
  const body = JSON.stringify({ email: demoUser.email, password: demoUser.password });
  console.log(`
Try it (user ${demoUser.email}, password "${demoUser.password}"):

  TOKEN=$(curl -s ${auth.baseUrl}/auth/sign-in -H 'content-type: application/json' \\
    -d '${body}' | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')
  curl -s ${api}/api/me -H "authorization: Bearer $TOKEN"
  curl -s ${api}/api/notes -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"text":"buy matcha"}'
  curl -s -i ${api}/api/me                       # 401, reason "missing"

An auth server that cannot be reached gives 503 and one log line:
  AUTH_BASE_URL=http://127.0.0.1:8799 npm run example:node
`);
}
