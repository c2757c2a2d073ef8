/**
 * The bridge between `node:http` and a web-standard `fetch` handler, with a request log and a
 * graceful close. Small on purpose: the auth server answers short JSON bodies, so a body that
 * ends within two reads goes out in one write with a `Content-Length`; anything longer streams
 * with backpressure.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the handler learns of a request beyond the `Request` itself. */
export interface RequestInfo {
  remoteAddress?: string;
}

/** Options of {@link listen}. */
export interface ListenOptions {
  host: string;
  port: number;
  handle(request: Request, info: RequestInfo): Promise<Response>;
  /** Receives one line per request (method, path without the query, status, ms). */
  log?: (line: string) => void;
  /** Receives failures of the bridge itself (the handler's own are its business). */
  onError?: (error: unknown) => void;
}

/** A listening server. */
export interface Listener {
  /** `http://host:port` as it was bound (an IPv6 host in brackets). */
  readonly url: string;
  readonly port: number;
  /** Requests being answered now. */
  inFlight(): number;
  /**
   * Stops accepting connections, lets the requests in flight finish (each answered with
   * `Connection: close`) and resolves once every connection has ended; after `graceMs` the
   * remaining connections are cut (`forced: true`).
   */
  close(graceMs: number): Promise<{ forced: boolean }>;
}

/** The path of a request as it is logged: no query string (it may carry a token), at most 200 characters. */
export function loggedPath(url: string | undefined): string {
  const raw = url ?? "/";
  let path: string;
  try {
    path = new URL(raw.startsWith("/") ? `http://x${raw}` : raw).pathname;
  } catch {
    path = raw.split(/[?#]/, 1)[0] ?? "/";
  }
  // The request line holds no spaces or controls, but be sure of one line per request.
  path = path.replace(/[\s\p{Cc}]/gu, (c) => encodeURIComponent(c));
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

/** `::ffff:127.0.0.1` (an IPv4 client of a dual-stack socket) is `127.0.0.1`. */
function plainAddress(address: string | undefined): string | undefined {
  return address?.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

function requestUrl(req: IncomingMessage): string {
  const target = req.url ?? "/";
  // Absolute form (sent to proxies): taken as it is.
  if (!target.startsWith("/")) {
    try {
      return new URL(target).href;
    } catch {
      return "http://localhost/";
    }
  }
  // Concatenated, never resolved: "//evil/x" stays a path on this host.
  try {
    return new URL(`http://${req.headers.host ?? "localhost"}${target}`).href;
  } catch {
    return new URL(`http://localhost${target}`).href;
  }
}

/** The request body as a web stream that pauses the socket when nobody reads. */
function bodyOf(req: IncomingMessage): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.on("data", (chunk: Buffer) => {
          if (settled) return;
          controller.enqueue(new Uint8Array(chunk));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.once("end", () => {
          if (settled) return;
          settled = true;
          controller.close();
        });
        const fail = (error: Error) => {
          if (settled) return;
          settled = true;
          controller.error(error);
        };
        req.once("error", fail);
        req.once("close", () => {
          if (!req.complete) fail(new Error("the client closed the connection before the body ended"));
        });
      },
      pull() {
        req.resume();
      },
      cancel() {
        // The handler has read enough (a body over its limit): discard the rest.
        settled = true;
        req.resume();
      },
    },
    { highWaterMark: 4 },
  );
}

function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.startsWith(":")) continue;
    try {
      headers.append(name, raw[i + 1] as string);
    } catch {
      // A header value fetch refuses (a control character): dropped, as a proxy would.
    }
  }
  const method = req.method ?? "GET";
  const init: RequestInit & { duplex?: "half" } = { method, headers, signal };
  if (method !== "GET" && method !== "HEAD") {
    init.body = bodyOf(req);
    init.duplex = "half";
  }
  return new Request(requestUrl(req), init);
}

const INTERNAL_ERROR = JSON.stringify({
  type: "about:blank",
  title: "Internal server error",
  status: 500,
  code: "internal_error",
});

async function writeResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
  closing: boolean,
): Promise<void> {
  const body = response.body;
  if (res.destroyed) {
    await body?.cancel().catch(() => {});
    return;
  }
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  // Shutting down, or a body left unread: this connection takes no further request.
  if (closing || !req.complete) res.setHeader("connection", "close");
  const bodyless =
    body === null || req.method === "HEAD" || response.status === 204 || response.status === 304;
  if (bodyless) {
    await body?.cancel().catch(() => {});
    res.writeHead(response.status, response.statusText || undefined);
    res.end();
    return;
  }
  const reader = body.getReader();
  try {
    const first = await reader.read();
    const second = first.done ? first : await reader.read();
    if (second.done) {
      const bytes = first.done ? new Uint8Array(0) : first.value;
      if (!res.hasHeader("content-length")) res.setHeader("content-length", bytes.byteLength);
      res.writeHead(response.status, response.statusText || undefined);
      res.end(bytes);
      return;
    }
    res.writeHead(response.status, response.statusText || undefined);
    let chunk: ReadableStreamReadResult<Uint8Array> = first;
    let next: ReadableStreamReadResult<Uint8Array> | null = second;
    for (;;) {
      if (chunk.done) break;
      if (!res.write(chunk.value)) {
        await new Promise<void>((resolve) => {
          res.once("drain", resolve);
          res.once("close", resolve);
        });
      }
      if (res.destroyed) {
        await reader.cancel().catch(() => {});
        return;
      }
      chunk = next ?? (await reader.read());
      next = null;
    }
    res.end();
  } catch (error) {
    // The body failed while streaming: nothing sensible can follow its first bytes.
    await reader.cancel().catch(() => {});
    if (!res.headersSent) {
      res.writeHead(500, { "content-type": "application/problem+json" }).end(INTERNAL_ERROR);
    } else res.destroy(error as Error);
  }
}

/**
 * Serves `handle` over `node:http` on `host:port` (port 0: a free one).
 *
 * @throws the listen error (`EADDRINUSE`, `EACCES`…).
 */
export async function listen(options: ListenOptions): Promise<Listener> {
  const { handle, log, onError = (error) => console.error("tegata: request failed", error) } = options;
  const server: Server = createServer();
  let inFlight = 0;
  let closing = false;
  let settle: (() => void) | null = null;

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    const started = performance.now();
    const controller = new AbortController();
    res.once("close", () => {
      inFlight--;
      if (!res.writableFinished) controller.abort();
      if (log) {
        const ms = Math.round(performance.now() - started);
        const status = res.headersSent ? String(res.statusCode) : "-";
        log(
          `${req.method} ${loggedPath(req.url)} ${status} ${ms}ms${res.writableFinished ? "" : " (client gone)"}`,
        );
      }
      if (closing) {
        server.closeIdleConnections();
        if (inFlight === 0) settle?.();
      }
    });
    void (async () => {
      let response: Response;
      try {
        response = await handle(toRequest(req, controller.signal), {
          remoteAddress: plainAddress(req.socket.remoteAddress),
        });
      } catch (error) {
        onError(error);
        response = new Response(INTERNAL_ERROR, {
          status: 500,
          headers: { "content-type": "application/problem+json", "cache-control": "no-store" },
        });
      }
      try {
        await writeResponse(req, res, response, closing);
      } catch (error) {
        onError(error);
        res.destroy();
      }
    })();
  });
  // A malformed request line or header: Node answers 400 (431, 408…) and closes; never a crash.

  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once("error", failed);
    server.listen(options.port, options.host, () => {
      server.off("error", failed);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    inFlight: () => inFlight,
    close(graceMs) {
      closing = true;
      const ended = new Promise<void>((resolve) => server.close(() => resolve()));
      const drained = new Promise<void>((resolve) => {
        settle = resolve;
        if (inFlight === 0) resolve();
      });
      server.closeIdleConnections();
      let forced = false;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          forced = true;
          server.closeAllConnections();
          resolve();
        }, graceMs);
      });
      return Promise.race([Promise.all([ended, drained]).then(() => undefined), deadline])
        .then(() => (forced ? ended : undefined))
        .then(() => {
          clearTimeout(timer);
          return { forced };
        });
    },
  };
}
