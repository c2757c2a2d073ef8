/**
 * Public types of the mock auth server.
 *
 * @module
 */
import type { JSONWebKeySet } from "jose";
import type { HttpHandler } from "msw";
import type { PasswordChecker } from "../core/password-checker";
import type { AuthServer, AuthServerOptions } from "../server/auth-server";

/** A user to create in the mock. */
export interface MockUserInit {
  email: string;
  /** Stored hashed (PBKDF2); never kept in clear. */
  password: string;
  name?: string;
  /** Fixed id; default a random one. */
  id?: string;
  /** Base32 TOTP secret: the user then gets a second-factor challenge at sign-in. */
  totpSecret?: string;
  /** Recovery codes accepted once each at the challenge (stored hashed). */
  recoveryCodes?: string[];
  /** Default true. */
  emailVerified?: boolean;
  /** The language of the user's mails. Default: none chosen (mails follow the request's `Accept-Language`). */
  mailLocale?: "ja" | "en";
}

/** What the mock exposes of a user (no secrets). */
export interface MockUserInfo {
  id: string;
  email: string;
  name: string | null;
  mfaEnabled: boolean;
  emailVerified: boolean;
  createdAt: Date;
  /** Failed attempts counted towards the lockout. */
  failedAttempts: number;
  /** When the lockout ends, while the account is locked. */
  lockedUntil: Date | null;
  /** How many recovery codes are left. */
  recoveryCodesLeft: number;
  /** The language of the user's mails, `null` when never chosen. */
  mailLocale: "ja" | "en" | null;
}

/** Server-side password check of the mock: return issues to refuse a password. */
export type MockPasswordPolicy = (
  password: string,
  context: { email: string; name?: string | null },
) => Array<{ code: string; message: string; params?: Record<string, unknown> }>;

/** Options of {@link createMockAuth}. */
export interface MockAuthOptions {
  /** Users that exist from the start. */
  users?: MockUserInit[];
  /** Lockout after repeated failures (password and second factor). Default 5 attempts, 900 s. */
  lockout?: { maxAttempts?: number; durationSeconds?: number };
  /** Lifetime of access tokens. Default 3600 s. */
  accessTokenTtlSeconds?: number;
  /** Lifetime of refresh tokens. Default 30 days; 1 day for `remember: false`. */
  refreshTokenTtlSeconds?: number;
  /** Lifetime of an MFA challenge. Default 300 s. */
  mfaChallengeTtlSeconds?: number;
  /** Lifetime of password-reset, email-change and verification tokens. Default 3600 s. */
  emailTokenTtlSeconds?: number;
  /** The product name of the mails, as the server's option. Default `"tegata"`. */
  serviceName?: string;
  /** Password sign-in needs a verified address, as the server's option. Default false. */
  requireVerifiedEmail?: boolean;
  /** Where the mock answers. Default `https://auth.tegata.test`. */
  baseUrl?: string;
  /** Issuer (`iss`) of its tokens. Default: `baseUrl`. */
  issuer?: string;
  /** Audience (`aud`) of its access tokens. Default `"tegata"`. */
  audience?: string;
  /** Start time: a Date, ms since the epoch, or a time source. Default: the real clock. */
  now?: Date | number | (() => number);
  /**
   * Password policy enforced at sign-up, reset and change: a function, or a policy of
   * `tegata/password` (the same object the client uses). Default: at least 8 characters.
   */
  passwordPolicy?: MockPasswordPolicy | PasswordChecker;
  /** PBKDF2 iterations of stored passwords. Default 1000 (a mock: fast on purpose). */
  hashIterations?: number;
  /** Locates an IP address for the login history. Default: no location. */
  locate?: (ip: string) => MockLocation | null;
  /**
   * Origins that `redirect_to` of reset and email-change requests may point to (a path is always
   * allowed: it resolves against the first of them, else the base URL). Default: none in Node; the
   * page's own origin in a browser (msw's worker mode). Anything else is refused, as the server does.
   */
  appOrigins?: string[];
  /** Per-IP rate limits, as the server's option. Default `false` (tests sign in often from one IP). */
  rateLimits?: AuthServerOptions["rateLimits"];
  /** Receives the server's audit events. */
  onEvent?: AuthServerOptions["onEvent"];
  /**
   * OpenID Connect providers whose ID tokens sign users in (`POST /auth/identities/sign-in`), as
   * the server's option: pair it with `createMockOidcProvider` (`{ google: { issuer: op.issuer,
   * clientId } }`), whose JWKS the server then fetches through msw. Default: none.
   */
  providers?: AuthServerOptions["providers"];
  /**
   * The passkeys' RP ID, name and allowed origins, as the server's option. Default: the base URL's
   * host as the RP ID, its origin and the `appOrigins` under it as the origins.
   */
  passkeys?: AuthServerOptions["passkeys"];
  /** How long the address of a deleted account cannot register again, in seconds. Default 30 days. */
  deletedEmailBlockSeconds?: number;
}

/** The mock's clock. Tokens, lockouts, challenges and TOTP codes all follow it. */
export interface MockClock {
  /** Milliseconds since the epoch, as the mock sees it. */
  now(): number;
  /** Moves the clock forward (or back, with a negative value). */
  advance(ms: number): void;
  /** Sets the clock to a point in time. */
  set(time: Date | number): void;
}

/** One request the mock answered, with what it carried (passwords and tokens included: a test mock). */
export interface MockRequestRecord {
  method: string;
  /** Path relative to the mock's base URL, such as `/auth/sign-in`. */
  path: string;
  /**
   * The body as received: parsed JSON (`application/json` or `+json`; the text when it does not
   * parse), form fields as an object (`application/x-www-form-urlencoded`), else the text. Absent
   * for a request without a body. Secrets are kept as they were sent, so a test can assert on them.
   */
  body?: unknown;
  status: number;
  /** Mock time of the request. */
  at: Date;
  ip: string;
  userAgent: string | null;
  /** Set when a fault was injected instead of the normal answer. */
  fault?: "status" | "network" | "delay" | "body";
}

/**
 * An email the mock "sent" that carries a one-time link. Tests read the token here to follow it:
 * `email_verify` (sign-up, `resendVerificationEmail`: `verifyEmail`), `password_reset`
 * (`resetPassword`), `email_change` (to the new address: `confirmEmailChange`),
 * `email_change_notice` (to the old address, "this wasn't me": `cancelEmailChange`),
 * `account_locked` (the unlock link: `unlockAccount`).
 */
export interface MockLinkEmail {
  to: string;
  kind: "email_verify" | "password_reset" | "email_change" | "email_change_notice" | "account_locked";
  /** The one-time token of the link (its `token` query parameter). */
  token: string;
  /** The link the email contains. */
  link: string;
  subject: string;
  /** The text body, as the server's template renders it. */
  text: string;
  locale: "ja" | "en";
  at: Date;
}

/**
 * An email the mock "sent" that carries no link: `password_changed`, `new_sign_in` (a sign-in from
 * a new device or network), `account_deleted`, `account_suspended`.
 */
export interface MockNoticeEmail {
  to: string;
  kind: "password_changed" | "new_sign_in" | "account_deleted" | "account_suspended";
  token?: undefined;
  link?: undefined;
  subject: string;
  text: string;
  locale: "ja" | "en";
  at: Date;
}

/** The mail of a second-factor code (`sendMfaEmailCode`): `code` is what `completeMfa` takes as `emailCode`. */
export interface MockCodeEmail {
  to: string;
  kind: "mfa_code";
  /** The 6-digit code the mail carries. */
  code: string;
  token?: undefined;
  link?: undefined;
  subject: string;
  text: string;
  locale: "ja" | "en";
  at: Date;
}

/** An email the mock "sent" (the server's mailer, kept in memory). */
export type MockEmail = MockLinkEmail | MockNoticeEmail | MockCodeEmail;

/** A sign-in attempt, as the mock recorded it. */
export interface MockLoginAttempt {
  /** Increasing id; also the paging key of the history. */
  id: string;
  userId: string | null;
  email: string;
  at: Date;
  ip: string;
  userAgent: string | null;
  /** `password`, `totp`, `recovery_code`, or a provider such as `google` (see `recordLogin`). */
  method: string;
  result: "success" | "failure" | "locked";
  /** The session a successful attempt started. */
  sessionId: string | null;
  /** From the `locate` option. */
  location: MockLocation | null;
}

/** Where an IP address is, as the mock's `locate` option says. */
export interface MockLocation {
  country?: string | null;
  region?: string | null;
  city?: string | null;
}

/** A fault to inject into the next matching requests. */
export interface MockFault {
  /** How many requests it applies to. Default 1. */
  times?: number;
  /** Only for this method. */
  method?: string;
  /** Answer with this status (and `body`, default a problem+json `injected_fault`). */
  status?: number;
  /** Body of the faulty answer. Strings are sent as they are. */
  body?: unknown;
  /** Content type of the faulty answer. */
  contentType?: string;
  /** Headers of the faulty answer. */
  headers?: Record<string, string>;
  /** Fail at the network level (as a DNS or connection failure would). */
  network?: boolean;
  /** Wait this long (real time) first; alone, the request is then answered normally. */
  delayMs?: number;
}

/** A session of the mock (one per sign-in, kept across refreshes). */
export interface MockSessionInfo {
  id: string;
  userId: string;
  createdAt: Date;
  lastSeenAt: Date;
  ip: string;
  userAgent: string | null;
  revoked: boolean;
}

/**
 * The mock auth server returned by {@link createMockAuth}: tegata's auth server
 * (`createAuthServer` of `tegata/server`) over a memory store, answering through msw, with
 * controls for tests.
 */
export interface MockAuth {
  /**
   * The server itself: `server.fetch` answers a `Request` without msw (serve it over real HTTP
   * with `@hono/node-server`, say). Requests it answers directly skip the mock's faults and
   * request log.
   */
  readonly server: AuthServer;
  /** msw request handlers: `setupServer(...mock.handlers)` or `setupWorker(...mock.handlers)`. */
  readonly handlers: HttpHandler[];
  /**
   * Answers one request as the handlers do (request log, faults, then the server), without msw:
   * serve the mock over real HTTP with it (`serve({ fetch: mock.fetch })` of `@hono/node-server`),
   * its `baseUrl` then being where it listens. A `network` fault answers `Response.error()`: end
   * the connection without a response when you see one (`response.type === "error"`).
   */
  fetch(request: Request): Promise<Response>;
  /** Where the mock answers. */
  readonly baseUrl: string;
  /** `iss` of its tokens. */
  readonly issuer: string;
  /** `aud` of its access tokens. */
  readonly audience: string;
  /** The controllable clock. */
  readonly clock: MockClock;
  /** The users. */
  readonly users: {
    /** Adds a user. */
    add(user: MockUserInit): Promise<MockUserInfo>;
    /** A user by email (case-insensitive). */
    get(email: string): MockUserInfo | undefined;
    /** Every user. */
    list(): MockUserInfo[];
    /** Ends a lockout early. */
    unlock(email: string): void;
  };
  /** Every request answered, oldest first. */
  readonly requests: MockRequestRecord[];
  /** Every email "sent", oldest first. */
  readonly outbox: MockEmail[];
  /** Every sign-in attempt, oldest first. */
  readonly loginAttempts: MockLoginAttempt[];
  /**
   * Records a sign-in made elsewhere (an OAuth provider, another service) in the user's history.
   * Returns the entry.
   */
  recordLogin(entry: {
    email: string;
    method: string;
    result?: "success" | "failure" | "locked";
    ip?: string;
    userAgent?: string | null;
    at?: Date | number;
  }): MockLoginAttempt;
  /**
   * Adds `count` generated history entries to a user (spread over the last 90 days, older than
   * every real one, with a mix of devices, networks, methods and results). Deterministic for a seed.
   */
  seedHistory(email: string, count: number, options?: { seed?: number; days?: number }): void;
  /** The newest email, optionally to an address (compared as the server compares addresses). */
  lastEmail(to?: string): MockEmail | undefined;
  /** The newest email of a kind with a link, optionally to an address. */
  lastEmail(to: string | undefined, kind: MockLinkEmail["kind"]): MockLinkEmail | undefined;
  /** The newest email of a kind without a link, optionally to an address. */
  lastEmail(to: string | undefined, kind: MockNoticeEmail["kind"]): MockNoticeEmail | undefined;
  /** The newest second-factor code mail, optionally to an address. */
  lastEmail(to: string | undefined, kind: "mfa_code"): MockCodeEmail | undefined;
  /** Requests answered per path, such as `count("/oauth/token")`. */
  count(path: string, method?: string): number;
  /** Fault injection. */
  readonly faults: {
    /** Makes the next matching requests to `path` fail as described. */
    inject(path: string, fault: MockFault): void;
    /** Removes every pending fault. */
    clear(): void;
  };
  /** The sessions of a user (by email), or of everyone. */
  sessions(email?: string): MockSessionInfo[];
  /** The current TOTP code of a user with a `totpSecret`, at the mock's time (or `at`). */
  totp(email: string, at?: Date | number): Promise<string>;
  /** The public signing keys (what `/.well-known/jwks.json` serves). */
  jwks(): Promise<JSONWebKeySet>;
  /** Resolves once the initial users are hashed and the signing key exists. */
  ready(): Promise<void>;
}
