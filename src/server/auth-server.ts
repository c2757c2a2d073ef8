/**
 * `createAuthServer`: tegata's auth server as one web-standard `fetch` handler, for Node (through
 * `@hono/node-server`), Bun, Deno, Workers or a Hono/Express app.
 *
 * @module
 */
import type { PasswordChecker } from "../core/password-checker";
import { definePasswordPolicy } from "../password/policy";
import { type AuthServerAdmin, createAdmin } from "./admin";
import { createKeyRing } from "./crypto/keys";
import { defaultPasswordHasher, type PasswordHasher } from "./crypto/password";
import { createSealer } from "./crypto/seal";
import { DEFAULT_DELETED_EMAIL_BLOCK_SECONDS } from "./domain/account-life";
import type { DomainConfig, DomainContext, LoginLocation, TokenLifetimes } from "./domain/context";
import { createCredentials } from "./domain/credentials";
import type { IdTokenProvider } from "./domain/identities";
import { type PasskeyOptions, resolvePasskeySettings } from "./domain/passkeys";
import type { AuthServerEvent, Mailer, MailMessage, Route, RouteEnv } from "./http/env";
import { mailLocale, resolveServiceName } from "./http/mail";
import type { MailSettings } from "./http/notices";
import { clientIp } from "./http/request";
import { errorResponse, problem } from "./http/responses";
import { accountRoutes } from "./http/routes/account";
import { historyRoutes } from "./http/routes/history";
import { identityRoutes } from "./http/routes/identities";
import { mfaRoutes } from "./http/routes/mfa";
import { passkeyRoutes } from "./http/routes/passkeys";
import { sessionRoutes } from "./http/routes/session";
import {
  createMailSender,
  type MailDeliveryOptions,
  type MailDeliveryReport,
  resolveMailDelivery,
} from "./mail/sender";
import { memoryStore } from "./store/memory";
import type { AuthStore, LockoutPolicy } from "./store/types";

/** Options of {@link createAuthServer}. */
export interface AuthServerOptions {
  /** The server's public URL: the `iss` of its tokens. Required. */
  issuer: string | URL;
  /**
   * At least 32 bytes (a string of 32+ characters, or bytes) of secret: it seals TOTP secrets and
   * private signing keys at rest. Keep it out of the code and the database. Required.
   */
  secret: string | Uint8Array;
  /** Where everything is kept. Default: `memoryStore()` (nothing survives a restart). */
  store?: AuthStore;
  /** `aud` of the access tokens. Default `"tegata"`. */
  audience?: string;
  /** The password policy, the same object the browser uses (`tegata/password`). Default: `definePasswordPolicy()`. */
  passwordPolicy?: PasswordChecker;
  /** Account lockout. Default 5 attempts, 900 s. */
  lockout?: Partial<LockoutPolicy>;
  /** Token lifetimes in seconds. */
  lifetimes?: Partial<TokenLifetimes>;
  /**
   * Sends mail (`smtpMailer` of `tegata/server/smtp`, `consoleMailer`, or your own). Mails go
   * through the store's durable outbox: queued with the token they carry, then sent by the
   * server (see `mailDelivery`). Default: kept in memory (`outbox`), one log line per mail (never
   * its link), delivered before the request that queued it is answered.
   */
  mailer?: Mailer;
  /**
   * How the outbox is delivered. The server sends right after a request queues mail, and also
   * every `intervalMs` (an unref'd timer: retries after a backoff, and mail queued by another
   * instance or before a restart); a failed attempt is retried after `backoffMs`, and given up
   * after `maxAttempts` (a `mail_failed` event with `gaveUp: true`). `false`: no timer and no send
   * after a request; call `deliverMail()` yourself (serverless, a cron, tests). Default:
   * `DEFAULT_MAIL_DELIVERY` (every 10 s; 8 attempts, after 30 s, 2 min, 10 min, 1 h, then 6 h).
   */
  mailDelivery?: MailDeliveryOptions | false;
  /** Password hashing. Default: argon2id through `node:crypto` where available, else scrypt or PBKDF2. */
  hasher?: PasswordHasher;
  /** Origins that links in mails and `redirect_to` may point to; anything else is refused. */
  appOrigins?: string[];
  /**
   * The product name in the mails' subjects and bodies. Control characters (CR, LF, …) become
   * spaces and it is cut at 100 characters: it never breaks a header. Default `"tegata"`.
   */
  serviceName?: string;
  /**
   * Password sign-in needs a verified address: an unverified account's correct password answers
   * `403 email_not_verified` (and mails a new verification link), and sign-up creates the account
   * and mails its link but answers `403 email_not_verified` instead of a session. Sessions already
   * open stay; social sign-in is not affected (the provider vouched for the person). Default false.
   */
  requireVerifiedEmail?: boolean;
  /** CORS: the origins allowed to call the server from a browser. Default: none (same origin only). */
  cors?: { origins: string[]; credentials?: boolean };
  /**
   * Per-IP limits of the endpoints credential stuffing and mail bombing go through, across
   * accounts (the per-account lockout is `lockout`): requests per window of seconds, by path.
   * Over the limit: `429 rate_limited` with `Retry-After`. `false` turns them off. Default:
   * {@link DEFAULT_RATE_LIMITS}.
   */
  rateLimits?: Record<string, { max: number; windowSeconds: number }> | false;
  /** Read the client's IP from `X-Forwarded-For` (only behind a proxy you control). Default false. */
  trustProxy?: boolean;
  /**
   * Where an IP address is, for the login history (a GeoIP lookup, say): called once per sign-in
   * attempt; `null` for unknown. A throw records no location. Default: no location.
   */
  locate?: (ip: string) => LoginLocation | null;
  /**
   * OpenID Connect providers whose ID tokens sign users in (`POST /auth/identities/sign-in`), by
   * the id clients name them with (`google`, `apple`, `yahoo_japan`, or your own). Default: none.
   */
  providers?: Record<string, IdTokenProvider>;
  /**
   * How long the address of a deleted account (退会, or deleted by an operator) cannot register
   * again, in seconds. Default 30 days.
   */
  deletedEmailBlockSeconds?: number;
  /**
   * Whether a sign-in challenge offers a one-time code by mail (`email_code`) to an account whose
   * address is verified, besides its authenticator app and recovery codes. Default true.
   */
  emailCodeMfa?: boolean;
  /**
   * Passkeys (WebAuthn): the relying party. `rpId` (default: the issuer's host name) is the domain
   * passkeys are bound to; `origins` (default: the issuer's origin and the `appOrigins` under the
   * RP ID) the pages that may run the ceremonies; `rpName` (default: `serviceName`) the name
   * authenticators show.
   *
   * @throws TypeError (from `createAuthServer`) for an RP ID that is not a domain, or an origin
   *   given in `origins` that is not under it.
   */
  passkeys?: PasskeyOptions;
  /** The clock, in ms since the epoch (tests). Default `Date.now`. */
  now?: () => number;
  /** Receives audit events (sign-ins, sign-outs, lockouts…). Never given a secret. */
  onEvent?: (event: AuthServerEvent) => void;
  /** Receives unexpected failures (bugs, store outages), answered `500 internal_error`. Default: `console.error`. */
  onError?: (error: unknown) => void;
}

/** What the runtime knows of a request beyond the `Request` itself. */
export interface AuthServerRequestInfo {
  /** The client's address (the socket's peer). */
  remoteAddress?: string;
  /** @internal the user agent when the request cannot carry one (msw's worker in a browser). */
  userAgent?: string | null;
}

/** The running server. */
export interface AuthServer {
  /**
   * Answers one request. A bound function: pass it as it is to `Bun.serve({ fetch })`,
   * `Deno.serve`, a Workers export or `@hono/node-server`'s `serve`. `info.remoteAddress` is the
   * client's address where the runtime knows it (it goes to the login history and rate limits).
   */
  fetch(request: Request, info?: AuthServerRequestInfo): Promise<Response>;
  /** Stops the mail delivery (waiting for a pass in progress), then releases the store. */
  close(): Promise<void>;
  /**
   * Delivers the outbox's due mails once (a pass that starts after the call), and says what it
   * did. For serverless runtimes and tests; a running server also delivers on its own.
   */
  deliverMail(): Promise<MailDeliveryReport>;
  /** Mails sent by the default mailer (empty with a custom one), oldest first. */
  readonly outbox: readonly MailMessage[];
  /** What operators do to accounts (suspend, unlock, delete, look up…), recorded in the audit trail. */
  readonly admin: AuthServerAdmin;
}

/**
 * The default per-IP limits: sign-in (password, a provider's ID token or a passkey, and the
 * passkey sign-in's options), identity linking and second-factor attempts 60 a minute, sign-ups 30 and reset, email-change or verification mails 20
 * per 10 minutes, and the links of the mails (reset, verify, unlock, cancel) 60 per 10 minutes.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, { max: number; windowSeconds: number }>> = {
  "/auth/sign-in": { max: 60, windowSeconds: 60 },
  "/auth/mfa/verify": { max: 60, windowSeconds: 60 },
  "/auth/mfa/email-code": { max: 20, windowSeconds: 600 },
  "/auth/sign-up": { max: 30, windowSeconds: 600 },
  "/auth/password/reset-request": { max: 20, windowSeconds: 600 },
  "/auth/password/reset": { max: 60, windowSeconds: 600 },
  "/auth/email/change-request": { max: 20, windowSeconds: 600 },
  "/auth/email/verify": { max: 60, windowSeconds: 600 },
  "/auth/email/verify/resend": { max: 20, windowSeconds: 600 },
  "/auth/email/change-cancel": { max: 60, windowSeconds: 600 },
  "/auth/account/unlock": { max: 60, windowSeconds: 600 },
  "/auth/identities/sign-in": { max: 60, windowSeconds: 60 },
  "/auth/identities/link": { max: 60, windowSeconds: 60 },
  "/auth/passkeys/sign-in/options": { max: 60, windowSeconds: 60 },
  "/auth/passkeys/sign-in": { max: 60, windowSeconds: 60 },
};

const DEFAULT_LIFETIMES: TokenLifetimes = {
  accessToken: 900,
  refreshToken: 30 * 24 * 3600,
  refreshTokenShort: 24 * 3600,
  challenge: 300,
  oneTimeToken: 3600,
};

function secretBytes(secret: string | Uint8Array): number {
  return typeof secret === "string" ? new TextEncoder().encode(secret).length : secret.length;
}

/**
 * Creates the auth server: every endpoint of docs/api.md, its JWKS and `/health`, over `store`.
 *
 * @throws TypeError for a missing or relative `issuer`, or a `secret` shorter than 32 bytes.
 * @example
 * ```ts
 * import { serve } from "@hono/node-server";
 * import { createAuthServer } from "tegata/server";
 * const server = createAuthServer({ issuer: "https://auth.example.com", secret: process.env.AUTH_SECRET ?? "" });
 * serve({ fetch: (request, env) => server.fetch(request, { remoteAddress: env.incoming.socket.remoteAddress }), port: 8787 });
 * ```
 */
export function createAuthServer(options: AuthServerOptions): AuthServer {
  return assembleAuthServer(options, { deliverBeforeAnswer: options.mailer === undefined }).server;
}

/** @internal what only tegata's own callers (the mock) set. */
export interface AssembleOptions {
  /**
   * Deliver what a request queued before answering it (the mock's outbox holds a mail as soon as
   * the request that sent it is answered; the default in-memory mailer too).
   */
  deliverBeforeAnswer?: boolean;
}

/** @internal the server with its domain context (the mock's test controls work on it). */
export interface AssembledAuthServer {
  server: AuthServer;
  ctx: DomainContext;
}

/** @internal {@link createAuthServer}, also giving its domain context. */
export function assembleAuthServer(
  options: AuthServerOptions,
  internal: AssembleOptions = {},
): AssembledAuthServer {
  if (typeof options !== "object" || options === null)
    throw new TypeError("tegata: createAuthServer needs options");
  let issuer: URL;
  try {
    issuer = new URL(String(options.issuer));
  } catch {
    throw new TypeError('tegata: createAuthServer needs "issuer", the server\'s absolute public URL');
  }
  if (
    (typeof options.secret !== "string" && !(options.secret instanceof Uint8Array)) ||
    secretBytes(options.secret) < 32
  ) {
    throw new TypeError(
      'tegata: createAuthServer needs "secret" of at least 32 bytes (it seals keys and TOTP secrets)',
    );
  }
  const now = options.now ?? (() => Date.now());
  const store = options.store ?? memoryStore();
  const sealer = createSealer(options.secret);
  const config: DomainConfig = {
    issuer: issuer.href.replace(/\/+$/, ""),
    audience: options.audience ?? "tegata",
    lockout: { maxAttempts: 5, lockSeconds: 900, ...options.lockout },
    lifetimes: { ...DEFAULT_LIFETIMES, ...options.lifetimes },
    ...(options.emailCodeMfa === false ? { emailCodeMfa: false } : {}),
  };
  const ctx: DomainContext = {
    store,
    now,
    hasher: options.hasher ?? defaultPasswordHasher(),
    sealer,
    keys: createKeyRing({
      store,
      sealer,
      now,
      keepAfterRetireMs: (config.lifetimes.accessToken + 3600) * 1000,
    }),
    config,
    ...(options.locate ? { locate: options.locate } : {}),
  };
  const deletedEmailBlockSeconds = options.deletedEmailBlockSeconds ?? DEFAULT_DELETED_EMAIL_BLOCK_SECONDS;
  if (!Number.isFinite(deletedEmailBlockSeconds) || deletedEmailBlockSeconds < 0) {
    throw new TypeError("tegata: deletedEmailBlockSeconds must be a number of seconds, 0 or more");
  }
  const emit = (event: Omit<AuthServerEvent, "at">) => options.onEvent?.({ ...event, at: now() });
  const policy = options.passwordPolicy ?? definePasswordPolicy();
  const requireVerifiedEmail = options.requireVerifiedEmail === true;
  const credentials = createCredentials(ctx, { policy, requireVerifiedEmail });
  const mail: MailSettings = {
    serviceName: resolveServiceName(options.serviceName),
    appOrigins: options.appOrigins ?? [],
    issuer: config.issuer,
  };
  const passkeys = resolvePasskeySettings(
    options.passkeys,
    issuer,
    options.appOrigins ?? [],
    mail.serviceName,
  );
  const outbox: MailMessage[] = [];
  const mailer: Mailer = options.mailer ?? {
    async send(message) {
      outbox.push(message);
      console.info(`tegata: mail (${message.kind}) to ${message.to}`);
    },
  };
  const report = options.onError ?? ((error: unknown) => console.error("tegata: request failed", error));
  const delivery = options.mailDelivery === false ? null : resolveMailDelivery(options.mailDelivery);
  const sender = createMailSender({
    store,
    sealer,
    mailer,
    now,
    emit,
    options: delivery ?? resolveMailDelivery(undefined),
  });
  const reportDelivery = (error: unknown) => {
    try {
      report(error);
    } catch {
      // a throwing onError must not become an unhandled rejection of a detached pass
    }
  };
  let timer: ReturnType<typeof setInterval> | null = null;
  let closed = false;
  /** Starts the delivery timer; false where timers cannot start yet (a Workers global scope). */
  const startTimer = (): boolean => {
    if (delivery === null || timer !== null || closed) return true;
    try {
      timer = setInterval(() => {
        if (!sender.busy()) sender.deliver().catch(reportDelivery);
      }, delivery.intervalMs);
      // Never keeps a process alive: Node and Bun unref, Deno has Deno.unrefTimer.
      const t = timer as unknown as { unref?: () => void };
      if (typeof t.unref === "function") t.unref();
      else (globalThis as { Deno?: { unrefTimer?: (id: unknown) => void } }).Deno?.unrefTimer?.(timer);
      return true;
    } catch {
      return false;
    }
  };
  let timerStarted = startTimer();
  const routes = new Map<string, Route>();
  for (const route of [
    ...sessionRoutes,
    ...accountRoutes,
    ...mfaRoutes,
    ...historyRoutes,
    ...identityRoutes,
    ...passkeyRoutes,
  ]) {
    routes.set(`${route.method} ${route.path}`, route);
  }
  const basePath = issuer.pathname.replace(/\/+$/, "");
  const allowedOrigins = new Set(options.cors?.origins ?? []);
  const rateLimits = options.rateLimits === false ? {} : (options.rateLimits ?? DEFAULT_RATE_LIMITS);

  function cors(request: Request, response: Response): Response {
    const origin = request.headers.get("origin");
    if (!origin || !allowedOrigins.has(origin)) return response;
    const headers = new Headers(response.headers);
    headers.set("access-control-allow-origin", origin);
    headers.append("vary", "Origin");
    if (options.cors?.credentials) headers.set("access-control-allow-credentials", "true");
    headers.set("access-control-expose-headers", "retry-after, www-authenticate");
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }

  async function handle(request: Request, info?: AuthServerRequestInfo): Promise<Response> {
    let path: string;
    try {
      path = new URL(request.url).pathname.replace(/\/+$/, "") || "/";
    } catch {
      return problem("invalid_request", "The request URL is malformed");
    }
    // Served under the issuer's path: https://example.com/idp/auth/sign-in is /auth/sign-in.
    if (basePath !== "" && path.startsWith(`${basePath}/`)) path = path.slice(basePath.length);
    if (request.method === "OPTIONS") {
      const origin = request.headers.get("origin");
      if (!origin || !allowedOrigins.has(origin)) return new Response(null, { status: 204 });
      return cors(
        request,
        new Response(null, {
          status: 204,
          headers: {
            "access-control-allow-methods": "GET, POST, PATCH, OPTIONS",
            "access-control-allow-headers": "authorization, content-type",
            "access-control-max-age": "600",
          },
        }),
      );
    }
    const route = routes.get(`${request.method} ${path}`);
    if (!route) {
      const known = [...routes.values()].some((r) => r.path === path);
      return known
        ? problem("method_not_allowed", `${request.method} is not allowed on ${path}`)
        : problem("not_found", `No endpoint at ${path}`);
    }
    if (!timerStarted) timerStarted = startTimer();
    let queued = false;
    const env: RouteEnv = {
      ctx,
      credentials,
      meta: {
        ip: clientIp(request, options.trustProxy === true, info?.remoteAddress),
        userAgent: request.headers.get("user-agent") ?? info?.userAgent ?? null,
      },
      policy,
      mailQueued: () => {
        queued = true;
      },
      appOrigins: options.appOrigins ?? [],
      mail,
      requireVerifiedEmail,
      requestLocale: mailLocale(request),
      providers: options.providers ?? {},
      passkeys,
      deletedEmailBlockSeconds,
      emit,
    };
    try {
      const limit = request.method === "POST" ? rateLimits[path] : undefined;
      if (limit) {
        const verdict = await store.consumeRateLimit(`ip:${env.meta.ip} ${path}`, limit, now());
        if (!verdict.allowed) {
          env.emit({ type: "rate_limited", ip: env.meta.ip, detail: { path } });
          return problem(
            "rate_limited",
            "Too many requests from this address: try again later",
            { retry_after: verdict.retryAfterSeconds },
            { "retry-after": String(verdict.retryAfterSeconds) },
          );
        }
      }
      return await route.handle(request, env);
    } catch (error) {
      return errorResponse(error, report);
    } finally {
      if (queued) {
        if (internal.deliverBeforeAnswer) await sender.deliver().catch(reportDelivery);
        else if (delivery !== null) sender.deliver().catch(reportDelivery);
      }
    }
  }

  return {
    server: {
      fetch: async (request, info) => cors(request, await handle(request, info)),
      async close() {
        closed = true;
        if (timer !== null) clearInterval(timer);
        await sender.close();
        await store.close();
      },
      deliverMail: () => sender.deliver(),
      outbox,
      admin: createAdmin({
        ctx,
        credentials,
        policy,
        deletedEmailBlockSeconds,
        emit,
        mail,
        mailQueued: async () => {
          if (internal.deliverBeforeAnswer) await sender.deliver().catch(reportDelivery);
          else if (delivery !== null) sender.deliver().catch(reportDelivery);
        },
      }),
    },
    ctx,
  };
}
