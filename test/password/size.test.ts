import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

// Issue 8's budget: tegata/password without the blocklist at most 3 kB min+gz, dependencies
// included, for the keystroke API (passwordSchema pulls in zod and is measured apart).
describe("bundle size of tegata/password", () => {
  it("the validation API fits in 3 kB min+gz, and the blocklist is a separate lazy chunk", async () => {
    const result = await build({
      stdin: {
        contents: `export { definePasswordPolicy, describePolicy, loadCommonPasswords, presets, validatePassword } from "./src/password/index.ts";`,
        resolveDir: process.cwd(),
        loader: "ts",
      },
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      splitting: true,
      outdir: "/tmp/tegata-size",
      write: false,
    });
    const main = result.outputFiles.find((f) => f.path.includes("stdin"));
    const lazy = result.outputFiles.find((f) => f.path.includes("common-passwords"));
    if (!main || !lazy)
      throw new Error(
        `expected the entry and a common-passwords chunk, got ${result.outputFiles.length} files`,
      );
    const gz = gzipSync(main.contents, { level: 9 }).length;
    expect(gz).toBeLessThanOrEqual(3 * 1024);
    expect(new TextDecoder().decode(lazy.contents)).toContain("123456\npassword"); // the list is there…
    expect(new TextDecoder().decode(main.contents)).not.toContain("123456\npassword"); // …and only there
  });
});
