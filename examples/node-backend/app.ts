// A Node HTTP API (Hono) whose routes require a tegata access token, verified against the auth
// server's JWKS with tegata/server, and whose own sign-up route validates passwords with the same
// policy the web form uses. When the JWKS cannot be fetched, /api answers 503 (the auth server is
// unavailable; the token may be fine) and one line per kind of failure is logged, not one per
// request.
//
// `createCombinedApp` serves that API and tegata's auth server (`createAuthServer`) from one
// process: the auth server's paths go to it, everything else to the API, whose verifier reads the
// same process's JWKS.
import { Hono } from "hono";
import { isTegataError } from "tegata";
import { presets, validatePassword } from "tegata/password";
import {
  type AuthServer,
  type AuthServerOptions,
  createAccessTokenVerifier,
  createAuthServer,
  memoryStore,
} from "tegata/server";

/** Options of {@link createBackend}. */
export interface BackendOptions {
  /** The auth server's base URL: its JWKS is `${authBaseUrl}/.well-known/jwks.json`. */
  authBaseUrl: string;
  /** The expected `iss` of the access tokens. */
  issuer: string;
  /** The expected `aud` of the access tokens. */
  audience: string;
  /** The fetch the JWKS is fetched with. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** The clock, in ms since the epoch (tests). Default `Date.now`. */
  now?: () => number;
  /** Where the JWKS health lines go. Default: `console.error`. */
  log?: (line: string) => void;
  /** After a failed JWKS fetch, how long requests fail fast (503) before one fetch is tried again, in ms. Default 5 s. */
  jwksRetryMs?: number;
}

/** Why the JWKS could not be had: no connection, no answer in time, an HTTP error, or not a JWKS. */
export type JwksFailureKind = "unreachable" | "timeout" | `http_${number}` | "invalid";

/**
 * The fetch the verifier uses for the JWKS, watched: every failure becomes a `TypeError` (which
 * tegata/server reports as `reason: "jwks"`, whatever went wrong), the first failure of each kind
 * and the recovery are logged once, and after a failure further fetches wait `retryMs` (requests
 * meanwhile fail at once instead of each knocking on a server that is down).
 */
export function watchJwks(options: {
  url: string;
  fetch: typeof globalThis.fetch;
  now: () => number;
  log: (line: string) => void;
  retryMs: number;
}) {
  let failing: { kind: JwksFailureKind; attempts: number; retryAt: number; why: string } | undefined;
  const fail = (kind: JwksFailureKind, why: string, cause?: unknown): never => {
    const attempts = (failing?.attempts ?? 0) + 1;
    if (failing?.kind !== kind) {
      options.log(
        `[jwks] ${options.url} ${failing ? "now fails differently" : "cannot be fetched"}: ${why}. ` +
          `/api answers 503 until it can; one retry every ${options.retryMs / 1000} s at most.`,
      );
    }
    failing = { kind, attempts, retryAt: options.now() + options.retryMs, why };
    throw new TypeError(`The JWKS could not be fetched: ${why}`, { cause });
  };
  const fetchJwks: typeof globalThis.fetch = async (input, init) => {
    if (failing && options.now() < failing.retryAt) {
      throw new TypeError(`The JWKS could not be fetched: ${failing.why} (not retried yet)`);
    }
    let response: Response;
    try {
      response = await options.fetch(input, init);
    } catch (error) {
      if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
        return fail("timeout", "no answer in time", error);
      }
      const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
      const detail = typeof cause?.code === "string" ? cause.code : cause?.message;
      return fail(
        "unreachable",
        typeof detail === "string" ? `no connection (${detail})` : "no connection",
        error,
      );
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      return fail(`http_${response.status}`, `it answered HTTP ${response.status}`);
    }
    const text = await response.text();
    let keys: unknown;
    try {
      keys = (JSON.parse(text) as { keys?: unknown }).keys;
    } catch {}
    if (!Array.isArray(keys)) return fail("invalid", "the answer is not a JSON Web Key Set");
    if (failing) {
      options.log(
        `[jwks] ${options.url} fetched again after ${failing.attempts} failed attempt(s); /api is back.`,
      );
      failing = undefined;
    }
    return new Response(text, { status: 200, headers: response.headers });
  };
  return {
    fetch: fetchJwks,
    /** The current failure, if the last fetch failed. */
    failure: () => (failing ? { kind: failing.kind, attempts: failing.attempts } : undefined),
  };
}

type Env = { Variables: { userId: string; sessionId: string | undefined } };

/**
 * The example API: `/api/me` and `/api/notes` behind a tegata access token (401 with a `reason`
 * for a bad one, 503 with `Retry-After` while the JWKS cannot be had), `/signup` validating
 * passwords with `presets.nist`, and `/health`.
 */
export function createBackend(options: BackendOptions) {
  const jwksUrl = `${options.authBaseUrl}/.well-known/jwks.json`;
  const now = options.now ?? Date.now;
  const retryMs = options.jwksRetryMs ?? 5000;
  const jwks = watchJwks({
    url: jwksUrl,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    now,
    log: options.log ?? ((line) => console.error(line)),
    retryMs,
  });
  const verify = createAccessTokenVerifier({
    jwksUrl,
    issuer: options.issuer,
    audience: options.audience,
    fetch: jwks.fetch,
    now,
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
      // The keys could not be had: the auth server is down or broken, not the caller's token.
      if (isTegataError(error, "invalid_access_token") && error.reason === "jwks") {
        c.header("retry-after", String(Math.ceil(retryMs / 1000)));
        return c.json({ code: "auth_unavailable", reason: jwks.failure()?.kind ?? "jwks" }, 503);
      }
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

/** The paths of the auth server in {@link createCombinedApp}: the SDK's default paths. */
export const AUTH_PATHS = ["/auth/*", "/oauth/*", "/.well-known/jwks.json", "/health"] as const;

/**
 * Options of {@link createCombinedApp}: those of `createAuthServer` (`issuer` is this process's
 * public URL, `secret` at least 32 bytes; `store` defaults to `memoryStore()` and
 * `passwordPolicy` to `presets.nist`, the policy of the API's own `/signup`), and the API's.
 */
export interface CombinedAppOptions extends AuthServerOptions {
  /** Where the API's JWKS health lines go. Default: `console.error`. */
  log?: (line: string) => void;
  /** See {@link BackendOptions.jwksRetryMs}. */
  jwksRetryMs?: number;
}

/**
 * What the app reads of `@hono/node-server`'s env (its `HttpBindings` or `Http2Bindings`): the
 * client's socket.
 */
export interface NodeBindings {
  incoming: { socket: { remoteAddress?: string | undefined } };
}

/** The auth server and the API in one Hono app. */
export interface CombinedApp {
  /** The Hono app: the auth server on {@link AUTH_PATHS}, the API everywhere else. */
  app: Hono<{ Bindings: NodeBindings }>;
  /** The auth server inside it. */
  auth: AuthServer;
  /**
   * Answers one request: pass it as it is to `@hono/node-server`'s `serve({ fetch })`, whose
   * `env.incoming.socket.remoteAddress` becomes the client's IP for the auth server.
   */
  fetch: (request: Request, env?: NodeBindings) => Response | Promise<Response>;
  /** Releases the auth server's store. */
  close(): Promise<void>;
}

/**
 * One app for one port: tegata's auth server (sign-in, tokens, MFA, history, JWKS, `/health`)
 * mounted on the SDK's default paths, and the example API on the rest, its access tokens verified
 * against the JWKS of the same auth server, fetched in-process (no request goes out of the
 * process, so whatever host name clients use, the keys are found).
 *
 * @throws TypeError for a missing or relative `issuer`, or a `secret` shorter than 32 bytes (from `createAuthServer`).
 * @example
 * ```ts
 * const combined = createCombinedApp({ issuer: "http://127.0.0.1:8787", secret: process.env.AUTH_SECRET ?? "" });
 * serve({ fetch: combined.fetch, port: 8787, hostname: "127.0.0.1" });
 * ```
 */
export function createCombinedApp(options: CombinedAppOptions): CombinedApp {
  const { log, jwksRetryMs, ...authOptions } = options;
  const auth = createAuthServer({ store: memoryStore(), passwordPolicy: presets.nist, ...authOptions });
  // The issuer as the auth server writes it into `iss`: the URL without its trailing slash.
  const issuer = new URL(String(options.issuer)).href.replace(/\/+$/, "");
  const api = createBackend({
    // The auth server is mounted at the root of this app, whatever path the issuer has.
    authBaseUrl: new URL(issuer).origin,
    issuer,
    audience: options.audience ?? "tegata",
    fetch: (input, init) => auth.fetch(new Request(input, init)),
    ...(options.now ? { now: options.now } : {}),
    ...(log ? { log } : {}),
    ...(jwksRetryMs === undefined ? {} : { jwksRetryMs }),
  });
  const app = new Hono<{ Bindings: NodeBindings }>();
  // Registered before the API, so the auth server's /health answers, not the API's.
  for (const path of AUTH_PATHS) {
    app.all(path, (c) =>
      // The client's address for the login history and the per-IP rate limits; absent when the
      // app is called without @hono/node-server (app.request in tests).
      auth.fetch(c.req.raw, { remoteAddress: c.env?.incoming?.socket?.remoteAddress }),
    );
  }
  app.route("/", api);
  return {
    app,
    auth,
    fetch: (request, env) => app.fetch(request, env),
    close: () => auth.close(),
  };
}

/**
 * Creates an account on `auth` through its own sign-up endpoint (the password checked by its
 * policy, hashed by its hasher), then revokes the session that sign-up opens, so the account
 * starts with none. For the demo user of dev mode.
 *
 * @returns The new user's id.
 * @throws Error when the server refuses the sign-up (an address already taken, a weak password).
 */
export async function seedUser(
  auth: AuthServer,
  issuer: string,
  user: { email: string; password: string; name?: string },
): Promise<string> {
  const base = new URL(issuer).origin;
  const signedUp = await auth.fetch(
    new Request(`${base}/auth/sign-up`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(user),
    }),
  );
  const body = (await signedUp.json()) as { refresh_token?: string; user?: { id: string }; code?: string };
  if (signedUp.status !== 201 || !body.user || !body.refresh_token) {
    throw new Error(`seeding ${user.email} failed: HTTP ${signedUp.status} ${body.code ?? ""}`.trim());
  }
  await auth.fetch(
    new Request(`${base}/oauth/revoke`, {
      method: "POST",
      body: new URLSearchParams({ token: body.refresh_token }),
    }),
  );
  return body.user.id;
}
