// A Node HTTP API (Hono) whose routes require a tegata access token, verified against the auth
// server's JWKS with tegata/server, and whose own sign-up route validates passwords with the same
// policy the web form uses.
import { Hono } from "hono";
import { isTegataError } from "tegata";
import { presets, validatePassword } from "tegata/password";
import { createAccessTokenVerifier } from "tegata/server";

export interface BackendOptions {
  /** The auth server: its JWKS and issuer. */
  authBaseUrl: string;
  issuer: string;
  audience: string;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}

type Env = { Variables: { userId: string; sessionId: string | undefined } };

export function createBackend(options: BackendOptions) {
  const verify = createAccessTokenVerifier({
    jwksUrl: `${options.authBaseUrl}/.well-known/jwks.json`,
    issuer: options.issuer,
    audience: options.audience,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const policy = presets.nist;
  const notes = new Map<string, string[]>();
  const app = new Hono<Env>();

  app.get("/health", (c) => c.json({ ok: true }));

  // Every /api route needs a valid access token.
  app.use("/api/*", async (c, next) => {
    try {
      const token = await verify(c.req.header("authorization"));
      c.set("userId", token.userId);
      c.set("sessionId", token.sessionId);
    } catch (error) {
      if (isTegataError(error, "invalid_access_token")) {
        c.header("www-authenticate", `Bearer error="invalid_token", error_description="${error.reason}"`);
        return c.json({ code: "unauthorized", reason: error.reason }, 401);
      }
      throw error;
    }
    await next();
  });

  app.get("/api/me", (c) => c.json({ userId: c.get("userId"), sessionId: c.get("sessionId") }));

  app.get("/api/notes", (c) => c.json({ notes: notes.get(c.get("userId")) ?? [] }));
  app.post("/api/notes", async (c) => {
    const body = (await c.req.json().catch(() => null)) as { text?: unknown } | null;
    if (typeof body?.text !== "string" || body.text.length === 0)
      return c.json({ code: "invalid_request" }, 400);
    const list = notes.get(c.get("userId")) ?? [];
    list.push(body.text);
    notes.set(c.get("userId"), list);
    return c.json({ notes: list }, 201);
  });

  // The app's own sign-up form handler (for example a profile with a password for an add-on
  // service): the same policy, messages and codes as the browser.
  app.post("/signup", async (c) => {
    const body = (await c.req.json().catch(() => null)) as { email?: unknown; password?: unknown } | null;
    if (typeof body?.email !== "string" || typeof body.password !== "string") {
      return c.json({ code: "invalid_request" }, 400);
    }
    const locale = c.req.header("accept-language")?.startsWith("ja") ? "ja" : "en";
    const result = await policy.check(body.password, { email: body.email });
    if (!result.ok) {
      const issues = validatePassword(policy, body.password, { email: body.email, locale }).issues;
      return c.json({ code: "password_policy", issues }, 422);
    }
    return c.json({ ok: true }, 201);
  });

  return app;
}
