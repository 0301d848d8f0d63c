// the worker side of trainInWorker: rebuild the network and the data, run fit(), report back

import { parentPort, workerData } from 'node:worker_threads';
import { backendByName } from '../backend/index.js';
import { setNumThreads } from '../info.js';
import { decodeModel } from '../io/model.js';
import type { TrainerOptions } from '../train/options.js';
import { fit } from '../train/trainer.js';
import { unshare } from './share.js';
import { ABORT, modelBytes, STOP, type FromWorker, type SerializedHistory, type WorkerBatchInfo, type WorkerJob } from './train-in-worker.js';

// batch records go out in groups: a message per batch would cost the worker more than the batch
const FLUSH_MS = 15;

async function main(job: WorkerJob): Promise<void> {
  const port = parentPort!;
  const post = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
  if (job.threads !== undefined) setNumThreads(job.threads);
  const backend = job.backend === undefined ? undefined : backendByName(job.backend);
  const { net } = decodeModel(job.model, 'trainInWorker model', { backend });
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
        const model = modelBytes(net);
        post({ type: 'epoch', info, model }, [model.buffer as ArrayBuffer]);
      } else {
        post({ type: 'epoch', info });
      }
    },
  };
  const history = await fit(net, unshare(job.data), options);
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

// an error thrown here reaches the main thread as the worker's 'error' event, which rejects the result
await main(workerData as WorkerJob);
