/**
 * Many instances of the auth server on one database: four child processes (worker.mjs, the BUILT
 * package in dist/) over one SQLite file or one PostgreSQL database, each on its own port of
 * 127.0.0.1, with a clock they share (the test moves it). The suites in this folder drive them
 * over real HTTP and read, per process, how many passwords were evaluated.
 */
import { type ChildProcess, fork } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
export const SECRET = "a test secret of at least thirty-two bytes, not for production";
export const ISSUER = "http://tegata.test";
export const PASSWORD = "correct horse battery staple";
export const INSTANCES = 4;

const WORKER = fileURLToPath(new URL("./worker.mjs", import.meta.url));
const DIST = fileURLToPath(new URL("../../dist/server/", import.meta.url));
const DIST_FILES = ["index.js", "sqlite/index.js", "postgres/index.js"];

/** Why the suite cannot run (dist/ not built), or null. */
export function missingBuild(): string | null {
  const missing = DIST_FILES.filter((file) => !existsSync(`${DIST}${file}`));
  return missing.length === 0
    ? null
    : `the many-instance tests run the built package: dist/server/${missing[0]} is missing (npm run build)`;
}

export interface Mail {
  to: string;
  kind: string;
  link?: string;
  subject: string;
}

interface Reply {
  type: "reply";
  id: number;
  error?: string;
  verified?: number;
  now?: number;
}

type WorkerMessage =
  | { type: "ready"; port: number }
  | { type: "arrived" }
  | { type: "mail"; instance: string; message: Mail }
  | { type: "error"; instance: string; message: string }
  | Reply;

export interface Instance {
  name: string;
  baseUrl: string;
  process: ChildProcess;
}

export interface Cluster {
  instances: Instance[];
  /** The shared clock (ms since the epoch). */
  now(): number;
  /** Moves every instance's clock forward; resolves once all have. */
  advance(ms: number): Promise<void>;
  /** Passwords evaluated so far, per instance. */
  verified(): Promise<number[]>;
  /** Mails sent so far by any instance, oldest first. */
  mails: Array<Mail & { instance: string }>;
  /** Waits for a mail matching `match` (sending does not hold up the answer). */
  mail(match: (mail: Mail) => boolean, timeoutMs?: number): Promise<Mail>;
  /** Unexpected failures (answered 500) reported by the instances. */
  errors: string[];
  /** Requests that have reached an instance's handler, across all. */
  arrivedSoFar(): number;
  arrivals(count: number): Promise<void>;
  close(): Promise<void>;
}

/** Forks `INSTANCES` workers over one store; resolves when every one listens. */
export async function startCluster(store: { kind: "sqlite" | "postgres"; target: string }): Promise<Cluster> {
  let offset = 0;
  let seq = 0;
  let arrived = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  const mails: Array<Mail & { instance: string }> = [];
  const mailWaiters: Array<() => void> = [];
  const errors: string[] = [];
  const output: string[] = [];

  const children = Array.from({ length: INSTANCES }, (_, i) => {
    const name = `instance-${i + 1}`;
    const child = fork(
      WORKER,
      [
        JSON.stringify({
          name,
          store: store.kind,
          target: store.target,
          base: T0,
          secret: SECRET,
          issuer: ISSUER,
        }),
      ],
      // The Node of the test run (24: node:sqlite, type stripping not needed: dist is JavaScript).
      { execPath: process.execPath, stdio: ["ignore", "pipe", "pipe", "ipc"], execArgv: [] },
    );
    child.stdout?.on("data", (d: Buffer) => output.push(`[${name}] ${d}`));
    child.stderr?.on("data", (d: Buffer) => output.push(`[${name}] ${d}`));
    const ready = new Promise<Instance>((resolve, reject) => {
      child.once("exit", (code) =>
        reject(new Error(`${name} exited (${code}) before listening:\n${output.join("")}`)),
      );
      child.on("message", (message: WorkerMessage) => {
        if (message.type === "ready") {
          resolve({ name, baseUrl: `http://127.0.0.1:${message.port}`, process: child });
        } else if (message.type === "arrived") {
          arrived++;
          for (const w of waiters.filter((x) => x.count <= arrived)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
        } else if (message.type === "mail") {
          mails.push({ ...message.message, instance: message.instance });
          for (const wake of mailWaiters.splice(0)) wake();
        } else if (message.type === "error") {
          errors.push(`${message.instance}: ${message.message}`);
        } else if (message.type === "reply") {
          const waiter = pending.get(message.id);
          pending.delete(message.id);
          if (message.error) waiter?.reject(new Error(message.error));
          else waiter?.resolve(message);
        }
      });
    });
    return { child, ready };
  });

  let instances: Instance[];
  try {
    instances = await Promise.all(children.map((c) => c.ready));
  } catch (error) {
    for (const { child } of children) child.kill();
    throw error;
  }
  let closing = false;
  for (const instance of instances) {
    instance.process.once("exit", (code) => {
      if (!closing) errors.push(`${instance.name} exited (${code}) during the tests:\n${output.join("")}`);
    });
  }

  function ask(instance: Instance, command: Record<string, unknown>): Promise<Reply> {
    const id = ++seq;
    return new Promise<Reply>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      instance.process.send({ ...command, id });
    });
  }

  return {
    instances,
    now: () => T0 + offset,
    async advance(ms) {
      offset += ms;
      await Promise.all(instances.map((i) => ask(i, { op: "clock", offset })));
    },
    async verified() {
      const replies = await Promise.all(instances.map((i) => ask(i, { op: "stats" })));
      return replies.map((r) => r.verified ?? Number.NaN);
    },
    mails,
    async mail(match, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = mails.find(match);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no such mail within ${timeoutMs} ms (${mails.length} sent)`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          mailWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    errors,
    arrivedSoFar: () => arrived,
    arrivals(count) {
      if (arrived >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
    async close() {
      closing = true;
      await Promise.all(
        instances.map(async (instance) => {
          const exited = new Promise<void>((resolve) => {
            if (instance.process.exitCode !== null) resolve();
            else instance.process.once("exit", () => resolve());
          });
          try {
            await Promise.race([
              ask(instance, { op: "close" }),
              new Promise((_, reject) => setTimeout(() => reject(new Error("close timed out")), 5000)),
            ]);
          } catch {
            instance.process.kill();
          }
          await exited;
        }),
      );
    },
  };
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** The instance that answered. */
  instance: string;
}

async function answer(response: Response, instance: string): Promise<Answer> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  if (text !== "") {
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { text };
    }
  }
  return { status: response.status, body, instance };
}

/** One request, JSON body unless `form` is set. */
export async function call(
  instance: Instance,
  method: string,
  path: string,
  options: { json?: unknown; form?: Record<string, string>; token?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(options.form).toString();
  }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${instance.baseUrl}${path}`, { method, headers, body });
  return answer(response, instance.name);
}

/**
 * POSTs every request at once, spread round-robin over the instances (request i goes to
 * instance i mod 4). Each body's first character goes out with the request head and the rest
 * waits until every request has reached an instance's handler (counted across processes), so
 * the handlers run truly concurrently, in four processes.
 */
export async function together(
  cluster: Cluster,
  path: string,
  requests: Array<{ json?: unknown; form?: Record<string, string>; token?: string; instance?: number }>,
): Promise<Answer[]> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const encoder = new TextEncoder();
  const before = cluster.arrivedSoFar();
  const pending = requests.map((request, i) => {
    const instance = cluster.instances[(request.instance ?? i) % cluster.instances.length]!;
    const text =
      request.form !== undefined
        ? new URLSearchParams(request.form).toString()
        : JSON.stringify(request.json ?? {});
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(text.slice(0, 1)));
        void gate.then(() => {
          controller.enqueue(encoder.encode(text.slice(1)));
          controller.close();
        });
      },
    });
    return fetch(`${instance.baseUrl}${path}`, {
      method: "POST",
      headers: {
        "content-type": request.form !== undefined ? "application/x-www-form-urlencoded" : "application/json",
        ...(request.token === undefined ? {} : { authorization: `Bearer ${request.token}` }),
      },
      body: stream,
      duplex: "half",
    } as RequestInit & { duplex: "half" }).then((r) => answer(r, instance.name));
  });
  await cluster.arrivals(before + requests.length);
  release();
  return Promise.all(pending);
}

/** How many answers had each status, e.g. `{ 401: 4, 423: 96 }`. */
export function statuses(answers: Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}
