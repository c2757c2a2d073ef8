// Benchmark of tegata/password (issue 8): validatePassword on random 16-character passwords with
// the blocklist loaded, against @zxcvbn-ts/core (common dictionary + adjacency graphs) and
// password-validator, measured in the same run; plus the blocklist coverage check. Run with
// `npm run bench` (builds first).
import { createRequire } from "node:module";
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import PasswordValidator from "password-validator";
import { loadCommonPasswords, presets, validatePassword } from "tegata/password";

const require = createRequire(import.meta.url);
const fmt = (n, d = 2) => n.toLocaleString("en-US", { maximumFractionDigits: d });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_=+";
const random16 = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => ALPHABET[b % ALPHABET.length]).join("");
const passwords = Array.from({ length: 2000 }, random16);

/** Median time per call in ns over `rounds` batches of `calls`. */
function timeIt(fn, calls, rounds = 15) {
  for (let i = 0; i < Math.min(calls, 200); i++) fn(passwords[i % passwords.length]); // warm up
  const perCall = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn(passwords[(r * calls + i) % passwords.length]);
    perCall.push(Number(process.hrtime.bigint() - start) / calls);
  }
  return median(perCall);
}

await loadCommonPasswords();
const policy = presets.nist;
const context = { email: "hanako.yamada@example.jp", name: "Hanako Yamada" };
const zxcvbn = new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
const pv = new PasswordValidator().is().min(8).is().max(64).has().not().spaces();

const tegataNs = timeIt((p) => validatePassword(policy, p, context), 20_000);
const pvNs = timeIt((p) => pv.validate(p), 20_000);
const zxNs = timeIt((p) => zxcvbn.check(p, [context.email, context.name]), 20, 5);

console.log("tegata/password benchmark (random 16-character passwords, blocklist loaded)\n");
console.log(`tegata validatePassword (presets.nist + context): ${fmt(tegataNs / 1000, 3)} µs per call`);
console.log(`@zxcvbn-ts/core check (common dictionary):       ${fmt(zxNs / 1000, 0)} µs per call`);
console.log(`password-validator (min 8, max 64, no spaces):   ${fmt(pvNs / 1000, 3)} µs per call`);
console.log(`tegata is ${fmt(zxNs / tegataNs, 0)}x faster than zxcvbn-ts (goal >= 1,000x)`);
console.log(`tegata takes ${fmt(tegataNs / pvNs, 1)}x the time of password-validator (goal <= 10x)`);

// Coverage: every password of zxcvbn's own common list that the policy's length allows is refused.
const list = require("@zxcvbn-ts/language-common/src/passwords.json");
const eligible = list.filter((p) => {
  const n = [...p.normalize("NFKC")].length;
  return n >= policy.options.minLength && n <= policy.options.maxLength;
});
const refused = eligible.filter((p) => !validatePassword(policy, p).ok).length;
console.log(
  `\nzxcvbn's common list (${fmt(list.length)} entries): ${fmt(eligible.length)} within presets.nist's length, ${fmt(refused)} refused (${fmt((100 * refused) / eligible.length, 2)} %)`,
);
