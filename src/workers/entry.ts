// the worker side of a lane: take jobs one after another, for each rebuild the network (or read the
// checkpoint it continues), run the trainer, report back; the data arrives once and is kept

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { backendByName } from '../backend/index.js';
import { setNumThreads } from '../info.js';
import { decodeModel } from '../io/model.js';
import type { Sequential } from '../nn/sequential.js';
import type { TrainerOptions } from '../train/options.js';
import { Trainer, type TrainingData } from '../train/trainer.js';
import { ABORT, modelBytes, STOP, type FromWorker, type LaneStart, type SerializedHistory, type ToWorker, type WorkerBatchInfo, type WorkerJob } from './lane.js';
import { unshare } from './share.js';

// batch records go out in groups: a message per batch would cost the worker more than the batch
const FLUSH_MS = 15;

// the lane's priority, before any work. only linux gives a thread a nice value of its own (setpriority
// on the thread's id, which /proc/thread-self names); elsewhere the same call would move the whole
// process, main thread and all, so it is not made. a refusal (a raise without the right to) fails the
// job with the reason
const { priority } = workerData as LaneStart;
if (priority !== undefined && process.platform === 'linux') {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  try {
    setPriority(tid, priority);
  } catch (e) {
    throw new Error(`trainInWorker: cannot give the worker thread priority ${priority}: ${(e as Error).message}`, { cause: e });
  }
}

const port = parentPort!;
const post = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
// the data of the lane's jobs, revived once
let data: TrainingData | undefined;
let running = false;
let closing = false;

async function run(job: WorkerJob): Promise<void> {
  if (job.data !== undefined) data = unshare(job.data);
  // each job its own setting, whatever the one before it set
  setNumThreads(job.threads);
  const backend = job.backend === undefined ? undefined : backendByName(job.backend);
  const controller = new AbortController();
  // aborted before it started: no step at all, as fit() does with an aborted signal
  if (Atomics.load(job.control, 0) === ABORT) controller.abort();
  let pending: WorkerBatchInfo[] = [];
  let lastFlush = performance.now();
  const flush = (): void => {
    if (pending.length === 0) return;
    post({ type: 'batches', items: pending });
    pending = [];
    lastFlush = performance.now();
  };
  let net: Sequential | undefined;
  const options: TrainerOptions = {
    ...(job.options as TrainerOptions),
    signal: controller.signal,
    // the shared flag word is read once per batch: stop and abort need no turn of this event loop
    onBatchEnd: (info) => {
      const flag = Atomics.load(job.control, 0);
      if (flag === ABORT) controller.abort();
      if (job.batches) {
        const { stop: _stop, ...record } = info;
        pending.push(record);
        if (performance.now() - lastFlush >= FLUSH_MS) flush();
      }
      return flag !== STOP;
    },
    onEpochEnd: ({ stop: _stop, ...info }) => {
      flush();
      if (job.weights) {
        const model = modelBytes(net!);
        post({ type: 'epoch', info, model }, [model.buffer as ArrayBuffer]);
      } else {
        post({ type: 'epoch', info });
      }
    },
  };
  // a fresh run from the network's bytes, or the checkpointed run continued exactly as Trainer.resume does
  const trainer = 'resume' in job.start
    ? await Trainer.resume(job.start.resume, { ...options, backend })
    : new Trainer(decodeModel(job.start.model, 'trainInWorker model', { backend }).net, options);
  net = trainer.net as Sequential;
  const history = await trainer.fit(data!);
  flush();
  const model = modelBytes(net);
  const loss = Float64Array.from(history.loss);
  const h: SerializedHistory = {
    config: history.config,
    loss,
    epochs: history.epochs,
    stopReason: history.stopReason,
    wallTimeMs: history.wallTimeMs,
    trainTimeMs: history.trainTimeMs,
    evalTimeMs: history.evalTimeMs,
    checkpointTimeMs: history.checkpointTimeMs,
  };
  post({ type: 'done', model, history: h }, [model.buffer as ArrayBuffer, loss.buffer]);
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'close') {
    // the port closed, nothing keeps this thread: it ends once the job in hand is done
    closing = true;
    if (!running) port.close();
    return;
  }
  running = true;
  run(msg.job).then(
    () => {
      running = false;
      if (closing) port.close();
    },
    // a failed job ends the worker: the error reaches the main thread as its 'error' event
    (e: unknown) =>
      process.nextTick(() => {
        throw e;
      }),
  );
});
