// Bundle size of each browser entry: esbuild, minified, gzip level 9, dependencies included.
// Run: npm run size (after npm run build). Budgets come from ../shared/design.md.
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const combos = [
  ["tegata (core)", ["."]],
  ["tegata/credentials", ["./credentials"]],
  ["tegata/session", ["./session"]],
  ["tegata/oauth", ["./oauth"]],
  ["tegata/history", ["./history"]],
  ["core + credentials + session", [".", "./credentials", "./session"], 10 * 1024],
  ["all browser modules", [".", "./credentials", "./session", "./oauth", "./history"], 15 * 1024],
  ["a sign-in form (createAuthClient, signIn, completeMfa)", null],
];
const dist = (sub) =>
  new URL(`../dist/${sub === "." ? "index" : `${sub.slice(2)}/index`}.js`, import.meta.url).pathname;

async function measure(contents) {
  const result = await build({
    stdin: { contents, resolveDir: new URL("..", import.meta.url).pathname, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  const byPackage = {};
  for (const [file, info] of Object.entries(Object.values(result.metafile.outputs)[0].inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    const key = m ? m[1] : "tegata";
    byPackage[key] = (byPackage[key] ?? 0) + info.bytesInOutput;
  }
  return { min: code.length, gz: gzipSync(code, { level: 9 }).length, byPackage };
}

const kb = (n) => `${(n / 1024).toFixed(2)} kB`;
console.log(
  "entry".padEnd(56),
  "min".padStart(10),
  "min+gz".padStart(10),
  " budget    share of minified output",
);
let over = 0;
for (const [name, subs, budget] of combos) {
  const contents = subs
    ? subs.map((s) => `export * from ${JSON.stringify(dist(s))};`).join("\n")
    : `export { createAuthClient } from ${JSON.stringify(dist("."))};\nexport { signIn, completeMfa } from ${JSON.stringify(dist("./credentials"))};`;
  const r = await measure(contents);
  const shares = Object.entries(r.byPackage)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, v]) => `${k} ${((100 * v) / r.min).toFixed(0)}%`)
    .join(", ");
  const status = budget === undefined ? "" : r.gz <= budget ? `<= ${kb(budget)} ok` : `> ${kb(budget)} OVER`;
  if (budget !== undefined && r.gz > budget) over++;
  console.log(
    name.padEnd(56),
    kb(r.min).padStart(10),
    kb(r.gz).padStart(10),
    ` ${status.padEnd(9)} ${shares}`,
  );
}
if (over > 0) {
  console.log(
    `\n${over} budget(s) exceeded. With ky 2 (8.7 kB min+gz alone) and zod/mini (4.7 kB for one object schema) the`,
  );
  console.log("10 kB budget cannot hold; see docs/architecture.md. Pass --check to make this an error.");
  if (process.argv.includes("--check")) process.exit(1);
}
