// the trainer's options: what a caller may give, the one set of defaults (the CLI uses them too), and
// the one validation that turns what was given into the settings a run uses. PyTorch-style messages:
// `Invalid batch size: 0`, with what was expected after it.

import { describeArchitecture } from '../io/model.js';
import { describe } from '../describe.js';
import { Sequential } from '../nn/sequential.js';
import type { Network } from '../nn/types.js';
import { createOptimizer, isCheckpointable, Optimizer } from '../optim/index.js';
import { randomSeed } from '../random.js';
import type { WriteCheckpointOptions } from './checkpoint.js';
import { DEFAULT_EVAL_CHUNK } from './evaluate.js';
import type { EpochRecord } from './history.js';

export type Sampling = 'replacement' | 'shuffle';

export interface CheckpointOptions {
  // the directory holding the checkpoint (made if needed); each save replaces the previous checkpoint
  dir: string;
  // save after every this many iterations (default: once per epoch); always also when the run ends or stops
  every?: number;
  // test hook: runs when a checkpoint's new file is complete under its temp name, before the rename commits it
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
  // an Optimizer (any subclass, your own too), or a registered name ('sgd', 'momentum', 'adam', …)
  optimizer?: Optimizer | string;
  // extra hyperparameters for a named optimizer (momentum, beta1, weightDecay, …)
  optimizerOptions?: Record<string, number>;
  // seeds the batch sampling; default: a random seed, recorded in the history
  seed?: number;
  // 'replacement' (the book): each batch drawn at random with replacement;
  // 'shuffle': a fresh permutation per epoch, every example seen exactly once per epoch
  sampling?: Sampling;
  // 'epoch': train and test accuracy after every epoch (and once at the end); false: never
  evaluate?: 'epoch' | false;
  // rows per evaluation chunk (default: the batch size or DEFAULT_EVAL_CHUNK, whichever is larger)
  evalBatchSize?: number;
  // hand the event loop a turn once this many milliseconds have passed since the last one
  yieldEveryMs?: number;
  onBatchEnd?: TrainingCallback<BatchInfo>;
  onEpochEnd?: TrainingCallback<EpochInfo>;
  // aborting stops training after the current batch; fit still resolves with what was done
  signal?: AbortSignal;
  // extra facts for the history's config (backend, dtype, layer sizes, …); they win over the trainer's own keys
  meta?: Record<string, unknown>;
  // save checkpoints into a directory (the network must be a Sequential, the optimizer a registered one)
  checkpoint?: CheckpointOptions | false;
  // stop when the validation set's measure (accuracy; MSE for a regression) has not improved for
  // `patience` epochs, and leave the network with the best epoch's weights; needs data.validation
  earlyStopping?: EarlyStopping;
}

export interface EarlyStopping {
  patience: number;
  // the least change that counts as better (default 0)
  minDelta?: number;
}

// the defaults, once: the trainer fills them in and the CLI prints them from here
export const TRAINER_DEFAULTS = Object.freeze({
  iterations: 10_000,
  batchSize: 100,
  optimizer: 'sgd',
  // the book's rate, for plain SGD only: other optimizers keep their own default rate
  sgdLearningRate: 0.1,
  sampling: 'replacement' as Sampling,
  evaluate: 'epoch' as const,
  yieldEveryMs: 15,
});

// the options as a run uses them: checked, defaults filled in, the optimizer made
export interface TrainerSettings {
  // one of the two, as asked
  iterations?: number;
  epochs?: number;
  batchSize: number;
  optimizer: Optimizer;
  sampling: Sampling;
  seed: number;
  evaluate: 'epoch' | false;
  evalBatchSize: number;
  yieldEveryMs: number;
  onBatchEnd: TrainingCallback<BatchInfo> | undefined;
  onEpochEnd: TrainingCallback<EpochInfo> | undefined;
  signal: AbortSignal | undefined;
  meta: Record<string, unknown>;
  checkpoint: CheckpointOptions | undefined;
  earlyStopping: Required<EarlyStopping> | undefined;
}

const OPTION_KEYS: readonly (keyof TrainerOptions)[] = [
  'iterations', 'epochs', 'batchSize', 'learningRate', 'optimizer', 'optimizerOptions', 'seed', 'sampling',
  'evaluate', 'evalBatchSize', 'yieldEveryMs', 'onBatchEnd', 'onEpochEnd', 'signal', 'meta', 'checkpoint', 'earlyStopping',
];

function earlyStoppingOf(value: unknown, evaluate: 'epoch' | false): Required<EarlyStopping> | undefined {
  if (value === undefined) return undefined;
  const e = value as Partial<EarlyStopping> | null;
  if (e === null || typeof e !== 'object') throw new TypeError(`Invalid earlyStopping: expected { patience, minDelta? }, got ${describe(value)}`);
  for (const key of Object.keys(e)) if (key !== 'patience' && key !== 'minDelta') throw new TypeError(`Invalid earlyStopping: unknown option '${key}' (expected patience, minDelta)`);
  const patience = positiveInteger('early-stopping patience', e.patience);
  const minDelta = e.minDelta ?? 0;
  if (typeof minDelta !== 'number' || !Number.isFinite(minDelta) || minDelta < 0) throw new RangeError(`Invalid early-stopping minDelta: ${describe(minDelta)} (expected a number ≥ 0)`);
  if (evaluate !== 'epoch') throw new TypeError("Trainer: earlyStopping measures the validation set at every epoch's end, so evaluate must be 'epoch'");
  return { patience, minDelta };
}

function positiveInteger(label: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`Invalid ${label}: ${describe(value)} (expected an integer ≥ 1)`);
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`Invalid ${label}: ${value} (expected an integer ≥ 1)`);
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

// a named optimizer is made here with its options; an Optimizer instance brings its own
function optimizerOf(o: TrainerOptions): Optimizer {
  const opt = o.optimizer ?? TRAINER_DEFAULTS.optimizer;
  if (typeof opt === 'string') {
    const extra = o.optimizerOptions ?? {};
    if ('lr' in extra) throw new TypeError('Trainer: give the learning rate as learningRate, not optimizerOptions.lr');
    const rate = o.learningRate ?? (opt === 'sgd' ? TRAINER_DEFAULTS.sgdLearningRate : undefined);
    // the optimizer checks the rate, as it checks every hyperparameter
    return createOptimizer(opt, rate === undefined ? { ...extra } : { ...extra, lr: rate });
  }
  if (opt instanceof Optimizer) {
    if (o.learningRate !== undefined) throw new TypeError('Trainer: learningRate goes to the optimizer you construct, not to the trainer as well');
    if (o.optimizerOptions !== undefined) throw new TypeError('Trainer: optimizerOptions only apply to an optimizer given by name');
    return opt;
  }
  throw new TypeError(`Invalid optimizer: expected a name ('sgd', 'adam', …) or an Optimizer, got ${describe(opt)}`);
}

function checkpointOf(value: unknown, net: Network, optimizer: Optimizer): CheckpointOptions | undefined {
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
  if (!isCheckpointable(optimizer)) {
    throw new TypeError(`Trainer: checkpoints need an optimizer registered by its name (registerOptimizer), and '${optimizer.name}' is not`);
  }
  return { dir: c.dir, every, beforeCommit: c.beforeCommit };
}

// every option checked, every default filled in; throws TypeError/RangeError naming the option
export function resolveOptions(net: unknown, options: TrainerOptions): TrainerSettings {
  checkNetwork(net);
  if (options === null || typeof options !== 'object') throw new TypeError(`Trainer: options must be an object, got ${describe(options)}`);
  // one name per concept: the trainer's is learningRate (lr is the optimizers' own, as in torch.optim)
  if ('lr' in options) throw new TypeError('Trainer: the learning rate option is learningRate (lr is what an optimizer calls it)');
  for (const key of Object.keys(options)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) throw new TypeError(`Trainer: unknown option '${key}' (expected ${OPTION_KEYS.join(', ')})`);
  }
  const o = options;
  if (o.iterations !== undefined && o.epochs !== undefined) throw new TypeError('Trainer: give iterations or epochs, not both');
  const length = o.epochs === undefined
    ? { iterations: positiveInteger('iterations', o.iterations ?? TRAINER_DEFAULTS.iterations) }
    : { epochs: positiveInteger('epochs', o.epochs) };
  const batchSize = positiveInteger('batch size', o.batchSize ?? TRAINER_DEFAULTS.batchSize);
  // evaluation runs in chunks of at least DEFAULT_EVAL_CHUNK rows, where the products are large enough
  // for the multi-threaded gemm rate (100-row chunks ran at about a third of it); the layers keep a
  // buffer per shape (nn/buffers.ts), so alternating with training batches allocates nothing
  const evalBatchSize = positiveInteger('evaluation batch size', o.evalBatchSize ?? Math.max(batchSize, DEFAULT_EVAL_CHUNK));
  const sampling = o.sampling ?? TRAINER_DEFAULTS.sampling;
  if (sampling !== 'replacement' && sampling !== 'shuffle') throw new TypeError(`Invalid sampling: ${describe(o.sampling)} (expected 'replacement' or 'shuffle')`);
  const evaluate = o.evaluate ?? TRAINER_DEFAULTS.evaluate;
  if (evaluate !== 'epoch' && evaluate !== false) throw new TypeError(`Invalid evaluate: ${describe(o.evaluate)} (expected 'epoch' or false)`);
  const yieldEveryMs = o.yieldEveryMs ?? TRAINER_DEFAULTS.yieldEveryMs;
  if (typeof yieldEveryMs !== 'number' || !(yieldEveryMs >= 0) || !Number.isFinite(yieldEveryMs)) {
    throw new RangeError(`Invalid yieldEveryMs: ${describe(yieldEveryMs)} (expected a number ≥ 0)`);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError('Invalid signal: expected an AbortSignal');
  if (o.meta !== undefined && (o.meta === null || typeof o.meta !== 'object')) throw new TypeError('Invalid meta: expected an object');
  // the sampling generator checks the seed (an integer in [0, 2^53)) when the trainer makes it
  const seed = o.seed ?? randomSeed();
  const optimizer = optimizerOf(o);
  return {
    ...length,
    batchSize,
    optimizer,
    sampling,
    seed,
    evaluate,
    evalBatchSize,
    yieldEveryMs,
    onBatchEnd: callbackOf<BatchInfo>('onBatchEnd', o.onBatchEnd),
    onEpochEnd: callbackOf<EpochInfo>('onEpochEnd', o.onEpochEnd),
    signal: o.signal,
    meta: o.meta ?? {},
    checkpoint: checkpointOf(o.checkpoint, net, optimizer),
    earlyStopping: earlyStoppingOf(o.earlyStopping, evaluate),
  };
}
