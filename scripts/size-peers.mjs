// The peers' figures in README's size table, measured as `npm run size` measures tegata
// (scripts/size-lib.mjs). Not part of CI (it installs the peers from the registry):
//   node scripts/size-peers.mjs            # the versions below, into a temporary directory
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, measure } from "./size-lib.mjs";

const peers = [
  { name: "@supabase/auth-js", version: "2.109.0", entry: `export { AuthClient } from "@supabase/auth-js";` },
  { name: "oidc-client-ts", version: "3.5.0", entry: `export { UserManager } from "oidc-client-ts";` },
  { name: "better-auth", version: "1.7.25", entry: `export { createAuthClient } from "better-auth/client";` },
  {
    name: "@auth0/auth0-spa-js",
    version: "2.28.3",
    entry: `export { createAuth0Client } from "@auth0/auth0-spa-js";`,
  },
];

const dir = mkdtempSync(join(tmpdir(), "tegata-size-peers-"));
try {
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "size-peers", private: true }));
  const specs = peers.map((p) => `${p.name}@${p.version}`);
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", ...specs], {
    cwd: dir,
    stdio: "ignore",
  });
  for (const p of peers) {
    const r = await measure({ contents: p.entry, resolveDir: dir, external: ["node:*"], own: p.name });
    console.log(`${`${p.name} ${p.version}`.padEnd(32)} ${fmt(r.gz).padStart(9)}  ${p.entry}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
