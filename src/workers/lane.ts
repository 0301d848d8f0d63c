// one worker thread that trains jobs one after another: trainInWorker runs one job on a lane of its
// own, a sweep keeps one lane per core for all its runs. a lane lives across jobs because starting a
// worker costs far more than its first step (a new thread, the module graph, the addon's set-up, and
// a JIT that has to warm up again), which a sweep of short runs would otherwise pay per run.
//
// what crosses between the threads, and how:
//   in:  per job, the network as a model file's bytes (one buffer, transferred) or the checkpoint
//        directory of a run to continue; the data on SharedArrayBuffer (shared, not copied: see
//        share.ts), sent once per lane, not per job; the options as plain data; a shared flag word for
//        stop/abort
//   out: batch records in groups every ~15 ms, epoch records (with the weights when asked), and at the
//        end the final weights as one model-file buffer (transferred) and the history
// a worker that fails (an exception, process.exit, running out of memory) fails its job with its
// error and the lane is dead; the job's promise never waits on a dead worker.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Backend, BackendName } from '../backend/types.js';
import { decodeModel, encodeModel } from '../io/model.js';
import { packageRoot } from '../native/addon.js';
import type { Sequential } from '../nn/sequential.js';
import { History, type EpochRecord, type RunConfig, type StopReason } from '../train/history.js';
import type { BatchInfo } from '../train/options.js';
import type { SharedTrainingData } from './share.js';

// what a batch record carries to the main thread (BatchInfo without its stop function)
export type WorkerBatchInfo = Omit<BatchInfo, 'stop'>;
export interface WorkerEpochInfo extends EpochRecord {
  totalIterations: number;
}

// the shared flag word's values
export const RUN = 0;
export const STOP = 1;
export const ABORT = 2;

// a job as the worker receives it
export interface WorkerJob {
  // the starting network as a model file's bytes, or the checkpoint directory of a run to continue
  start: { model: Uint8Array } | { resume: string };
  // absent: the data of this lane's previous job (a lane sends its data once)
  data?: SharedTrainingData;
  options: Record<string, unknown>;
  control: Int32Array;
  // OpenBLAS threads for this job (each job sets its own; a worker starts at 1)
  threads: number;
  backend?: BackendName;
  // which callbacks the main thread has, so the worker sends only what someone reads
  batches: boolean;
  weights: boolean;
}

// what a worker knows from its start, before any job
export interface LaneStart {
  priority: number | undefined;
}

// a worker thread's priority is a nice value, as os.setPriority takes: -20 runs first, 19 (PRIORITY_LOW)
// only on what the process's other threads leave free
export function priorityOf(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < -20 || (value as number) > 19) {
    throw new RangeError(`${where}: priority must be an integer from -20 to 19 (a nice value; 19 is the lowest), got ${String(value)}`);
  }
  return value as number;
}

export type ToWorker = { type: 'job'; job: WorkerJob } | { type: 'close' };

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

// the main thread's side of one job: the worker's messages while it runs, and its failure
export interface JobHandlers {
  message(msg: FromWorker): void;
  fail(error: unknown): void;
}

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

// the trained network and its history from the worker's last message
export function resultOf(msg: Extract<FromWorker, { type: 'done' }>, backend: Backend | undefined): { net: Sequential; history: History } {
  return { net: decodeModel(msg.model, 'trained weights', { backend }).net, history: historyFrom(msg.history) };
}

export class WorkerLane {
  private readonly worker: Worker;
  // the job running now, and the data this worker already holds
  private current: JobHandlers | undefined;
  private sentData: SharedTrainingData | undefined;
  private exited = false;
  private waiting: (() => void)[] = [];

  // priority: the nice value the worker's thread takes before its first job (entry.ts), if given
  constructor(resourceLimits?: ResourceLimits, priority?: number) {
    this.worker = new Worker(entryFile(), { resourceLimits, workerData: { priority } satisfies LaneStart });
    // an idle lane does not keep the process alive; a running job does
    this.worker.unref();
    this.worker.on('message', (msg: FromWorker) => {
      const job = this.current;
      // the job ends with its last message: the lane takes the next one
      if (msg.type === 'done') this.release();
      job?.message(msg);
    });
    // 'error' comes before 'exit' when the worker threw: the job fails with the worker's own error
    this.worker.on('error', (e) => this.die(e));
    this.worker.on('exit', (code) => this.die(new Error(`trainInWorker: the worker exited with code ${code} before training finished`)));
  }

  // false once the worker has died or was closed: a sweep replaces such a lane
  get alive(): boolean {
    return !this.exited;
  }

  // resolves when no job is running (its worker posted its last message, or died)
  idle(): Promise<void> {
    return this.current === undefined ? Promise.resolve() : new Promise((resolve) => this.waiting.push(resolve));
  }

  // start a job; its messages go to handlers until 'done', or handlers.fail when the worker dies
  run(job: Omit<WorkerJob, 'data'>, data: SharedTrainingData, handlers: JobHandlers): void {
    if (this.exited) throw new Error('trainInWorker: this worker has exited');
    if (this.current !== undefined) throw new Error('trainInWorker: this worker is already training');
    this.current = handlers;
    this.worker.ref();
    const full: WorkerJob = this.sentData === data ? job : { ...job, data };
    this.sentData = data;
    const transfer = 'model' in job.start ? [job.start.model.buffer as ArrayBuffer] : [];
    this.worker.postMessage({ type: 'job', job: full } satisfies ToWorker, transfer);
  }

  // let the worker end once its job (if any) is done
  close(): void {
    if (!this.exited) this.worker.postMessage({ type: 'close' } satisfies ToWorker);
  }

  // end the worker now; a running job fails
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private release(): void {
    this.current = undefined;
    this.worker.unref();
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private die(error: unknown): void {
    this.exited = true;
    const job = this.current;
    this.release();
    job?.fail(error);
  }
}
