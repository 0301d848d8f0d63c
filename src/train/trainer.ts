// minibatch training, the book's train_neuralnet as a reusable loop:
//   for each iteration: pick a batch, gradient by backprop, optimizer step, record the loss;
//   after every epoch (trainCount / batchSize iterations): train and test accuracy.
//
// the loop never freezes the process: fit() is async and hands the event loop a turn whenever
// ~15 ms have passed (a turn costs microseconds, a step ~0.2 ms, so not every step), and at every
// epoch end. it never allocates per step: the batch, its labels and its indices live in buffers
// made once per fit (sampling.ts).
//
// with a checkpoint directory it saves everything the run depends on every N iterations and when it
// ends, and Trainer.resume(dir) continues such a run: the resumed run ends with the same weights, bit
// for bit, and the same losses and epoch records as a run that was never interrupted. that holds because
// the trajectory depends only on the weights, the optimizer's state, the sampler's state (all saved),
// and on the iteration number, which fixes the epoch boundaries; evaluation draws no random numbers,
// and event-loop turns change no value.
//
// options.ts checks the options and holds the defaults; resume.ts the rules of continuing a run.

import type { Backend } from '../backend/types.js';
import { describe } from '../describe.js';
import type { Sequential } from '../nn/sequential.js';
import type { Network } from '../nn/types.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Random } from '../random.js';
import { CheckpointError, lockCheckpoint, readCheckpoint, writeCheckpoint, type Checkpoint, type CheckpointSettings, type CheckpointStatus, type EarlyStoppingState } from './checkpoint.js';
import type { Table, TableSource } from '../data/table.js';
import type { TaskMetrics } from '../nn/task-metrics.js';
import { toDataset, type Dataset, type DatasetLike } from './dataset.js';
import { Evaluator } from './evaluate.js';
import { History, type EpochRecord } from './history.js';
import { resolveOptions, type Sampling, type TrainerOptions, type TrainerSettings } from './options.js';
import { checkResumeData, findResumeConflict, savedOptions } from './resume.js';
import { Sampler } from './sampling.js';

// Trainer.resume: the trainer options a resumed run may set, plus the backend its network is built on.
// options that fix the trajectory (iterations, epochs, batchSize, learningRate, optimizer, optimizerOptions,
// seed, sampling) come from the checkpoint; giving one with another value is an error
export interface ResumeOptions extends TrainerOptions {
  backend?: Backend;
}

export interface TrainingData {
  train: DatasetLike;
  // measured at every epoch's end; early stopping watches it
  validation?: DatasetLike;
  test?: DatasetLike;
}

// the one measure early stopping watches: accuracy (higher is better), or MSE for a regression (lower is)
function watched(net: Network, m: TaskMetrics | undefined): number {
  if (m === undefined) return NaN;
  return net.task === 'regress' ? -(m.mse ?? NaN) : (m.accuracy ?? NaN);
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class Trainer {
  readonly net: Network;
  readonly optimizer: Optimizer;
  readonly batchSize: number;
  readonly sampling: Sampling;
  readonly seed: number;
  readonly evaluate: 'epoch' | false;
  // rows per evaluation chunk (a saved model records it, so a later evaluation chunks the same way)
  readonly evalBatchSize: number;
  private readonly settings: TrainerSettings;
  private readonly evaluator: Evaluator;
  // the sampling generator: one stream for the trainer's life, carried on by each fit
  private readonly random: Random;
  // a checkpoint to continue from, taken by the next fit()
  private pending: Checkpoint | undefined;
  private running = false;
  private stopRequested = false;

  constructor(net: Network, options: TrainerOptions = {}) {
    const s = resolveOptions(net, options);
    this.net = net;
    this.settings = s;
    this.optimizer = s.optimizer;
    this.batchSize = s.batchSize;
    this.sampling = s.sampling;
    this.seed = s.seed;
    this.evaluate = s.evaluate;
    this.evalBatchSize = s.evalBatchSize;
    this.random = new Random(s.seed);
    this.evaluator = new Evaluator(net, s.evalBatchSize);
  }

  // the optimizer's current rate (a schedule may change it between fits)
  get learningRate(): number {
    return this.optimizer.lr;
  }

  // how many updates a fit on trainCount examples makes
  totalIterations(trainCount: number): number {
    const s = this.settings;
    return s.epochs !== undefined ? s.epochs * Math.max(1, Math.ceil(trainCount / s.batchSize)) : s.iterations!;
  }

  // a trainer that continues the run saved in a checkpoint directory (or an already read checkpoint):
  // network, optimizer state, sampling state, history and settings all come from it. fit() with the
  // same data then carries on from the iteration after the checkpoint's. checkpoints keep being saved
  // into the same directory, at the same interval, unless options.checkpoint says otherwise
  static async resume(from: string | Checkpoint, options: ResumeOptions = {}): Promise<Trainer> {
    if (options === null || typeof options !== 'object') throw new TypeError(`Trainer.resume: options must be an object, got ${describe(options)}`);
    const { backend, ...rest } = options;
    const ckpt = typeof from === 'string' ? await readCheckpoint(from, { backend }) : from;
    // what fixes the trajectory comes from the checkpoint; an option saying otherwise is a mistake
    const conflict = findResumeConflict(ckpt, rest);
    if (conflict !== undefined) {
      throw new CheckpointError(ckpt.dir, `Trainer.resume: ${conflict.option} ${describe(conflict.given)} conflicts with the checkpoint in ${ckpt.dir}, which has ${describe(conflict.saved)}`);
    }
    const { learningRate, optimizer, optimizerOptions, ...saved } = savedOptions(ckpt);
    const given = rest.optimizer;
    const trainer = new Trainer(ckpt.model.net, {
      ...saved,
      // an optimizer instance brings its own rate; its state is loaded below either way
      ...(typeof given === 'object' && given !== null ? { optimizer: given } : { optimizer, learningRate, optimizerOptions }),
      evaluate: rest.evaluate ?? ckpt.settings.evaluate,
      evalBatchSize: rest.evalBatchSize ?? ckpt.settings.evalBatchSize,
      yieldEveryMs: rest.yieldEveryMs,
      onBatchEnd: rest.onBatchEnd,
      onEpochEnd: rest.onEpochEnd,
      signal: rest.signal,
      meta: rest.meta ?? ckpt.meta,
      checkpoint: rest.checkpoint === undefined ? { dir: ckpt.dir, every: ckpt.every } : rest.checkpoint,
    });
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

  // data: { train, validation?, test? }, or one set of examples ({ x, y }, a table) to train on
  async fit(data: TrainingData | TableSource | Table): Promise<History> {
    if (this.running) throw new Error('Trainer.fit: this trainer is already running');
    if (data === null || typeof data !== 'object' || !('train' in data || ('x' in data && 'y' in data))) {
      throw new TypeError('Trainer.fit: data must be { train, validation?, test? } (loadMnist() returns one) or { x, y }');
    }
    const sets: TrainingData = 'train' in data ? data : { train: data };
    // a table knows its task: a network whose loss learns another one is a mistake to name now
    const table = sets.train as Partial<Table>;
    if (typeof table.task === 'string' && this.net.task !== undefined && table.task !== this.net.task) {
      throw new TypeError(`Trainer.fit: the data is a ${table.task} task but the network's loss layer learns ${this.net.task}; build it with mlp({ task: '${table.task}', … })`);
    }
    const train = toDataset(sets.train, 'train', this.net.backend);
    const validation = sets.validation === undefined ? undefined : toDataset(sets.validation, 'validation', this.net.backend);
    const test = sets.test === undefined ? undefined : toDataset(sets.test, 'test', this.net.backend);
    for (const [name, set] of [['validation', validation], ['test', test]] as const) {
      if (set !== undefined && set.features !== train.features) {
        throw new RangeError(`Trainer.fit: train examples have ${train.features} features but ${name} examples have ${set.features}`);
      }
      if (set !== undefined && set.targets !== train.targets) {
        throw new RangeError(`Trainer.fit: train and ${name} examples have different targets (${train.targets ?? 'class indices'} vs ${set.targets ?? 'class indices'})`);
      }
    }
    if (this.settings.earlyStopping !== undefined && validation === undefined) throw new TypeError('Trainer.fit: earlyStopping needs data.validation, the set it watches');
    if (this.pending !== undefined) checkResumeData(this.pending, train, validation, test);
    // two fits on one network would interleave their updates into a third, unreproducible run
    if (training.has(this.net)) throw new Error('Trainer.fit: this network is already training in another fit; a network trains in one fit at a time');
    // and two runs writing one checkpoint directory would overwrite each other's files
    const unlock = this.settings.checkpoint === undefined ? undefined : lockCheckpoint(this.settings.checkpoint.dir);
    training.add(this.net);
    this.running = true;
    this.stopRequested = false;
    try {
      const sampler = new Sampler(this.settings.sampling, this.random, train, this.settings.batchSize, this.net.dtype);
      return await this.loop(sampler, train, validation, test);
    } finally {
      this.running = false;
      training.delete(this.net);
      unlock?.();
    }
  }

  private get stopping(): boolean {
    return this.stopRequested || this.settings.signal?.aborted === true;
  }

  private async loop(sampler: Sampler, train: Dataset, validation: Dataset | undefined, test: Dataset | undefined): Promise<History> {
    const s = this.settings;
    const perEpoch = sampler.perEpoch;
    const total = this.totalIterations(train.count);
    // a checkpoint being continued: taken once, by this fit
    const resumed = this.pending;
    this.pending = undefined;
    const run = new Run(s, this.net, this.optimizer, this.evaluator, train, validation, test, total, perEpoch, resumed);
    if (resumed !== undefined) sampler.restore(resumed);
    const every = s.checkpoint === undefined ? 0 : (s.checkpoint.every ?? perEpoch);
    if (s.evaluate === 'epoch') {
      this.evaluator.prepare(train);
      if (test !== undefined) this.evaluator.prepare(test);
      if (validation !== undefined) this.evaluator.prepare(validation);
    }
    // early stopping: the best measure so far, its epoch's weights, and epochs since it improved
    const early = s.earlyStopping;
    const bestWeights = early === undefined ? undefined : Object.fromEntries(Object.entries(this.net.params).map(([k, m]) => [k, m.clone()]));
    let bestScore = -Infinity;
    let sinceBest = 0;
    const history = run.history;
    // a resumed run: its best epoch so far, as the checkpoint kept it; one that stopped early is done
    if (early !== undefined && resumed?.early !== undefined) {
      for (const [k, w] of Object.entries(resumed.early.weights)) bestWeights![k]!.data.set(w);
      bestScore = resumed.early.bestScore;
      sinceBest = resumed.early.sinceBest;
      history.best = history.epochs.find((e) => e.iteration === resumed.early!.bestIteration);
    }
    let earlyStopped = resumed?.status === 'early-stopped';
    // what a checkpoint keeps of early stopping, once an epoch has been measured
    const earlyState = (): EarlyStoppingState | undefined =>
      early === undefined || history.best === undefined
        ? undefined
        : { bestIteration: history.best.iteration, bestScore, sinceBest, weights: Object.fromEntries(Object.entries(bestWeights!).map(([k, m]) => [k, m.data])) };
    const stop = (): void => this.stop();
    // steps train: Dropout draws masks, BatchNormalization learns its statistics (evaluations switch it off for their pass)
    this.net.setTraining?.(true);

    for (let it = (resumed?.iteration ?? 0) + 1; it <= total && !this.stopping && !earlyStopped; it++) {
      // this iteration's batch
      const b = sampler.next(it, train);
      // backprop, then one optimizer step; the loss is the one of the weights before the step
      const { loss, grads } = this.net.gradient(b.x, b.t);
      this.optimizer.update(this.net.params, grads);
      history.push(loss);

      if (s.onBatchEnd) {
        const now = performance.now();
        const elapsedMs = now - run.start;
        let verdict = s.onBatchEnd({ iteration: it, epoch: Math.ceil(it / perEpoch), totalIterations: total, loss, batchSize: b.indices.length, elapsedMs, trainTimeMs: elapsedMs - run.evalMs - run.checkpointMs, stop });
        // false, or a promise of false, stops the run; only a promise is awaited
        if (verdict instanceof Promise) verdict = await verdict;
        if (verdict === false) this.stop();
      }
      if (it % perEpoch === 0) {
        const rec = await run.record(it / perEpoch, it);
        if (early !== undefined) {
          const score = watched(this.net, rec.validation);
          if (score > bestScore + early.minDelta || history.best === undefined) {
            bestScore = score;
            sinceBest = 0;
            history.best = rec;
            for (const [k, m] of Object.entries(this.net.params)) bestWeights![k]!.data.set(m.data);
          } else if (++sinceBest >= early.patience) {
            earlyStopped = true;
            this.stop();
          }
        }
        if (s.onEpochEnd) {
          let verdict = s.onEpochEnd({ ...rec, totalIterations: total, stop });
          if (verdict instanceof Promise) verdict = await verdict;
          if (verdict === false) this.stop();
        }
        // always a turn at an epoch's end
        await run.pauseNow();
      } else {
        const p = run.pause();
        if (p !== undefined) await p;
      }
      // a run about to stop (or end) is saved once, after the loop, with how it ended
      if (every > 0 && it % every === 0 && it < total && !this.stopping) await run.save(it, 'running', sampler, every, earlyState());
    }

    const done = history.iterations;
    if (done < total) history.stopReason = s.signal?.aborted === true ? 'aborted' : earlyStopped ? 'early-stopped' : 'stopped';
    // early stopping keeps the best epoch's weights, whatever ended the run
    const putBestBack = (): void => {
      if (bestWeights === undefined || history.best === undefined || history.best.iteration === done) return;
      for (const [k, m] of Object.entries(this.net.params)) m.data.set(bestWeights[k]!.data);
    };
    // a finished run's checkpoint holds the weights it returns; a stopped or aborted one is continued
    // from its last weights, so those are saved (its best ones with them) and the best put back after
    const finished = earlyStopped || done === total;
    if (finished) putBestBack();
    // the last save: where the run ended or stopped, before the extra final record below
    if (s.checkpoint !== undefined && done > 0 && done !== run.lastSaved) await run.save(done, history.stopReason, sampler, every, earlyState());
    if (!finished) putBestBack();
    // the accuracies of the final weights, unless the last epoch end already measured them (or the
    // best epoch's weights were put back)
    if (done > 0 && history.lastEpoch?.iteration !== done && history.best === undefined) await run.record(done / perEpoch, done);
    return run.finish();
  }
}

// one fit's bookkeeping: its history, clocks, event-loop turns, epoch records and checkpoint saves
class Run {
  readonly history: History;
  // a resumed run's clock continues from the checkpoint's
  readonly start: number;
  evalMs: number;
  checkpointMs: number;
  lastSaved: number;
  private lastYield = performance.now();
  // 0-based iteration where the current record's loss mean begins: the last epoch end so far
  private epochStart: number;
  private readonly checkpointSettings: CheckpointSettings;

  constructor(
    private readonly settings: TrainerSettings,
    private readonly net: Network,
    private readonly optimizer: Optimizer,
    private readonly evaluator: Evaluator,
    private readonly train: Dataset,
    private readonly validation: Dataset | undefined,
    private readonly test: Dataset | undefined,
    total: number,
    perEpoch: number,
    resumed: Checkpoint | undefined,
  ) {
    const s = settings;
    this.history = new History({
      iterations: total,
      batchSize: s.batchSize,
      learningRate: optimizer.lr,
      optimizer: optimizer.name,
      sampling: s.sampling,
      seed: s.seed,
      iterationsPerEpoch: perEpoch,
      trainCount: train.count,
      testCount: test?.count ?? 0,
      dtype: this.net.dtype,
      ...s.meta,
    });
    // a resumed run: the losses and epoch records so far
    if (resumed !== undefined) this.history.restore(resumed.losses, resumed.epochs);
    this.start = performance.now() - (resumed?.timing.wallTimeMs ?? 0);
    this.evalMs = resumed?.timing.evalTimeMs ?? 0;
    this.checkpointMs = resumed?.timing.checkpointTimeMs ?? 0;
    this.lastSaved = resumed?.iteration ?? -1;
    this.epochStart = this.history.lastEpoch?.iteration ?? 0;
    // everything the rest of the run depends on, as a checkpoint records it
    this.checkpointSettings = {
      ...(s.epochs !== undefined ? { epochs: s.epochs } : { iterations: s.iterations! }),
      totalIterations: total,
      iterationsPerEpoch: perEpoch,
      batchSize: s.batchSize,
      learningRate: optimizer.lr,
      optimizer: optimizer.name,
      sampling: s.sampling,
      seed: s.seed,
      evaluate: s.evaluate,
      evalBatchSize: s.evalBatchSize,
      trainCount: train.count,
      testCount: test?.count ?? 0,
      features: train.features,
      dtype: this.net.dtype,
      validationCount: validation?.count ?? 0,
      ...(s.earlyStopping !== undefined ? { earlyStopping: { ...s.earlyStopping } } : {}),
    };
  }

  async pauseNow(): Promise<void> {
    await yieldToEventLoop();
    this.lastYield = performance.now();
  }

  // a turn for the event loop only when enough time has passed: undefined means "carry on"
  readonly pause = (): Promise<void> | undefined => (performance.now() - this.lastYield >= this.settings.yieldEveryMs ? this.pauseNow() : undefined);

  // an epoch record: the mean loss since the last one and, when asked, train and test accuracy
  async record(epoch: number, iteration: number): Promise<EpochRecord> {
    const e0 = performance.now();
    const rec: EpochRecord = { epoch, iteration, loss: this.history.meanLoss(this.epochStart, iteration), elapsedMs: 0 };
    if (this.settings.evaluate === 'epoch') {
      // the task's measures of each set; a classifier's accuracies also where they always were
      rec.train = await this.evaluator.metricsAsync(this.train, this.pause);
      if (this.validation !== undefined) rec.validation = await this.evaluator.metricsAsync(this.validation, this.pause);
      if (this.test !== undefined) rec.test = await this.evaluator.metricsAsync(this.test, this.pause);
      if (rec.train.accuracy !== undefined) rec.trainAccuracy = rec.train.accuracy;
      if (rec.test?.accuracy !== undefined) rec.testAccuracy = rec.test.accuracy;
    }
    this.evalMs += performance.now() - e0;
    rec.elapsedMs = performance.now() - this.start;
    this.epochStart = iteration;
    this.history.epochs.push(rec);
    return rec;
  }

  // the history's epochs are the epoch-end records only (a stopped run's extra final record comes after the last save)
  async save(done: number, status: CheckpointStatus, sampler: Sampler, every: number, early: EarlyStoppingState | undefined): Promise<void> {
    const c0 = performance.now();
    const ck = this.settings.checkpoint!;
    await writeCheckpoint(ck.dir, this.net as Sequential, {
      iteration: done,
      status,
      every,
      settings: this.checkpointSettings,
      meta: this.settings.meta,
      ...sampler.state(),
      losses: this.history.loss,
      epochs: this.history.epochs,
      optimizer: this.optimizer.stateDict(),
      timing: { wallTimeMs: c0 - this.start, evalTimeMs: this.evalMs, checkpointTimeMs: this.checkpointMs },
      ...(early !== undefined ? { early } : {}),
    }, { beforeCommit: ck.beforeCommit });
    this.checkpointMs += performance.now() - c0;
    this.lastSaved = done;
  }

  finish(): History {
    const h = this.history;
    h.wallTimeMs = performance.now() - this.start;
    h.evalTimeMs = this.evalMs;
    h.checkpointTimeMs = this.checkpointMs;
    h.trainTimeMs = h.wallTimeMs - this.evalMs - this.checkpointMs;
    return h;
  }
}

// the networks inside a fit right now
const training = new WeakSet<Network>();

// train net on data ({ train, validation?, test? }, or one set such as { x, y }); resolves with the
// history (rejects on bad options or a failing step)
export async function fit(net: Network, data: TrainingData | TableSource | Table, options: TrainerOptions = {}): Promise<History> {
  return new Trainer(net, options).fit(data);
}
