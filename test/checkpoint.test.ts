import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/index.js';
import { loadModel } from '../src/io/model.js';
import type { FloatArray } from '../src/matrix.js';
import { mlp, type Sequential } from '../src/nn/index.js';
import { lrSpec, Optimizer, registerOptimizer, weightDecaySpec } from '../src/optim/index.js';
import { CheckpointError, fit, History, readCheckpoint, Trainer, type EpochRecord, type TrainerOptions } from '../src/train/index.js';
import { nativeBackend, typedArraySpy } from './helpers.js';

// 2000 training and 500 test images of real MNIST: batch 100 makes an epoch every 20 iterations
const mnist = loadMnist({ dtype: 'float64' });
const data = { train: { ...mnist.train, count: 2000 }, test: { ...mnist.test, count: 500 } };
const TOTAL = 130;

const root = mkdtempSync(join(tmpdir(), 'blasprop-ckpt-'));
let dirs = 0;
const newDir = (): string => join(root, `run${dirs++}`);

afterAll(() => rmSync(root, { recursive: true, force: true }));

function network(dtype: 'float32' | 'float64' = 'float64'): Sequential {
  return mlp({ sizes: [784, 32, 10], seed: 1, dtype, backend: nativeBackend() });
}

function bytesOf(net: Sequential): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, m] of Object.entries(net.params)) out[k] = Buffer.from(m.data.buffer.slice(m.data.byteOffset, m.data.byteOffset + m.data.byteLength));
  return out;
}

function lossBytes(h: History): Buffer {
  return Buffer.from(h.loss.buffer.slice(h.loss.byteOffset, h.loss.byteOffset + h.loss.byteLength));
}

// an epoch record without its wall-clock time, the one thing two runs cannot share
function timeless(epochs: EpochRecord[]): Omit<EpochRecord, 'elapsedMs'>[] {
  return epochs.map(({ elapsedMs: _, ...rest }) => rest);
}

// byte-equal parameters (Buffer.equals: a deep toEqual over 200 000 bytes is slow)
function expectSameWeights(a: Sequential, b: Sequential): void {
  const wa = bytesOf(a);
  const wb = bytesOf(b);
  expect(Object.keys(wb)).toEqual(Object.keys(wa));
  for (const k of Object.keys(wa)) expect(wb[k]!.equals(wa[k]!), `${k} differs`).toBe(true);
}

function expectSameRun(a: { net: Sequential; history: History }, b: { net: Sequential; history: History }): void {
  expectSameWeights(a.net, b.net);
  expect(b.history.iterations).toBe(a.history.iterations);
  expect(lossBytes(b.history).equals(lossBytes(a.history))).toBe(true);
  expect(timeless(b.history.epochs)).toEqual(timeless(a.history.epochs));
  expect(b.history.stopReason).toBe(a.history.stopReason);
  expect(b.history.config).toEqual(a.history.config);
}

// the same run start to finish, never interrupted and never checkpointed
async function uninterrupted(options: TrainerOptions, dtype: 'float32' | 'float64' = 'float64'): Promise<{ net: Sequential; history: History }> {
  const net = network(dtype);
  const history = await fit(net, data, options);
  return { net, history };
}

describe('resume continues a stopped run exactly', () => {
  it.each([
    ['sgd', 'replacement', 57, 'float64'],
    ['sgd', 'shuffle', 57, 'float64'],
    // stopped right at an epoch end: the next iteration starts a new epoch with a new shuffle
    ['sgd', 'shuffle', 40, 'float64'],
    ['adam', 'replacement', 57, 'float64'],
    ['momentum', 'shuffle', 93, 'float64'],
    ['adam', 'shuffle', 66, 'float32'],
  ] as const)('%s, %s sampling, stopped at iteration %i, %s', async (optimizer, sampling, stopAt, dtype) => {
    const options: TrainerOptions = { iterations: TOTAL, optimizer, learningRate: optimizer === 'adam' ? 0.001 : 0.1, sampling, seed: 5, meta: { note: 'x' } };
    const reference = await uninterrupted(options, dtype);
    expect(reference.history.iterations).toBe(TOTAL);

    const dir = newDir();
    const net = network(dtype);
    const stopped = await fit(net, data, { ...options, checkpoint: { dir, every: 25 }, onBatchEnd: (b) => b.iteration < stopAt });
    expect(stopped.iterations).toBe(stopAt);
    expect(stopped.stopReason).toBe('stopped');
    const ckpt = await readCheckpoint(dir);
    expect([ckpt.iteration, ckpt.status]).toEqual([stopAt, 'stopped']);
    // the checkpoint's model file is the network as it was when training stopped
    const saved = await loadModel(ckpt.files.model);
    expectSameWeights(saved.net, net);

    const trainer = await Trainer.resume(dir, { backend: nativeBackend() });
    const resumed = await trainer.fit(data);
    expectSameRun(reference, { net: trainer.net as Sequential, history: resumed });
    // resuming continued the checkpoints: the directory now holds the finished run
    const end = await readCheckpoint(dir);
    expect([end.iteration, end.status]).toEqual([TOTAL, 'completed']);
    expectSameWeights(end.model.net, trainer.net as Sequential);
  });

  it('stopped and resumed twice, by epochs, with timings that keep counting', async () => {
    const options: TrainerOptions = { epochs: 5, sampling: 'shuffle', seed: 9 };
    const reference = await uninterrupted(options);
    expect(reference.history.iterations).toBe(100);
    const dir = newDir();
    await fit(network(), data, { ...options, checkpoint: { dir }, onBatchEnd: (b) => b.iteration < 31 });
    const second = await Trainer.resume(dir, { onBatchEnd: (b) => b.iteration < 77 });
    const h2 = await second.fit(data);
    expect(h2.iterations).toBe(77);
    expect(h2.stopReason).toBe('stopped');
    // wall time carries over from the first session
    const first = await readCheckpoint(dir);
    expect(first.timing.wallTimeMs).toBeGreaterThan(0);
    const third = await Trainer.resume(dir);
    const h3 = await third.fit(data);
    expectSameRun(reference, { net: third.net as Sequential, history: h3 });
    expect(h3.wallTimeMs).toBeGreaterThan(h3.trainTimeMs);
    expect(h3.checkpointTimeMs).toBeGreaterThan(0);
  });

  it('a diverged run (NaN losses and weights) resumes exactly too', async () => {
    const options: TrainerOptions = { iterations: 60, learningRate: 1e150, seed: 4 };
    const reference = await uninterrupted(options);
    expect(Number.isNaN(reference.history.lastEpoch!.loss)).toBe(true);
    const dir = newDir();
    await fit(network(), data, { ...options, checkpoint: { dir, every: 25 }, onBatchEnd: (b) => b.iteration < 47 });
    const trainer = await Trainer.resume(dir);
    expectSameRun(reference, { net: trainer.net as Sequential, history: await trainer.fit(data) });
  });

  it('checkpointing leaves the steps between saves allocation-free', async () => {
    const spy = typedArraySpy();
    let watched = -1;
    try {
      // saves at 10, 20, 30, 40: iterations 11..19 are watched
      await fit(network(), data, {
        iterations: 40,
        seed: 3,
        evaluate: false,
        checkpoint: { dir: newDir(), every: 10 },
        onBatchEnd: (b) => {
          if (b.iteration === 11) spy.watch();
          if (b.iteration === 19) {
            spy.unwatch();
            watched = spy.made;
          }
        },
      });
    } finally {
      spy.unwatch();
    }
    // (the trainer's allocation test checks that the spy does count)
    expect(watched).toBe(0);
  });

  it('resuming a finished run trains nothing more and gives back its history', async () => {
    const dir = newDir();
    const net = network();
    const done = await fit(net, data, { iterations: 45, seed: 2, checkpoint: { dir, every: 20 } });
    const again = await Trainer.resume(dir);
    const h = await again.fit(data);
    expectSameRun({ net, history: done }, { net: again.net as Sequential, history: h });
  });
});

describe('a crash while saving', () => {
  it('between the new files and the manifest leaves the previous checkpoint, which resumes exactly', async () => {
    const options: TrainerOptions = { iterations: TOTAL, optimizer: 'adam', learningRate: 0.002, seed: 8 };
    const reference = await uninterrupted(options);
    const dir = newDir();
    let written: string[] = [];
    const crash = fit(network(), data, {
      ...options,
      checkpoint: {
        dir,
        every: 25,
        beforeCommit: (files) => {
          // the third save dies after writing its files, before committing them
          if (files[0]!.includes('-000000075-')) {
            written = files;
            throw new Error('simulated crash');
          }
        },
      },
    });
    await expect(crash).rejects.toThrow('simulated crash');
    // the crashed save's files are on disk but not committed; the manifest still names iteration 50
    expect(written).toHaveLength(3);
    for (const f of written) expect(readdirSync(dir)).toContain(f.split('/').pop());
    const ckpt = await readCheckpoint(dir);
    expect([ckpt.iteration, ckpt.status]).toEqual([50, 'running']);

    const trainer = await Trainer.resume(dir);
    const resumed = await trainer.fit(data);
    expectSameRun(reference, { net: trainer.net as Sequential, history: resumed });
    // the next commit removed the orphans: only the manifest and its three files remain
    const names = readdirSync(dir).sort();
    expect(names).toHaveLength(4);
    expect(names).toContain('checkpoint.json');
    for (const f of written) expect(names).not.toContain(f.split('/').pop());
  });
});

describe('a bad checkpoint is refused', () => {
  async function saved(): Promise<string> {
    const dir = newDir();
    await fit(network(), data, { iterations: 30, seed: 1, checkpoint: { dir, every: 10 }, evaluate: false });
    return dir;
  }
  const manifestOf = (dir: string): { files: Record<string, { name: string }> } => JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));

  it('a truncated model file', async () => {
    const dir = await saved();
    const model = join(dir, manifestOf(dir).files.model!.name);
    const size = readFileSync(model).byteLength;
    truncateSync(model, size - 100);
    const message = `${model} is corrupt: ${size - 100} bytes, the manifest says ${size} (truncated)`;
    await expect(readCheckpoint(dir)).rejects.toThrow(message);
    await expect(Trainer.resume(dir)).rejects.toThrow(CheckpointError);
  });

  it('a changed byte in the optimizer file', async () => {
    const dir = await saved();
    const path = join(dir, manifestOf(dir).files.optimizer!.name);
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(path, bytes);
    await expect(readCheckpoint(dir)).rejects.toThrow(`${path} is corrupt: its sha256 differs from the manifest's`);
  });

  it('a corrupt or missing manifest, a missing file, a missing directory', async () => {
    const dir = await saved();
    const manifest = join(dir, 'checkpoint.json');
    const text = readFileSync(manifest, 'utf8');
    writeFileSync(manifest, text.slice(0, text.length / 2));
    await expect(readCheckpoint(dir)).rejects.toThrow(`${manifest} is corrupt: not valid JSON`);
    writeFileSync(manifest, text.replace('"iteration": 30', '"iteration": -3'));
    await expect(readCheckpoint(dir)).rejects.toThrow(`${manifest} is corrupt: iteration must be a non-negative integer, got -3`);
    writeFileSync(manifest, text);
    const progress = join(dir, manifestOf(dir).files.progress!.name);
    rmSync(progress);
    await expect(readCheckpoint(dir)).rejects.toThrow(`${progress} (the checkpoint's progress file) is missing`);
    rmSync(manifest);
    await expect(readCheckpoint(dir)).rejects.toThrow(`no checkpoint in ${dir} (checkpoint.json is missing)`);
    await expect(readCheckpoint(join(dir, 'nope'))).rejects.toThrow(`checkpoint directory not found: ${join(dir, 'nope')}`);
  });

  it('options or data that contradict the checkpoint', async () => {
    const dir = await saved();
    await expect(Trainer.resume(dir, { batchSize: 50 })).rejects.toThrow(`Trainer.resume: batchSize 50 conflicts with the checkpoint in ${dir}, which has 100`);
    await expect(Trainer.resume(dir, { optimizer: 'adam' })).rejects.toThrow('optimizer "adam" conflicts');
    await expect(Trainer.resume(dir, { epochs: 2 })).rejects.toThrow('epochs 2 conflicts');
    // the same values are no conflict
    await expect(Trainer.resume(dir, { batchSize: 100, iterations: 30, seed: 1, learningRate: 0.1 })).resolves.toBeInstanceOf(Trainer);
    const trainer = await Trainer.resume(dir);
    await expect(trainer.fit({ train: { ...mnist.train, count: 1000 }, test: data.test })).rejects.toThrow(
      `Trainer.fit: the checkpoint in ${dir} was trained on 2000 examples, this training set has 1000`,
    );
  });

  it('checkpoints need a savable network', () => {
    const spy = { dtype: 'float64', params: {}, predict: () => null, gradient: () => ({}), loss: () => 0, accuracy: () => 0, numericalGradient: () => ({}) };
    expect(() => new Trainer(spy as never, { checkpoint: { dir: newDir() } })).toThrow('checkpoints need a Sequential network');
    expect(() => new Trainer(network(), { checkpoint: { dir: newDir(), every: 0 } })).toThrow('Invalid checkpoint interval: 0');
  });
});

// a user's own optimizer: sign descent, p −= lr·sign(g), with one state slot counting its updates
class SignDescent extends Optimizer {
  constructor(options: { lr?: number } = {}) {
    super('sign-descent', { lr: lrSpec(0.001), weightDecay: weightDecaySpec }, ['n'], options);
  }

  protected override updateParam(p: FloatArray, g: FloatArray, state: FloatArray[]): void {
    const n = state[0]!;
    for (let i = 0; i < p.length; i++) {
      p[i] -= this.lr * Math.sign(g[i]!);
      n[i]! += 1;
    }
  }
}

describe("a user's own Optimizer subclass", () => {
  it('is refused by checkpoints until registered, then checkpoints and resumes exactly', async () => {
    const options: TrainerOptions = { iterations: 50, seed: 3 };
    expect(() => new Trainer(network(), { ...options, optimizer: new SignDescent(), checkpoint: { dir: newDir() } })).toThrow(/'sign-descent' is not/);
    registerOptimizer('sign-descent', (o) => new SignDescent(o));
    expect(() => registerOptimizer('sign-descent', (o) => new SignDescent(o))).toThrow(/already registered/);
    const reference = await uninterrupted({ ...options, optimizer: new SignDescent() });
    const dir = newDir();
    await fit(network(), data, { ...options, optimizer: 'sign-descent', checkpoint: { dir }, onBatchEnd: (b) => b.iteration < 23 });
    const trainer = await Trainer.resume(dir);
    expect(trainer.optimizer).toBeInstanceOf(SignDescent);
    expect(trainer.optimizer.step).toBe(23);
    expectSameRun(reference, { net: trainer.net as Sequential, history: await trainer.fit(data) });
  });
});
