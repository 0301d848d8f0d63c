// training off the main thread: trainInWorker against fit() on this thread, its events, stop/abort,
// dead workers, and the addon in several workers at once (in a child process, so a crash fails a test)

import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/index.js';
import { encodeModel, loadModel } from '../src/io/model.js';
import { Matrix } from '../src/matrix.js';
import { packageRoot } from '../src/native/addon.js';
import { mlp, softmax, TwoLayerNet, type Sequential } from '../src/nn/index.js';
import { fit, readCheckpoint } from '../src/train/index.js';
import { shareTrainingData } from '../src/workers/share.js';
import { sweep } from '../src/workers/sweep.js';
import { WorkerLane } from '../src/workers/lane.js';
import { idx, spawnCli } from './helpers.js';
import { prepareRun, startRun, trainInWorker, type WorkerBatchInfo, type WorkerEpochInfo } from '../src/workers/train-in-worker.js';

const run = promisify(execFile);
const mnist = loadMnist({ dtype: 'float32' });
// the first n images of a split
const head = (set: typeof mnist.train, n: number) => ({ ...set, count: n, images: set.images.subarray(0, n * 784), labels: set.labels.subarray(0, n) });
// a 6 000-image training split (60 iterations of 100 make an epoch) and 1 000 test images
const small = { train: head(mnist.train, 6000), test: head(mnist.test, 1000) };

function sameWeights(a: Sequential, b: Sequential): boolean {
  return Buffer.compare(encodeModel(a), encodeModel(b)) === 0;
}

describe('trainInWorker', () => {
  it('ends with bit-identical weights and losses to fit() on the main thread (same seed and settings)', async () => {
    const options = { iterations: 150, batchSize: 100, learningRate: 0.1, seed: 2, evaluate: false as const };
    const here = new TwoLayerNet(784, 50, 10, { dtype: 'float32', seed: 1 });
    const h = await fit(here, small, options);
    const start = new TwoLayerNet(784, 50, 10, { dtype: 'float32', seed: 1 });
    const { net, history } = await trainInWorker(start, small, options).result;
    expect(sameWeights(net, here)).toBe(true);
    expect(Array.from(history.loss)).toEqual(Array.from(h.loss));
    expect(history.config.seed).toBe(2);
    // the network handed in is not touched: the worker trains a copy
    expect(sameWeights(start, new TwoLayerNet(784, 50, 10, { dtype: 'float32', seed: 1 }))).toBe(true);
    // and with Adam on float64 and shuffled epochs
    const o2 = { iterations: 90, batchSize: 50, optimizer: 'adam', sampling: 'shuffle' as const, seed: 5, evaluate: false as const };
    const a = mlp({ sizes: [784, 32, 16, 10], init: 'he', dtype: 'float64', seed: 3 });
    const b = mlp({ sizes: [784, 32, 16, 10], init: 'he', dtype: 'float64', seed: 3 });
    await fit(a, small, o2);
    expect(sameWeights((await trainInWorker(b, small, o2).result).net, a)).toBe(true);
  });

  it('trains on tables ({ x, y }, as loadCsv gives) with a validation set as fit() does: the same weights, history and early stop', async () => {
    // a regression of 3 features, noisy enough that early stopping ends it before its 300 epochs; the
    // validation set is what it watches, so a worker without it could not stop where fit() does
    const rows = (n: number, from: number) => Array.from({ length: n }, (_, i) => [Math.sin(from + i), Math.cos(3 * (from + i)), ((from + i) % 7) / 7]);
    const target = (x: number[][]) => x.map(([a, b, c]) => 2 * a! - b! + 0.5 * c! + 0.3 * Math.sin(97 * a!));
    const [xt, xv, xs] = [rows(200, 0), rows(60, 500), rows(40, 900)];
    const data = { train: { x: xt, y: target(xt) }, validation: { x: xv, y: target(xv) }, test: { x: xs, y: target(xs) } };
    const options = { epochs: 300, batchSize: 20, optimizer: 'adam', learningRate: 0.02, sampling: 'shuffle' as const, seed: 4, earlyStopping: { patience: 4 } };
    const make = () => mlp({ sizes: [3, 16, 1], init: 'he', dtype: 'float64', seed: 6, task: 'regress' });
    const here = make();
    const h = await fit(here, data, options);
    const { net, history } = await trainInWorker(make(), data, options).result;
    expect(h.stopReason).toBe('early-stopped');
    expect(history.stopReason).toBe('early-stopped');
    expect(history.iterations).toBe(h.iterations);
    expect(sameWeights(net, here)).toBe(true);
    expect(Array.from(history.loss)).toEqual(Array.from(h.loss));
    expect(history.epochs.map((e) => e.validation)).toEqual(h.epochs.map((e) => e.validation));
    expect(history.epochs.at(-1)!.validation).toBeDefined();
  });

  it('delivers every batch and epoch record, and each epoch\'s weights, to the main thread', async () => {
    const batches: WorkerBatchInfo[] = [];
    const epochs: WorkerEpochInfo[] = [];
    const nets: Sequential[] = [];
    const start = new TwoLayerNet(784, 20, 10, { dtype: 'float32', seed: 1 });
    const { net, history } = await trainInWorker(start, small, {
      iterations: 120, seed: 4,
      onBatchEnd: (b) => void batches.push(b),
      onEpochEnd: (e) => void epochs.push(e),
      onWeights: (n) => void nets.push(n),
    }).result;
    expect(batches.map((b) => b.iteration)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(batches.map((b) => b.loss)).toEqual(Array.from(history.loss));
    expect(epochs.map((e) => [e.epoch, e.iteration])).toEqual([[1, 60], [2, 120]]);
    expect(epochs[1]!.testAccuracy).toBe(history.epochs[1]!.testAccuracy);
    expect(epochs[1]!.testAccuracy).toBeGreaterThan(0.6);
    // epoch 2 ends the run, so its published weights are the final ones; epoch 1's are not
    expect(nets).toHaveLength(2);
    expect(sameWeights(nets[1]!, net)).toBe(true);
    expect(sameWeights(nets[0]!, net)).toBe(false);
    expect(nets[0]!.accuracy(new Matrix(1, 784, new Float32Array(784)), new Int32Array([0]))).toBeGreaterThanOrEqual(0);
  });

  it('stops when a callback returns false, and aborts on the signal; both resolve with what was done', async () => {
    const stopped = await trainInWorker(new TwoLayerNet(784, 20, 10, { seed: 1 }), small, { iterations: 6000, evaluate: false, onEpochEnd: () => false }).result;
    expect(stopped.history.stopReason).toBe('stopped');
    expect(stopped.history.iterations).toBeGreaterThanOrEqual(60);
    expect(stopped.history.iterations).toBeLessThan(6000);
    const controller = new AbortController();
    const aborted = await trainInWorker(new TwoLayerNet(784, 20, 10, { seed: 1 }), small, {
      iterations: 6000, evaluate: false, signal: controller.signal, onEpochEnd: () => controller.abort(),
    }).result;
    expect(aborted.history.stopReason).toBe('aborted');
    expect(aborted.history.iterations).toBeLessThan(6000);
    // aborted before it starts: no update at all
    const before = new AbortController();
    before.abort();
    const none = await trainInWorker(new TwoLayerNet(784, 20, 10, { seed: 1 }), small, { iterations: 100, signal: before.signal }).result;
    expect(none.history.iterations).toBe(0);
  });

  it('rejects with the worker\'s error when it throws, is terminated or runs out of memory', async () => {
    // a label outside the classes fails inside the worker's training step. shuffled, the first batch
    // holds every row, the bad one too (drawn with replacement and no seed, 20 draws missed it once
    // in ~300 runs: CI saw the run resolve)
    const x = new Matrix(4, 784, new Float32Array(4 * 784));
    const bad = trainInWorker(new TwoLayerNet(784, 5, 10, { seed: 1 }), { train: { x, t: new Int32Array([0, 1, 12, 3]) } }, { iterations: 5, batchSize: 4, sampling: 'shuffle', evaluate: false });
    await expect(bad.result).rejects.toThrow(/label \d+ is 12/);
    // terminated once it is training (a worker ended while still starting up may report exit code 0)
    let terminating = false;
    const long = trainInWorker(new TwoLayerNet(784, 50, 10, { seed: 1 }), small, {
      iterations: 1_000_000,
      onBatchEnd: () => {
        if (!terminating) void long.terminate();
        terminating = true;
      },
    });
    await expect(long.result).rejects.toThrow(/the worker exited with code 1 before training finished/);
    const tiny = trainInWorker(new TwoLayerNet(784, 50, 10, { seed: 1 }), small, { iterations: 10, resourceLimits: { maxOldGenerationSizeMb: 2, maxYoungGenerationSizeMb: 1 } });
    await expect(tiny.result).rejects.toMatchObject({ code: 'ERR_WORKER_OUT_OF_MEMORY' });
  });

  it('writes checkpoints as fit() does: the last one holds the returned weights', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'blasprop-worker-ck-'));
    try {
      const { net } = await trainInWorker(new TwoLayerNet(784, 10, 10, { dtype: 'float32', seed: 1 }), small, { iterations: 60, seed: 1, evaluate: false, checkpoint: { dir, every: 25 } }).result;
      const ck = await readCheckpoint(dir);
      expect(ck.iteration).toBe(60);
      expect(sameWeights(ck.model.net, net)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('continues a run interrupted in a worker from its checkpoint directory, to the very weights and history of the run never interrupted', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'blasprop-worker-resume-'));
    try {
      // Adam (state to carry over), shuffled epochs (a permutation to carry over), an evaluation per epoch
      const options = { iterations: 3000, batchSize: 10, optimizer: 'adam', learningRate: 0.003, sampling: 'shuffle' as const, seed: 3 };
      const fresh = () => new TwoLayerNet(784, 8, 10, { dtype: 'float32', seed: 1 });
      const whole = fresh();
      const h = await fit(whole, small, options);
      // stopped from the main thread as soon as the first batch records arrive (the worker sees it a batch later)
      const first = await trainInWorker(fresh(), small, { ...options, checkpoint: { dir, every: 50 }, onBatchEnd: () => false }).result;
      expect(first.history.stopReason).toBe('stopped');
      const saved = await readCheckpoint(dir);
      expect([saved.status, saved.iteration]).toEqual(['stopped', first.history.iterations]);
      expect(saved.iteration).toBeLessThan(3000);
      // continued in another worker: settings, weights, Adam's moments, the permutation and the history from the directory
      const { net, history } = await trainInWorker(dir, small).result;
      expect(sameWeights(net, whole)).toBe(true);
      expect(Array.from(history.loss)).toEqual(Array.from(h.loss));
      expect(history.epochs.map((e) => [e.iteration, e.testAccuracy])).toEqual(h.epochs.map((e) => [e.iteration, e.testAccuracy]));
      // and checkpoints kept going into the same directory, as Trainer.resume does
      expect((await readCheckpoint(dir)).iteration).toBe(3000);
      // a setting that contradicts the checkpoint is refused, as by Trainer.resume
      await expect(trainInWorker(dir, small, { batchSize: 50 }).result).rejects.toThrow(/batchSize 50 conflicts with the checkpoint/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // each thread's nice value: field 19 of /proc/self/task/TID/stat, the 17th after the name's ')'
  const niceValues = (): number[] =>
    readdirSync('/proc/self/task').map((tid) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]));

  it.runIf(process.platform === 'linux')('runs the worker thread, and only it, at the priority asked (one run, or a sweep\'s workers), to the same weights', async () => {
    const options = { iterations: 60, learningRate: 0.1, seed: 2, evaluate: false as const };
    const here = new TwoLayerNet(784, 20, 10, { dtype: 'float32', seed: 1 });
    await fit(here, small, options);
    const before = niceValues();
    expect(before).not.toContain(19);
    let during: number[] = [];
    const { net } = await trainInWorker(new TwoLayerNet(784, 20, 10, { dtype: 'float32', seed: 1 }), small, {
      ...options, priority: 19, onBatchEnd: () => void (during.length === 0 && (during = niceValues())),
    }).result;
    expect(sameWeights(net, here)).toBe(true);
    // one thread at 19, the worker's: the main thread's value, the process's, is untouched
    expect(during.filter((n) => n === 19)).toHaveLength(1);
    expect(getPriority()).toBe(before[0]);
    // a sweep's priority is each of its workers'
    let seen: number[] = [];
    const runs = [1, 2].map(() => ({ net: new TwoLayerNet(784, 20, 10, { dtype: 'float32', seed: 1 }), options: { ...options, iterations: 200, onBatchEnd: (b: WorkerBatchInfo) => void (b.iteration === 150 && (seen = niceValues())) } }));
    const results = await sweep(runs, small, { workers: 2, priority: 19 });
    for (const r of results) expect(r.status === 'fulfilled' && r.value.history.loss.length).toBe(200);
    expect(seen.filter((n) => n === 19)).toHaveLength(2);
    await expect(sweep(runs, small, { priority: -21 })).rejects.toThrow(/sweep: priority must be an integer from -20 to 19/);
  });

  it('checks its options on the main thread, before a worker starts', () => {
    const net = new TwoLayerNet(784, 5, 10, { seed: 1 });
    expect(() => trainInWorker(net, small, { batchSize: 0 })).toThrow('Invalid batch size: 0');
    expect(() => trainInWorker(net, small, { optimizer: {} as never })).toThrow(/optimizer object cannot move to a worker/);
    expect(() => trainInWorker(net, { train: { count: 1, features: 1, gather: () => {} } }, {})).toThrow(/not a Dataset with gather/);
    expect(() => trainInWorker(net, small, { priority: 20 })).toThrow(/trainInWorker: priority must be an integer from -20 to 19 .*got 20/);
    expect(() => trainInWorker(net, small, { priority: 1.5 })).toThrow(RangeError);
  });

  it('shares the data once: SharedArrayBuffer-backed arrays pass through without a copy', () => {
    const shared = shareTrainingData(small);
    expect(shared.train.kind === 'mnist' && shared.train.set.images.buffer instanceof SharedArrayBuffer).toBe(true);
    expect(shareTrainingData(shared)).toBe(shared);
    const again = shareTrainingData({ train: shared.train.kind === 'mnist' ? shared.train.set : mnist.train });
    expect(again.train.kind === 'mnist' && shared.train.kind === 'mnist' && again.train.set.images).toBe(shared.train.kind === 'mnist' && shared.train.set.images);
  });

  it('loadMnist puts its sets on shared memory, so a worker reads them where they are', () => {
    const shared = shareTrainingData(mnist);
    expect(mnist.train.images.buffer instanceof SharedArrayBuffer).toBe(true);
    expect(shared.train.kind === 'mnist' && shared.train.set.images).toBe(mnist.train.images);
    expect(shared.test?.kind === 'mnist' && shared.test.set.labels).toBe(mnist.test.labels);
  });

  it('puts the shared copy of a large set in 2 MB pages, as loadMnist does for its own arrays', () => {
    // the kernel's own tally for this process (vitest runs each test file in a process of its own)
    const huge = (): number => Number(/AnonHugePages:\s+(\d+) kB/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))![1]);
    // loadMnist's own arrays already are shared: a plain copy of them is what gets copied here
    const plain = { ...mnist.train, images: Uint8Array.from(mnist.train.images) };
    const before = huge();
    const copy = shareTrainingData({ train: plain }).train;
    const grewMB = (huge() - before) / 1024;
    expect(copy.kind === 'mnist' && copy.set.images.buffer instanceof SharedArrayBuffer).toBe(true);
    expect(copy.kind === 'mnist' && Buffer.compare(copy.set.images, mnist.train.images)).toBe(0);
    // where the kernel offers huge pages at all: nearly all of the 47 MB copy is in them
    if (!readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').includes('[never]')) expect(grewMB).toBeGreaterThanOrEqual(40);
  });
});

describe('a worker lane (what a sweep keeps per core)', () => {
  it('trains jobs one after another on one worker, each as fit() would; the worker keeps the data the first job brought', async () => {
    const lane = new WorkerLane();
    const shared = shareTrainingData(small);
    try {
      for (const seed of [1, 2]) {
        const options = { iterations: 30, seed, evaluate: false as const };
        const start = new TwoLayerNet(784, 10, 10, { dtype: 'float32', seed });
        // a lane sends its data with the first job only: the second one trains on what the worker kept (or fails)
        const { net } = await startRun(lane, prepareRun(start, options), shared).result;
        const here = new TwoLayerNet(784, 10, 10, { dtype: 'float32', seed });
        await fit(here, small, options);
        expect(sameWeights(net, here)).toBe(true);
        await lane.idle();
        expect(lane.alive).toBe(true);
      }
    } finally {
      lane.close();
    }
  });
});

describe('sweep', () => {
  it('trains each configuration as fit() would from its seed, keeps order, and reports a failing run without losing the rest', async () => {
    const configs = [0.05, 0.1, 0.2].map((lr, i) => ({ lr, seed: 10 + i }));
    const options = (c: { lr: number; seed: number }) => ({ iterations: 40, learningRate: c.lr, seed: c.seed, evaluate: false as const });
    const runs = [
      ...configs.map((c) => ({ net: new TwoLayerNet(784, 10, 10, { dtype: 'float32', seed: c.seed }), options: options(c) })),
      { net: new TwoLayerNet(784, 10, 10, { seed: 1 }), options: { learningRate: -1 } },
    ];
    const results = await sweep(runs, small, { workers: 2 });
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect(String((results[3] as { reason: unknown }).reason)).toMatch(/Invalid learning rate: -1/);
    for (const [i, c] of configs.entries()) {
      const here = new TwoLayerNet(784, 10, 10, { dtype: 'float32', seed: c.seed });
      await fit(here, small, options(c));
      const r = results[i]!;
      expect(r.status === 'fulfilled' && sameWeights(r.value.net, here)).toBe(true);
    }
  });

  it('replaces a worker that died in a run: the runs after it on that lane still train', async () => {
    const x = new Matrix(4, 784, new Float32Array(4 * 784));
    const data = { train: { x, t: new Int32Array([0, 1, 2, 3]) } };
    // a 5-class network on labels up to 3 trains; a 3-class one fails inside the worker's step
    const runs = [5, 3, 5, 5].map((classes, i) => ({ net: new TwoLayerNet(784, 4, classes, { dtype: 'float32', seed: i }), options: { iterations: 5, batchSize: 4, seed: i, evaluate: false as const } }));
    const results = await sweep(runs, data, { workers: 1 });
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(String((results[1] as { reason: unknown }).reason)).toMatch(/label \d+ is 3/);
    const here = new TwoLayerNet(784, 4, 5, { dtype: 'float32', seed: 3 });
    await fit(here, data, runs[3]!.options);
    expect(results[3]!.status === 'fulfilled' && sameWeights(results[3]!.value.net, here)).toBe(true);
  });
});

describe('OpenBLAS threads per JavaScript thread', () => {
  it('setNumThreads(1000) reports what OpenBLAS stored (its MAX_THREADS), on the main thread', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
      const { setNumThreads, getNumThreads, info } = await import(${JSON.stringify(path.join(packageRoot, 'dist', 'index.js'))});
      console.log(JSON.stringify({ set: setNumThreads(1000), get: getNumThreads(), config: info().native.config }));`], { encoding: 'utf8' });
    const r = JSON.parse(out) as { set: number; get: number; config: string };
    const max = Number(/MAX_THREADS=(\d+)/.exec(r.config)![1]);
    expect(r.set).toBe(max);
    expect(r.get).toBe(max);
  });

  it('four workers load the addon and train at once, each keeping its own settings and getting single-threaded bits', async () => {
    const { stdout } = await run(process.execPath, [path.join(packageRoot, 'test', 'workers-stress.mjs'), '1'], { timeout: 25_000 });
    expect(stdout).toMatch(/1 rounds of 4 workers, all settings their own, all weights identical/);
  });
});

describe('examples/serve-while-training.mjs', () => {
  it('answers POST /predict on 127.0.0.1 while a worker trains, each answer from one epoch\'s weights', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'blasprop-serve-'));
    const save = path.join(dir, 'final.safetensors');
    const child = spawn(process.execPath, [path.join(packageRoot, 'examples', 'serve-while-training.mjs'), '--port', '0', '--iterations', '600', '--train-count', '6000', '--exit-after-training', '--save', save], { stdio: ['ignore', 'pipe', 'inherit'] });
    const killer = setTimeout(() => child.kill(), 25_000);
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      while (!/listening http:\/\/127\.0\.0\.1:(\d+)/.test(out)) await new Promise((r) => setTimeout(r, 20));
      const url = `http://127.0.0.1:${/127\.0\.0\.1:(\d+)/.exec(out)![1]}`;
      // 20 real test digits per request, one every 10 ms, until the server closes
      const images = Array.from({ length: 20 }, (_, i) => Array.from(mnist.test.images.subarray(i * 784, (i + 1) * 784), (v) => v / 255));
      const answers: { epoch: number; digits: number[]; probabilities: number[][] }[] = [];
      for (;;) {
        try {
          const res = await fetch(`${url}/predict`, { method: 'POST', body: JSON.stringify({ images }) });
          answers.push(await res.json() as (typeof answers)[number]);
          await new Promise((r) => setTimeout(r, 10));
        } catch {
          break;
        }
      }
      expect(await exited).toBe(0);
      expect(out).toMatch(/training finished: epoch 10/);
      const epochs = answers.map((a) => a.epoch);
      // answers came during training (several epochs seen) and never went back to older weights
      expect(new Set(epochs).size).toBeGreaterThanOrEqual(2);
      expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
      // the last epoch's answers are exactly what its saved weights give: the whole of one epoch's weights
      const final = (await loadModel(save)).net;
      const x = new Matrix(20, 784, Float32Array.from(images.flat()));
      const p = softmax(final.predict(x));
      const last = answers.filter((a) => a.epoch === 10);
      expect(last.length).toBeGreaterThan(0);
      for (const a of last) expect(a.probabilities.flat()).toEqual(Array.from(p.data));
      const right = last[0]!.digits.filter((d, i) => d === mnist.test.labels[i]).length;
      expect(right).toBeGreaterThanOrEqual(16);
    } finally {
      clearTimeout(killer);
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('blasprop train --worker', () => {
  it('trains in a worker to the very weights of the same run on the main thread, and --resume continues a --worker run stopped by Ctrl-C to them too', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'blasprop-cli-worker-'));
    try {
      // 1000 training and 200 test images of the real MNIST: an epoch is 100 batches of 10
      const data = path.join(dir, 'mnist');
      mkdirSync(data);
      writeFileSync(path.join(data, 'train-images-idx3-ubyte'), idx([1000, 28, 28], mnist.train.images.subarray(0, 1000 * 784)));
      writeFileSync(path.join(data, 'train-labels-idx1-ubyte'), idx([1000], mnist.train.labels.subarray(0, 1000)));
      writeFileSync(path.join(data, 't10k-images-idx3-ubyte'), idx([200, 28, 28], mnist.test.images.subarray(0, 200 * 784)));
      writeFileSync(path.join(data, 't10k-labels-idx1-ubyte'), idx([200], mnist.test.labels.subarray(0, 200)));
      const ck = path.join(dir, 'ck');
      const flags = ['--data', data, '--hidden', '16', '--batch', '10', '--iterations', '4000', '--optimizer', 'momentum', '--lr', '0.01', '--seed', '5'];
      const quiet = (file: string) => ['--quiet', '--json', '--save', file];
      // Ctrl-C once the first epoch line is out: the worker stops after its batch and checkpoints there
      let sent = false;
      const stopped = spawnCli(dir, ['train', ...flags, '--worker', '--checkpoint', ck, '--every', '30'], {
        onStdout: (out, child) => {
          if (!sent && /^epoch 1 /m.test(out)) {
            sent = true;
            child.kill('SIGINT');
          }
        },
      });
      // meanwhile the whole run on the main thread, and in a worker
      const [main, worker] = await Promise.all([spawnCli(dir, ['train', ...flags, ...quiet('main.safetensors')]), spawnCli(dir, ['train', ...flags, '--worker', ...quiet('worker.safetensors')])]);
      expect([main.code, worker.code]).toEqual([0, 0]);
      const m = JSON.parse(main.stdout) as { testAccuracy: number };
      expect(JSON.parse(worker.stdout)).toMatchObject({ threads: 1, testAccuracy: m.testAccuracy });
      const whole = (await loadModel(path.join(dir, 'main.safetensors'))).net;
      expect(sameWeights((await loadModel(path.join(dir, 'worker.safetensors'))).net, whole)).toBe(true);

      expect((await stopped).code).toBe(130);
      const saved = await readCheckpoint(ck);
      expect(saved.status).toBe('aborted');
      expect(saved.iteration).toBeLessThan(4000);
      const resumed = await spawnCli(dir, ['train', '--worker', '--checkpoint', ck, '--resume', '--data', data, ...quiet('resumed.safetensors')]);
      expect([resumed.code, resumed.stderr]).toEqual([0, '']);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ resumedFrom: saved.iteration, threads: 1, testAccuracy: m.testAccuracy });
      expect(sameWeights((await loadModel(path.join(dir, 'resumed.safetensors'))).net, whole)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
