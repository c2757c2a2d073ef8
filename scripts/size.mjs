// Bundle size of every subpath export as a browser app would ship it: esbuild, bundle, minify,
// format esm, platform browser, tree-shaking, dependencies included; gzip level 9.
// Run: npm run build && npm run size [-- --check]
// --check exits 1 when "core + credentials" exceeds its budget (10 kB min+gz).
// Budgets: /work/shared/design.md, "Budgets (esbuild, minified + gzip, dependencies included)":
//   core + credentials + session <= 10 kB; all browser modules together <= 15 kB.
import { existsSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, version } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const KB = 1024;
const check = process.argv.includes("--check");

// Subpaths that are not part of a browser app: listed for information, never budgeted together
// with the browser modules. Everything else in `exports` is measured as a browser module.
const notBrowser = {
  "./mock": "test-only (msw handlers)",
  "./server": "Node-side (design.md: server/ = Node-side helpers)",
  "./server/sqlite": "Node-side store (node:sqlite, Kysely loaded on first use)",
  "./server/postgres": "Node-side store (pg, Kysely loaded on first use)",
  "./server/smtp": "Node-side mailer (nodemailer loaded on first send)",
};
const testOnly = new Set(["./mock"]);

const subpaths = Object.keys(pkg.exports).filter((s) => s !== "./package.json");
const label = (s) => (s === "." ? `${pkg.name} (core)` : `${pkg.name}/${s.slice(2)}`);

// The file a browser bundler picks for a subpath: conditions browser > import > module > default.
function esmEntry(subpath) {
  const pick = (target) => {
    if (typeof target === "string") return target;
    if (Array.isArray(target)) return target.map(pick).find(Boolean);
    if (target && typeof target === "object") {
      for (const condition of ["browser", "import", "module", "default"]) {
        if (condition in target) {
          const found = pick(target[condition]);
          if (found) return found;
        }
      }
    }
    return undefined;
  };
  const target = pick(pkg.exports[subpath]);
  if (!target || /\.d\.[cm]?ts$/.test(target)) throw new Error(`${subpath}: no ESM entry in exports`);
  const file = join(root, target);
  if (!existsSync(file)) throw new Error(`${subpath}: ${target} does not exist; run \`npm run build\` first`);
  return file;
}

// Eager code (the entry plus chunks it imports statically) is what counts against a budget;
// code behind a dynamic import() (e.g. an optional peer loaded on demand) is split into lazy
// chunks by esbuild and reported separately. Each output file is gzipped on its own.
async function measure(subs) {
  const contents = subs.map((s) => `export * from ${JSON.stringify(esmEntry(s))};`).join("\n");
  const result = await build({
    entryPoints: ["size-entry"],
    plugins: [
      {
        name: "size-entry",
        setup(b) {
          b.onResolve({ filter: /^size-entry$/ }, () => ({ path: "size-entry", namespace: "size-entry" }));
          b.onLoad({ filter: /.*/, namespace: "size-entry" }, () => ({
            contents,
            resolveDir: root,
            loader: "js",
          }));
        },
      },
    ],
    absWorkingDir: root,
    outdir: join(root, ".size-out"),
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    // Node's own modules and the server's optional peers are loaded on first use by the Node-side
    // subpaths only (never by a browser module): not part of any measured bundle.
    external: ["node:*", "nodemailer", "pg"],
    treeShaking: true,
    splitting: true,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const code = new Map(
    result.outputFiles.map((f) => [relative(root, f.path).split(sep).join("/"), f.contents]),
  );
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((k) => outputs[k].entryPoint);
  const eager = new Set([entry]);
  for (const file of eager) {
    for (const imp of outputs[file].imports) {
      if (imp.kind === "import-statement" && !imp.external && imp.path in outputs) eager.add(imp.path);
    }
  }
  const sum = (files, f) => files.reduce((n, file) => n + f(code.get(file)), 0);
  const eagerFiles = [...eager];
  const lazyFiles = Object.keys(outputs).filter((k) => !eager.has(k) && code.has(k));
  const gz = (c) => gzipSync(c, { level: 9 }).length;
  const byPackage = {};
  const inputs = {};
  for (const file of eagerFiles) {
    for (const [input, info] of Object.entries(outputs[file].inputs)) {
      inputs[input] = { bytesInOutput: (inputs[input]?.bytesInOutput ?? 0) + info.bytesInOutput };
      const parts = input.split("node_modules/");
      const m = parts.length > 1 ? /^(@[^/]+\/[^/]+|[^/]+)/.exec(parts.at(-1)) : null;
      const key = m ? m[1] : input.startsWith("size-entry:") ? "(entry)" : `${pkg.name} (dist)`;
      byPackage[key] = (byPackage[key] ?? 0) + info.bytesInOutput;
    }
  }
  return {
    min: sum(eagerFiles, (c) => c.length),
    gz: sum(eagerFiles, gz),
    lazyMin: sum(lazyFiles, (c) => c.length),
    lazyGz: sum(lazyFiles, gz),
    byPackage,
    inputs,
  };
}

const fmt = (n) => `${(n / KB).toFixed(2)} kB`;
const bytes = (n) => n.toLocaleString("en-US");
const rows = [];
const row = async (name, subs, budget, note = "") => {
  const r = await measure(subs);
  rows.push({ name, subs, budget, note, ...r });
  return r;
};

const browser = subpaths.filter((s) => !(s in notBrowser));
for (const s of subpaths.filter((s) => !testOnly.has(s))) {
  await row(label(s), [s], undefined, notBrowser[s] ?? "");
}
const has = (...subs) => subs.every((s) => subpaths.includes(s));
const combos = [];
if (has(".", "./credentials"))
  combos.push(["core + credentials", [".", "./credentials"], 10 * KB, "--check"]);
if (has(".", "./credentials", "./session")) {
  combos.push(["core + credentials + session", [".", "./credentials", "./session"], 10 * KB, "design.md"]);
}
// tegata/passkeys over the core: what an app that has the client adds for passkeys.
if (has(".", "./passkeys")) combos.push(["core + passkeys", [".", "./passkeys"], undefined, ""]);
combos.push([`all browser modules (${browser.length})`, browser, 15 * KB, "design.md"]);
for (const [name, subs, budget, note] of combos) await row(name, subs, budget, note);
const info = [];
for (const s of subpaths.filter((s) => testOnly.has(s))) {
  info.push({ name: label(s), ...(await measure([s])), note: notBrowser[s] });
}

// Table. min / min+gz: eager code; lazy: dynamic-import chunks (min+gz), not counted in budgets.
const W = Math.max(32, ...rows.map((r) => r.name.length), ...info.map((r) => r.name.length)) + 2;
const line = (name, min, gz, gzb, lazy, budget, status) =>
  console.log(
    `${name.padEnd(W)}${min.padStart(11)}${gz.padStart(11)}${gzb.padStart(10)}${lazy.padStart(12)}  ${budget.padEnd(9)} ${status}`,
  );
const lazy = (r) => (r.lazyMin ? `+${fmt(r.lazyGz)}` : "-");
console.log(
  `esbuild ${version}: bundle, minify, format esm, platform browser, tree-shaking, dependencies included;`,
);
console.log(
  "gzip level 9 per output file; 1 kB = 1024 B. lazy = dynamic-import chunks (min+gz), outside the budgets.",
);
console.log();
line("entry", "min", "min+gz", "gz bytes", "lazy", "budget", "status");
line(
  "-".repeat(W - 2),
  "-".repeat(9),
  "-".repeat(9),
  "-".repeat(8),
  "-".repeat(10),
  "-".repeat(9),
  "-".repeat(6),
);
for (const r of rows) {
  const status =
    r.budget === undefined
      ? r.note
      : `${r.gz <= r.budget ? "ok" : `OVER by ${fmt(r.gz - r.budget)}`}${r.note ? ` (${r.note})` : ""}`;
  line(
    r.name,
    fmt(r.min),
    fmt(r.gz),
    bytes(r.gz),
    lazy(r),
    r.budget === undefined ? "-" : `<= ${r.budget / KB} kB`,
    status,
  );
}
if (info.length) {
  console.log();
  console.log("informational, not budgeted:");
  for (const r of info) line(r.name, fmt(r.min), fmt(r.gz), bytes(r.gz), lazy(r), "-", r.note);
}

// Who contributes to the combined bundle.
const combined = rows.find((r) => r.name === "core + credentials");
if (combined) {
  console.log();
  console.log(
    "core + credentials: eager minified bytes per input package (esbuild metafile bytesInOutput), top 8:",
  );
  const top = Object.entries(combined.byPackage)
    .filter(([k]) => k !== "(entry)")
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  const pw = Math.max(...top.map(([k]) => k.length)) + 2;
  for (const [name, n] of top) {
    const files = Object.entries(combined.inputs).filter(
      ([f, i]) =>
        i.bytesInOutput > 0 &&
        (name.endsWith("(dist)") ? !f.includes("node_modules/") : f.includes(`node_modules/${name}/`)),
    ).length;
    console.log(
      `  ${name.padEnd(pw)}${bytes(n).padStart(8)} B  ${((100 * n) / combined.min).toFixed(1).padStart(5)}%  ${files} file(s)`,
    );
  }
}

console.log();
const over = rows.filter((r) => r.budget !== undefined && r.gz > r.budget);
const gate = combined && combined.gz > combined.budget;
console.log(
  over.length === 0
    ? "all budgets met"
    : `over budget: ${over.map((r) => `${r.name} ${fmt(r.gz)} > ${fmt(r.budget)}`).join("; ")}`,
);
if (check) {
  if (!combined) {
    console.log("--check: no core + credentials entry to check");
    process.exit(1);
  }
  console.log(
    `--check: core + credentials ${fmt(combined.gz)} ${gate ? ">" : "<="} ${fmt(combined.budget)}: ${gate ? "FAIL" : "ok"}`,
  );
  process.exit(gate ? 1 : 0);
}
