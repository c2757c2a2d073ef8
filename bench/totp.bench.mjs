// Benchmark of tegata/totp (issue 4): verifyTotp with window 1 against otplib's verify with the
// same options (the code is one step old, so the window is used), alternated in the same process
// (bench/ab.mjs). Run with `npm run bench` (builds first).
import { verify } from "otplib";
import { generateTotp, generateTotpSecret, verifyTotp } from "tegata/totp";
import { alternate, flush, fmt, goal, ratio, row, stats, title } from "./ab.mjs";

const ROUNDS = 9;
const INNER = 9;
const CALLS = 1000;

const secret = generateTotpSecret();
const time = Date.UTC(2026, 10, 25, 9, 0, 15);
const code = await generateTotp(secret, { time: time - 30_000 }); // one step back: the window is used
const epoch = Math.floor(time / 1000);

// Both must accept the code, or the comparison means nothing.
if (!(await verify({ secret, token: code, epoch, epochTolerance: 30 })).valid)
  throw new Error("otplib refused");
if (!(await verifyTotp({ code, secret, time, window: 1 })).valid) throw new Error("tegata refused");

const times = await alternate(
  [
    {
      name: "otplib",
      ops: CALLS,
      run: async () => {
        for (let i = 0; i < CALLS; i++) await verify({ secret, token: code, epoch, epochTolerance: 30 });
      },
    },
    {
      name: "tegata",
      ops: CALLS,
      run: async () => {
        for (let i = 0; i < CALLS; i++) await verifyTotp({ code, secret, time, window: 1 });
      },
    },
  ],
  { rounds: ROUNDS, warmup: 1, inner: INNER },
);

console.log("tegata/totp benchmark (Node %s)", process.version);
title(
  `verify a code one step old, window 1: median (min–max) of ${ROUNDS} rounds, each the median of ${INNER} alternated batches of ${fmt(CALLS)} calls per arm`,
);
const perSecond = (ms) => 1000 / ms;
row("otplib verify (epochTolerance 30)", stats(times.otplib.map(perSecond)), {
  unit: "calls/s",
  f: (x) => fmt(x, 0),
});
row("tegata verifyTotp (window 1)", stats(times.tegata.map(perSecond)), {
  unit: "calls/s",
  f: (x) => fmt(x, 0),
});
const overhead = ratio(times, "tegata", "otplib");
const pct = (r) => `${((r - 1) * 100).toFixed(1)} %`;
row("overhead of verifyTotp over otplib (time)", overhead, { f: pct });
goal("overhead of verifyTotp over otplib < 10 %", overhead, (r) => r < 1.1, { f: pct });
flush();
