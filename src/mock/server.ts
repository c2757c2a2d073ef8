/**
 * The mock auth server: tegata's auth server (`createAuthServer`) over a memory store, answering
 * through msw, plus the controls tests need (clock, users, outbox, requests, faults, history).
 * There is no separate mock implementation of the contract: what the mock answers is what the
 * server answers.
 *
 * @module
 */
import type { JSONWebKeySet } from "jose";
import type { HttpHandler } from "msw";
import { delay, HttpResponse, http } from "msw";
import type { PasswordIssue } from "../core/errors";
import type { PasswordChecker } from "../core/password-checker";
import { assembleAuthServer } from "../server/auth-server";
import { defaultPasswordHasher } from "../server/crypto/password";
import { randomToken } from "../server/crypto/tokens";
import { activeTotpSecret, locateIp, loginEventId, seedSecondFactor } from "../server/domain/mfa";
import type { MailMessage } from "../server/http/env";
import { emailKey } from "../server/store/email-key";
import { type MemoryStoreState, memoryStore, memoryStoreState } from "../server/store/memory";
import type { StoredLoginEvent, StoredSession, StoredUser } from "../server/store/types";
import { generateTotp, hashRecoveryCode } from "../totp/index";
import { seedEntries } from "./history";
import { clientIp, createClock, receivedBody, userAgentOf } from "./shared";
import type {
  MockAuth,
  MockAuthOptions,
  MockEmail,
  MockFault,
  MockLinkEmail,
  MockLocation,
  MockLoginAttempt,
  MockNoticeEmail,
  MockPasswordPolicy,
  MockRequestRecord,
  MockSessionInfo,
  MockUserInfo,
  MockUserInit,
} from "./types";

/** The kinds of mail the outbox keeps with their link (`MockLinkEmail`). */
const LINK_KINDS: ReadonlySet<string> = new Set<MockLinkEmail["kind"]>([
  "email_verify",
  "password_reset",
  "email_change",
  "email_change_notice",
  "account_locked",
]);

/** The kinds of mail the outbox keeps as notices (`MockNoticeEmail`). */
const NOTICE_KINDS: ReadonlySet<string> = new Set<MockNoticeEmail["kind"]>([
  "password_changed",
  "new_sign_in",
  "account_deleted",
  "account_suspended",
]);

/** The mock's default policy: at least 8 characters (lenient on purpose: tests pick passwords). */
const defaultPolicy: MockPasswordPolicy = (password) =>
  [...password].length < 8
    ? [{ code: "too_short", message: "Use at least 8 characters", params: { min: 8 } }]
    : [];

/** A policy function of the mock as the checker the server takes. */
function asChecker(policy: MockPasswordPolicy | PasswordChecker): PasswordChecker {
  if (typeof policy !== "function") return policy;
  return {
    async check(password, context = {}) {
      const issues = policy(password, { email: context.email ?? "", name: context.name ?? null });
      return { ok: issues.length === 0, issues: issues as PasswordIssue[] };
    },
  };
}

function toMs(time: Date | number): number {
  return typeof time === "number" ? time : time.getTime();
}

/** The page's origin in a browser (msw's worker runs in the app's page), else none. */
function pageOrigin(): string[] {
  const origin = (globalThis as { location?: { origin?: unknown } }).location?.origin;
  return typeof origin === "string" && /^https?:/.test(origin) ? [origin] : [];
}

function mockLocation(location: StoredLoginEvent["location"]): MockLocation | null {
  return location === null ? null : { ...location };
}

/**
 * Creates the mock auth server: `createAuthServer` over `memoryStore()`, as msw handlers, with
 * controls for tests. Its defaults suit tests: a cheap password hash, access tokens of an hour,
 * no per-IP rate limit, a policy of at least 8 characters.
 *
 * @example
 * ```ts
 * import { setupServer } from "msw/node";
 * import { createMockAuth } from "tegata/mock";
 * const mock = createMockAuth({ users: [{ email: "a@example.com", password: "correct horse" }] });
 * const server = setupServer(...mock.handlers);
 * server.listen({ onUnhandledFrame: "error" });
 * ```
 */
export function createMockAuth(options: MockAuthOptions = {}): MockAuth {
  const baseUrl = (options.baseUrl ?? "https://auth.tegata.test").replace(/\/+$/, "");
  const issuer = options.issuer ?? baseUrl;
  const audience = options.audience ?? "tegata";
  const refreshTtl = options.refreshTokenTtlSeconds ?? 30 * 24 * 3600;
  const clock = createClock(options.now);
  const store = memoryStore();
  const state = (): MemoryStoreState => memoryStoreState(store) as MemoryStoreState;
  const requests: MockRequestRecord[] = [];
  const outbox: MockEmail[] = [];
  const faults: Array<{ path: string; fault: MockFault; left: number }> = [];

  const { server, ctx } = assembleAuthServer(
    {
      issuer,
      // A fresh secret per mock: nothing it seals outlives it.
      secret: crypto.getRandomValues(new Uint8Array(32)),
      store,
      audience,
      passwordPolicy: asChecker(options.passwordPolicy ?? defaultPolicy),
      lockout: {
        maxAttempts: options.lockout?.maxAttempts ?? 5,
        lockSeconds: options.lockout?.durationSeconds ?? 900,
      },
      lifetimes: {
        accessToken: options.accessTokenTtlSeconds ?? 3600,
        refreshToken: refreshTtl,
        refreshTokenShort: Math.min(refreshTtl, 24 * 3600),
        challenge: options.mfaChallengeTtlSeconds ?? 300,
        oneTimeToken: options.emailTokenTtlSeconds ?? 3600,
      },
      mailer: { send: async (message) => keepMail(message) },
      hasher: defaultPasswordHasher({
        algorithm: "pbkdf2",
        pbkdf2: { iterations: options.hashIterations ?? 1000 },
      }),
      appOrigins: options.appOrigins ?? pageOrigin(),
      rateLimits: options.rateLimits ?? false,
      // Tests say who they are with X-Forwarded-For.
      trustProxy: true,
      now: () => clock.now(),
      ...(options.locate ? { locate: options.locate } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.providers ? { providers: options.providers } : {}),
      ...(options.passkeys ? { passkeys: options.passkeys } : {}),
      ...(options.serviceName === undefined ? {} : { serviceName: options.serviceName }),
      ...(options.requireVerifiedEmail === undefined
        ? {}
        : { requireVerifiedEmail: options.requireVerifiedEmail }),
      ...(options.deletedEmailBlockSeconds === undefined
        ? {}
        : { deletedEmailBlockSeconds: options.deletedEmailBlockSeconds }),
      onError: (error) => console.error("tegata mock: handler error", error),
      // The mails a request queued are in the outbox when it is answered; no timer of its own.
      mailDelivery: false,
    },
    { deliverBeforeAnswer: true },
  );

  /** The server's mailer: the mail goes to the outbox (synchronously: it is there when the answer is). */
  function keepMail(message: MailMessage): void {
    const at = new Date(clock.now());
    const common = {
      to: message.to,
      subject: message.subject,
      text: message.text,
      locale: message.locale,
      at,
    };
    if (LINK_KINDS.has(message.kind)) {
      const link = message.link ?? "";
      let token = "";
      try {
        token = new URL(link).searchParams.get("token") ?? "";
      } catch {
        // no link: token stays empty
      }
      outbox.push({ ...common, kind: message.kind as MockLinkEmail["kind"], token, link });
    } else if (NOTICE_KINDS.has(message.kind)) {
      outbox.push({ ...common, kind: message.kind as MockNoticeEmail["kind"] });
    } else if (message.kind === "mfa_code") {
      outbox.push({ ...common, kind: "mfa_code", code: /\b(\d{6})\b/.exec(message.text)?.[1] ?? "" });
    }
  }

  // ---- users -------------------------------------------------------------------------------
  const findUser = (email: string): StoredUser | undefined => {
    const s = state();
    const id = s.userIdByEmailKey.get(emailKey(email));
    return id === undefined ? undefined : s.users.get(id);
  };

  const info = (u: StoredUser): MockUserInfo => {
    const s = state();
    const now = clock.now();
    const factors = [...(s.factorIdsByUser.get(u.id) ?? [])].map((id) => s.factors.get(id));
    const counter = s.attempts.get(u.emailKey);
    const locked = counter?.lockedUntil != null && counter.lockedUntil > now ? counter.lockedUntil : null;
    let codesLeft = 0;
    for (const usedAt of s.recoveryCodes.get(u.id)?.values() ?? []) if (usedAt === null) codesLeft++;
    return {
      id: u.id,
      email: u.email,
      name: u.name,
      mfaEnabled: factors.some((f) => f?.status === "active"),
      emailVerified: u.emailVerified,
      createdAt: new Date(u.createdAt),
      // While locked (and once the lock expires) the count starts again from 0.
      failedAttempts: counter === undefined || counter.lockedUntil !== null ? 0 : counter.failures,
      lockedUntil: locked === null ? null : new Date(locked),
      recoveryCodesLeft: codesLeft,
      mailLocale: u.mailLocale,
    };
  };

  async function addUser(init: MockUserInit): Promise<MockUserInfo> {
    const now = clock.now();
    const created = await store.createUser(
      {
        id: init.id ?? `usr_${randomToken(9)}`,
        email: init.email.trim(),
        emailKey: emailKey(init.email),
        name: init.name ?? null,
        passwordHash: await ctx.hasher.hash(init.password),
        emailVerified: init.emailVerified ?? true,
        showLastLogin: true,
        ...(init.mailLocale === undefined ? {} : { mailLocale: init.mailLocale }),
        createdAt: now,
      },
      now,
    );
    if (created === "email_taken") throw new Error(`mock: a user with email ${init.email} exists`);
    const codes = init.recoveryCodes ?? [];
    if (init.totpSecret) await seedSecondFactor(ctx, created.id, init.totpSecret, codes);
    else if (codes.length > 0) {
      await store.replaceRecoveryCodes(created.id, await Promise.all(codes.map((c) => hashRecoveryCode(c))));
    }
    return info(created);
  }

  // One user after another: `users.list()` then keeps the order they were given in.
  const initial = (async () => {
    await ctx.keys.signingKey();
    for (const user of options.users ?? []) await addUser(user);
  })();
  // Surface setup errors at the first request rather than as an unhandled rejection now.
  initial.catch(() => {});

  // ---- history -----------------------------------------------------------------------------
  const attemptOf = (e: StoredLoginEvent): MockLoginAttempt => ({
    id: e.id,
    userId: e.userId,
    email: e.email,
    at: new Date(e.at),
    ip: e.ip,
    userAgent: e.userAgent,
    method: e.method,
    result: e.result,
    sessionId: e.sessionId,
    location: mockLocation(e.location),
  });

  const allAttempts = (): MockLoginAttempt[] => {
    const s = state();
    const events = [...s.anonymousLoginEvents];
    for (const list of s.loginEvents.values()) events.push(...list);
    return events.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(attemptOf);
  };

  /** Appends events to the store (a memory store applies them at once) and moves `lastLoginAt`. */
  const appendEvents = (user: StoredUser | undefined, events: StoredLoginEvent[]) => {
    for (const event of events) {
      store.appendLoginEvent(event).catch((error: unknown) => console.error("tegata mock:", error));
    }
    const newest = events.reduce<number | null>(
      (t, e) => (e.result === "success" && (t === null || e.at > t) ? e.at : t),
      null,
    );
    if (user && newest !== null && (user.lastLoginAt === null || newest > user.lastLoginAt)) {
      store
        .updateUser(user.id, { lastLoginAt: newest }, clock.now())
        .catch((error: unknown) => console.error("tegata mock:", error));
    }
  };

  // ---- msw adapter -------------------------------------------------------------------------
  function pathOf(url: string): string {
    const u = new URL(url);
    const prefix = new URL(baseUrl).pathname.replace(/\/+$/, "");
    return u.pathname.startsWith(prefix) ? u.pathname.slice(prefix.length) || "/" : u.pathname;
  }

  const issuerPath = new URL(issuer).pathname.replace(/\/+$/, "");
  const samePath = new URL(baseUrl).pathname.replace(/\/+$/, "") === issuerPath;

  /**
   * The request as the server expects it: under the issuer's path. When `baseUrl` has another
   * path than `issuer` (`https://id.example.org/v1` answering for `https://issuer.example`), the
   * URL is rewritten.
   */
  async function forServer(request: Request, path: string): Promise<Request> {
    if (samePath) return request;
    const url = new URL(request.url);
    url.pathname = `${issuerPath}${path}`;
    const body = request.body === null ? null : await request.arrayBuffer();
    return new Request(url, { method: request.method, headers: request.headers, body });
  }

  /** Answers with the fault injected for this request, if one is pending; `null` otherwise. */
  async function injected(record: MockRequestRecord, method: string): Promise<Response | null> {
    const index = faults.findIndex(
      (f) =>
        f.path === record.path && (f.fault.method === undefined || f.fault.method.toUpperCase() === method),
    );
    const entry = faults[index];
    if (!entry) return null;
    entry.left--;
    if (entry.left <= 0) faults.splice(index, 1);
    const f = entry.fault;
    if (f.delayMs !== undefined) {
      record.fault = "delay";
      await delay(f.delayMs);
    }
    if (f.network) {
      record.fault = "network";
      return Response.error();
    }
    if (f.status === undefined) return null;
    record.fault = "status";
    const body =
      f.body === undefined
        ? JSON.stringify({ title: "Injected fault", status: f.status, code: "injected_fault" })
        : typeof f.body === "string"
          ? f.body
          : JSON.stringify(f.body);
    return new HttpResponse(f.status === 204 ? null : body, {
      status: f.status,
      headers: {
        "content-type":
          f.contentType ?? (f.body === undefined ? "application/problem+json" : "application/json"),
        ...f.headers,
      },
    });
  }

  /** The request log, the faults, then the server: what the handlers and `fetch` answer with. */
  async function answer(request: Request): Promise<Response> {
    await initial;
    const record: MockRequestRecord = {
      method: request.method,
      path: pathOf(request.url),
      status: 0,
      at: new Date(clock.now()),
      ip: clientIp(request),
      userAgent: userAgentOf(request),
    };
    requests.push(record);
    const body = await receivedBody(request);
    if (body !== undefined) record.body = body;
    const response =
      (await injected(record, request.method)) ??
      (await server.fetch(await forServer(request, record.path), {
        remoteAddress: "127.0.0.1",
        userAgent: record.userAgent,
      }));
    record.status = response.type === "error" ? 0 : response.status;
    return response;
  }

  const handlers: HttpHandler[] = [http.all(`${baseUrl}/*`, ({ request }) => answer(request))];

  const sessionInfo = (s: StoredSession): MockSessionInfo => ({
    id: s.id,
    userId: s.userId,
    createdAt: new Date(s.createdAt),
    lastSeenAt: new Date(s.lastSeenAt),
    ip: s.ip,
    userAgent: s.userAgent,
    revoked: s.revokedAt !== null,
  });

  return {
    server,
    handlers,
    fetch: answer,
    baseUrl,
    issuer,
    audience,
    clock,
    users: {
      add: async (user) => {
        await initial;
        return addUser(user);
      },
      get: (email) => {
        const user = findUser(email);
        return user ? info(user) : undefined;
      },
      list: () => [...state().users.values()].map(info),
      unlock: (email) => {
        store.unlock(emailKey(email)).catch((error: unknown) => console.error("tegata mock:", error));
      },
    },
    requests,
    outbox,
    get loginAttempts() {
      return allAttempts();
    },
    recordLogin(entry) {
      const user = findUser(entry.email);
      const at = entry.at === undefined ? clock.now() : toMs(entry.at);
      const ip = entry.ip ?? "127.0.0.1";
      const event: StoredLoginEvent = {
        id: loginEventId(at),
        userId: user?.id ?? null,
        email: entry.email,
        at,
        ip,
        userAgent: entry.userAgent ?? null,
        method: entry.method,
        result: entry.result ?? "success",
        sessionId: null,
        location: locateIp(ctx, ip),
      };
      appendEvents(user, [event]);
      return attemptOf(event);
    },
    seedHistory(email, count, seedOptions = {}) {
      const user = findUser(email);
      if (!user) throw new Error(`mock: no user ${email}`);
      if (!Number.isInteger(count) || count < 0) throw new TypeError("seedHistory needs a count >= 0");
      const oldest = state().loginEvents.get(user.id)?.[0]?.at ?? Number.POSITIVE_INFINITY;
      const end = Math.min(clock.now(), oldest) - 1;
      const seeded = seedEntries(user, count, end, { ...seedOptions, locate: (ip) => locateIp(ctx, ip) });
      appendEvents(
        user,
        seeded.map((e) => ({
          ...e,
          at: e.at.getTime(),
          location: e.location as StoredLoginEvent["location"],
        })),
      );
    },
    lastEmail: ((to?: string, kind?: MockEmail["kind"]): MockEmail | undefined => {
      for (let i = outbox.length - 1; i >= 0; i--) {
        const email = outbox[i];
        if (!email) continue;
        if (to !== undefined && emailKey(email.to) !== emailKey(to)) continue;
        if (kind !== undefined && email.kind !== kind) continue;
        return email;
      }
      return undefined;
    }) as MockAuth["lastEmail"],
    count: (path, method) =>
      requests.filter((r) => r.path === path && (method === undefined || r.method === method.toUpperCase()))
        .length,
    faults: {
      inject(path, fault) {
        const times = fault.times ?? 1;
        if (!Number.isInteger(times) || times < 1) throw new TypeError("fault.times must be >= 1");
        faults.push({ path, fault, left: times });
      },
      clear() {
        faults.length = 0;
      },
    },
    sessions(email) {
      const user = email === undefined ? undefined : findUser(email);
      if (email !== undefined && !user) return [];
      return [...state().sessions.values()].filter((s) => !user || s.userId === user.id).map(sessionInfo);
    },
    async totp(email, at) {
      const user = findUser(email);
      const secret = user ? await activeTotpSecret(ctx, user.id) : null;
      if (secret === null) throw new Error(`mock: ${email} has no TOTP secret`);
      return generateTotp(secret, { time: at === undefined ? clock.now() : toMs(at) });
    },
    jwks: async () => (await ctx.keys.jwks()) as unknown as JSONWebKeySet,
    ready: () => initial,
  };
}
