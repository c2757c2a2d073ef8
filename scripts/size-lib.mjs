// The measurement shared by `npm run size` and scripts/size-peers.mjs: esbuild, bundle, minify,
// format esm, platform browser, splitting, tree-shaking, dependencies included; each output file
// gzipped at level 9. Eager = the entry and the chunks it imports statically (what a page loads up
// front); lazy = the chunks behind a dynamic import() (loaded when that code runs).
import { relative, sep } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

export const KB = 1024;
export const fmt = (n) => `${(n / KB).toFixed(2)} kB`;

/** The package an input file belongs to (node_modules), or `own` for the measured package's files. */
function packageOf(input, own) {
  const parts = input.split("node_modules/");
  if (parts.length === 1) return own;
  const m = /^(@[^/]+\/[^/]+|[^/]+)/.exec(parts.at(-1));
  return m && m[1] !== own ? m[1] : own;
}

/**
 * Bundles `contents` (an entry module's source: named re-exports) and measures it.
 * @param {{ contents: string, resolveDir: string, plugins?: import("esbuild").Plugin[], external?: string[], own: string }} o
 */
export async function measure({ contents, resolveDir, plugins = [], external = [], own }) {
  const outdir = `${resolveDir}/.size-out`;
  const result = await build({
    stdin: { contents, resolveDir, sourcefile: "entry.js", loader: "js" },
    absWorkingDir: resolveDir,
    outdir,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    splitting: true,
    treeShaking: true,
    write: false,
    metafile: true,
    external,
    plugins,
    logLevel: "silent",
  });
  const code = new Map(
    result.outputFiles.map((f) => [relative(resolveDir, f.path).split(sep).join("/"), f.contents]),
  );
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((k) => outputs[k].entryPoint);
  const eager = new Set([entry]);
  for (const file of eager) {
    for (const imp of outputs[file].imports) {
      if (imp.kind === "import-statement" && !imp.external && imp.path in outputs) eager.add(imp.path);
    }
  }
  const gz = (c) => gzipSync(c, { level: 9 }).length;
  const r = { min: 0, gz: 0, lazyGz: 0, byPackage: {} };
  for (const [file, bytes] of code) {
    if (!file.endsWith(".js")) continue;
    if (!eager.has(file)) {
      r.lazyGz += gz(bytes);
      continue;
    }
    r.min += bytes.length;
    r.gz += gz(bytes);
    for (const [input, info] of Object.entries(outputs[file].inputs)) {
      const key = packageOf(input, own);
      r.byPackage[key] = (r.byPackage[key] ?? 0) + info.bytesInOutput;
    }
  }
  return r;
}

/**
 * The gzip bytes each package accounts for in an eager bundle: the bundle measured again with
 * the package left out (external), the difference being its share. Shares of packages that
 * compress together do not add up exactly to the whole; the remainder is printed as such.
 */
export async function gzShares(options, packages) {
  const whole = await measure(options);
  const shares = {};
  for (const p of packages) {
    const without = await measure({ ...options, external: [...(options.external ?? []), p, `${p}/*`] });
    shares[p] = whole.gz - without.gz;
  }
  return { whole, shares };
}
