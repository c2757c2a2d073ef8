import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { HttpResponse, http, passthrough } from "msw";
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
 * How the client reaches the mock: through msw (the default), or over real HTTP on 127.0.0.1
 * (`TEGATA_TEST_TRANSPORT=http`, the `test:http` script): then every `fresh()` mock, which is the
 * auth server, listens on a free port through `@hono/node-server`, and msw lets its requests pass.
 */
export const transport: "msw" | "http" = process.env.TEGATA_TEST_TRANSPORT === "http" ? "http" : "msw";

/** A web `fetch` handler on a free port of 127.0.0.1; a `Response.error()` drops the connection. */
async function listenOnLoopback(
  handler: (request: Request) => Promise<Response>,
): Promise<{ origin: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const listener = serve(
      {
        fetch: async (request: Request, env: { incoming: { socket: { destroy(): void } } }) => {
          const response = await handler(request);
          if (response.type !== "error") return response;
          env.incoming.socket.destroy(); // a network failure, as the fault asked
          return new Response(null, { status: 502 });
        },
        port: 0,
        hostname: "127.0.0.1",
      },
      (info: AddressInfo) =>
        resolve({
          origin: `http://127.0.0.1:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              const node = listener as unknown as { closeAllConnections?: () => void };
              listener.close(() => done());
              node.closeAllConnections?.();
            }),
        }),
    );
  });
}

/**
 * One msw server per test file; each test gets a fresh mock through `fresh()`.
 * Unhandled requests fail the test.
 */
export function useMockServer() {
  const server = setupServer();
  const listeners: Array<{ close(): Promise<void> }> = [];
  beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
  afterEach(async () => {
    server.resetHandlers();
    await Promise.all(listeners.splice(0).map((l) => l.close()));
  });
  afterAll(() => server.close());

  return {
    server,
    /** A new mock with alice and bob, installed on the server, and a client bound to its clock. */
    async fresh(
      mockOptions: MockAuthOptions = {},
      clientOptions: Partial<AuthClientOptions> = {},
    ): Promise<{ mock: MockAuth; auth: ReturnType<typeof createAuthClient> }> {
      const options: MockAuthOptions = {
        users: [{ ...alice }, { ...bob, recoveryCodes: [...bob.recoveryCodes] }],
        now: Date.UTC(2026, 10, 25, 9, 0, 0),
        ...mockOptions,
      };
      let mock: MockAuth;
      if (transport === "http") {
        let target: MockAuth | undefined;
        const listener = await listenOnLoopback((request) => (target as MockAuth).fetch(request));
        listeners.push(listener);
        const path = mockOptions.baseUrl ? new URL(mockOptions.baseUrl).pathname.replace(/\/+$/, "") : "";
        mock = createMockAuth({ ...options, baseUrl: `${listener.origin}${path}` });
        target = mock;
        server.resetHandlers(http.all(`${listener.origin}/*`, () => passthrough()));
      } else {
        mock = createMockAuth(options);
        server.resetHandlers(...mock.handlers);
      }
      await mock.ready();
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
