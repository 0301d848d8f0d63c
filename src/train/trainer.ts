// minibatch training, the book's train_neuralnet as a reusable loop:
//   for each iteration: pick a batch, gradient by backprop, optimizer step, record the loss;
//   after every epoch (trainCount / batchSize iterations): train and test accuracy.
//
// the loop never freezes the process: fit() is async and hands the event loop a turn whenever
// ~15 ms have passed (a turn costs microseconds, a step ~0.2 ms, so not every step), and at every
// epoch end. it never allocates per step: the batch, its labels and its indices live in buffers
// made once per fit.
//
// with a checkpoint directory it saves everything the run depends on every N iterations and when it
// ends, and Trainer.resume(dir) continues such a run: the resumed run ends with the same weights, bit
// for bit, and the same losses and epoch records as a run that was never interrupted. that holds because
// the trajectory depends only on the weights, the optimizer's state, the sampling generator's state and,
// for 'shuffle', the current epoch's order (all saved), and on the iteration number, which fixes the
// epoch boundaries; evaluation draws no random numbers, and event-loop turns change no value.

import { randomInt } from 'node:crypto';
import type { Backend } from '../backend/types.js';
import { describeArchitecture } from '../io/model.js';
import { Matrix } from '../matrix.js';
import { Sequential } from '../nn/sequential.js';
import type { Network } from '../nn/types.js';
import { createOptimizer, OPTIMIZER_NAMES, type OptimizerName } from '../optim/index.js';
import type { OptimizerStateDict, Params } from '../optim/optimizer.js';
import { Random } from '../random.js';
import { CheckpointError, lockCheckpoint, readCheckpoint, writeCheckpoint, type Checkpoint, type CheckpointSettings, type CheckpointStatus, type WriteCheckpointOptions } from './checkpoint.js';
import { toDataset, type Dataset, type DatasetLike } from './dataset.js';
import { DEFAULT_EVAL_CHUNK, Evaluator } from './evaluate.js';
import { History, type EpochRecord } from './history.js';

export type Sampling = 'replacement' | 'shuffle';

// anything with the book's update(params, grads); every optimizer in src/optim is one
export interface OptimizerLike {
  update(params: Params, grads: Params): void;
  readonly name?: string;
  readonly lr?: number;
  // checkpoints need both (every optimizer in src/optim has them)
  stateDict?(): OptimizerStateDict;
  loadStateDict?(state: OptimizerStateDict): void;
}

export interface CheckpointOptions {
  // the directory holding the checkpoint (made if needed); each save replaces the previous checkpoint
  dir: string;
  // save after every this many iterations (default: once per epoch); always also when the run ends or stops
  every?: number;
  // test hook: runs after a checkpoint's data files are written, before its manifest commits them
  beforeCommit?: WriteCheckpointOptions['beforeCommit'];
}

export interface BatchInfo {
  // 1-based: the number of updates made so far, this one included
  iteration: number;
  // 1-based epoch this iteration belongs to
  epoch: number;
  // the planned number of iterations
  totalIterations: number;
  // this batch's loss, computed by the forward pass of this iteration (before its update)
  loss: number;
  batchSize: number;
  // wall time since fit started, and the part of it not spent evaluating (for throughput)
  elapsedMs: number;
  trainTimeMs: number;
  // ask the trainer to stop after this batch (same as returning false)
  stop: () => void;
}

export interface EpochInfo extends EpochRecord {
  totalIterations: number;
  stop: () => void;
}

// returning false (or a promise of false) stops training after the current batch
export type TrainingCallback<I> = (info: I) => void | boolean | Promise<void | boolean>;

export interface TrainerOptions {
  // how long to train: iterations (default 10 000, as the book) or whole epochs, not both
  iterations?: number;
  epochs?: number;
  batchSize?: number;
  // default 0.1 (the book) for SGD; a named optimizer otherwise keeps its own default
  learningRate?: number;
  // an optimizer instance, or a name for createOptimizer ('sgd', 'momentum', 'adam', …)
  optimizer?: OptimizerLike | string;
  // extra hyperparameters for a named optimizer (momentum, beta1, weightDecay, …)
  optimizerOptions?: Record<string, number>;
  // seeds the batch sampling; default: a random seed, recorded in the history
  seed?: number;
  // 'replacement' (the book): each batch drawn at random with replacement;
  // 'shuffle': a fresh permutation per epoch, every example seen exactly once per epoch
  sampling?: Sampling;
  // 'epoch': train and test accuracy after every epoch (and once at the end); false: never
  evaluate?: 'epoch' | false;
  // rows per evaluation chunk (default: the batch size, or 1000 for batches under 100)
  evalBatchSize?: number;
  // hand the event loop a turn once this many milliseconds have passed since the last one
  yieldEveryMs?: number;
  onBatchEnd?: TrainingCallback<BatchInfo>;
  onEpochEnd?: TrainingCallback<EpochInfo>;
  // aborting stops training after the current batch; fit still resolves with what was done
  signal?: AbortSignal;
  // extra facts for the history's config (backend, dtype, layer sizes, …); they win over the trainer's own keys
  meta?: Record<string, unknown>;
  // save checkpoints into a directory (the network must be a Sequential, the optimizer one of src/optim's)
  checkpoint?: CheckpointOptions | false;
}

// Trainer.resume: the trainer options a resumed run may set, plus the backend its network is built on.
// options that fix the trajectory (iterations, epochs, batchSize, learningRate, optimizer, optimizerOptions,
// seed, sampling) come from the checkpoint; giving one with another value is an error
export interface ResumeOptions extends TrainerOptions {
  backend?: Backend;
}

export interface TrainingData {
  train: DatasetLike;
  test?: DatasetLike;
}

export const DEFAULT_ITERATIONS = 10_000;
export const DEFAULT_BATCH_SIZE = 100;
export const DEFAULT_LEARNING_RATE = 0.1;
export const DEFAULT_YIELD_MS = 15;

const OPTION_KEYS = new Set<string>([
  'iterations', 'epochs', 'batchSize', 'learningRate', 'optimizer', 'optimizerOptions', 'seed', 'sampling',
  'evaluate', 'evalBatchSize', 'yieldEveryMs', 'onBatchEnd', 'onEpochEnd', 'signal', 'meta', 'checkpoint',
]);

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

// PyTorch-style messages: `Invalid batch size: 0`, with what was expected after it
function positiveInteger(label: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`Invalid ${label}: ${describe(value)} (expected an integer ≥ 1)`);
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`Invalid ${label}: ${value} (expected an integer ≥ 1)`);
  return value;
}

function learningRateOf(value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`Invalid learning rate: ${describe(value)} (expected a number)`);
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`Invalid learning rate: ${value}`);
  return value;
}

function callbackOf<I>(name: string, value: unknown): TrainingCallback<I> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new TypeError(`Invalid ${name}: expected a function, got ${typeof value}`);
  return value as TrainingCallback<I>;
}

function checkNetwork(net: unknown): asserts net is Network {
  const n = net as Partial<Network> | null;
  if (n === null || typeof n !== 'object' || typeof n.gradient !== 'function' || typeof n.predict !== 'function' || n.params === null || typeof n.params !== 'object') {
    throw new TypeError('Trainer: net must be a Network (with params, predict and gradient)');
  }
  if (n.dtype !== 'float32' && n.dtype !== 'float64') throw new TypeError(`Trainer: net.dtype must be 'float32' or 'float64', got ${describe(n.dtype)}`);
}

// a Sequential's gradient() runs the loss forward and its last layer keeps the value; a network
// exposing a numeric lastLoss is trusted the same way; any other network pays one more forward pass
function lossKeptBy(net: Network): (() => number) | undefined {
  if (net instanceof Sequential) return () => net.lastLayer.loss;
  if (typeof (net as { lastLoss?: unknown }).lastLoss === 'number') return () => (net as unknown as { lastLoss: number }).lastLoss;
  return undefined;
}

// a callback's verdict: false means stop; a promise is awaited for its verdict
async function settle(result: Promise<void | boolean>): Promise<boolean> {
  return (await result) === false;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function checkpointOf(value: unknown, net: Network, optimizer: OptimizerLike): CheckpointOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === null || typeof value !== 'object') throw new TypeError(`Invalid checkpoint: expected { dir, every? } or false, got ${describe(value)}`);
  const c = value as Partial<CheckpointOptions>;
  for (const key of Object.keys(c)) {
    if (key !== 'dir' && key !== 'every' && key !== 'beforeCommit') throw new TypeError(`Invalid checkpoint: unknown option '${key}' (expected dir, every, beforeCommit)`);
  }
  if (typeof c.dir !== 'string' || c.dir === '') throw new TypeError(`Invalid checkpoint.dir: expected a directory path, got ${describe(c.dir)}`);
  const every = c.every === undefined ? undefined : positiveInteger('checkpoint interval', c.every);
  if (c.beforeCommit !== undefined && typeof c.beforeCommit !== 'function') throw new TypeError('Invalid checkpoint.beforeCommit: expected a function');
  // a checkpoint holds a model file and an optimizer state: both must be savable, which is known now
  if (!(net instanceof Sequential)) throw new TypeError('Trainer: checkpoints need a Sequential network (mlp, TwoLayerNet, …)');
  describeArchitecture(net);
  if (typeof optimizer.stateDict !== 'function' || typeof optimizer.loadStateDict !== 'function' || !OPTIMIZER_NAMES.includes(optimizer.name as OptimizerName)) {
    throw new TypeError(`Trainer: checkpoints need one of the optimizers of blasprop (${OPTIMIZER_NAMES.join(', ')}), with stateDict and loadStateDict`);
  }
  return { dir: c.dir, every, beforeCommit: c.beforeCommit };
}

// the same value, or both absent
function same(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

export class Trainer {
  readonly net: Network;
  readonly optimizer: OptimizerLike;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly sampling: Sampling;
  readonly seed: number;
  readonly evaluate: 'epoch' | false;
  private readonly iterations: number | undefined;
  private readonly epochs: number | undefined;
  private readonly evaluator: Evaluator;
  // rows per evaluation chunk (a saved model records it, so a later evaluation chunks the same way)
  readonly evalBatchSize: number;
  private readonly yieldEveryMs: number;
  private readonly onBatchEnd: TrainingCallback<BatchInfo> | undefined;
  private readonly onEpochEnd: TrainingCallback<EpochInfo> | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly meta: Record<string, unknown>;
  private readonly random: Random;
  private readonly checkpoint: CheckpointOptions | undefined;
  // a checkpoint to continue from, taken by the next fit()
  private pending: Checkpoint | undefined;
  private running = false;
  private stopRequested = false;
  // the loss the network's gradient() already computed, when it keeps one (saves a second forward pass)
  private readonly lossOfGradient: (() => number) | undefined;

  constructor(net: Network, options: TrainerOptions = {}) {
    checkNetwork(net);
    if (options === null || typeof options !== 'object') throw new TypeError(`Trainer: options must be an object, got ${describe(options)}`);
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.has(key)) throw new TypeError(`Trainer: unknown option '${key}' (expected ${[...OPTION_KEYS].join(', ')})`);
    }
    const o = options;
    this.net = net;
    if (o.iterations !== undefined && o.epochs !== undefined) {
      throw new TypeError('Trainer: give iterations or epochs, not both');
    }
    this.iterations = o.epochs === undefined ? positiveInteger('iterations', o.iterations ?? DEFAULT_ITERATIONS) : undefined;
    this.epochs = o.epochs === undefined ? undefined : positiveInteger('epochs', o.epochs);
    this.batchSize = positiveInteger('batch size', o.batchSize ?? DEFAULT_BATCH_SIZE);
    // evaluating in batch-sized chunks keeps every layer's buffers the shape training uses, so epoch
    // ends cost no reallocation; tiny batches would make evaluation crawl, so those use 1000 rows
    this.evalBatchSize = positiveInteger('evaluation batch size', o.evalBatchSize ?? (this.batchSize >= 100 ? this.batchSize : DEFAULT_EVAL_CHUNK));
    this.sampling = o.sampling ?? 'replacement';
    if (this.sampling !== 'replacement' && this.sampling !== 'shuffle') {
      throw new TypeError(`Invalid sampling: ${describe(o.sampling)} (expected 'replacement' or 'shuffle')`);
    }
    this.evaluate = o.evaluate ?? 'epoch';
    if (this.evaluate !== 'epoch' && this.evaluate !== false) {
      throw new TypeError(`Invalid evaluate: ${describe(o.evaluate)} (expected 'epoch' or false)`);
    }
    const yieldMs = o.yieldEveryMs ?? DEFAULT_YIELD_MS;
    if (typeof yieldMs !== 'number' || !(yieldMs >= 0) || !Number.isFinite(yieldMs)) {
      throw new RangeError(`Invalid yieldEveryMs: ${describe(yieldMs)} (expected a number ≥ 0)`);
    }
    this.yieldEveryMs = yieldMs;
    this.onBatchEnd = callbackOf<BatchInfo>('onBatchEnd', o.onBatchEnd);
    this.onEpochEnd = callbackOf<EpochInfo>('onEpochEnd', o.onEpochEnd);
    if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError('Invalid signal: expected an AbortSignal');
    this.signal = o.signal;
    if (o.meta !== undefined && (o.meta === null || typeof o.meta !== 'object')) throw new TypeError('Invalid meta: expected an object');
    this.meta = o.meta ?? {};
    // Random checks the seed (an integer in [0, 2^53))
    this.seed = o.seed ?? randomInt(0, 2 ** 47);
    this.random = new Random(this.seed);
    this.evaluator = new Evaluator(net, this.evalBatchSize);

    const lr = o.learningRate === undefined ? undefined : learningRateOf(o.learningRate);
    const opt = o.optimizer ?? 'sgd';
    if (typeof opt === 'string') {
      // the book trains with plain SGD at 0.1; other optimizers keep their own default rate
      const rate = lr ?? (opt === 'sgd' ? DEFAULT_LEARNING_RATE : undefined);
      const extra = o.optimizerOptions ?? {};
      if ('lr' in extra) throw new TypeError('Trainer: give the learning rate as learningRate, not optimizerOptions.lr');
      const options: Record<string, unknown> = rate === undefined ? { ...extra } : { ...extra, lr: rate };
      // plain SGD runs its update as the network's backend's axpy
      if (opt === 'sgd' && net.backend !== undefined) options.backend = net.backend;
      this.optimizer = createOptimizer(opt, options as Record<string, number>);
    } else if (opt !== null && typeof opt === 'object' && typeof opt.update === 'function') {
      if (lr !== undefined) throw new TypeError('Trainer: learningRate goes to the optimizer you construct, not to the trainer as well');
      if (o.optimizerOptions !== undefined) throw new TypeError('Trainer: optimizerOptions only apply to an optimizer given by name');
      this.optimizer = opt;
    } else {
      throw new TypeError(`Invalid optimizer: expected a name ('sgd', 'adam', …) or an object with update(params, grads), got ${describe(opt)}`);
    }
    this.learningRate = this.optimizer.lr ?? lr ?? NaN;
    this.lossOfGradient = lossKeptBy(net);
    this.checkpoint = checkpointOf(o.checkpoint, net, this.optimizer);
  }

  // a trainer that continues the run saved in a checkpoint directory (or an already read checkpoint):
  // network, optimizer state, sampling state, history and settings all come from it. fit() with the
  // same data then carries on from the iteration after the checkpoint's. checkpoints keep being saved
  // into the same directory, at the same interval, unless options.checkpoint says otherwise
  static async resume(from: string | Checkpoint, options: ResumeOptions = {}): Promise<Trainer> {
    if (options === null || typeof options !== 'object') throw new TypeError(`Trainer.resume: options must be an object, got ${describe(options)}`);
    const { backend, ...rest } = options;
    const ckpt = typeof from === 'string' ? await readCheckpoint(from, { backend }) : from;
    const s = ckpt.settings;
    const { lr, ...hyper } = ckpt.optimizer.hyper;
    // what fixes the trajectory comes from the checkpoint; an option saying otherwise is a mistake
    const conflict = (what: string, given: unknown, saved: unknown): void => {
      if (given !== undefined && !same(given, saved)) {
        throw new CheckpointError(ckpt.dir, `Trainer.resume: ${what} ${describe(given)} conflicts with the checkpoint in ${ckpt.dir}, which has ${describe(saved)}`);
      }
    };
    conflict('iterations', rest.iterations, s.iterations);
    conflict('epochs', rest.epochs, s.epochs);
    conflict('batchSize', rest.batchSize, s.batchSize);
    conflict('learningRate', rest.learningRate, lr);
    conflict('seed', rest.seed, s.seed);
    conflict('sampling', rest.sampling, s.sampling);
    const given = rest.optimizer;
    conflict('optimizer', typeof given === 'object' && given !== null ? given.name : given, s.optimizer);
    for (const [k, v] of Object.entries(rest.optimizerOptions ?? {})) conflict(`optimizerOptions.${k}`, v, hyper[k]);
    const byName = typeof given !== 'object' || given === null;
    const trainer = new Trainer(ckpt.model.net, {
      ...(s.epochs !== undefined ? { epochs: s.epochs } : { iterations: s.iterations }),
      batchSize: s.batchSize,
      // an optimizer instance brings its own rate; its state is loaded below either way
      ...(byName ? { optimizer: s.optimizer, learningRate: lr, optimizerOptions: hyper } : { optimizer: given }),
      seed: s.seed,
      sampling: s.sampling,
      evaluate: rest.evaluate ?? s.evaluate,
      evalBatchSize: rest.evalBatchSize ?? s.evalBatchSize,
      yieldEveryMs: rest.yieldEveryMs,
      onBatchEnd: rest.onBatchEnd,
      onEpochEnd: rest.onEpochEnd,
      signal: rest.signal,
      meta: rest.meta ?? ckpt.meta,
      checkpoint: rest.checkpoint === undefined ? { dir: ckpt.dir, every: ckpt.every } : rest.checkpoint,
    });
    if (typeof trainer.optimizer.loadStateDict !== 'function') throw new TypeError('Trainer.resume: the optimizer has no loadStateDict');
    trainer.optimizer.loadStateDict(ckpt.optimizer);
    trainer.pending = ckpt;
    return trainer;
  }

  // the checkpoint the next fit() continues from, if any
  get resumingFrom(): Checkpoint | undefined {
    return this.pending;
  }

  // stop after the batch in progress; fit then resolves with the history so far
  stop(): void {
    this.stopRequested = true;
  }

  get isRunning(): boolean {
    return this.running;
  }

  async fit(data: TrainingData): Promise<History> {
    if (this.running) throw new Error('Trainer.fit: this trainer is already running');
    if (data === null || typeof data !== 'object' || !('train' in data)) {
      throw new TypeError('Trainer.fit: data must be { train, test? } (loadMnist() returns one)');
    }
    const train = toDataset(data.train, 'train', this.net.backend);
    const test = data.test === undefined ? undefined : toDataset(data.test, 'test', this.net.backend);
    if (test !== undefined && test.features !== train.features) {
      throw new RangeError(`Trainer.fit: train examples have ${train.features} features but test examples have ${test.features}`);
    }
    if (this.pending !== undefined) this.checkResumeData(this.pending, train, test);
    // two fits on one network would interleave their updates into a third, unreproducible run
    if (training.has(this.net)) throw new Error('Trainer.fit: this network is already training in another fit; a network trains in one fit at a time');
    // and two runs writing one checkpoint directory would overwrite each other's files
    const unlock = this.checkpoint === undefined ? undefined : lockCheckpoint(this.checkpoint.dir);
    training.add(this.net);
    this.running = true;
    this.stopRequested = false;
    try {
      return await this.loop(train, test);
    } finally {
      this.running = false;
      training.delete(this.net);
      unlock?.();
    }
  }

  // a resumed run must see the data it was trained on: the same counts make the same epochs and batches
  private checkResumeData(ckpt: Checkpoint, train: Dataset, test: Dataset | undefined): void {
    const s = ckpt.settings;
    const testCount = test?.count ?? 0;
    const fail = (what: string): never => {
      throw new RangeError(`Trainer.fit: the checkpoint in ${ckpt.dir} ${what}`);
    };
    if (train.count !== s.trainCount) fail(`was trained on ${s.trainCount} examples, this training set has ${train.count}`);
    if (train.features !== s.features) fail(`has ${s.features} features per example, this training set has ${train.features}`);
    if (testCount !== s.testCount) fail(`was tested on ${s.testCount} examples, this test set has ${testCount}`);
  }

  private async loop(train: Dataset, test: Dataset | undefined): Promise<History> {
    const net = this.net;
    const B = this.batchSize;
    const n = train.count;
    // the book: iter_per_epoch = max(train_size / batch_size, 1); a partial last batch still counts
    const perEpoch = Math.max(1, Math.ceil(n / B));
    const total = this.epochs !== undefined ? this.epochs * perEpoch : this.iterations!;
    const history = new History({
      iterations: total,
      batchSize: B,
      learningRate: this.learningRate,
      optimizer: this.optimizer.name ?? this.optimizer.constructor.name,
      sampling: this.sampling,
      seed: this.seed,
      iterationsPerEpoch: perEpoch,
      trainCount: n,
      testCount: test?.count ?? 0,
      dtype: net.dtype,
      ...this.meta,
    });
    // a checkpoint being continued: taken once, by this fit
    const resumed = this.pending;
    this.pending = undefined;
    const ck = this.checkpoint;
    const every = ck === undefined ? 0 : (ck.every ?? perEpoch);

    // the batch buffers, made once; shuffle's shorter last batch of an epoch gets its own set
    const x = Matrix.zeros(B, train.features, net.dtype);
    const t = new Int32Array(B);
    const indices = new Int32Array(B);
    const shuffle = this.sampling === 'shuffle';
    const order = shuffle ? new Int32Array(n) : undefined;
    if (order) for (let i = 0; i < n; i++) order[i] = i;
    // a resumed run: the losses and epoch records so far, the generator where it was, the epoch's order
    let first = 1;
    if (resumed !== undefined) {
      history.restore(resumed.losses, resumed.epochs);
      this.random.setState(resumed.random);
      if (order && resumed.order) order.set(resumed.order);
      first = resumed.iteration + 1;
    }
    const tailRows = shuffle ? n - (perEpoch - 1) * B : B;
    const full = { x, t, indices };
    const tail = tailRows === B ? full : { x: Matrix.zeros(tailRows, train.features, net.dtype), t: new Int32Array(tailRows), indices: new Int32Array(tailRows) };

    if (this.evaluate === 'epoch') {
      this.evaluator.prepare(train);
      if (test !== undefined) this.evaluator.prepare(test);
    }

    const stop = (): void => this.stop();
    // a resumed run's clock continues from the checkpoint's
    const start = performance.now() - (resumed?.timing.wallTimeMs ?? 0);
    let lastYield = performance.now();
    let evalMs = resumed?.timing.evalTimeMs ?? 0;
    let checkpointMs = resumed?.timing.checkpointTimeMs ?? 0;
    // 0-based iteration where the current record's loss mean begins: the last epoch end so far
    let epochStart = history.lastEpoch?.iteration ?? 0;
    let lastSaved = resumed?.iteration ?? -1;
    const pauseNow = async (): Promise<void> => {
      await yieldToEventLoop();
      lastYield = performance.now();
    };
    // a turn for the event loop only when enough time has passed: undefined means "carry on"
    const pause = (): Promise<void> | undefined => (performance.now() - lastYield >= this.yieldEveryMs ? pauseNow() : undefined);

    const record = async (epoch: number, iteration: number): Promise<EpochRecord> => {
      const e0 = performance.now();
      const rec: EpochRecord = { epoch, iteration, loss: history.meanLoss(epochStart, iteration), elapsedMs: 0 };
      if (this.evaluate === 'epoch') {
        rec.trainAccuracy = await this.evaluator.accuracyAsync(train, pause);
        if (test !== undefined) rec.testAccuracy = await this.evaluator.accuracyAsync(test, pause);
      }
      evalMs += performance.now() - e0;
      rec.elapsedMs = performance.now() - start;
      epochStart = iteration;
      history.epochs.push(rec);
      return rec;
    };

    // everything the rest of the run depends on; the history's epochs are the epoch-end records only
    // (a stopped run's extra final record comes after the last save)
    const settings: CheckpointSettings = {
      ...(this.epochs !== undefined ? { epochs: this.epochs } : { iterations: this.iterations! }),
      totalIterations: total,
      iterationsPerEpoch: perEpoch,
      batchSize: B,
      learningRate: this.learningRate,
      optimizer: this.optimizer.name ?? '',
      sampling: this.sampling,
      seed: this.seed,
      evaluate: this.evaluate,
      evalBatchSize: this.evalBatchSize,
      trainCount: n,
      testCount: test?.count ?? 0,
      features: train.features,
      dtype: net.dtype,
    };
    const save = async (done: number, status: CheckpointStatus): Promise<void> => {
      const c0 = performance.now();
      await writeCheckpoint(ck!.dir, net as Sequential, {
        iteration: done,
        status,
        every,
        settings,
        meta: this.meta,
        random: this.random.getState(),
        order,
        losses: history.loss,
        epochs: history.epochs,
        optimizer: this.optimizer.stateDict!(),
        timing: { wallTimeMs: c0 - start, evalTimeMs: evalMs, checkpointTimeMs: checkpointMs },
      }, { beforeCommit: ck!.beforeCommit });
      checkpointMs += performance.now() - c0;
      lastSaved = done;
    };

    const aborted = (): boolean => this.signal?.aborted === true;
    for (let it = first; it <= total && !this.stopRequested && !aborted(); it++) {
      // pick this iteration's examples
      let b = full;
      if (order) {
        const k = (it - 1) % perEpoch;
        // a new epoch: a new order, so every example is seen once per epoch
        if (k === 0) this.random.shuffle(order);
        if (k === perEpoch - 1) b = tail;
        const from = k * B;
        const bi = b.indices;
        for (let i = 0; i < bi.length; i++) bi[i] = order[from + i]!;
      } else {
        this.random.fillRandint(indices, n);
      }
      train.gather(b.indices, b.x, b.t);

      // backprop, then one optimizer step
      const loss = this.stepOn(b.x, b.t);
      history.push(loss);

      if (this.onBatchEnd) {
        const now = performance.now();
        const r = this.onBatchEnd({
          iteration: it,
          epoch: Math.ceil(it / perEpoch),
          totalIterations: total,
          loss,
          batchSize: b.t.length,
          elapsedMs: now - start,
          trainTimeMs: now - start - evalMs - checkpointMs,
          stop,
        });
        if (r === false || (r instanceof Promise && (await settle(r)))) this.stop();
      }

      if (it % perEpoch === 0) {
        const rec = await record(it / perEpoch, it);
        if (this.onEpochEnd) {
          const r = this.onEpochEnd({ ...rec, totalIterations: total, stop });
          if (r === false || (r instanceof Promise && (await settle(r)))) this.stop();
        }
        // always a turn at an epoch's end
        await pauseNow();
      } else {
        const p = pause();
        if (p !== undefined) await p;
      }
      // a run about to stop (or end) is saved once, after the loop, with how it ended
      if (every > 0 && it % every === 0 && it < total && !this.stopRequested && !aborted()) await save(it, 'running');
    }

    const done = history.iterations;
    if (done < total) history.stopReason = aborted() ? 'aborted' : 'stopped';
    // the last save: where the run ended or stopped, before the extra final record below
    if (ck !== undefined && done > 0 && done !== lastSaved) await save(done, history.stopReason);
    // the accuracies of the final weights, unless the last epoch end already measured them
    if (done > 0 && history.lastEpoch?.iteration !== done) await record(done / perEpoch, done);
    history.wallTimeMs = performance.now() - start;
    history.evalTimeMs = evalMs;
    history.checkpointTimeMs = checkpointMs;
    history.trainTimeMs = history.wallTimeMs - evalMs - checkpointMs;
    return history;
  }

  // one update on the batch (x, t); returns the batch's loss before the update
  private stepOn(x: Matrix, t: Int32Array): number {
    const net = this.net;
    const kept = this.lossOfGradient;
    if (kept !== undefined) {
      const grads = net.gradient(x, t);
      // read before the update: the loss of the weights the gradient was taken at
      const loss = kept();
      this.optimizer.update(net.params, grads);
      return loss;
    }
    const loss = net.loss(x, t);
    const grads = net.gradient(x, t);
    this.optimizer.update(net.params, grads);
    return loss;
  }
}

// train net on data; resolves with the history (rejects on bad options or a failing step)
// the networks inside a fit right now
const training = new WeakSet<Network>();

export async function fit(net: Network, data: TrainingData, options: TrainerOptions = {}): Promise<History> {
  return new Trainer(net, options).fit(data);
}
