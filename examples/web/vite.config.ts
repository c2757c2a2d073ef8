import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));
const src = fileURLToPath(new URL("../../src/", import.meta.url));
const worker = fileURLToPath(new URL("../../node_modules/msw/lib/mockServiceWorker.js", import.meta.url));

export default defineConfig({
  root: here,
  // The example imports "tegata/…" as an app does; here that means the repository's sources.
  resolve: {
    alias: [
      { find: /^tegata\/(.+)$/, replacement: `${src}$1/index.ts` },
      { find: /^tegata$/, replacement: `${src}index.ts` },
    ],
  },
  plugins: [
    {
      name: "msw-worker",
      // msw's service worker script, copied from the installed msw so it always matches it.
      buildStart() {
        mkdirSync(`${here}public`, { recursive: true });
        copyFileSync(worker, `${here}public/mockServiceWorker.js`);
      },
    },
  ],
  server: { host: "127.0.0.1", port: 5173 },
  preview: { host: "127.0.0.1", port: 4173 },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
});
