/**
 * The process around a command (streams, environment, signals), so that commands can be run in
 * a test; and reading a password without echo.
 *
 * @module
 */
import { CliError } from "./common";

/** What a command may touch of its process. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  /** One line (or lines) to standard output. */
  out(text: string): void;
  /** One line (or lines) to standard error. */
  err(text: string): void;
  stdin: NodeJS.ReadStream;
  /** Where a password prompt is written (standard error, so that standard output stays clean). */
  prompt: NodeJS.WriteStream;
  /** Registers a signal handler; returns its removal. */
  onSignal(signal: "SIGTERM" | "SIGINT", handler: () => void): () => void;
}

/** The real process. */
export function processIo(): CliIo {
  return {
    env: process.env,
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
    stdin: process.stdin,
    prompt: process.stderr,
    onSignal(signal, handler) {
      process.on(signal, handler);
      return () => void process.off(signal, handler);
    },
  };
}

/** Standard input to its end, less one final line break. */
export async function readStdin(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** What a terminal sent after the Enter that ended a question (a paste of two lines): the next one's. */
const typedAhead = new WeakMap<object, string>();

/**
 * Asks for a secret on the terminal without echoing it (raw mode; Enter ends, Backspace erases,
 * Ctrl-C or Ctrl-D cancels).
 *
 * @throws CliError when standard input is no terminal, or on cancel.
 */
export function askHidden(io: CliIo, question: string): Promise<string> {
  const input = io.stdin;
  if (!input.isTTY || typeof input.setRawMode !== "function") {
    return Promise.reject(
      new CliError(
        "tegata: no terminal to ask for the password on: give it on standard input with --password-stdin",
      ),
    );
  }
  io.prompt.write(question);
  input.setRawMode(true);
  input.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let value = "";
    let done = false;
    const finish = () => {
      done = true;
      input.off("data", take);
      input.setRawMode(false);
      input.pause();
      io.prompt.write("\n");
    };
    function take(chunk: string) {
      const chars = [...chunk];
      for (let i = 0; i < chars.length && !done; i++) {
        const ch = chars[i] as string;
        if (ch === "\r" || ch === "\n") {
          const rest = chars.slice(i + 1).join("");
          if (rest !== "") typedAhead.set(input, rest);
          finish();
          resolve(value);
        } else if (ch === "\u0003" || ch === "\u0004") {
          finish();
          reject(new CliError("tegata: cancelled", 130));
        } else if (ch === "\u007f" || ch === "\b") value = [...value].slice(0, -1).join("");
        else if (ch >= " ") value += ch;
      }
    }
    const ahead = typedAhead.get(input);
    typedAhead.delete(input);
    if (ahead !== undefined) take(ahead);
    if (!done) {
      input.on("data", take);
      input.resume();
    }
  });
}
