// Consumer test: pack tegata, install the tarball into an empty project, and use every subpath
// from ESM, CommonJS and TypeScript (moduleResolution node16 and bundler). Run: npm run test:consumer
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../..", import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const subpaths = Object.keys(pkg.exports).filter((k) => k !== "./package.json");
const specifiers = subpaths.map((s) => (s === "." ? "tegata" : `tegata/${s.slice(2)}`));
const work = mkdtempSync(join(tmpdir(), "tegata-consumer-"));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
let passed = 0;
let failed = 0;

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, npm_config_loglevel: "error" },
  });
}
function check(name, fn) {
  try {
    fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (error) {
    failed++;
    console.log(
      `FAIL ${name}\n${String(error.stdout ?? "")}${String(error.stderr ?? "")}${error.stdout ? "" : error.message}`,
    );
  }
}

try {
  const packed = JSON.parse(run(npm, ["pack", "--json", "--pack-destination", work], root));
  const tarball = join(work, packed[0].filename);
  console.log(
    `packed ${packed[0].filename}: ${packed[0].entryCount} files, ${(packed[0].size / 1024).toFixed(1)} kB`,
  );
  const app = join(work, "app");
  execFileSync("mkdir", ["-p", app]);
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "commonjs" }),
  );
  run(npm, ["install", "--no-audit", "--no-fund", tarball, "msw@3", "typescript@5", "@types/node@24"], app);

  const known = {
    tegata: "createAuthClient",
    "tegata/credentials": "signIn",
    "tegata/session": "getAccessToken",
    "tegata/oauth": "createAuthorizationUrl",
    "tegata/history": "listLoginHistory",
    "tegata/server": "verifyAccessToken",
    "tegata/mock": "createMockAuth",
    "tegata/totp": "verifyTotp",
    "tegata/password": "validatePassword",
  };
  const esm = specifiers
    .map(
      (s, i) =>
        `import * as m${i} from "${s}";\nif (Object.keys(m${i}).length === 0) throw new Error("${s}: no exports");\n${known[s] ? `if (typeof m${i}.${known[s]} !== "function") throw new Error("${s}: no ${known[s]}");` : ""}`,
    )
    .join("\n");
  writeFileSync(join(app, "esm.mjs"), `${esm}\nconsole.log("esm ok");\n`);
  const cjs = specifiers
    .map(
      (s, i) =>
        `const m${i} = require("${s}");\nif (Object.keys(m${i}).length === 0) throw new Error("${s}: no exports");\n${known[s] ? `if (typeof m${i}.${known[s]} !== "function") throw new Error("${s}: no ${known[s]}");` : ""}`,
    )
    .join("\n");
  writeFileSync(join(app, "cjs.cjs"), `${cjs}\nconsole.log("cjs ok");\n`);
  check("import every subpath from ESM", () => run(process.execPath, ["esm.mjs"], app));
  check("require every subpath from CommonJS", () => run(process.execPath, ["cjs.cjs"], app));

  const typed = `import { type AuthClient, createAuthClient, isTegataError, type Session } from "tegata";
import { signIn } from "tegata/credentials";
${specifiers
  .filter((s) => s !== "tegata")
  .map((s, i) => `import * as t${i} from "${s}";\nvoid t${i};`)
  .join("\n")}
const auth: AuthClient = createAuthClient({ baseUrl: "https://auth.example.com" });
const pending: Promise<{ status: "signed_in"; session: Session } | { status: "mfa_required"; challenge: { id: string } }> = signIn(auth, { email: "a@example.com", password: "x" });
void pending;
const maybe: unknown = new Error("x");
if (isTegataError(maybe, "account_locked")) { const code: string = maybe.code; void code; }
// @ts-expect-error: signIn needs a password
signIn(auth, { email: "a@example.com" });
`;
  writeFileSync(join(app, "node16.mts"), typed);
  writeFileSync(join(app, "node16-cjs.cts"), typed);
  writeFileSync(join(app, "bundler.ts"), typed);
  const tsc = join(app, "node_modules", "typescript", "bin", "tsc");
  const common = [
    "--noEmit",
    "--strict",
    "--skipLibCheck",
    "false",
    "--types",
    "node",
    "--target",
    "es2022",
    "--lib",
    "es2023,dom",
  ];
  check("types with module/moduleResolution node16 (an ESM file)", () =>
    run(
      process.execPath,
      [tsc, ...common, "--module", "node16", "--moduleResolution", "node16", "node16.mts"],
      app,
    ),
  );
  // ky 2, jose 6 and msw 3 are ESM-only: a CommonJS file can require() them on Node >= 22
  // (require(esm)), which TypeScript models from module "node20" on (TypeScript >= 5.9).
  check("types with module/moduleResolution node20 (a CommonJS file)", () =>
    run(
      process.execPath,
      [tsc, ...common, "--module", "node20", "--moduleResolution", "node16", "node16-cjs.cts"],
      app,
    ),
  );
  check("types with moduleResolution bundler", () =>
    run(
      process.execPath,
      [tsc, ...common, "--module", "esnext", "--moduleResolution", "bundler", "bundler.ts"],
      app,
    ),
  );
} catch (error) {
  failed++;
  console.log(`FAIL setup\n${String(error.stdout ?? "")}${String(error.stderr ?? error.message)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
