import { HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import { parseRetryAfter } from "../../src/core/http";
import { getUser, signIn } from "../../src/credentials/index";
import {
  AbortedError,
  AccountLockedError,
  createAuthClient,
  HttpError,
  isTegataError,
  NetworkError,
  RateLimitedError,
  ResponseValidationError,
  TimeoutError,
} from "../../src/index";
import { alice, useMockServer, watchTimer } from "../support";

const ctx = useMockServer();
const BASE = "https://bad.tegata.test";
const client = (options: Partial<Parameters<typeof createAuthClient>[0]> = {}) =>
  createAuthClient({ baseUrl: BASE, retry: { limit: 2, backoffLimit: 5 }, ...options });
const signInWith = (resolver: Parameters<typeof http.post>[1], options = {}) => {
  ctx.server.use(http.post(`${BASE}/auth/sign-in`, resolver));
  return signIn(client(options), alice).catch((e: unknown) => e);
};

describe("bad responses end in a typed TegataError", () => {
  it("malformed JSON", async () => {
    const error = await signInWith(
      () => new HttpResponse("{ not json", { headers: { "content-type": "application/json" } }),
    );
    expect(error).toBeInstanceOf(ResponseValidationError);
  });

  it("a wrong content type", async () => {
    const error = await signInWith(() => HttpResponse.text("hello"));
    expect(error).toBeInstanceOf(ResponseValidationError);
  });

  it("missing fields", async () => {
    const error = await signInWith(() => HttpResponse.json({ status: "signed_in", access_token: "x" }));
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect(isTegataError(error, "response_validation")).toBe(true);
  });

  it("an unknown status discriminator", async () => {
    const error = await signInWith(() => HttpResponse.json({ status: "welcome" }));
    expect(error).toBeInstanceOf(ResponseValidationError);
  });

  it("an empty 200 body", async () => {
    const error = await signInWith(
      () => new HttpResponse(null, { status: 200, headers: { "content-type": "application/json" } }),
    );
    expect(error).toBeInstanceOf(ResponseValidationError);
  });

  it("an HTML error page from a proxy", async () => {
    const error = await signInWith(
      () =>
        new HttpResponse("<html><body><h1>502 Bad Gateway</h1></body></html>", {
          status: 502,
          headers: { "content-type": "text/html" },
        }),
    );
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(502);
    expect((error as Error).message).not.toContain("<html>");
  });

  it("an empty error body", async () => {
    const error = await signInWith(() => new HttpResponse(null, { status: 500 }));
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(500);
  });

  it("a problem with an unknown code keeps it as problemCode", async () => {
    const error = await signInWith(() =>
      HttpResponse.json(
        { code: "maintenance" },
        { status: 503, headers: { "content-type": "application/problem+json" } },
      ),
    );
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).problemCode).toBe("maintenance");
  });

  it("a network failure", async () => {
    const error = await signInWith(() => HttpResponse.error());
    expect(error).toBeInstanceOf(NetworkError);
    expect(isTegataError(error, "network_error")).toBe(true);
  });

  it("a slow server", async () => {
    // The server answers only after the client gave up: no race between two clocks.
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const error = await signInWith(
      async () => {
        await answered;
        return HttpResponse.json({});
      },
      { timeoutMs: 50 },
    );
    answer();
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it("an aborted request", async () => {
    const controller = new AbortController();
    ctx.server.use(
      http.post(`${BASE}/auth/sign-in`, async () => {
        controller.abort(); // while the request is in flight
        await new Promise(() => {}); // never answers
        return HttpResponse.json({});
      }),
    );
    const error = await signIn(client(), { ...alice, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
  });

  it("an already aborted signal", async () => {
    ctx.server.use(http.post(`${BASE}/auth/sign-in`, () => HttpResponse.json({})));
    const error = await signIn(client(), { ...alice, signal: AbortSignal.abort() }).catch((e) => e);
    expect(error).toBeInstanceOf(AbortedError);
  });

  it("423 without a body still gives AccountLockedError with Retry-After", async () => {
    const error = await signInWith(
      () => new HttpResponse(null, { status: 423, headers: { "retry-after": "120" } }),
    );
    expect(error).toBeInstanceOf(AccountLockedError);
    expect((error as AccountLockedError).retryAfter).toBe(120);
  });

  it("429 on a POST is not retried and carries retryAfter", async () => {
    let calls = 0;
    const error = await signInWith(() => {
      calls++;
      return HttpResponse.json(
        { code: "rate_limited", retry_after: 7 },
        { status: 429, headers: { "content-type": "application/problem+json" } },
      );
    });
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfter).toBe(7);
    expect(calls).toBe(1);
  });
});

describe("retries", () => {
  it("retries an idempotent GET on 503 and network errors, then succeeds", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    mock.faults.inject("/auth/user", { status: 503 });
    mock.faults.inject("/auth/user", { network: true });
    expect((await getUser(auth)).email).toBe(alice.email);
    expect(mock.count("/auth/user")).toBe(3);
  });

  it("gives up after the retry limit", async () => {
    const { auth, mock } = await ctx.fresh({}, { retry: { limit: 1, backoffLimit: 5 } });
    await signIn(auth, alice);
    mock.faults.inject("/auth/user", { status: 502, times: 5 });
    await expect(getUser(auth)).rejects.toBeInstanceOf(HttpError);
    expect(mock.count("/auth/user")).toBe(2);
  });

  it("never retries a POST", async () => {
    const { auth, mock } = await ctx.fresh();
    mock.faults.inject("/auth/sign-in", { status: 503, times: 3 });
    await expect(signIn(auth, alice)).rejects.toBeInstanceOf(HttpError);
    expect(mock.count("/auth/sign-in")).toBe(1);
  });

  it("honours Retry-After before retrying", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    mock.faults.inject("/auth/user", { status: 503, headers: { "retry-after": "1" } });
    const retry = watchTimer(1000); // ky waits with setTimeout: see the wait begin, move time by hand
    try {
      const user = getUser(auth);
      await retry.armed;
      expect(mock.count("/auth/user")).toBe(1);
      await vi.advanceTimersByTimeAsync(999);
      expect(mock.count("/auth/user")).toBe(1); // not retried before Retry-After
      await vi.advanceTimersByTimeAsync(1);
      expect((await user).email).toBe(alice.email);
      expect(mock.count("/auth/user")).toBe(2);
    } finally {
      retry.restore();
    }
  });

  it("does not retry 4xx other than 408 and 429", async () => {
    const { auth, mock } = await ctx.fresh();
    await signIn(auth, alice);
    mock.faults.inject("/auth/user", { status: 404, times: 3 });
    await expect(getUser(auth)).rejects.toBeInstanceOf(HttpError);
    expect(mock.count("/auth/user")).toBe(1);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("120")).toBe(120);
    expect(parseRetryAfter(" 0 ")).toBe(0);
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:01:00 GMT", now)).toBe(60);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
  });

  it("ignores garbage", () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("")).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter("-5")).toBeUndefined();
  });
});
