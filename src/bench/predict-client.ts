// the latency benchmark's client, in a process of its own: POST /predict at a fixed rate on 127.0.0.1
// and report every answer's latency (workers.ts pools several runs and takes the percentiles). open
// loop: request i is due at start + i/rate whatever the answers do, and its latency counts from when it
// was due, so a stalled server cannot hide its backlog; or from when it went out, if that was earlier
// (a timer here fires up to ~1.5 ms early, and an answer counted from a later due time would look
// faster than the server gave it). the first WARMUP requests go out at the same rate but are not
// counted: they pay for this process's own start (new connections, a cold JIT), 8–18 ms each, which
// would otherwise be 3 or 4 of the 10 slowest answers that make p99 in a thousand.
//   node dist/bench/predict-client.js URL RATE COUNT → one JSON line { latencies (ms), errors }

import { Agent, request } from 'node:http';

const [url, rateArg, countArg] = process.argv.slice(2);
const rate = Number(rateArg);
const count = Number(countArg);
if (!url?.startsWith('http://127.0.0.1:') || !(rate > 0) || !(count > 0)) {
  console.error('usage: predict-client.js http://127.0.0.1:PORT/predict RATE COUNT');
  process.exit(2);
}
// one real-sized request: a 28×28 image of mid-grey
const body = JSON.stringify({ images: [Array.from({ length: 784 }, (_, i) => (i % 7) / 7)] });
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const latencies: number[] = [];
let errors = 0;

const WARMUP = 20;

function send(due: number, counted: boolean): Promise<void> {
  return new Promise((resolve) => {
    const from = Math.min(due, performance.now());
    const req = request(url!, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) errors++;
        else if (counted) latencies.push(performance.now() - from);
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
    // bounded: a request that takes 10 s is an error, not a wait
    req.setTimeout(10_000, () => req.destroy());
    req.end(body);
  });
}

const start = performance.now() + 50;
const pending: Promise<void>[] = [];
for (let i = 0; i < WARMUP + count; i++) {
  const due = start + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  pending.push(send(due, i >= WARMUP));
}
await Promise.all(pending);
agent.destroy();
console.log(JSON.stringify({ latencies, errors }));
