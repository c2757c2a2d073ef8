/**
 * The auth server over real HTTP on 127.0.0.1 (node:http through @hono/node-server), a memory
 * store seeded through its own methods, a hand-driven clock and the fast test hasher.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type AuthServer, type AuthServerOptions, createAuthServer } from "../../../src/server/auth-server";
import { createTestPasswordHasher } from "../../../src/server/crypto/password";
import { emailKey } from "../../../src/server/store/email-key";
import { memoryStore } from "../../../src/server/store/memory";

export const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
export const SECRET = "a test secret of at least thirty-two bytes, not for production";

export interface Harness {
  server: AuthServer;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  clock: { now(): number; advance(ms: number): void };
  store: ReturnType<typeof memoryStore>;
  /** Resolves once `count` requests (in all) have reached the server. */
  arrivals(count: number): Promise<void>;
  /** How many requests have reached the server so far. */
  arrivedSoFar(): number;
  /** Adds a user with a password; returns its id. */
  addUser(email: string, password: string, name?: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts a server on a free port of 127.0.0.1. */
export async function startServer(options: Partial<AuthServerOptions> = {}): Promise<Harness> {
  let now = T0;
  const clock = {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
  const store = memoryStore();
  const hasher = createTestPasswordHasher();
  let port = 0;
  let arrived = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const arrive = () => {
    arrived++;
    for (const w of waiters.filter((x) => x.count <= arrived)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const server = createAuthServer({
    issuer: "http://127.0.0.1",
    secret: SECRET,
    store,
    hasher,
    now: clock.now,
    rateLimits: false, // the rate-limit tests turn them on
    onError: (error) => {
      throw error;
    },
    ...options,
  });
  const http = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve(
      {
        fetch: (request, env: { incoming?: { socket?: { remoteAddress?: string } } }) => {
          arrive();
          return server.fetch(request, { remoteAddress: env.incoming?.socket?.remoteAddress ?? "127.0.0.1" });
        },
        port: 0,
        hostname: "127.0.0.1",
      },
      (info: AddressInfo) => {
        port = info.port;
        resolve(s);
      },
    );
  });
  let seq = 0;
  return {
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    clock,
    store,
    arrivedSoFar: () => arrived,
    arrivals(count) {
      if (arrived >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
    async addUser(email, password, name) {
      const id = `usr_test${++seq}`;
      const created = await store.createUser(
        {
          id,
          email,
          emailKey: emailKey(email),
          name: name ?? null,
          passwordHash: await hasher.hash(password),
          emailVerified: true,
          showLastLogin: true,
          createdAt: now,
        },
        now,
      );
      if (created === "email_taken") throw new Error(`harness: ${email} exists`);
      return id;
    },
    async close() {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await server.close();
    },
  };
}

/**
 * Sends one POST to `path` per body, each body held open until every request has reached the
 * server (counted by the harness), then releases all bodies at once, so the handlers run truly
 * concurrently. undici sends a request's head with its first chunk, so the first character of each
 * body goes out at once and the rest waits at the gate.
 */
export async function together(
  h: Harness,
  path: string,
  bodies: string[],
  headers: Record<string, string>,
): Promise<Response[]> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const encoder = new TextEncoder();
  const before = h.arrivedSoFar();
  const pending = bodies.map((text) => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(text.slice(0, 1)));
        void gate.then(() => {
          controller.enqueue(encoder.encode(text.slice(1)));
          controller.close();
        });
      },
    });
    return fetch(`${h.baseUrl}${path}`, {
      method: "POST",
      headers,
      body: stream,
      duplex: "half",
    } as RequestInit & { duplex: "half" });
  });
  await h.arrivals(before + bodies.length);
  release();
  return Promise.all(pending);
}
