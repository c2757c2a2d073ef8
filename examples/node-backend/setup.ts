// What `npm run example:node` decides before it starts: the mode, the auth server's secret, the
// demo user and the curl steps it prints. No I/O here, so that the tests can check every branch.
import { randomBytes } from "node:crypto";

/** The user created in dev mode only (`--dev` or `NODE_ENV=development`), and printed. */
export const demoUser = { email: "dev@example.com", password: "correct horse battery", name: "Dev" };

/** The shortest secret `createAuthServer` accepts, in bytes (UTF-8). */
export const MIN_SECRET_BYTES = 32;

/** Dev mode: `--dev` on the command line or `NODE_ENV=development`. */
export function isDevMode(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return argv.includes("--dev") || env.NODE_ENV === "development";
}

/** The outcome of {@link readAuthSecret}: a secret to use (and a line to print, if any), or why not. */
export type AuthSecretResult =
  | { ok: true; secret: string; generated: boolean; notice?: string }
  | { ok: false; message: string };

/**
 * The auth server's secret from `AUTH_SECRET`: at least 32 bytes, or start-up is refused with a
 * message saying how to make one. In dev mode a missing or short secret is replaced by a random
 * one for this run, and `notice` says so (whatever it sealed is lost at exit; with the memory
 * store, so is everything else).
 */
export function readAuthSecret(options: {
  value: string | undefined;
  dev: boolean;
  /** Makes the random secret of dev mode. Default: 32 random bytes, base64url. */
  random?: () => string;
}): AuthSecretResult {
  const bytes = options.value === undefined ? 0 : new TextEncoder().encode(options.value).length;
  if (options.value !== undefined && bytes >= MIN_SECRET_BYTES) {
    return { ok: true, secret: options.value, generated: false };
  }
  const problem =
    options.value === undefined || bytes === 0
      ? "AUTH_SECRET is not set"
      : `AUTH_SECRET is ${bytes} byte(s); it needs at least ${MIN_SECRET_BYTES}`;
  if (options.dev) {
    const secret = (options.random ?? (() => randomBytes(32).toString("base64url")))();
    return {
      ok: true,
      secret,
      generated: true,
      notice: `dev mode: ${problem}, so a random secret was generated for this run (keys sealed with it do not outlive the process).`,
    };
  }
  return {
    ok: false,
    message:
      `${problem}. The auth server seals its signing keys and TOTP secrets with it: ` +
      `set it to at least ${MIN_SECRET_BYTES} random bytes, kept out of the code and the database, e.g.\n` +
      `  AUTH_SECRET="$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')" npm run example:node\n` +
      "or try it in dev mode (a throwaway secret and a demo user):\n" +
      "  npm run example:node -- --dev",
  };
}

/**
 * The curl steps printed at start-up for the combined server at `baseUrl`: sign in as `user` (dev
 * mode) or sign up, call the API with the bearer token, refresh, and see the 401 without a token.
 */
export function curlSteps(baseUrl: string, user?: { email: string; password: string }): string {
  const field = (name: string) => `node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).${name}'`;
  const first = user
    ? [
        `# sign in as ${user.email} (password "${user.password}")`,
        `SESSION=$(curl -s ${baseUrl}/auth/sign-in -H 'content-type: application/json' \\`,
        `  -d '${JSON.stringify({ email: user.email, password: user.password })}')`,
      ]
    : [
        "# sign up (any address; the password must pass presets.nist)",
        `SESSION=$(curl -s ${baseUrl}/auth/sign-up -H 'content-type: application/json' \\`,
        `  -d '${JSON.stringify({ email: "you@example.com", password: "a calm purple lighthouse" })}')`,
      ];
  return [
    ...first,
    `TOKEN=$(echo "$SESSION" | ${field("access_token")})`,
    `REFRESH=$(echo "$SESSION" | ${field("refresh_token")})`,
    "",
    "# call the API with the access token",
    `curl -s ${baseUrl}/api/me -H "authorization: Bearer $TOKEN"`,
    `curl -s ${baseUrl}/api/notes -H "authorization: Bearer $TOKEN" \\`,
    `  -H 'content-type: application/json' -d '{"text":"buy matcha"}'`,
    "",
    "# refresh: a new access token and a new refresh token (the old one is spent)",
    `SESSION=$(curl -s ${baseUrl}/oauth/token -d grant_type=refresh_token --data-urlencode "refresh_token=$REFRESH")`,
    `TOKEN=$(echo "$SESSION" | ${field("access_token")})`,
    `curl -s ${baseUrl}/api/notes -H "authorization: Bearer $TOKEN"`,
    "",
    "# no token: 401",
    `curl -s -i ${baseUrl}/api/me`,
  ].join("\n");
}
