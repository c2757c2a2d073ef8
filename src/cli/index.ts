/**
 * The `tegata` command (package.json `bin`): `tegata serve`, `tegata migrate`, `tegata user …`.
 * Built by tsup into dist/cli/index.js (ESM, with the `#!/usr/bin/env node` line).
 *
 * @module
 */
import { processIo } from "./io";
import { main } from "./main";

process.exitCode = await main(process.argv.slice(2), processIo());
