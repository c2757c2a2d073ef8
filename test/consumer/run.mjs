// Consumer test: pack tegata, install the tarball (plus msw 3 and TypeScript 5) into an empty
// project, then use every subpath export from ESM, CommonJS and TypeScript (node16 and bundler).
// The pack follows `npm run demo`, which leaves dist/ built without type declarations: the
// tarball must carry every subpath's .d.ts and .d.cts all the same (the prepack script builds).
// Run: npm run test:consumer (Node 24), npm run test:consumer:node22 (the same on Node 22); the
// checks of the installed package run on the Node that runs this script.
// Dependency-free (node: built-ins only); needs only the npm registry. Exit code 1 on any failure.
// TEGATA_CONSUMER_SKIP_DEMO=1 packs without running the demo first.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const subpaths = Object.keys(pkg.exports ?? { ".": pkg.main }).filter((s) => s !== "./package.json");
const spec = (s) => (s === "." ? pkg.name : `${pkg.name}/${s.replace(/^\.\//, "")}`);

// A few names each subpath is known to export; checked when the subpath exists. Every subpath,
// known or not, must also expose at least one export.
const known = {
  ".": "createAuthClient",
  "./credentials": "signIn",
  "./session": "getAccessToken",
  "./oauth": "createAuthorizationUrl",
  "./history": "listLoginHistory",
  "./server": "verifyAccessToken",
  "./mock": "createMockAuth",
};

// Child npm processes must not inherit the script context of `npm run` (local prefix, package
// fields, lifecycle): they act on the temporary project only.
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => !/^npm_(package_|lifecycle_|command$|config_local_prefix$|config_call$|config_yes$)/i.test(k),
  ),
);
childEnv.npm_config_update_notifier = "false";
childEnv.npm_config_fund = "false";
childEnv.npm_config_audit = "false";

const npmCli = process.env.npm_execpath;
const npmCmd =
  npmCli && /\.c?js$/.test(npmCli) && existsSync(npmCli)
    ? [process.execPath, [npmCli]]
    : [process.platform === "win32" ? "npm.cmd" : "npm", []];

function exec(cmd, args, cwd, timeout = 90_000) {
  const r = spawnSync(cmd, args, {
    cwd,
    env: childEnv,
    encoding: "utf8",
    timeout,
    maxBuffer: 64 * 1024 * 1024,
    shell: process.platform === "win32" && cmd.endsWith(".cmd"),
  });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit code ${r.status}`;
    const err = new Error(`${[cmd, ...args].join(" ")} failed (${why})`);
    err.output = output;
    throw err;
  }
  return { stdout: r.stdout, output };
}
const npm = (args, cwd, timeout) => exec(npmCmd[0], [...npmCmd[1], ...args], cwd, timeout);
const node = (args, cwd) => exec(process.execPath, args, cwd);

let passed = 0;
let failed = 0;
const indent = (text) =>
  text
    .trimEnd()
    .split("\n")
    .map((l) => `     ${l}`)
    .join("\n");
function check(name, fn) {
  const started = Date.now();
  try {
    const note = fn();
    passed++;
    console.log(`ok   ${name}${note ? ` (${note})` : ""} [${((Date.now() - started) / 1000).toFixed(1)}s]`);
    return true;
  } catch (error) {
    failed++;
    console.log(`FAIL ${name} [${((Date.now() - started) / 1000).toFixed(1)}s]`);
    console.log(indent(`${error.message}\n${error.output ?? ""}`));
    return false;
  }
}

const work = mkdtempSync(join(tmpdir(), "tegata-consumer-"));
const app = join(work, "app");
// TEGATA_CONSUMER_KEEP=1 keeps the temporary project for debugging.
const cleanup = () =>
  process.env.TEGATA_CONSUMER_KEEP
    ? console.log(`kept ${work}`)
    : rmSync(work, { recursive: true, force: true });
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

const skipDemo = Boolean(process.env.TEGATA_CONSUMER_SKIP_DEMO);
const checks = skipDemo ? 8 : 9;
try {
  console.log(`${pkg.name}@${pkg.version}: subpaths ${subpaths.join(" ")}; node ${process.version}`);

  // The sequence of issue 11, point 15: the demo builds dist/ with --no-dts, then `npm pack`.
  if (!skipDemo) {
    check("npm run demo first (it builds dist/ without type declarations)", () => {
      npm(["run", "demo"], root, 180_000);
      const declarations = countDeclarations(join(root, "dist"));
      return `dist/ then held ${declarations} declaration file(s)`;
    });
  }

  let tarball;
  let packedFiles;
  const packed = check("npm pack (its prepack script runs the full build)", () => {
    const { stdout } = npm(["pack", "--json", "--pack-destination", work], root, 180_000);
    // The prepack build logs to stdout too; npm's JSON report is the part from a line "[" on.
    const start = stdout.search(/^\[\s*$/m);
    if (start < 0) throw Object.assign(new Error("no JSON report from npm pack"), { output: stdout });
    const info = JSON.parse(stdout.slice(start))[0];
    tarball = join(work, info.filename);
    packedFiles = new Map(info.files.map((f) => [f.path, f.size]));
    const missing = [];
    for (const s of subpaths) {
      for (const target of collectTargets(pkg.exports[s])) {
        if (!packedFiles.has(target.replace(/^\.\//, ""))) missing.push(`${s} -> ${target}`);
      }
    }
    if (missing.length) throw new Error(`export targets missing from the tarball:\n${missing.join("\n")}`);
    return `${info.filename}, ${info.entryCount} files, ${(info.size / 1024).toFixed(1)} kB`;
  });

  const typed =
    packed &&
    check("the tarball carries .d.ts and .d.cts for every subpath", () => {
      const problems = [];
      let count = 0;
      for (const s of subpaths) {
        const targets = collectTypes(pkg.exports[s]);
        for (const ext of [".d.ts", ".d.cts"]) {
          const own = targets.filter((t) => t.endsWith(ext));
          if (own.length === 0) problems.push(`${s}: package.json names no ${ext}`);
          for (const t of own) {
            const size = packedFiles.get(t.replace(/^\.\//, ""));
            if (size === undefined) problems.push(`${s}: ${t} is not in the tarball`);
            else if (size === 0) problems.push(`${s}: ${t} is empty`);
            else count++;
          }
        }
      }
      if (problems.length) throw new Error(problems.join("\n"));
      return `${count} declaration files for ${subpaths.length} subpaths`;
    });

  const installed =
    typed &&
    check("npm install tarball + msw@3 + typescript@^5", () => {
      mkdirSync(app);
      writeFileSync(
        join(app, "package.json"),
        `${JSON.stringify({ name: "tegata-consumer", version: "0.0.0", private: true }, null, 2)}\n`,
      );
      const log = join(work, "npm-install.log");
      try {
        const { output } = npm(
          ["install", "--no-audit", "--no-fund", "--loglevel=warn", tarball, "msw@3", "typescript@^5"],
          app,
          110_000,
        );
        writeFileSync(log, output);
      } catch (error) {
        writeFileSync(log, error.output ?? "");
        error.output = `--- ${log}\n${error.output ?? ""}`;
        throw error;
      }
      const v = (name) =>
        JSON.parse(readFileSync(join(app, "node_modules", name, "package.json"), "utf8")).version;
      return `msw ${v("msw")}, typescript ${v("typescript")}`;
    });

  if (installed) {
    // (a) ESM and (b) CommonJS: load every subpath, require at least one export and the known name.
    const runtimeCheck = (load) =>
      subpaths
        .map((s, i) => {
          const lines = [
            `${load(`m${i}`, spec(s))}`,
            `if (Object.keys(m${i}).filter((k) => k !== "default" && k !== "__esModule").length === 0) fail(${JSON.stringify(spec(s))}, "has no exports");`,
          ];
          if (known[s]) {
            lines.push(
              `if (typeof m${i}.${known[s]} !== "function") fail(${JSON.stringify(spec(s))}, "does not export ${known[s]}()");`,
            );
          }
          return lines.join("\n");
        })
        .join("\n");
    const fail = `const problems = [];\nfunction fail(s, msg) { problems.push(\`\${s} \${msg}\`); }\n`;
    const report = `if (problems.length) { console.error(problems.join("\\n")); process.exit(1); }\n`;
    writeFileSync(
      join(app, "esm.mjs"),
      `${subpaths.map((s, i) => `import * as m${i} from ${JSON.stringify(spec(s))};`).join("\n")}\n${fail}${runtimeCheck(() => "")}\n${report}`,
    );
    // One require per subpath, each in its own try so that one broken subpath does not hide others.
    writeFileSync(
      join(app, "cjs.cjs"),
      `${fail}${runtimeCheck(
        (name, id) =>
          `let ${name} = {};\ntry { ${name} = require(${JSON.stringify(id)}); } catch (e) { fail(${JSON.stringify(id)}, "cannot be required: " + String(e && e.message).split("\\n")[0]); }`,
      )}\n${report}`,
    );
    check(`ESM: import every subpath (${subpaths.length})`, () => void node(["esm.mjs"], app));
    check(`CJS: require every subpath (${subpaths.length})`, () => void node(["cjs.cjs"], app));

    // (c) Types. `NotAny` makes an unresolved or untyped module fail; @ts-expect-error lines fail
    // if the API were typed loosely.
    const typedUsage = (prefix) => `
type NotAny<T> = 0 extends 1 & T ? false : true;
${subpaths
  .map((s, i) =>
    [
      `const ${prefix}ns${i}: NotAny<typeof ${prefix}${i}> = true;`,
      known[s] ? `const ${prefix}kn${i}: NotAny<typeof ${prefix}${i}.${known[s]}> = true;` : "",
    ].join("\n"),
  )
  .join("\n")}
`;
    const coreI = subpaths.indexOf(".");
    const credI = subpaths.indexOf("./credentials");
    const apiUsage = (p) => {
      if (coreI < 0) return "";
      const core = `${p}${coreI}`;
      let out = `
const auth: ${core}.AuthClient = ${core}.createAuthClient({ baseUrl: "https://x.test" });
// @ts-expect-error baseUrl must be a string
${core}.createAuthClient({ baseUrl: 42 });
const unknownError: unknown = new Error("x");
if (${core}.isTegataError(unknownError)) { const code: string = unknownError.code; void code; }
`;
      if (credI >= 0) {
        const cred = `${p}${credI}`;
        out += `
const result = ${cred}.signIn(auth, { email: "a", password: "b" });
const pending: Promise<{ status: "signed_in"; session: ${core}.Session } | { status: "mfa_required"; challenge: unknown }> = result;
void pending;
void result.then((r) => { if (r.status === "mfa_required") return ${cred}.completeMfa(auth, { challenge: r.challenge, code: "123456" }); return undefined; });
// @ts-expect-error password is required
void ${cred}.signIn(auth, { email: "a" });
`;
      }
      return out;
    };
    const esmTs = `${subpaths.map((s, i) => `import * as e${i} from ${JSON.stringify(spec(s))};`).join("\n")}
${typedUsage("e")}${apiUsage("e")}export {};
`;
    const ctsTs = `${subpaths.map((s, i) => `import c${i} = require(${JSON.stringify(spec(s))});`).join("\n")}
${typedUsage("c")}${apiUsage("c")}export {};
`;
    writeFileSync(join(app, "esm-node16.mts"), esmTs);
    writeFileSync(join(app, "cjs-node16.cts"), ctsTs);
    writeFileSync(join(app, "bundler.ts"), esmTs);
    const compilerOptions = {
      target: "ES2022",
      lib: ["ES2023", "DOM", "DOM.Iterable"],
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: [],
      noUnusedLocals: false,
    };
    const tsconfig = (name, options, files) =>
      writeFileSync(
        join(app, name),
        JSON.stringify({ compilerOptions: { ...compilerOptions, ...options }, files }, null, 2),
      );
    tsconfig("tsconfig.node16.json", { module: "node16", moduleResolution: "node16" }, ["esm-node16.mts"]);
    // ky 2, jose 6 and msw 3 are ESM-only. A CommonJS file can require() them on Node >= 22
    // (require(esm)), which TypeScript models from module "node20" on (TypeScript >= 5.9); under
    // "node16" a .cts consumer gets TS1479 from those packages' types, not from tegata's.
    tsconfig("tsconfig.node20.json", { module: "node20", moduleResolution: "node16" }, ["cjs-node16.cts"]);
    tsconfig("tsconfig.bundler.json", { module: "esnext", moduleResolution: "bundler" }, ["bundler.ts"]);
    const tsc = join(app, "node_modules", "typescript", "bin", "tsc");
    check(
      'types: tsc --noEmit, module/moduleResolution "node16" (.mts)',
      () => void node([tsc, "-p", "tsconfig.node16.json", "--pretty", "false"], app),
    );
    check(
      'types: tsc --noEmit, module "node20" + moduleResolution "node16" (.cts, require)',
      () => void node([tsc, "-p", "tsconfig.node20.json", "--pretty", "false"], app),
    );
    check(
      'types: tsc --noEmit, module "esnext" + moduleResolution "bundler" (.ts)',
      () => void node([tsc, "-p", "tsconfig.bundler.json", "--pretty", "false"], app),
    );
  }
} catch (error) {
  failed++;
  console.log(`FAIL setup\n${indent(`${error.message}\n${error.output ?? ""}`)}`);
} finally {
  cleanup();
}
// Checks that could not run (because pack or install failed) count as failed.
const skipped = Math.max(0, checks - passed - failed);
if (skipped) console.log(`skipped ${skipped} check(s) after an earlier failure`);
failed += skipped;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

// The declaration files (the "types" conditions) of an exports entry, nested conditions included.
function collectTypes(entry) {
  if (Array.isArray(entry)) return entry.flatMap(collectTypes);
  if (!entry || typeof entry !== "object") return [];
  return Object.entries(entry).flatMap(([k, v]) =>
    k === "types" && typeof v === "string" ? [v] : typeof v === "object" ? collectTypes(v) : [],
  );
}

// How many declaration files (.d.ts, .d.cts, .d.mts) a folder holds, subfolders included.
function countDeclarations(dir) {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { recursive: true }).filter((f) => /\.d\.[cm]?ts$/.test(String(f))).length;
}

// Every file path an exports entry can resolve to (nested conditions included).
function collectTargets(entry) {
  if (typeof entry === "string") return entry.includes("*") ? [] : [entry];
  if (Array.isArray(entry)) return entry.flatMap(collectTargets);
  if (entry && typeof entry === "object") return Object.values(entry).flatMap(collectTargets);
  return [];
}
