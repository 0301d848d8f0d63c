// trainInWorker: fit() on a worker thread, so the main thread keeps its event loop (a server answers
// without waiting for training steps) and a second core does the training. a fresh run starts from a
// network; a run checkpointed before (on any thread) continues from its directory, as Trainer.resume
// does, to the very weights of a run never interrupted. lane.ts moves the job and its messages.

import type { ResourceLimits } from 'node:worker_threads';
import { backendByName } from '../backend/index.js';
import type { Backend, BackendName } from '../backend/types.js';
import { decodeModel } from '../io/model.js';
import { Sequential } from '../nn/sequential.js';
import type { History } from '../train/history.js';
import { resolveOptions, type TrainerOptions } from '../train/options.js';
import type { TrainingData } from '../train/trainer.js';
import { modelBytes, priorityOf, RUN, STOP, ABORT, resultOf, WorkerLane, type FromWorker, type WorkerBatchInfo, type WorkerEpochInfo, type WorkerJob } from './lane.js';
import { shareTrainingData, type SharedTrainingData } from './share.js';

export type { WorkerBatchInfo, WorkerEpochInfo } from './lane.js';

export interface WorkerTrainingOptions extends Omit<TrainerOptions, 'onBatchEnd' | 'onEpochEnd' | 'signal' | 'optimizer' | 'checkpoint'> {
  // a name ('sgd', 'adam', …) with optimizerOptions: an optimizer object cannot move to another thread
  optimizer?: string;
  // as fit()'s (without beforeCommit, a function); a resumed run keeps saving into its directory at its
  // interval unless this says otherwise
  checkpoint?: { dir: string; every?: number } | false;
  // run on the main thread with the worker's records; returning false stops training (the worker
  // sees it within a batch or two, since it does not wait for the main thread)
  onBatchEnd?: (info: WorkerBatchInfo) => void | boolean;
  onEpochEnd?: (info: WorkerEpochInfo) => void | boolean;
  // every epoch's weights as a network of their own (for serving while training)
  onWeights?: (net: Sequential, info: WorkerEpochInfo) => void;
  // aborting stops training after the current batch; the result still resolves with what was done
  signal?: AbortSignal;
  // OpenBLAS threads in the worker (default 1: see the README on threads)
  threads?: number;
  // the backend in the worker and of the returned network (default: as getBackend() picks)
  backend?: BackendName;
  // memory limits for the worker (node:worker_threads); exceeding them rejects the result
  resourceLimits?: ResourceLimits;
  // the worker thread's priority, a nice value from -20 to 19 as os.setPriority takes (default: the
  // process's). 19 (os.constants.priority.PRIORITY_LOW) trains on what the rest of the process leaves
  // free, so a server on the main thread answers first: serving while training. linux only, where
  // each thread has its own; ignored elsewhere. going below the process's value needs the right to
  priority?: number;
}

export interface WorkerResult {
  net: Sequential;
  history: History;
}

export interface WorkerRun {
  // the trained network and its history; rejects with the worker's error if it fails
  readonly result: Promise<WorkerResult>;
  // stop after the current batch (like returning false from a callback); result resolves
  stop(): void;
  // end the worker now; result rejects
  terminate(): Promise<void>;
}

// where a run starts: a network, a model file's bytes, or the checkpoint directory of a run to continue
export type WorkerStart = Sequential | Uint8Array | string;

const OWN_KEYS = new Set(['onBatchEnd', 'onEpochEnd', 'onWeights', 'signal', 'threads', 'backend', 'resourceLimits', 'priority']);

// a run checked on this thread and ready for a lane (its data aside)
export interface PreparedRun {
  job: Omit<WorkerJob, 'data'>;
  backend: Backend | undefined;
  onBatchEnd: WorkerTrainingOptions['onBatchEnd'];
  onEpochEnd: WorkerTrainingOptions['onEpochEnd'];
  onWeights: WorkerTrainingOptions['onWeights'];
  signal: AbortSignal | undefined;
  resourceLimits: ResourceLimits | undefined;
  priority: number | undefined;
}

function callbackOf<F>(name: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new TypeError(`trainInWorker: ${name} must be a function, got ${typeof value}`);
  return value as F;
}

// every check that needs no worker, now, so a mistake throws here rather than in another thread
// (a resumed run's options are checked against its checkpoint by Trainer.resume, in the worker)
export function prepareRun(from: WorkerStart, options: WorkerTrainingOptions = {}): PreparedRun {
  if (options === null || typeof options !== 'object') throw new TypeError('trainInWorker: options must be an object');
  const backend = options.backend === undefined ? undefined : backendByName(options.backend);
  const trainerOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (!OWN_KEYS.has(key)) trainerOptions[key] = value;
  if (trainerOptions.optimizer !== undefined && typeof trainerOptions.optimizer !== 'string') {
    throw new TypeError("trainInWorker: optimizer must be a name ('sgd', 'adam', …) with optimizerOptions: an optimizer object cannot move to a worker");
  }
  const ck = trainerOptions.checkpoint as { beforeCommit?: unknown } | undefined;
  if (ck && typeof ck === 'object' && ck.beforeCommit !== undefined) throw new TypeError('trainInWorker: checkpoint.beforeCommit cannot move to a worker');
  let start: WorkerJob['start'];
  if (typeof from === 'string') {
    if (from === '') throw new TypeError('trainInWorker: the checkpoint directory to resume from is an empty string');
    start = { resume: from };
  } else {
    let local: Sequential;
    let model: Uint8Array;
    if (from instanceof Sequential) {
      model = modelBytes(from);
      local = from;
    } else if (from instanceof Uint8Array) {
      // a copy: the transfer to the worker must not take the caller's buffer away
      model = new Uint8Array(from);
      local = decodeModel(model, 'trainInWorker model', { backend }).net;
    } else {
      throw new TypeError('trainInWorker: net must be a Sequential, the bytes of a model file, or the checkpoint directory of a run to resume');
    }
    // the trainer's own checks
    resolveOptions(local, trainerOptions as TrainerOptions);
    start = { model };
  }
  const onBatchEnd = callbackOf<NonNullable<WorkerTrainingOptions['onBatchEnd']>>('onBatchEnd', options.onBatchEnd);
  const onEpochEnd = callbackOf<NonNullable<WorkerTrainingOptions['onEpochEnd']>>('onEpochEnd', options.onEpochEnd);
  const onWeights = callbackOf<NonNullable<WorkerTrainingOptions['onWeights']>>('onWeights', options.onWeights);
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('trainInWorker: signal must be an AbortSignal');
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`trainInWorker: threads must be a positive integer, got ${threads}`);
  return {
    job: {
      start,
      options: trainerOptions,
      control: new Int32Array(new SharedArrayBuffer(4)),
      threads,
      backend: options.backend,
      batches: onBatchEnd !== undefined,
      weights: onWeights !== undefined,
    },
    backend,
    onBatchEnd,
    onEpochEnd,
    onWeights,
    signal,
    resourceLimits: options.resourceLimits,
    priority: priorityOf(options.priority, 'trainInWorker'),
  };
}

// run a prepared job on a lane; stop() asks the worker to stop after its current batch
export function startRun(lane: WorkerLane, run: PreparedRun, data: SharedTrainingData): { result: Promise<WorkerResult>; stop(): void } {
  const { control } = run.job;
  const { backend, signal, onBatchEnd, onEpochEnd, onWeights } = run;
  const stop = (): void => void Atomics.compareExchange(control, 0, RUN, STOP);
  const abort = (): void => void Atomics.store(control, 0, ABORT);
  if (signal?.aborted) abort();
  signal?.addEventListener('abort', abort);
  const result = new Promise<WorkerResult>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', abort);
      f();
    };
    const fail = (e: unknown): void => settle(() => reject(e));
    // a callback that throws ends the run with its error; the worker stops after its current batch
    const call = (f: () => void | boolean): void => {
      try {
        if (f() === false) stop();
      } catch (e) {
        abort();
        fail(e);
      }
    };
    const message = (msg: FromWorker): void => {
      if (settled) return;
      if (msg.type === 'batches') {
        for (const item of msg.items) call(() => onBatchEnd!(item));
      } else if (msg.type === 'epoch') {
        if (msg.model !== undefined) {
          const epochNet = decodeModel(msg.model, `epoch ${msg.info.epoch} weights`, { backend }).net;
          call(() => onWeights!(epochNet, msg.info));
        }
        if (onEpochEnd) call(() => onEpochEnd(msg.info));
      } else {
        try {
          const done = resultOf(msg, backend);
          settle(() => resolve(done));
        } catch (e) {
          fail(e);
        }
      }
    };
    lane.run(run.job, data, { message, fail });
  });
  return { result, stop };
}

// train a copy of net (a Sequential, or a model file's bytes) in a worker thread; net itself is not
// changed. given a checkpoint directory instead, continue the run saved there (as Trainer.resume(dir,
// options) then fit(data) would): options that fix the trajectory come from the checkpoint, and one
// given with another value is an error
export function trainInWorker(net: WorkerStart, data: TrainingData | SharedTrainingData, options: WorkerTrainingOptions = {}): WorkerRun {
  const run = prepareRun(net, options);
  return runAlone(run, shareTrainingData(data));
}

// a prepared run on a worker of its own, which ends with the run
export function runAlone(run: PreparedRun, shared: SharedTrainingData): WorkerRun {
  const lane = new WorkerLane(run.resourceLimits, run.priority);
  const { result, stop } = startRun(lane, run, shared);
  // one job, then the worker ends
  const ended = result.finally(() => lane.close());
  return { result: ended, stop, terminate: () => lane.terminate() };
}
