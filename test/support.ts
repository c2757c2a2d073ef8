import { HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, vi } from "vitest";
import { type AuthClientOptions, createAuthClient } from "../src/index";
import type { MockAuth, MockAuthOptions } from "../src/mock/index";
import { createMockAuth } from "../src/mock/index";

/** A base32 TOTP secret for tests. */
export const TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

export const alice = { email: "alice@example.com", password: "correct horse battery" } as const;
export const bob = {
  email: "bob@example.com",
  password: "tr0ub4dor&3 staple",
  totpSecret: TOTP_SECRET,
  recoveryCodes: ["aaaa-bbbb-cccc", "dddd-eeee-ffff"],
} as const;

/**
 * One msw server per test file; each test gets a fresh mock through `fresh()`.
 * Unhandled requests fail the test.
 */
export function useMockServer() {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());

  return {
    server,
    /** A new mock with alice and bob, installed on the server, and a client bound to its clock. */
    async fresh(
      mockOptions: MockAuthOptions = {},
      clientOptions: Partial<AuthClientOptions> = {},
    ): Promise<{ mock: MockAuth; auth: ReturnType<typeof createAuthClient> }> {
      const mock = createMockAuth({
        users: [{ ...alice }, { ...bob, recoveryCodes: [...bob.recoveryCodes] }],
        now: Date.UTC(2026, 10, 25, 9, 0, 0),
        ...mockOptions,
      });
      await mock.ready();
      server.resetHandlers(...mock.handlers);
      const auth = createAuthClient({
        baseUrl: mock.baseUrl,
        clock: mock.clock,
        retry: { limit: 2, backoffLimit: 10 },
        ...clientOptions,
      });
      return { mock, auth };
    },
  };
}

/**
 * Fakes `setTimeout` and `clearTimeout` (vitest's fake timers) and resolves `armed` once a timer
 * of exactly `ms` is set, so that a test sees a wait begin and then moves time with
 * `vi.advanceTimersByTimeAsync` instead of waiting for it. Call `restore()` in a `finally`.
 */
export function watchTimer(ms: number): { armed: Promise<void>; restore(): void } {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  const fake = globalThis.setTimeout;
  let seen: () => void = () => {};
  const armed = new Promise<void>((resolve) => {
    seen = resolve;
  });
  const spy = vi.spyOn(globalThis, "setTimeout").mockImplementation(((fn: () => void, delay?: number) => {
    if (delay === ms) seen();
    return fake(fn, delay);
  }) as typeof setTimeout);
  return {
    armed,
    restore() {
      spy.mockRestore();
      vi.useRealTimers();
    },
  };
}

/**
 * A JSON response whose headers arrive and whose body starts with `start` and never ends: it
 * declares a length it never reaches (without one, msw would end the body when the socket closes).
 */
export function stalledJsonResponse(start: string): HttpResponse<ReadableStream> {
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(start));
    },
  });
  return new HttpResponse(body, {
    headers: { "content-type": "application/json", "content-length": "4096" },
  });
}
