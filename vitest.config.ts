import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = fileURLToPath(new URL("./src/", import.meta.url));

export default defineConfig({
  resolve: {
    // Examples import "tegata/…" as users do; in this repository that means the sources.
    alias: [
      { find: /^tegata\/(.+)$/, replacement: `${src}$1/index.ts` },
      { find: /^tegata$/, replacement: `${src}index.ts` },
    ],
  },
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    exclude: ["**/node_modules/**", "examples/web/**"],
    environment: "node",
    testTimeout: 15_000,
    restoreMocks: true,
  },
});
