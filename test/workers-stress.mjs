// four workers load the addon and train at once, round after round, while the main thread runs large
// products on 2 OpenBLAS threads. every worker must see the thread count it set, and end with weights
// bit-identical to a single-threaded run on the main thread (a product must never pick up a count
// another thread set). a crash kills this process, a hang trips the deadline: the caller sees either.
//   node test/workers-stress.mjs [rounds]      (npm test runs a few; npm run test:stress runs 50)

import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const rounds = Number(process.argv[2] ?? 50);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lib = path.join(root, 'dist', 'index.js');
const { Matrix, mlp, fit, setNumThreads, getNumThreads, info, getBackend } = await import(lib);

// products of 64×256×784 = 12.8 M multiply-adds: above the one-thread cut, so thread counts matter
const spec = { sizes: [784, 256, 10], init: 'he', dtype: 'float32', seed: 7 };
const options = { iterations: 8, batchSize: 64, seed: 3, evaluate: false, yieldEveryMs: 1e9 };
const rows = 256;
const x = new Float32Array(new SharedArrayBuffer(rows * 784 * 4));
const t = new Int32Array(new SharedArrayBuffer(rows * 4));
for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) % 1000) / 1000;
for (let i = 0; i < rows; i++) t[i] = i % 10;

// the truth: the same training on this thread, on one OpenBLAS thread
setNumThreads(1);
const reference = mlp(spec);
await fit(reference, { train: { x: new Matrix(rows, 784, x), t } }, options);
const want = Object.values(reference.params).map((m) => Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).toString('base64'));
const max = Number(/MAX_THREADS=(\d+)/.exec(info().native.config)?.[1]);

const code = `
  const { parentPort, workerData } = require('node:worker_threads');
  import(workerData.lib).then(async ({ Matrix, mlp, fit, setNumThreads, getNumThreads }) => {
    const before = getNumThreads();
    const set = setNumThreads(workerData.threads);
    const net = mlp(workerData.spec);
    await fit(net, { train: { x: new Matrix(workerData.rows, 784, workerData.x), t: workerData.t } }, workerData.options);
    const weights = Object.values(net.params).map((m) => Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).toString('base64'));
    parentPort.postMessage({ before, set, after: getNumThreads(), weights });
  });
`;

function runWorker(threads) {
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { lib, threads, spec, options, rows, x, t } });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (c) => reject(new Error(`worker exited with code ${c} before reporting`)));
  });
}

const deadline = setTimeout(() => {
  console.error('workers-stress: a round hung');
  process.exit(2);
}, 20_000 + rounds * 4_000);

setNumThreads(2);
const big = new Float32Array(512 * 512).fill(0.5);
const out = new Float32Array(512 * 512);
for (let r = 0; r < rounds; r++) {
  const counts = [1, 2, 3, 1000];
  const runs = Promise.all(counts.map(runWorker));
  // the main thread keeps asking for 2 threads on large products meanwhile
  let busy = true;
  const churn = (async () => {
    while (busy) {
      getBackend().gemm(new Matrix(512, 512, big), new Matrix(512, 512, big), new Matrix(512, 512, out));
      await new Promise((res) => setImmediate(res));
    }
  })();
  const results = await runs;
  busy = false;
  await churn;
  results.forEach((res, i) => {
    const expected = Math.min(counts[i], max);
    if (res.before !== 1) throw new Error(`round ${r}: a worker started at ${res.before} OpenBLAS threads, not 1`);
    if (res.set !== expected || res.after !== expected) throw new Error(`round ${r}: worker ${i} set ${counts[i]}, got ${res.set}, saw ${res.after} after training (expected ${expected})`);
    if (res.weights.some((w, k) => w !== want[k])) throw new Error(`round ${r}: worker ${i} (${counts[i]} threads) ended with other weights than the single-threaded run`);
  });
  if (getNumThreads() !== 2) throw new Error(`round ${r}: the main thread's setting became ${getNumThreads()}`);
}
clearTimeout(deadline);
console.log(`workers-stress: ${rounds} rounds of 4 workers, all settings their own, all weights identical (MAX_THREADS ${max})`);
