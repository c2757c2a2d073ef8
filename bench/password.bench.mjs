// Benchmark of tegata/password (issue 8): validatePassword on random 16-character passwords with
// the blocklist loaded, against @zxcvbn-ts/core (common dictionary + adjacency graphs) and
// password-validator, the three alternated in the same process (bench/ab.mjs); plus the blocklist
// coverage check. Run with `npm run bench` (builds first).
import { createRequire } from "node:module";
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import PasswordValidator from "password-validator";
import { loadCommonPasswords, presets, validatePassword } from "tegata/password";
import { alternate, flush, fmt, goal, ratio, row, stats, title } from "./ab.mjs";

const require = createRequire(import.meta.url);
const ROUNDS = 7;
const INNER = 5;
const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_=+";
const random16 = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => ALPHABET[b % ALPHABET.length]).join("");
const passwords = Array.from({ length: 2000 }, random16);

await loadCommonPasswords();
const policy = presets.nist;
const context = { email: "hanako.yamada@example.jp", name: "Hanako Yamada" };
const zxcvbn = new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
const pv = new PasswordValidator().is().min(8).is().max(64).has().not().spaces();

// Every arm of a round sees the same passwords: round r, batch of `calls` from offset r * calls.
const arm = (name, calls, fn) => ({
  name,
  ops: calls,
  run: (_, round) => {
    for (let i = 0; i < calls; i++) fn(passwords[(round * calls + i) % passwords.length]);
  },
});
const times = await alternate(
  [
    arm("tegata", 10_000, (p) => validatePassword(policy, p, context)),
    arm("password-validator", 10_000, (p) => pv.validate(p)),
    arm("zxcvbn-ts", 10, (p) => zxcvbn.check(p, [context.email, context.name])),
  ],
  { rounds: ROUNDS, warmup: 1, inner: INNER },
);

console.log(
  "tegata/password benchmark (random 16-character passwords, blocklist loaded; Node %s)",
  process.version,
);
title(
  `time per call: median (min–max) of ${ROUNDS} rounds, each the median of ${INNER} alternated batches per arm`,
);
const us = (ms) => ms * 1000;
row("tegata validatePassword (presets.nist + context)", stats(times.tegata.map(us)), {
  unit: "µs",
  f: (x) => fmt(x, 3),
});
row("@zxcvbn-ts/core check (common dictionary)", stats(times["zxcvbn-ts"].map(us)), {
  unit: "µs",
  f: (x) => fmt(x, 0),
});
row("password-validator (min 8, max 64, no spaces)", stats(times["password-validator"].map(us)), {
  unit: "µs",
  f: (x) => fmt(x, 3),
});
const faster = ratio(times, "zxcvbn-ts", "tegata");
const slower = ratio(times, "tegata", "password-validator");
row("zxcvbn-ts time / tegata time", faster, { unit: "x", f: (x) => fmt(x, 0) });
row("tegata time / password-validator time", slower, { unit: "x", f: (x) => fmt(x, 1) });
goal("tegata at least 1,000x faster than zxcvbn-ts", faster, (x) => x >= 1000, { f: (x) => `${fmt(x, 0)}x` });
goal("tegata at most 10x the time of password-validator", slower, (x) => x <= 10, {
  f: (x) => `${fmt(x, 1)}x`,
});

// Coverage: every password of zxcvbn's own common list that the policy's length allows is refused.
const list = require("@zxcvbn-ts/language-common/src/passwords.json");
const eligible = list.filter((p) => {
  const n = [...p.normalize("NFKC")].length;
  return n >= policy.options.minLength && n <= policy.options.maxLength;
});
const refused = eligible.filter((p) => !validatePassword(policy, p).ok).length;
title(`zxcvbn's common list (${fmt(list.length)} entries)`);
row("within presets.nist's length", fmt(eligible.length));
goal("every one of them refused", [refused / eligible.length], (x) => x === 1, {
  text: `${fmt(refused)} refused (${fmt((100 * refused) / eligible.length, 2)} %)`,
});
flush();
