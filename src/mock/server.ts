/**
 * The in-memory reference server of tegata's HTTP contract, as msw handlers.
 *
 * @module
 */
import { type CryptoKey, compactVerify, exportJWK, generateKeyPair, type JSONWebKeySet, SignJWT } from "jose";
import type { HttpHandler } from "msw";
import { delay, HttpResponse, http } from "msw";
import type { z } from "zod/mini";
import {
  generateRecoveryCodes,
  generateTotp,
  generateTotpSecret,
  hashRecoveryCode,
  totpUri,
  verifyRecoveryCode,
  verifyTotp,
} from "../totp/index";
import {
  EmailChangeConfirmSchema,
  EmailChangeRequestSchema,
  MfaVerifyRequestSchema,
  PasswordChangeSchema,
  PasswordResetRequestSchema,
  PasswordResetSchema,
  SignInRequestSchema,
  SignOutRequestSchema,
  SignUpRequestSchema,
} from "../wire";
import { PrivacyUpdateSchema, SessionRevokeSchema } from "../wire/history";
import type { ProblemCode } from "../wire/problems";
import { CodeRequestSchema, FactorCodeRequestSchema, TotpEnrollRequestSchema } from "../wire/totp";
import { hashPassword, randomToken, verifyPassword } from "./crypto";
import { historyId, insertSorted, pageHistory, seedEntries } from "./history";
import { clientIp, createClock, receivedBody, userAgentOf } from "./shared";
import type {
  MockAuth,
  MockAuthOptions,
  MockEmail,
  MockFault,
  MockLoginAttempt,
  MockPasswordPolicy,
  MockRequestRecord,
  MockSessionInfo,
  MockUserInfo,
  MockUserInit,
} from "./types";

interface UserRecord {
  id: string;
  email: string;
  name: string | null;
  passwordHash: string;
  totpSecret: string | null;
  lastTotpStep: number;
  recoveryHashes: string[];
  factors: FactorRecord[];
  emailVerified: boolean;
  createdAt: number;
  showLastLogin: boolean;
}

interface FactorRecord {
  id: string;
  secret: string;
  status: "pending" | "active";
  createdAt: number;
  lastUsedAt: number | null;
}

interface Attempts {
  failures: number;
  lockedUntil: number;
}

interface SessionRecord {
  id: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  ip: string;
  userAgent: string | null;
  revoked: boolean;
  remember: boolean;
  amr: string[];
  /** When its newest refresh token expires: after that the session is over. */
  expiresAt: number;
}

interface RefreshRecord {
  sessionId: string;
  expiresAt: number;
  used: boolean;
}

interface ChallengeRecord {
  userId: string;
  expiresAt: number;
  used: boolean;
  remember: boolean;
}

interface EmailTokenRecord {
  kind: MockEmail["kind"];
  userId: string;
  newEmail?: string;
  expiresAt: number;
  used: boolean;
}

interface Ctx {
  request: Request;
  ip: string;
  userAgent: string | null;
  now: number;
}

/** Thrown inside handlers to answer with a problem+json error. */
class Problem {
  readonly status: number;
  readonly code: ProblemCode;
  readonly title: string;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    code: ProblemCode,
    title: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    this.status = status;
    this.code = code;
    this.title = title;
    this.extra = extra;
    this.headers = headers;
  }
}

/** Thrown inside token-endpoint handlers to answer with an RFC 6749 error. */
class OAuthProblem {
  readonly error: string;
  readonly description: string;
  readonly status: number;
  constructor(error: string, description: string, status = 400) {
    this.error = error;
    this.description = description;
    this.status = status;
  }
}

const defaultPolicy: MockPasswordPolicy = (password) =>
  [...password].length < 8
    ? [{ code: "too_short", message: "Use at least 8 characters", params: { min: 8 } }]
    : [];

function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function toDate(time: Date | number): number {
  return typeof time === "number" ? time : time.getTime();
}

/** One code point of a TOTP label: no control character (C0, DEL, C1) and no lone surrogate. */
function labelChar(c: string): boolean {
  const code = c.codePointAt(0) ?? 0;
  return code >= 0x20 && !(code >= 0x7f && code <= 0x9f) && !(code >= 0xd800 && code <= 0xdfff);
}

/**
 * Creates an in-memory auth server implementing tegata's whole HTTP contract as msw handlers.
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
  const maxAttempts = options.lockout?.maxAttempts ?? 5;
  const lockSeconds = options.lockout?.durationSeconds ?? 900;
  const accessTtl = options.accessTokenTtlSeconds ?? 3600;
  const refreshTtl = options.refreshTokenTtlSeconds ?? 30 * 24 * 3600;
  const challengeTtl = options.mfaChallengeTtlSeconds ?? 300;
  const emailTokenTtl = options.emailTokenTtlSeconds ?? 3600;
  const policy = options.passwordPolicy ?? defaultPolicy;
  const iterations = options.hashIterations ?? 1000;
  const clock = createClock(options.now);

  const users = new Map<string, UserRecord>(); // by id
  const byEmail = new Map<string, string>(); // normalized email -> id
  const attempts = new Map<string, Attempts>(); // normalized email -> lockout state
  const sessions = new Map<string, SessionRecord>();
  const refreshTokens = new Map<string, RefreshRecord>();
  const challenges = new Map<string, ChallengeRecord>();
  const emailTokens = new Map<string, EmailTokenRecord>();
  const requests: MockRequestRecord[] = [];
  const outbox: MockEmail[] = [];
  const loginAttempts: MockLoginAttempt[] = [];
  /** Per user, in id order (oldest first): the login history, paged by binary search on the id. */
  const historyByUser = new Map<string, MockLoginAttempt[]>();
  let attemptSeq = 0;
  const nextAttemptId = (at: number) => historyId(at, ++attemptSeq + 1_000_000);
  const faults: Array<{ path: string; fault: MockFault; left: number }> = [];
  let keys: Promise<{ privateKey: CryptoKey; publicKey: CryptoKey; kid: string }> | null = null;

  const signingKeys = () => {
    keys ??= (async () => {
      const pair = await generateKeyPair("ES256", { extractable: true });
      return { ...pair, kid: randomToken(8) };
    })();
    return keys;
  };

  const info = (u: UserRecord): MockUserInfo => {
    const a = attempts.get(normalizeEmail(u.email));
    const locked = a && a.lockedUntil > clock.now() ? new Date(a.lockedUntil) : null;
    return {
      id: u.id,
      email: u.email,
      name: u.name,
      mfaEnabled: u.totpSecret !== null,
      emailVerified: u.emailVerified,
      createdAt: new Date(u.createdAt),
      failedAttempts: a?.failures ?? 0,
      lockedUntil: locked,
      recoveryCodesLeft: u.recoveryHashes.length,
    };
  };

  const wireUser = (u: UserRecord) => ({
    id: u.id,
    email: u.email,
    name: u.name,
    email_verified: u.emailVerified,
    mfa_enabled: u.totpSecret !== null,
    created_at: new Date(u.createdAt).toISOString(),
  });

  async function addUser(init: MockUserInit): Promise<MockUserInfo> {
    const key = normalizeEmail(init.email);
    if (byEmail.has(key)) throw new Error(`mock: a user with email ${init.email} exists`);
    const record: UserRecord = {
      id: init.id ?? `usr_${randomToken(9)}`,
      email: init.email.trim(),
      name: init.name ?? null,
      passwordHash: await hashPassword(init.password, iterations),
      totpSecret: init.totpSecret ?? null,
      lastTotpStep: -1,
      recoveryHashes: await Promise.all((init.recoveryCodes ?? []).map((c) => hashRecoveryCode(c))),
      factors: init.totpSecret
        ? [
            {
              id: `fac_${randomToken(9)}`,
              secret: init.totpSecret,
              status: "active",
              createdAt: clock.now(),
              lastUsedAt: null,
            },
          ]
        : [],
      emailVerified: init.emailVerified ?? true,
      createdAt: clock.now(),
      showLastLogin: true,
    };
    if (byEmail.has(key)) throw new Error(`mock: a user with email ${init.email} exists`);
    users.set(record.id, record);
    byEmail.set(key, record.id);
    return info(record);
  }

  const initial = Promise.all([signingKeys(), ...(options.users ?? []).map(addUser)]).then(() => undefined);
  // Surface setup errors at first request rather than as an unhandled rejection now.
  initial.catch(() => {});

  let dummy: Promise<string> | null = null;
  const dummyHash = () => {
    dummy ??= hashPassword("tegata-mock-dummy", iterations);
    return dummy;
  };

  const findUser = (email: string) => {
    const id = byEmail.get(normalizeEmail(email));
    return id === undefined ? undefined : users.get(id);
  };

  // ---- lockout ---------------------------------------------------------------------------
  const lockState = (email: string): Attempts => {
    const key = normalizeEmail(email);
    let a = attempts.get(key);
    if (!a) {
      a = { failures: 0, lockedUntil: 0 };
      attempts.set(key, a);
    }
    return a;
  };
  const assertNotLocked = (email: string, now: number) => {
    const a = lockState(email);
    if (a.lockedUntil > now) throw lockedProblem(a.lockedUntil - now);
    if (a.lockedUntil !== 0) {
      a.lockedUntil = 0;
      a.failures = 0;
    }
  };
  const lockedProblem = (ms: number) => {
    const retryAfter = Math.max(1, Math.ceil(ms / 1000));
    return new Problem(
      423,
      "account_locked",
      "The account is locked after repeated failures",
      { retry_after: retryAfter },
      { "retry-after": String(retryAfter) },
    );
  };
  /** Counts a failure; returns the problem to answer with. */
  const fail = (email: string, now: number, code: ProblemCode, title: string, status = 401) => {
    const a = lockState(email);
    a.failures++;
    if (a.failures >= maxAttempts) {
      a.lockedUntil = now + lockSeconds * 1000;
      a.failures = 0;
      return lockedProblem(lockSeconds * 1000);
    }
    return new Problem(status, code, title, { remaining_attempts: maxAttempts - a.failures });
  };

  const storeAttempt = (entry: MockLoginAttempt) => {
    loginAttempts.push(entry);
    if (entry.userId !== null) {
      let list = historyByUser.get(entry.userId);
      if (!list) {
        list = [];
        historyByUser.set(entry.userId, list);
      }
      insertSorted(list, entry);
    }
    return entry;
  };

  const recordAttempt = (
    ctx: Ctx,
    email: string,
    user: UserRecord | undefined,
    method: MockLoginAttempt["method"],
    result: MockLoginAttempt["result"],
  ) =>
    storeAttempt({
      id: nextAttemptId(ctx.now),
      userId: user?.id ?? null,
      email,
      at: new Date(ctx.now),
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      method,
      result,
      sessionId: null,
      location: options.locate?.(ctx.ip) ?? null,
    });

  // ---- second factor -------------------------------------------------------------------
  /** Checks a TOTP code (window 1, replay refused) or a recovery code (used up on success). */
  async function checkSecondFactor(
    user: UserRecord,
    code: string | undefined,
    recoveryCode: string | undefined,
    now: number,
  ): Promise<boolean> {
    if (code !== undefined && user.totpSecret !== null) {
      const { valid, step } = await verifyTotp({
        code,
        secret: user.totpSecret,
        time: now,
        window: 1,
        lastUsedStep: user.lastTotpStep >= 0 ? user.lastTotpStep : null,
      });
      if (valid && step !== null) {
        user.lastTotpStep = step;
        const factor = user.factors.find((f) => f.status === "active");
        if (factor) factor.lastUsedAt = now;
        return true;
      }
      return false;
    }
    if (recoveryCode !== undefined) {
      const { valid, index } = await verifyRecoveryCode(recoveryCode, user.recoveryHashes);
      if (valid) user.recoveryHashes.splice(index, 1);
      return valid;
    }
    return false;
  }

  /** A wrong second factor on a management call: counted towards the lockout. */
  const mfaFailure = (user: UserRecord, now: number) =>
    fail(user.email, now, "invalid_mfa_code", "The verification code is incorrect");

  async function newRecoveryCodes(user: UserRecord): Promise<string[]> {
    const codes = generateRecoveryCodes(10);
    user.recoveryHashes = await Promise.all(codes.map((c) => hashRecoveryCode(c)));
    return codes;
  }

  // ---- tokens ----------------------------------------------------------------------------
  async function issueTokens(session: SessionRecord, now: number, user: UserRecord) {
    const { privateKey, kid } = await signingKeys();
    const iat = Math.floor(now / 1000);
    const accessToken = await new SignJWT({ sid: session.id, amr: session.amr, email: user.email })
      .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(user.id)
      .setIssuedAt(iat)
      .setExpirationTime(iat + accessTtl)
      .setJti(randomToken(12))
      .sign(privateKey);
    const refreshToken = randomToken(32);
    const ttl = session.remember ? refreshTtl : Math.min(refreshTtl, 24 * 3600);
    session.expiresAt = now + ttl * 1000;
    refreshTokens.set(refreshToken, {
      sessionId: session.id,
      expiresAt: session.expiresAt,
      used: false,
    });
    return {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: accessTtl,
      refresh_token: refreshToken,
    };
  }

  async function startSession(
    ctx: Ctx,
    user: UserRecord,
    remember: boolean,
    amr: string[],
    attempt?: MockLoginAttempt,
  ) {
    const session: SessionRecord = {
      id: `ses_${randomToken(9)}`,
      userId: user.id,
      createdAt: ctx.now,
      lastSeenAt: ctx.now,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      revoked: false,
      remember,
      amr,
      expiresAt: ctx.now,
    };
    sessions.set(session.id, session);
    if (attempt) attempt.sessionId = session.id;
    const tokens = await issueTokens(session, ctx.now, user);
    return { status: "signed_in", ...tokens, user: wireUser(user) };
  }

  /** Verifies a bearer token; `allowExpired` for sign-out. */
  async function authenticate(ctx: Ctx, allowExpired = false) {
    const header = ctx.request.headers.get("authorization") ?? "";
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    const unauthorized = (title: string) =>
      new Problem(401, "unauthorized", title, {}, { "www-authenticate": 'Bearer error="invalid_token"' });
    if (!match?.[1]) throw unauthorized("A bearer token is required");
    const { publicKey } = await signingKeys();
    let claims: Record<string, unknown>;
    try {
      const { payload } = await compactVerify(match[1], publicKey);
      claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    } catch {
      throw unauthorized("The access token is invalid");
    }
    if (claims.iss !== issuer || claims.aud !== audience) throw unauthorized("The access token is invalid");
    if (!allowExpired && (typeof claims.exp !== "number" || claims.exp * 1000 <= ctx.now)) {
      throw unauthorized("The access token expired");
    }
    const session = typeof claims.sid === "string" ? sessions.get(claims.sid) : undefined;
    const user = session ? users.get(session.userId) : undefined;
    if (!session || session.revoked || !user) throw unauthorized("The session has ended");
    session.lastSeenAt = ctx.now;
    return { session, user };
  }

  const revokeSessions = (userId: string, except?: string) => {
    for (const s of sessions.values()) {
      if (s.userId === userId && s.id !== except) s.revoked = true;
    }
  };

  const checkPolicy = async (password: string, user: { email: string; name?: string | null }) => {
    const issues =
      typeof policy === "function"
        ? policy(password, user)
        : (await policy.check(password, { email: user.email, ...(user.name ? { name: user.name } : {}) }))
            .issues;
    if (issues.length > 0) {
      throw new Problem(422, "password_policy", "The password does not meet the policy", { issues });
    }
  };

  /**
   * Where an email's link leads: `redirect_to` resolved against the base URL, or the mock's own
   * page. Anything that is not then an http(s) URL is refused before anything is looked up, so
   * the answer says nothing about the account.
   */
  const linkTarget = (kind: MockEmail["kind"], redirectTo: string | undefined): URL => {
    const target =
      redirectTo ?? `${baseUrl}/${kind === "password_reset" ? "reset-password" : "confirm-email"}`;
    let url: URL | undefined;
    try {
      url = new URL(target, `${baseUrl}/`);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
      throw new Problem(400, "invalid_request", "redirect_to must be an http(s) URL or a path");
    }
    return url;
  };

  const sendEmail = (
    to: string,
    kind: MockEmail["kind"],
    record: Omit<EmailTokenRecord, "kind" | "used" | "expiresAt">,
    now: number,
    link: URL,
  ) => {
    const token = randomToken(24);
    emailTokens.set(token, { ...record, kind, used: false, expiresAt: now + emailTokenTtl * 1000 });
    const url = new URL(link);
    url.searchParams.set("token", token);
    outbox.push({ to, kind, token, link: url.href, at: new Date(now) });
  };

  /** Ends every pending link of one kind of a user (a newer one, or a completed reset, replaces them). */
  const retireEmailTokens = (userId: string, kind: MockEmail["kind"]) => {
    for (const other of emailTokens.values()) {
      if (other.kind === kind && other.userId === userId) other.used = true;
    }
  };

  /**
   * A TOTP label part (issuer or account name) as the caller sent it: refused when blank, longer
   * than 256 characters, or holding a `:` (the Key URI separator), a control character or a lone
   * surrogate. Without one, `fallback` with those characters dropped (or `last` when nothing is left).
   */
  const totpLabel = (name: string, value: string | undefined, fallback: string, last: string): string => {
    if (value === undefined) {
      const cleaned = [...fallback]
        .filter((c) => c !== ":" && labelChar(c))
        .join("")
        .trim();
      return cleaned === "" ? last : cleaned;
    }
    if (value.trim() === "" || value.length > 256 || value.includes(":") || ![...value].every(labelChar)) {
      throw new Problem(
        400,
        "invalid_request",
        `${name} must be 1 to 256 characters, without ':' or control characters`,
      );
    }
    return value;
  };

  const useEmailToken = (token: string, kind: MockEmail["kind"], now: number) => {
    const record = emailTokens.get(token);
    if (!record || record.kind !== kind || record.used || record.expiresAt <= now) {
      throw new Problem(400, "invalid_token", "The link is invalid, expired or already used");
    }
    return record;
  };

  // ---- request plumbing ------------------------------------------------------------------
  async function readJson<S extends z.ZodMiniType>(request: Request, schema: S): Promise<z.infer<S>> {
    const type = request.headers.get("content-type") ?? "";
    if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
      throw new Problem(415, "invalid_request", "The body must be application/json");
    }
    let data: unknown;
    try {
      data = JSON.parse(await request.text());
    } catch {
      throw new Problem(400, "invalid_request", "The body is not valid JSON");
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new Problem(400, "invalid_request", "The body is missing fields");
    return parsed.data as z.infer<S>;
  }

  async function readForm(request: Request): Promise<URLSearchParams> {
    const type = request.headers.get("content-type") ?? "";
    if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
      throw new OAuthProblem("invalid_request", "The body must be form-encoded");
    }
    return new URLSearchParams(await request.text());
  }

  function problemResponse(p: Problem): Response {
    return HttpResponse.json(
      { type: "about:blank", title: p.title, status: p.status, code: p.code, ...p.extra },
      { status: p.status, headers: { "content-type": "application/problem+json", ...p.headers } },
    );
  }

  function pathOf(url: string): string {
    const u = new URL(url);
    const base = new URL(baseUrl);
    const prefix = base.pathname.replace(/\/+$/, "");
    return u.pathname.startsWith(prefix) ? u.pathname.slice(prefix.length) || "/" : u.pathname;
  }

  type Resolver = (ctx: Ctx) => Promise<Response> | Response;

  function route(method: "get" | "post" | "patch", path: string, resolver: Resolver): HttpHandler {
    return http[method](`${baseUrl}${path}`, async ({ request }) => {
      await initial;
      const now = clock.now();
      const ctx: Ctx = {
        request,
        now,
        ip: clientIp(request),
        userAgent: userAgentOf(request),
      };
      const record: MockRequestRecord = {
        method: request.method,
        path: pathOf(request.url),
        status: 0,
        at: new Date(now),
        ip: ctx.ip,
        userAgent: ctx.userAgent,
      };
      requests.push(record);
      const body = await receivedBody(request);
      if (body !== undefined) record.body = body;

      const index = faults.findIndex(
        (f) =>
          f.path === record.path &&
          (f.fault.method === undefined || f.fault.method.toUpperCase() === request.method),
      );
      if (index !== -1) {
        const entry = faults[index];
        if (entry) {
          entry.left--;
          if (entry.left <= 0) faults.splice(index, 1);
          const f = entry.fault;
          if (f.delayMs !== undefined) {
            record.fault = "delay";
            await delay(f.delayMs);
          }
          if (f.network) {
            record.fault = "network";
            return HttpResponse.error();
          }
          if (f.status !== undefined) {
            record.fault = "status";
            record.status = f.status;
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
        }
      }

      let response: Response;
      try {
        response = await resolver(ctx);
      } catch (error) {
        if (error instanceof Problem) response = problemResponse(error);
        else if (error instanceof OAuthProblem) {
          response = HttpResponse.json(
            { error: error.error, error_description: error.description },
            { status: error.status, headers: { "cache-control": "no-store" } },
          );
        } else {
          response = problemResponse(new Problem(500, "internal_error", "The mock failed"));
          console.error("tegata mock: handler error", error);
        }
      }
      record.status = response.status;
      return response;
    });
  }

  const noContent = () => new HttpResponse(null, { status: 204 });

  /** The last successful sign-in, as others see it: hidden when the user chose so. */
  const privacyOf = (user: UserRecord) => {
    const list = historyByUser.get(user.id) ?? [];
    let last: MockLoginAttempt | undefined;
    for (let i = list.length - 1; i >= 0 && !last; i--) if (list[i]?.result === "success") last = list[i];
    return {
      show_last_login: user.showLastLogin,
      last_login_at: user.showLastLogin && last ? last.at.toISOString() : null,
    };
  };

  // ---- routes ----------------------------------------------------------------------------
  const handlers: HttpHandler[] = [
    route("post", "/auth/sign-in", async (ctx) => {
      const body = await readJson(ctx.request, SignInRequestSchema);
      const user = findUser(body.email);
      try {
        assertNotLocked(body.email, ctx.now);
      } catch (problem) {
        recordAttempt(ctx, body.email, user, "password", "locked");
        throw problem;
      }
      // Unknown emails take the same time as wrong passwords: no enumeration by timing.
      const ok = await verifyPassword(body.password, user?.passwordHash ?? (await dummyHash()));
      if (!user || !ok) {
        const problem = fail(
          body.email,
          ctx.now,
          "invalid_credentials",
          "The email or password is incorrect",
        );
        recordAttempt(ctx, body.email, user, "password", problem.status === 423 ? "locked" : "failure");
        throw problem;
      }
      const remember = body.remember ?? true;
      if (user.totpSecret !== null) {
        const id = `chl_${randomToken(12)}`;
        challenges.set(id, {
          userId: user.id,
          expiresAt: ctx.now + challengeTtl * 1000,
          used: false,
          remember,
        });
        return HttpResponse.json({
          status: "mfa_required",
          challenge: {
            id,
            methods: user.recoveryHashes.length > 0 ? ["totp", "recovery_code"] : ["totp"],
            expires_in: challengeTtl,
          },
        });
      }
      lockState(body.email).failures = 0;
      const attempt = recordAttempt(ctx, body.email, user, "password", "success");
      return HttpResponse.json(await startSession(ctx, user, remember, ["pwd"], attempt));
    }),

    route("post", "/auth/mfa/verify", async (ctx) => {
      const body = await readJson(ctx.request, MfaVerifyRequestSchema);
      if ((body.code === undefined) === (body.recovery_code === undefined)) {
        throw new Problem(400, "invalid_request", "Send exactly one of code and recovery_code");
      }
      const challenge = challenges.get(body.challenge_id);
      const user = challenge ? users.get(challenge.userId) : undefined;
      if (!challenge || !user || challenge.used || challenge.expiresAt <= ctx.now) {
        throw new Problem(400, "mfa_challenge_expired", "The challenge expired or was already used");
      }
      const method = body.code !== undefined ? "totp" : "recovery_code";
      try {
        assertNotLocked(user.email, ctx.now);
      } catch (problem) {
        challenge.used = true;
        recordAttempt(ctx, user.email, user, method, "locked");
        throw problem;
      }
      const ok = await checkSecondFactor(user, body.code, body.recovery_code, ctx.now);
      if (!ok) {
        const problem = fail(user.email, ctx.now, "invalid_mfa_code", "The verification code is incorrect");
        if (problem.status === 423) challenge.used = true;
        recordAttempt(ctx, user.email, user, method, problem.status === 423 ? "locked" : "failure");
        throw problem;
      }
      challenge.used = true;
      lockState(user.email).failures = 0;
      const attempt = recordAttempt(ctx, user.email, user, method, "success");
      return HttpResponse.json(
        await startSession(
          ctx,
          user,
          challenge.remember,
          ["pwd", method === "totp" ? "otp" : "rec"],
          attempt,
        ),
      );
    }),

    route("post", "/auth/sign-up", async (ctx) => {
      const body = await readJson(ctx.request, SignUpRequestSchema);
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(body.email.trim())) {
        throw new Problem(400, "invalid_request", "The email address is malformed");
      }
      if (findUser(body.email)) throw new Problem(409, "email_taken", "The email address is registered");
      await checkPolicy(body.password, { email: body.email, name: body.name ?? null });
      const created = await addUser({
        email: body.email,
        password: body.password,
        ...(body.name === undefined ? {} : { name: body.name }),
        emailVerified: false,
      });
      const user = users.get(created.id) as UserRecord;
      const attempt = recordAttempt(ctx, user.email, user, "password", "success");
      return HttpResponse.json(await startSession(ctx, user, true, ["pwd"], attempt), { status: 201 });
    }),

    route("post", "/auth/password/reset-request", async (ctx) => {
      const body = await readJson(ctx.request, PasswordResetRequestSchema);
      const link = linkTarget("password_reset", body.redirect_to);
      const user = findUser(body.email);
      if (user) {
        // Only the newest link works: an older email lying in an inbox is no longer a way in.
        retireEmailTokens(user.id, "password_reset");
        sendEmail(user.email, "password_reset", { userId: user.id }, ctx.now, link);
      }
      return HttpResponse.json({}, { status: 202 });
    }),

    route("post", "/auth/password/reset", async (ctx) => {
      const body = await readJson(ctx.request, PasswordResetSchema);
      const record = useEmailToken(body.token, "password_reset", ctx.now);
      const user = users.get(record.userId);
      if (!user) throw new Problem(400, "invalid_token", "The link is invalid, expired or already used");
      await checkPolicy(body.password, user);
      record.used = true;
      // Every other pending reset link of the account dies with this one.
      retireEmailTokens(user.id, "password_reset");
      user.passwordHash = await hashPassword(body.password, iterations);
      revokeSessions(user.id);
      attempts.delete(normalizeEmail(user.email));
      return noContent();
    }),

    route("post", "/auth/password/change", async (ctx) => {
      const { session, user } = await authenticate(ctx);
      const body = await readJson(ctx.request, PasswordChangeSchema);
      assertNotLocked(user.email, ctx.now);
      if (!(await verifyPassword(body.current_password, user.passwordHash))) {
        throw fail(user.email, ctx.now, "invalid_credentials", "The current password is incorrect");
      }
      await checkPolicy(body.new_password, user);
      user.passwordHash = await hashPassword(body.new_password, iterations);
      revokeSessions(user.id, session.id);
      return noContent();
    }),

    route("post", "/auth/email/change-request", async (ctx) => {
      const { user } = await authenticate(ctx);
      const body = await readJson(ctx.request, EmailChangeRequestSchema);
      const link = linkTarget("email_change", body.redirect_to);
      assertNotLocked(user.email, ctx.now);
      if (!(await verifyPassword(body.password, user.passwordHash))) {
        throw fail(user.email, ctx.now, "invalid_credentials", "The password is incorrect");
      }
      const newEmail = body.new_email.trim();
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(newEmail)) {
        throw new Problem(400, "invalid_request", "The email address is malformed");
      }
      if (findUser(newEmail)) throw new Problem(409, "email_taken", "The email address is registered");
      sendEmail(newEmail, "email_change", { userId: user.id, newEmail }, ctx.now, link);
      return HttpResponse.json({}, { status: 202 });
    }),

    route("post", "/auth/email/confirm", async (ctx) => {
      const body = await readJson(ctx.request, EmailChangeConfirmSchema);
      const record = useEmailToken(body.token, "email_change", ctx.now);
      const user = users.get(record.userId);
      if (!user || !record.newEmail) throw new Problem(400, "invalid_token", "The link is invalid");
      if (findUser(record.newEmail)) throw new Problem(409, "email_taken", "The email address is registered");
      record.used = true;
      byEmail.delete(normalizeEmail(user.email));
      user.email = record.newEmail;
      user.emailVerified = true;
      byEmail.set(normalizeEmail(user.email), user.id);
      return HttpResponse.json({ user: wireUser(user) });
    }),

    route("post", "/auth/sign-out", async (ctx) => {
      const { session, user } = await authenticate(ctx, true);
      const body = await readJson(ctx.request, SignOutRequestSchema);
      if (body.scope === "local") session.revoked = true;
      else if (body.scope === "global") revokeSessions(user.id);
      else revokeSessions(user.id, session.id);
      return noContent();
    }),

    route("get", "/auth/user", async (ctx) => {
      const { user } = await authenticate(ctx);
      return HttpResponse.json({ user: wireUser(user) });
    }),

    route("post", "/auth/mfa/totp/enroll", async (ctx) => {
      const { user } = await authenticate(ctx);
      const body = await readJson(ctx.request, TotpEnrollRequestSchema);
      const issuerLabel = totpLabel("issuer", body.issuer, "tegata", "tegata");
      const accountName = totpLabel("account_name", body.account_name, user.email, user.id);
      if (user.factors.some((f) => f.status === "active")) {
        throw new Problem(409, "factor_exists", "Two-step verification is already on");
      }
      user.factors = user.factors.filter((f) => f.status !== "pending");
      const factor: FactorRecord = {
        id: `fac_${randomToken(9)}`,
        secret: generateTotpSecret(),
        status: "pending",
        createdAt: ctx.now,
        lastUsedAt: null,
      };
      user.factors.push(factor);
      const uri = totpUri({ secret: factor.secret, issuer: issuerLabel, accountName });
      return HttpResponse.json({ factor_id: factor.id, secret: factor.secret, uri });
    }),

    route("post", "/auth/mfa/totp/activate", async (ctx) => {
      const { user } = await authenticate(ctx);
      const body = await readJson(ctx.request, FactorCodeRequestSchema);
      const factor = user.factors.find((f) => f.id === body.factor_id);
      if (!factor) throw new Problem(404, "factor_not_found", "No such factor");
      if (factor.status === "active") throw new Problem(409, "factor_exists", "The factor is already active");
      assertNotLocked(user.email, ctx.now);
      const { valid, step } = await verifyTotp({
        code: body.code,
        secret: factor.secret,
        time: ctx.now,
        window: 1,
      });
      if (!valid || step === null) throw mfaFailure(user, ctx.now);
      factor.status = "active";
      factor.lastUsedAt = ctx.now;
      user.totpSecret = factor.secret;
      user.lastTotpStep = step;
      lockState(user.email).failures = 0;
      return HttpResponse.json({ recovery_codes: await newRecoveryCodes(user) });
    }),

    route("get", "/auth/mfa/factors", async (ctx) => {
      const { user } = await authenticate(ctx);
      return HttpResponse.json({
        factors: user.factors.map((f) => ({
          id: f.id,
          type: "totp",
          status: f.status,
          created_at: new Date(f.createdAt).toISOString(),
          last_used_at: f.lastUsedAt === null ? null : new Date(f.lastUsedAt).toISOString(),
        })),
      });
    }),

    route("post", "/auth/mfa/factors/remove", async (ctx) => {
      const { user } = await authenticate(ctx);
      const body = await readJson(ctx.request, FactorCodeRequestSchema);
      const factor = user.factors.find((f) => f.id === body.factor_id);
      if (!factor) throw new Problem(404, "factor_not_found", "No such factor");
      assertNotLocked(user.email, ctx.now);
      if (factor.status === "active") {
        const isTotp = /^[\d\s]+$/.test(body.code);
        const ok = await checkSecondFactor(
          user,
          isTotp ? body.code : undefined,
          isTotp ? undefined : body.code,
          ctx.now,
        );
        if (!ok) throw mfaFailure(user, ctx.now);
        user.totpSecret = null;
        user.lastTotpStep = -1;
        user.recoveryHashes = [];
      }
      user.factors = user.factors.filter((f) => f !== factor);
      return noContent();
    }),

    route("post", "/auth/mfa/recovery-codes", async (ctx) => {
      const { user } = await authenticate(ctx);
      const body = await readJson(ctx.request, CodeRequestSchema);
      if (user.totpSecret === null) throw new Problem(409, "mfa_not_enabled", "Two-step verification is off");
      assertNotLocked(user.email, ctx.now);
      if (!(await checkSecondFactor(user, body.code, undefined, ctx.now))) throw mfaFailure(user, ctx.now);
      return HttpResponse.json({ recovery_codes: await newRecoveryCodes(user) });
    }),

    route("get", "/auth/history", async (ctx) => {
      const { session, user } = await authenticate(ctx);
      const q = new URL(ctx.request.url).searchParams;
      const time = (name: string) => {
        const raw = q.get(name);
        if (raw === null) return undefined;
        const t = Date.parse(raw);
        if (Number.isNaN(t)) throw new Problem(400, "invalid_request", `${name} must be an ISO 8601 time`);
        return t;
      };
      const limit = q.get("limit") === null ? 20 : Number(q.get("limit"));
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        throw new Problem(400, "invalid_request", "limit must be an integer from 1 to 100");
      }
      const result = q.get("result") ?? undefined;
      if (result !== undefined && !["success", "failure", "locked"].includes(result)) {
        throw new Problem(400, "invalid_request", "result must be success, failure or locked");
      }
      const cursor = q.get("cursor") ?? undefined;
      if (cursor !== undefined && !/^att_[0-9a-z]{15}$/.test(cursor)) {
        throw new Problem(400, "invalid_request", "cursor is invalid");
      }
      const from = time("from");
      const to = time("to");
      const method = q.get("method") ?? undefined;
      const page = pageHistory(historyByUser.get(user.id) ?? [], {
        limit,
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        ...(result === undefined ? {} : { result }),
        ...(method === undefined ? {} : { method }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return HttpResponse.json({
        items: page.items.map((e) => ({
          id: e.id,
          at: e.at.toISOString(),
          ip: e.ip,
          user_agent: e.userAgent,
          method: e.method,
          result: e.result,
          current: e.sessionId !== null && e.sessionId === session.id,
          location: e.location,
        })),
        next_cursor: page.next,
      });
    }),

    route("get", "/auth/sessions", async (ctx) => {
      const { session, user } = await authenticate(ctx);
      const list = [...sessions.values()]
        .filter((s) => s.userId === user.id && !s.revoked && s.expiresAt > ctx.now)
        .sort((a, b) => b.lastSeenAt - a.lastSeenAt)
        .map((s) => ({
          id: s.id,
          created_at: new Date(s.createdAt).toISOString(),
          last_seen_at: new Date(s.lastSeenAt).toISOString(),
          ip: s.ip,
          user_agent: s.userAgent,
          current: s.id === session.id,
        }));
      return HttpResponse.json({ sessions: list });
    }),

    route("post", "/auth/sessions/revoke", async (ctx) => {
      const { user } = await authenticate(ctx);
      const body = await readJson(ctx.request, SessionRevokeSchema);
      const target = sessions.get(body.session_id);
      if (!target || target.userId !== user.id || target.revoked) {
        throw new Problem(404, "session_not_found", "No such session");
      }
      target.revoked = true;
      return noContent();
    }),

    route("post", "/auth/sessions/revoke-others", async (ctx) => {
      const { session, user } = await authenticate(ctx);
      revokeSessions(user.id, session.id);
      return noContent();
    }),

    route("get", "/auth/privacy", async (ctx) => {
      const { user } = await authenticate(ctx);
      return HttpResponse.json(privacyOf(user));
    }),

    route("patch", "/auth/privacy", async (ctx) => {
      const { user } = await authenticate(ctx);
      const body = await readJson(ctx.request, PrivacyUpdateSchema);
      user.showLastLogin = body.show_last_login;
      return HttpResponse.json(privacyOf(user));
    }),

    route("post", "/oauth/token", async (ctx) => {
      const form = await readForm(ctx.request);
      const grant = form.get("grant_type");
      if (grant !== "refresh_token") {
        throw new OAuthProblem("unsupported_grant_type", "Only refresh_token is supported here");
      }
      const token = form.get("refresh_token");
      if (!token) throw new OAuthProblem("invalid_request", "refresh_token is required");
      const record = refreshTokens.get(token);
      const session = record ? sessions.get(record.sessionId) : undefined;
      const user = session ? users.get(session.userId) : undefined;
      if (!record || !session || !user || session.revoked) {
        throw new OAuthProblem("invalid_grant", "The refresh token is invalid");
      }
      if (record.used) {
        // Reuse of a rotated refresh token: someone else holds it. End the whole family.
        session.revoked = true;
        throw new OAuthProblem("invalid_grant", "The refresh token was already used");
      }
      if (record.expiresAt <= ctx.now) throw new OAuthProblem("invalid_grant", "The refresh token expired");
      record.used = true;
      session.lastSeenAt = ctx.now;
      const tokens = await issueTokens(session, ctx.now, user);
      return HttpResponse.json(tokens, { headers: { "cache-control": "no-store" } });
    }),

    route("post", "/oauth/revoke", async (ctx) => {
      const form = await readForm(ctx.request);
      const token = form.get("token") ?? "";
      const record = refreshTokens.get(token);
      let session = record ? sessions.get(record.sessionId) : undefined;
      if (!session && token.split(".").length === 3) {
        // An access token: revoke the session it belongs to, when its signature is ours.
        try {
          const { payload } = await compactVerify(token, (await signingKeys()).publicKey);
          const sid = (JSON.parse(new TextDecoder().decode(payload)) as { sid?: unknown }).sid;
          session = typeof sid === "string" ? sessions.get(sid) : undefined;
        } catch {
          session = undefined; // unknown tokens are not an error (RFC 7009 section 2.2)
        }
      }
      if (session) session.revoked = true;
      return new HttpResponse(null, { status: 200 });
    }),

    route("get", "/.well-known/jwks.json", async () => HttpResponse.json(await jwks())),
  ];

  async function jwks(): Promise<JSONWebKeySet> {
    const { publicKey, kid } = await signingKeys();
    const jwk = await exportJWK(publicKey);
    return { keys: [{ ...jwk, kid, alg: "ES256", use: "sig" }] };
  }

  const sessionInfo = (s: SessionRecord): MockSessionInfo => ({
    id: s.id,
    userId: s.userId,
    createdAt: new Date(s.createdAt),
    lastSeenAt: new Date(s.lastSeenAt),
    ip: s.ip,
    userAgent: s.userAgent,
    revoked: s.revoked,
  });

  return {
    handlers,
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
      list: () => [...users.values()].map(info),
      unlock: (email) => {
        attempts.delete(normalizeEmail(email));
      },
    },
    requests,
    outbox,
    loginAttempts,
    recordLogin(entry) {
      const user = findUser(entry.email);
      const at = entry.at === undefined ? clock.now() : toDate(entry.at);
      const ip = entry.ip ?? "127.0.0.1";
      return storeAttempt({
        id: nextAttemptId(at),
        userId: user?.id ?? null,
        email: entry.email,
        at: new Date(at),
        ip,
        userAgent: entry.userAgent ?? null,
        method: entry.method,
        result: entry.result ?? "success",
        sessionId: null,
        location: options.locate?.(ip) ?? null,
      });
    },
    seedHistory(email, count, seedOptions = {}) {
      const user = findUser(email);
      if (!user) throw new Error(`mock: no user ${email}`);
      if (!Number.isInteger(count) || count < 0) throw new TypeError("seedHistory needs a count >= 0");
      const list = historyByUser.get(user.id) ?? [];
      const end = Math.min(clock.now(), list[0]?.at.getTime() ?? Number.POSITIVE_INFINITY) - 1;
      const seeded = seedEntries(user, count, end, { ...seedOptions, locate: options.locate });
      historyByUser.set(user.id, [...seeded, ...list]);
      const merged = seeded.concat(loginAttempts);
      loginAttempts.length = 0;
      for (const entry of merged) loginAttempts.push(entry);
    },
    lastEmail(to, kind) {
      for (let i = outbox.length - 1; i >= 0; i--) {
        const email = outbox[i];
        if (!email) continue;
        if (to !== undefined && normalizeEmail(email.to) !== normalizeEmail(to)) continue;
        if (kind !== undefined && email.kind !== kind) continue;
        return email;
      }
      return undefined;
    },
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
      return [...sessions.values()].filter((s) => !user || s.userId === user.id).map(sessionInfo);
    },
    async totp(email, at) {
      const user = findUser(email);
      if (!user?.totpSecret) throw new Error(`mock: ${email} has no TOTP secret`);
      const time = at === undefined ? clock.now() : toDate(at);
      return generateTotp(user.totpSecret, { time });
    },
    jwks,
    ready: () => initial,
  };
}
