// Benchmark of tegata/totp (issue 4): verifyTotp with window 1 against otplib's verify with the
// same options, measured in the same run (tinybench). Run with `npm run bench`.
import { verify } from "otplib";
import { generateTotp, generateTotpSecret, verifyTotp } from "tegata/totp";
import { Bench } from "tinybench";

const secret = generateTotpSecret();
const time = Date.UTC(2026, 10, 25, 9, 0, 15);
const code = await generateTotp(secret, { time: time - 30_000 }); // one step back: the window is used
const epoch = Math.floor(time / 1000);

const bench = new Bench({ time: 1500, warmupTime: 300 });
bench
  .add("otplib verify (window 1 = epochTolerance 30)", async () => {
    await verify({ secret, token: code, epoch, epochTolerance: 30 });
  })
  .add("tegata verifyTotp (window 1)", async () => {
    await verifyTotp({ code, secret, time, window: 1 });
  });
await bench.run();

const [otp, ours] = bench.tasks.map((t) => t.result);
const hz = (r) => r.throughput?.mean ?? r.hz;
console.log("tegata/totp benchmark\n");
for (const t of bench.tasks)
  console.log(`${t.name.padEnd(48)} ${Math.round(hz(t.result)).toLocaleString("en-US")} calls/s`);
const overhead = (hz(otp) / hz(ours) - 1) * 100;
console.log(`overhead of verifyTotp over otplib: ${overhead.toFixed(1)} % (goal < 10 %)`);
