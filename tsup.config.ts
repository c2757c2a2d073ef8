import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: {
      index: "src/index.ts",
      "credentials/index": "src/credentials/index.ts",
      "session/index": "src/session/index.ts",
      "totp/index": "src/totp/index.ts",
      "password/index": "src/password/index.ts",
      "oauth/index": "src/oauth/index.ts",
      "history/index": "src/history/index.ts",
      "passkeys/index": "src/passkeys/index.ts",
      "server/index": "src/server/index.ts",
      "server/sqlite/index": "src/server/sqlite/index.ts",
      "server/postgres/index": "src/server/postgres/index.ts",
      "server/smtp/index": "src/server/smtp/index.ts",
      "mock/index": "src/mock/index.ts",
    },
    format: ["esm", "cjs"],
    // `@internal` declarations (the client's state, cross-copy markers) stay out of the public .d.ts.
    dts: { compilerOptions: { stripInternal: true } },
    splitting: true,
    treeshake: true,
    // dist/cli is the CLI build's own (below): both builds run at once.
    clean: ["!cli/**"],
    sourcemap: true,
    target: "es2022",
    platform: "neutral",
    external: [
      "ky",
      "jose",
      "zod",
      "otplib",
      "msw",
      "qrcode",
      "kysely",
      "pg",
      "nodemailer",
      "@simplewebauthn/server",
      "@simplewebauthn/browser",
    ],
  },
  {
    // The `tegata` command (package.json "bin"): ESM for Node only, one file. It imports the
    // package by its own name ("tegata/server"…): it runs on the chunks built above.
    entry: { index: "src/cli/index.ts" },
    outDir: "dist/cli",
    format: ["esm"],
    banner: { js: "#!/usr/bin/env node" },
    dts: false,
    splitting: false,
    treeshake: true,
    clean: true,
    sourcemap: true,
    target: "node22",
    platform: "node",
    external: [/^tegata(\/|$)/],
  },
]);
