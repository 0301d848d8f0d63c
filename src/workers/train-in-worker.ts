// trainInWorker: fit() on a worker thread, so the main thread keeps its event loop (a server answers
// without waiting for training steps) and a second core does the training.
//
// what crosses between the threads, and how:
//   in:  the network as a model file's bytes (one buffer, transferred), the data on SharedArrayBuffer
//        (shared, not copied: see share.ts), the options as plain data, a shared flag word for stop/abort
//   out: batch records in groups every ~15 ms, epoch records (with the weights when asked), and at the
//        end the final weights as one model-file buffer (transferred) and the history
// a worker that fails (an exception, process.exit, running out of memory) rejects the result with its
// error; the promise never waits on a dead worker.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { backendByName } from '../backend/index.js';
import type { BackendName } from '../backend/types.js';
import { decodeModel, encodeModel } from '../io/model.js';
import { packageRoot } from '../native/addon.js';
import { Sequential } from '../nn/sequential.js';
import { History, type EpochRecord, type RunConfig, type StopReason } from '../train/history.js';
import { resolveOptions, type BatchInfo, type TrainerOptions } from '../train/options.js';
import type { TrainingData } from '../train/trainer.js';
import { shareTrainingData, type SharedTrainingData } from './share.js';

// what a batch record carries to the main thread (BatchInfo without its stop function)
export type WorkerBatchInfo = Omit<BatchInfo, 'stop'>;
export interface WorkerEpochInfo extends EpochRecord {
  totalIterations: number;
}

export interface WorkerTrainingOptions extends Omit<TrainerOptions, 'onBatchEnd' | 'onEpochEnd' | 'signal' | 'optimizer' | 'checkpoint'> {
  // a name ('sgd', 'adam', …) with optimizerOptions: an optimizer object cannot move to another thread
  optimizer?: string;
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

// the shared flag word's values
export const RUN = 0;
export const STOP = 1;
export const ABORT = 2;

// the job as the worker receives it
export interface WorkerJob {
  model: Uint8Array;
  data: SharedTrainingData;
  options: Record<string, unknown>;
  control: Int32Array;
  threads?: number;
  backend?: BackendName;
  // which callbacks the main thread has, so the worker sends only what someone reads
  batches: boolean;
  weights: boolean;
}

export interface SerializedHistory {
  config: RunConfig;
  loss: Float64Array;
  epochs: EpochRecord[];
  stopReason: StopReason;
  wallTimeMs: number;
  trainTimeMs: number;
  evalTimeMs: number;
  checkpointTimeMs: number;
}

export type FromWorker =
  | { type: 'batches'; items: WorkerBatchInfo[] }
  | { type: 'epoch'; info: WorkerEpochInfo; model?: Uint8Array }
  | { type: 'done'; model: Uint8Array; history: SerializedHistory };

const OWN_KEYS = new Set(['onBatchEnd', 'onEpochEnd', 'onWeights', 'signal', 'threads', 'backend', 'resourceLimits']);

// compiled, the entry sits next to this file; run from the TypeScript sources (the tests), it is the
// build's, since a worker cannot start from a .ts file
function entryFile(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? path.join(packageRoot, 'dist', 'workers', 'entry.js') : path.join(path.dirname(here), 'entry.js');
}

// the bytes of a model file in a buffer of their own, so the buffer can be transferred
export function modelBytes(net: Sequential): Uint8Array {
  const buf = encodeModel(net);
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer) return new Uint8Array(buf.buffer);
  return new Uint8Array(buf);
}

export function historyFrom(h: SerializedHistory): History {
  const history = new History(h.config);
  history.restore(h.loss, h.epochs);
  history.stopReason = h.stopReason;
  history.wallTimeMs = h.wallTimeMs;
  history.trainTimeMs = h.trainTimeMs;
  history.evalTimeMs = h.evalTimeMs;
  history.checkpointTimeMs = h.checkpointTimeMs;
  return history;
}

function callbackOf<F>(name: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new TypeError(`trainInWorker: ${name} must be a function, got ${typeof value}`);
  return value as F;
}

// train a copy of net (a Sequential, or a model file's bytes) in a worker thread; net itself is not changed
export function trainInWorker(net: Sequential | Uint8Array, data: TrainingData | SharedTrainingData, options: WorkerTrainingOptions = {}): WorkerRun {
  if (options === null || typeof options !== 'object') throw new TypeError('trainInWorker: options must be an object');
  const backend = options.backend === undefined ? undefined : backendByName(options.backend);
  let model: Uint8Array;
  let local: Sequential;
  if (net instanceof Sequential) {
    model = modelBytes(net);
    local = net;
  } else if (net instanceof Uint8Array) {
    // a copy: the transfer below must not take the caller's buffer away
    model = new Uint8Array(net);
    local = decodeModel(model, 'trainInWorker model', { backend }).net;
  } else {
    throw new TypeError('trainInWorker: net must be a Sequential or the bytes of a model file');
  }
  const trainerOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (!OWN_KEYS.has(key)) trainerOptions[key] = value;
  if (trainerOptions.optimizer !== undefined && typeof trainerOptions.optimizer !== 'string') {
    throw new TypeError("trainInWorker: optimizer must be a name ('sgd', 'adam', …) with optimizerOptions: an optimizer object cannot move to a worker");
  }
  const ck = trainerOptions.checkpoint as { beforeCommit?: unknown } | undefined;
  if (ck && typeof ck === 'object' && ck.beforeCommit !== undefined) throw new TypeError('trainInWorker: checkpoint.beforeCommit cannot move to a worker');
  // the trainer's own checks, now, before a thread starts
  resolveOptions(local, trainerOptions as TrainerOptions);
  const onBatchEnd = callbackOf<NonNullable<WorkerTrainingOptions['onBatchEnd']>>('onBatchEnd', options.onBatchEnd);
  const onEpochEnd = callbackOf<NonNullable<WorkerTrainingOptions['onEpochEnd']>>('onEpochEnd', options.onEpochEnd);
  const onWeights = callbackOf<NonNullable<WorkerTrainingOptions['onWeights']>>('onWeights', options.onWeights);
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('trainInWorker: signal must be an AbortSignal');
  const shared = shareTrainingData(data);

  const control = new Int32Array(new SharedArrayBuffer(4));
  const job: WorkerJob = {
    model,
    data: shared,
    options: trainerOptions,
    control,
    threads: options.threads,
    backend: options.backend,
    batches: onBatchEnd !== undefined,
    weights: onWeights !== undefined,
  };
  const worker = new Worker(entryFile(), { workerData: job, transferList: [model.buffer as ArrayBuffer], resourceLimits: options.resourceLimits });
  const stop = (): void => {
    Atomics.compareExchange(control, 0, RUN, STOP);
  };
  const abort = (): void => {
    Atomics.store(control, 0, ABORT);
  };
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
    // a callback that throws ends the run: the worker is stopped and the error is the result
    const call = (f: () => void | boolean): void => {
      try {
        if (f() === false) stop();
      } catch (e) {
        fail(e);
        void worker.terminate();
      }
    };
    worker.on('message', (msg: FromWorker) => {
      if (settled) return;
      if (msg.type === 'batches') {
        for (const item of msg.items) call(() => onBatchEnd!(item));
      } else if (msg.type === 'epoch') {
        if (msg.model !== undefined) {
          const epochNet = decodeModel(msg.model, `epoch ${msg.info.epoch} weights`, { backend }).net;
          call(() => onWeights!(epochNet, msg.info));
        }
        if (onEpochEnd) call(() => onEpochEnd(msg.info));
      } else if (msg.type === 'done') {
        try {
          const { net: trained } = decodeModel(msg.model, 'trained weights', { backend });
          const history = historyFrom(msg.history);
          settle(() => resolve({ net: trained, history }));
        } catch (e) {
          fail(e);
        }
      }
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`trainInWorker: the worker exited with code ${code} before training finished`)));
  });
  return {
    result,
    stop,
    terminate: async () => {
      await worker.terminate();
    },
  };
}
