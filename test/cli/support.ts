/**
 * Running the `tegata` command in tests: the CLI's sources bundled once per test file with
 * esbuild (tegata's own modules from src/, so the tests never run a stale dist/; its dependencies
 * from node_modules), child processes over real HTTP, and a fake process for running commands in
 * this one.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { CliIo } from "../../src/cli/io";
import { MIGRATIONS } from "../../src/server/store/sql/schema";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const SECRET = "a test secret of at least thirty-two bytes, not for production";
export const ISSUER = "http://tegata.test";
export const PASSWORD = "correct horse battery staple";

let bundled: Promise<string> | undefined;

/**
 * The CLI as one ESM file under test-output/ (inside the repository, so that its bare imports
 * resolve to node_modules). Built once per test file; removed by {@link cleanup}.
 */
export function cliPath(): Promise<string> {
  bundled ??= (async () => {
    mkdirSync(join(ROOT, "test-output"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, "test-output", "cli-"));
    const outfile = join(dir, "tegata.mjs");
    await build({
      entryPoints: [join(ROOT, "src/cli/index.ts")],
      outfile,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node22",
      packages: "external",
      alias: { tegata: join(ROOT, "src") },
      logLevel: "error",
    });
    return outfile;
  })();
  return bundled;
}

const children = new Set<ChildProcess>();
const temporary: string[] = [];

/** A temporary folder, removed by {@link cleanup}. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tegata-cli-"));
  temporary.push(dir);
  return dir;
}

/** Kills what is still running (a failed test) and removes the temporary files. */
export async function cleanup(): Promise<void> {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
  const built = bundled;
  bundled = undefined;
  if (built) rmSync(join(await built, ".."), { recursive: true, force: true });
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end. */
export async function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const child = spawn(process.execPath, [await cliPath(), ...args], {
    env: { ...process.env, TEGATA_SECRET: SECRET, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  child.stdin.end(options.input ?? "");
  return new Promise<Run>((resolve) => {
    child.once("close", (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  /** Where it listens: `http://127.0.0.1:<port>`. */
  url: string;
  /** Standard output so far, by line. */
  lines(): string[];
  stderr(): string;
  /** Resolves with the first line (present or future) matching `pattern`. */
  waitForLine(pattern: RegExp): Promise<string>;
  /** Sends `signal` and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** How the process ended (pending while it runs). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `tegata serve` on a free port of 127.0.0.1 with `args`; resolves once it prints where it
 * listens and answers /health.
 */
export async function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [await cliPath(), "serve", "--port", "0", ...args], {
    env: { ...process.env, TEGATA_SECRET: SECRET, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const out: string[] = [];
  let partial = "";
  let err = "";
  const watchers: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      out.push(line);
      for (const w of watchers.filter((x) => x.pattern.test(line))) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  const waitForLine = (pattern: RegExp) => {
    const seen = out.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      watchers.push({ pattern, resolve });
      exited.then(({ code, signal }) =>
        reject(
          new Error(
            `tegata serve ended (${code ?? signal}) before printing ${pattern}:\n${out.join("\n")}\n${err}`,
          ),
        ),
      );
    });
  };
  const listening = await waitForLine(/listening on http:\/\//);
  const url = /listening on (http:\/\/\S+)/.exec(listening)?.[1] as string;
  // Ready means answering: poll /health (the only wait on real time, for the process to start).
  for (let attempt = 0; ; attempt++) {
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (attempt > 200) throw new Error(`tegata serve at ${url} never answered /health`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    child,
    url,
    lines: () => [...out],
    stderr: () => err,
    waitForLine,
    stop(signal = "SIGTERM") {
      child.kill(signal);
      return exited;
    },
    exited,
  };
}

/** A fake process for running `main` in this one. */
export function fakeIo(options: { env?: NodeJS.ProcessEnv; input?: string; tty?: boolean } = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean; setRawMode?: (raw: boolean) => void };
  if (options.tty) {
    stdin.isTTY = true;
    stdin.setRawMode = () => {};
  }
  if (options.input !== undefined) {
    if (options.tty) stdin.write(options.input);
    else stdin.end(options.input);
  } else if (!options.tty) stdin.end();
  const prompt = new PassThrough();
  let prompted = "";
  prompt.on("data", (chunk) => {
    prompted += chunk;
  });
  const io: CliIo = {
    env: { TEGATA_SECRET: SECRET, ...options.env },
    out: (text) => void stdout.push(text),
    err: (text) => void stderr.push(text),
    stdin: stdin as unknown as NodeJS.ReadStream,
    prompt: prompt as unknown as NodeJS.WriteStream,
    onSignal: () => () => {},
  };
  return {
    io,
    stdout: () => stdout.join("\n"),
    stderr: () => stderr.join("\n"),
    prompted: () => prompted,
  };
}

/** JSON request helper: `{ status, body }`. */
export async function call(
  url: string,
  path: string,
  init: { method?: string; json?: unknown; form?: Record<string, string>; token?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (init.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.json);
  }
  if (init.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(init.form).toString();
  }
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${url}${path}`, {
    method: init.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** Every schema migration's version, as the CLI lists them ("1, 2, 3"). */
export const ALL_MIGRATIONS = MIGRATIONS.map((m) => m.version).join(", ");
