/**
 * An SMTP server in the test process (smtp-server on 127.0.0.1:<free port>, no TLS, AUTH
 * optional), keeping every message it accepts: its envelope, its raw data (to assert on headers
 * byte for byte) and its parse (mailparser). It can refuse for a while: a 421 greeting, a 451 to
 * each MAIL FROM, or a connection closed without a word.
 */
import type { AddressInfo, Socket } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/** One accepted message. */
export interface ReceivedMail {
  /** The envelope: MAIL FROM and RCPT TO, as the client sent them. */
  envelope: { from: string; to: string[] };
  /** The DATA as received (headers and body, CRLF line ends). */
  raw: string;
  parsed: ParsedMail;
  /** When the DATA was complete (performance.now()). */
  at: number;
}

/** How the server refuses while `refuse` is set. */
export type SmtpRefusal = "421" | "451" | "close";

export interface SmtpHarness {
  /** `smtp://127.0.0.1:<port>` (with `user:pass@` when the server asks for AUTH). */
  url: string;
  port: number;
  /** Every accepted message, in arrival order. */
  readonly messages: ReceivedMail[];
  /** How many connections were refused so far. */
  refusals(): number;
  /** Refuse from now on (or accept again with `null`). */
  refuse(mode: SmtpRefusal | null): void;
  /** Resolves once `count` messages (in all) have been accepted; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** Starts the SMTP server. `auth`: the only credentials it accepts (then AUTH is required). */
export async function startSmtp(
  options: { auth?: { user: string; pass: string } } = {},
): Promise<SmtpHarness> {
  const messages: ReceivedMail[] = [];
  let mode: SmtpRefusal | null = null;
  let refused = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const arrived = () => {
    for (const w of waiters.filter((x) => x.count <= messages.length)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const fail = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

  const server = new SMTPServer({
    secure: false,
    disabledCommands: options.auth ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    authOptional: options.auth === undefined,
    allowInsecureAuth: true,
    logger: false,
    size: 10 * 1024 * 1024,
    onConnect(_session, callback) {
      if (mode === "421") {
        refused++;
        return callback(fail(421, "Service not available, try again later"));
      }
      callback();
    },
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        return callback(null, { user: auth.username });
      }
      callback(fail(535, "Authentication failed"));
    },
    onMailFrom(_address, _session, callback) {
      if (mode === "451") {
        refused++;
        return callback(fail(451, "Local error, try again later"));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        simpleParser(raw).then(
          (parsed) => {
            messages.push({
              envelope: {
                from: session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              raw,
              parsed,
              at: performance.now(),
            });
            callback();
            arrived();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  // "close": the connection ends before the greeting.
  const sockets = new Set<Socket>();
  const net = (server as unknown as { server: import("node:net").Server }).server;
  net.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    if (mode === "close") {
      refused++;
      socket.destroy();
    }
  });
  server.on("error", () => {}); // a client that vanished: nothing to do
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (net.address() as AddressInfo).port;
  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@`
    : "";
  return {
    url: `smtp://${credentials}127.0.0.1:${port}`,
    port,
    messages,
    refusals: () => refused,
    refuse(next) {
      mode = next;
    },
    waitFor(count, timeoutMs = 10_000) {
      if (messages.length >= count) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`smtp harness: ${messages.length} of ${count} messages after ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(messages);
          },
        });
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
