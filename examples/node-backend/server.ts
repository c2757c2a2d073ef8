// Starts the example API on http://127.0.0.1:8787 against a real tegata auth server.
// AUTH_BASE_URL, AUTH_ISSUER and AUTH_AUDIENCE configure it.
import { serve } from "@hono/node-server";
import { createBackend } from "./app";

const authBaseUrl = process.env.AUTH_BASE_URL ?? "https://auth.example.com";
const app = createBackend({
  authBaseUrl,
  issuer: process.env.AUTH_ISSUER ?? authBaseUrl,
  audience: process.env.AUTH_AUDIENCE ?? "tegata",
});
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 8787), hostname: "127.0.0.1" }, (info) => {
  console.log(`example API on http://127.0.0.1:${info.port}`);
});
