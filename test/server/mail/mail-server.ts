/**
 * The auth server over real HTTP on 127.0.0.1 for the mail tests: any store (memory, SQLite,
 * PostgreSQL), any mailer, a hand-driven clock, the fast test hasher, and users added through the
 * store.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type AuthClient, createAuthClient } from "../../../src/index";
import { type AuthServer, type AuthServerOptions, createAuthServer } from "../../../src/server/auth-server";
import { createTestPasswordHasher } from "../../../src/server/crypto/password";
import { emailKey } from "../../../src/server/store/email-key";
import type { AuthStore } from "../../../src/server/store/types";

export const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
export const SECRET = "a test secret of at least thirty-two bytes, not for production";
export const APP = "https://app.example.com";
/** The sender of the test mails. */
export const FROM = { name: "tegata", address: "no-reply@tegata.example" };

/** A clock the test moves (shared by servers that stand for one deployment). */
export interface TestClock {
  now(): number;
  advance(ms: number): void;
}

export function testClock(start = T0): TestClock {
  let now = start;
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
  };
}

export interface MailServer {
  server: AuthServer;
  baseUrl: string;
  /** A fresh SDK client of this server. */
  client(): AuthClient;
  close(): Promise<void>;
}

const hasher = createTestPasswordHasher();

/** Starts `createAuthServer` over `options.store` on a free port of 127.0.0.1. */
export async function startMailServer(
  options: Partial<AuthServerOptions> & { store: AuthStore; clock?: TestClock },
): Promise<MailServer> {
  const { clock, ...rest } = options;
  const server = createAuthServer({
    issuer: "http://127.0.0.1",
    secret: SECRET,
    hasher,
    appOrigins: [APP],
    rateLimits: false,
    ...(clock ? { now: clock.now } : {}),
    onError: (error) => {
      throw error;
    },
    ...rest,
  });
  let port = 0;
  const http = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve(
      {
        fetch: (request, env: { incoming?: { socket?: { remoteAddress?: string } } }) =>
          server.fetch(request, { remoteAddress: env.incoming?.socket?.remoteAddress ?? "127.0.0.1" }),
        port: 0,
        hostname: "127.0.0.1",
      },
      (info: AddressInfo) => {
        port = info.port;
        resolve(s);
      },
    );
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    server,
    baseUrl,
    client: () => createAuthClient({ baseUrl, retry: 0, ...(clock ? { clock } : {}) }),
    async close() {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await server.close();
    },
  };
}

let seq = 0;

/** Adds a user with a password to `store`; returns its id. */
export async function addUser(store: AuthStore, email: string, password: string, now = T0): Promise<string> {
  const id = `usr_mail${++seq}_${Math.random().toString(36).slice(2, 8)}`;
  const created = await store.createUser(
    {
      id,
      email,
      emailKey: emailKey(email),
      name: null,
      passwordHash: await hasher.hash(password),
      emailVerified: true,
      showLastLogin: true,
      createdAt: now,
    },
    now,
  );
  if (created === "email_taken") throw new Error(`mail-server: ${email} exists`);
  return id;
}

/** The one-time link of a received mail's text (the only URL with `token=` in it). */
export function linkIn(text: string | undefined): URL {
  const match = /https?:\/\/\S*[?&]token=[A-Za-z0-9_-]+/.exec(text ?? "");
  if (match === null) throw new Error("mail-server: no link in the mail");
  return new URL(match[0]);
}

/** A POST of JSON with raw fetch; the status. */
export async function postJson(
  baseUrl: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}
