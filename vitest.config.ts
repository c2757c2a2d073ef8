import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = fileURLToPath(new URL("./src/", import.meta.url));

/**
 * The client suites that talk to the mock through `useMockServer` (test/support.ts). The `http`
 * project runs them a second time with the mock (which is the auth server) listening on
 * 127.0.0.1, so the client is shown to work against `createAuthServer` over real HTTP too.
 */
const CLIENT_SUITES = [
  "test/core/**/*.test.ts",
  "test/credentials/**/*.test.ts",
  "test/session/**/*.test.ts",
  "test/history/**/*.test.ts",
  "test/totp/**/*.test.ts",
  "test/oauth/**/*.test.ts",
  "test/passkeys/**/*.test.ts",
  "test/password/integration.test.ts",
  "test/mock/mock.test.ts",
  "test/server/verify.test.ts",
];

export default defineConfig({
  resolve: {
    // Examples import "tegata/…" as users do; in this repository that means the sources.
    alias: [
      { find: /^tegata\/(.+)$/, replacement: `${src}$1/index.ts` },
      { find: /^tegata$/, replacement: `${src}index.ts` },
    ],
  },
  test: {
    environment: "node",
    testTimeout: 15_000,
    restoreMocks: true,
    projects: [
      {
        extends: true,
        test: {
          name: "msw",
          include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
          exclude: ["**/node_modules/**", "examples/web/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "http",
          include: CLIENT_SUITES,
          env: { TEGATA_TEST_TRANSPORT: "http" },
        },
      },
    ],
  },
});
