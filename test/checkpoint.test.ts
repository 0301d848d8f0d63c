import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/index.js';
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
    // the checkpoint's network is the network as it was when training stopped
    expectSameWeights(ckpt.model.net, net);

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
  it('after the new file is written, before its rename, leaves the previous checkpoint, which resumes exactly', async () => {
    const options: TrainerOptions = { iterations: TOTAL, optimizer: 'adam', learningRate: 0.002, seed: 8 };
    const reference = await uninterrupted(options);
    const dir = newDir();
    let saves = 0;
    const crash = fit(network(), data, {
      ...options,
      checkpoint: {
        dir,
        every: 25,
        beforeCommit: (files) => {
          // the third save (iteration 75) dies with its file complete under the temp name
          expect(files).toHaveLength(1);
          expect(readFileSync(files[0]!).byteLength).toBeGreaterThan(0);
          if (++saves === 3) throw new Error('simulated crash');
        },
      },
    });
    await expect(crash).rejects.toThrow('simulated crash');
    // the checkpoint still holds iteration 50; no temp file and no lock remain
    expect(readdirSync(dir)).toEqual(['checkpoint.safetensors']);
    const ckpt = await readCheckpoint(dir);
    expect([ckpt.iteration, ckpt.status]).toEqual([50, 'running']);

    const trainer = await Trainer.resume(dir);
    const resumed = await trainer.fit(data);
    expectSameRun(reference, { net: trainer.net as Sequential, history: resumed });
    expect(readdirSync(dir)).toEqual(['checkpoint.safetensors']);
  });
});

describe('a bad checkpoint is refused', () => {
  async function saved(): Promise<string> {
    const dir = newDir();
    await fit(network(), data, { iterations: 30, seed: 1, checkpoint: { dir, every: 10 }, evaluate: false });
    return dir;
  }
  const fileOf = (dir: string): string => join(dir, 'checkpoint.safetensors');

  it('a truncated file', async () => {
    const dir = await saved();
    const path = fileOf(dir);
    truncateSync(path, readFileSync(path).byteLength - 100);
    await expect(readCheckpoint(dir)).rejects.toThrow(new RegExp(`^${path}: tensor "\\w+" data_offsets .* run past the end`));
    await expect(Trainer.resume(dir)).rejects.toThrow(CheckpointError);
  });

  it('a changed byte anywhere, in the tensors or in the run state', async () => {
    const dir = await saved();
    const path = fileOf(dir);
    const original = readFileSync(path);
    const bytes = Buffer.from(original);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(path, bytes);
    await expect(readCheckpoint(dir)).rejects.toThrow(`${path} is corrupt: its sha256 checksum does not match its contents`);
    // issue 10 item 5: an edited batch size (same length, valid JSON) resumed silently before
    const text = original.toString('latin1');
    expect(text).toContain('\\"batchSize\\":100');
    writeFileSync(path, Buffer.from(text.replace('\\"batchSize\\":100', '\\"batchSize\\":999'), 'latin1'));
    await expect(readCheckpoint(dir)).rejects.toThrow(`${path} is corrupt: its sha256 checksum does not match its contents`);
    writeFileSync(path, original);
    await expect(readCheckpoint(dir)).resolves.toMatchObject({ iteration: 30 });
  });

  it('a missing file or directory, and a version 1 checkpoint', async () => {
    const dir = await saved();
    rmSync(fileOf(dir));
    await expect(readCheckpoint(dir)).rejects.toThrow(`no checkpoint in ${dir} (checkpoint.safetensors is missing)`);
    await expect(readCheckpoint(join(dir, 'nope'))).rejects.toThrow(`checkpoint directory not found: ${join(dir, 'nope')}`);
    writeFileSync(join(dir, 'checkpoint.json'), '{"format":"blasprop-checkpoint","version":1}');
    await expect(readCheckpoint(dir)).rejects.toThrow(`${dir} holds a version 1 checkpoint (checkpoint.json and three files); this blasprop reads version 2`);
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

  it('a run with early stopping, stopped and resumed, stops where the whole run does, with its best weights and history', async () => {
    // the best epoch's weights, its measure and the epochs since it are in the checkpoint: without them
    // a resumed run would stop elsewhere (or not at all) and keep other weights
    const withValidation = { ...data, validation: { ...mnist.test, count: 300 } };
    const options: TrainerOptions = { iterations: 2000, learningRate: 0.5, seed: 1, earlyStopping: { patience: 2, minDelta: 0.002 } };
    const whole = network();
    const h = await fit(whole, withValidation, options);
    expect(h.stopReason).toBe('early-stopped');
    expect(h.best!.iteration).toBeLessThan(h.iterations);
    // stopped twice: once before the best epoch and once after it, each resumed from its checkpoint
    const dir = newDir();
    const stops = [h.best!.iteration - 10, h.best!.iteration + 30];
    const net = network();
    await new Trainer(net, { ...options, checkpoint: { dir, every: 20 }, onBatchEnd: (b) => b.iteration !== stops[0] }).fit(withValidation);
    const ck = await readCheckpoint(dir);
    expect(ck.settings.earlyStopping).toEqual({ patience: 2, minDelta: 0.002 });
    expect(ck.early?.bestIteration).toBeLessThan(stops[0]!);
    let trainer = await Trainer.resume(dir, { onBatchEnd: (b) => b.iteration !== stops[1] });
    await trainer.fit(withValidation);
    expect((await readCheckpoint(dir)).early?.bestIteration).toBe(h.best!.iteration);
    trainer = await Trainer.resume(dir);
    const resumed = await trainer.fit(withValidation);
    expect(resumed.stopReason).toBe('early-stopped');
    expect(resumed.iterations).toBe(h.iterations);
    expect(resumed.best?.iteration).toBe(h.best!.iteration);
    expect(bytesOf(trainer.net as Sequential)).toEqual(bytesOf(whole));
    expect(lossBytes(resumed)).toEqual(lossBytes(h));
    expect(timeless(resumed.epochs)).toEqual(timeless(h.epochs));
    // the finished run resumed again trains nothing more
    const again = await (await Trainer.resume(dir)).fit(withValidation);
    expect(again.iterations).toBe(h.iterations);
    // early stopping comes from the checkpoint; other settings for it, or another validation set, are refused
    await expect(Trainer.resume(dir, { earlyStopping: { patience: 3 } })).rejects.toThrow('earlyStopping.patience 3 conflicts');
    // and a run saved without it has none to agree with
    await expect(Trainer.resume(await saved(), { earlyStopping: { patience: 3 } })).rejects.toThrow(/earlyStopping\.patience 3 conflicts with the checkpoint in .*, which has "no early stopping"/);
    await expect((await Trainer.resume(dir)).fit({ ...withValidation, validation: { ...mnist.test, count: 200 } })).rejects.toThrow('was validated on 300 examples, this validation set has 200');
  });

  it('checkpoints need a savable network', () => {
    const spy = { dtype: 'float64', params: {}, predict: () => null, gradient: () => ({}), loss: () => 0, accuracy: () => 0, numericalGradient: () => ({}) };
    expect(() => new Trainer(spy as never, { checkpoint: { dir: newDir() } })).toThrow('checkpoints need a Sequential network');
    expect(() => new Trainer(network(), { checkpoint: { dir: newDir(), every: 0 } })).toThrow('Invalid checkpoint interval: 0');
  });
});

// issue 10 item 8: two runs on one directory died with a raw ENOENT in 18 of 20 trials
describe('one run per checkpoint directory', () => {
  it('a second run is refused while the first trains; the lock goes with the run', async () => {
    const dir = newDir();
    // the second run's outcome, caught at once (it fails while the first still trains)
    let second: Promise<unknown> | undefined;
    await fit(network(), data, {
      iterations: 20,
      seed: 1,
      evaluate: false,
      checkpoint: { dir, every: 10 },
      onBatchEnd: (b) => {
        if (b.iteration === 5) second = fit(network(), data, { iterations: 20, seed: 2, evaluate: false, checkpoint: { dir } }).catch((e: unknown) => e);
      },
    });
    expect(await second).toEqual(new CheckpointError(dir, `${dir} is in use by another training run (this process holds ${join(dir, 'checkpoint.lock')}); wait for it to end, or remove the lock file if that process is gone`));
    expect(readdirSync(dir)).toEqual(['checkpoint.safetensors']);
    expect((await readCheckpoint(dir)).iteration).toBe(20);
  });

  it('refuses a lock held by another live process, takes over one whose process is gone', async () => {
    const dir = newDir();
    mkdirSync(dir);
    const lock = join(dir, 'checkpoint.lock');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(lock, `${child.pid}\n`);
      await expect(fit(network(), data, { iterations: 5, evaluate: false, checkpoint: { dir } })).rejects.toThrow(`(process ${child.pid} holds ${lock})`);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    // the same lock, its owner killed: stale, so the run goes ahead
    const h = await fit(network(), data, { iterations: 5, evaluate: false, checkpoint: { dir } });
    expect(h.iterations).toBe(5);
    expect(existsSync(lock)).toBe(false);
  });
});

// issue 10 item 9: three concurrent fits on one network gave three different results
describe('one fit per network', () => {
  it('a second fit on a network in training is refused, and the first one ends as if alone', async () => {
    const alone = network();
    const reference = await fit(alone, data, { iterations: 12, seed: 3, evaluate: false });
    const net = network();
    const first = fit(net, data, { iterations: 12, seed: 3, evaluate: false });
    await expect(fit(net, data, { iterations: 12, seed: 4, evaluate: false })).rejects.toThrow(
      'Trainer.fit: this network is already training in another fit; a network trains in one fit at a time',
    );
    const h = await first;
    expect(lossBytes(h).equals(lossBytes(reference))).toBe(true);
    expectSameWeights(net, alone);
    // once it has ended, the network can train again
    await expect(fit(net, data, { iterations: 2, evaluate: false })).resolves.toBeInstanceOf(History);
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
