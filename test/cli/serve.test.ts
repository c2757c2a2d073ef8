/**
 * `tegata serve` as a child process over real HTTP: what it prints, the request log (no query
 * string, no token, no body), --trust-proxy, --dev, and the graceful shutdown (a request in
 * flight at SIGTERM completes with 200, new connections are refused, exit code 0).
 */
import { request } from "node:http";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ALL_MIGRATIONS, call, cleanup, PASSWORD, startServe, tempDir } from "./support";

afterAll(cleanup);
// Child processes: generous under a loaded CI machine (nothing here waits on the clock).
vi.setConfig({ testTimeout: 30_000 });

describe("tegata serve", () => {
  it("prints where it listens, logs one line per request without query strings, tokens or bodies", async () => {
    const db = join(tempDir(), "auth.sqlite");
    const server = await startServe(["--db", db, "--trust-proxy"]);
    expect(server.lines().slice(0, 4)).toEqual([
      expect.stringMatching(/^tegata \d+\.\d+\.\d+\S*: auth server listening on http:\/\/127\.0\.0\.1:\d+$/),
      `  issuer:   ${server.url} (give --issuer the URL clients use)`,
      `  database: SQLite ${db} (schema migrations applied: ${ALL_MIGRATIONS})`,
      "  client IPs from X-Forwarded-For (--trust-proxy)",
    ]);

    const signUp = await fetch(`${server.url}/auth/sign-up`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.9" },
      body: JSON.stringify({ email: "hanako@example.jp", password: PASSWORD }),
    });
    expect(signUp.status).toBe(201);
    const { access_token: token } = (await signUp.json()) as { access_token: string };
    const history = await call(server.url, "/auth/history?limit=5&cursor=att_SECRETCURSOR", { token });
    expect(history.status).toBe(400);
    const page = await call(server.url, "/auth/history?limit=5", { token });
    expect((page.body.items as Array<{ ip: string }>)[0]?.ip).toBe("203.0.113.9");
    expect((await call(server.url, "/no/such/path?x=1")).status).toBe(404);

    expect(await server.stop()).toEqual({ code: 0, signal: null });
    const log = server.lines().filter((line) => /^[A-Z]+ \//.test(line));
    expect(log).toEqual([
      expect.stringMatching(/^GET \/health 200 \d+ms$/),
      expect.stringMatching(/^POST \/auth\/sign-up 201 \d+ms$/),
      expect.stringMatching(/^GET \/auth\/history 400 \d+ms$/),
      expect.stringMatching(/^GET \/auth\/history 200 \d+ms$/),
      expect.stringMatching(/^GET \/no\/such\/path 404 \d+ms$/),
    ]);
    const everything = server.lines().join("\n") + server.stderr();
    for (const secret of [token, PASSWORD, "SECRETCURSOR", "hanako@example.jp"]) {
      expect(everything).not.toContain(secret);
    }
    expect(server.lines().slice(-2)).toEqual(["tegata: SIGTERM: shutting down", "tegata: stopped"]);
  });

  it("--dev without TEGATA_SECRET: a random secret and the memory store, both said; X-Forwarded-For ignored", async () => {
    const server = await startServe(["--dev"], { TEGATA_SECRET: "" });
    expect(server.lines().slice(0, 2)).toEqual([
      expect.stringMatching(/^dev mode: TEGATA_SECRET is not set, so this run uses a random secret/),
      "dev mode: memory store, nothing survives a restart (give --db FILE to keep the data)",
    ]);
    expect(server.lines()).toContain("  database: memory (nothing survives a restart)");
    const signUp = await fetch(`${server.url}/auth/sign-up`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.9" },
      body: JSON.stringify({ email: "hanako@example.jp", password: PASSWORD }),
    });
    const { access_token: token } = (await signUp.json()) as { access_token: string };
    const page = await call(server.url, "/auth/history", { token });
    expect((page.body.items as Array<{ ip: string }>)[0]?.ip).toBe("127.0.0.1");
    expect(await server.stop("SIGINT")).toEqual({ code: 0, signal: null });
  });

  it("SIGTERM with a request in flight: it completes with 200, new connections are refused, exit code 0", async () => {
    const server = await startServe(["--db", join(tempDir(), "auth.sqlite")]);
    expect(
      (await call(server.url, "/auth/sign-up", { json: { email: "taro@example.jp", password: PASSWORD } }))
        .status,
    ).toBe(201);
    const { hostname, port } = new URL(server.url);
    const body = JSON.stringify({ email: "taro@example.jp", password: PASSWORD });
    // Expect: 100-continue: the server's "continue" says it has the request; its body follows
    // only after the shutdown has begun.
    const inFlight = request({
      host: hostname,
      port,
      method: "POST",
      path: "/auth/sign-in",
      agent: false,
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        expect: "100-continue",
      },
    });
    const answered = new Promise<{ status: number; connection: string | undefined; body: string }>(
      (resolve, reject) => {
        inFlight.on("response", (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (chunk) => {
            text += chunk;
          });
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }),
          );
        });
        inFlight.on("error", reject);
      },
    );
    const continued = new Promise<void>((resolve) => inFlight.once("continue", () => resolve()));
    inFlight.flushHeaders();
    await continued;

    server.child.kill("SIGTERM");
    await server.waitForLine(/^tegata: SIGTERM: shutting down, finishing 1 request in flight$/);
    // No new connection is accepted any more.
    const refused = await new Promise<string>((resolve) => {
      const probe = request({ host: hostname, port, path: "/health", agent: false }, (res) => {
        res.resume();
        resolve(`answered ${res.statusCode}`);
      });
      probe.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      probe.end();
    });
    expect(refused).toBe("ECONNREFUSED");

    inFlight.end(body);
    const response = await answered;
    expect(response.status).toBe(200);
    expect(response.connection).toBe("close");
    expect(JSON.parse(response.body)).toMatchObject({ status: "signed_in", token_type: "Bearer" });
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.lines()).toContainEqual(expect.stringMatching(/^POST \/auth\/sign-in 200 \d+ms$/));
    expect(server.lines().at(-1)).toBe("tegata: stopped");
  });
});
