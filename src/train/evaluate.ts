// accuracy over a whole set, a chunk of rows at a time through reused buffers:
// never a 60000×784 float matrix, only chunk×784 at once

import { Matrix } from '../matrix.js';
import { DEFAULT_EVAL_CHUNK, evaluationMode } from '../nn/sequential.js';
import { MetricSums, type TaskMetrics } from '../nn/task-metrics.js';
import type { Network } from '../nn/types.js';
import { toDataset, type BatchTargets, type Dataset, type DatasetLike } from './dataset.js';

export { DEFAULT_EVAL_CHUNK };

// one chunk's buffers: images, labels and the row indices that pick them
interface ChunkBuffers {
  x: Matrix;
  t: BatchTargets;
  indices: Int32Array;
}

function makeBuffers(rows: number, features: number, targets: number | undefined, net: Network): ChunkBuffers {
  const t = targets === undefined ? new Int32Array(rows) : Matrix.zeros(rows, targets, net.dtype);
  return { x: Matrix.zeros(rows, features, net.dtype), t, indices: new Int32Array(rows) };
}

function accuracyOf(m: TaskMetrics): number {
  if (m.accuracy === undefined) throw new TypeError('Evaluator.accuracy: a regression has no accuracy; metrics() gives its mse, mae and r2');
  return m.accuracy;
}

export class Evaluator {
  private readonly net: Network;
  private readonly chunk: number;
  // full chunks and the one shorter last chunk, made once per size and kept
  private readonly buffers = new Map<number, ChunkBuffers>();
  private features = -1;
  private targets: number | undefined = undefined;

  // chunk: the evalBatchSize, rows per forward
  constructor(net: Network, chunk: number = DEFAULT_EVAL_CHUNK) {
    if (typeof chunk !== 'number' || !Number.isInteger(chunk) || chunk < 1) {
      throw new RangeError(`Invalid evaluation batch size: ${chunk} (expected an integer ≥ 1)`);
    }
    this.net = net;
    this.chunk = chunk;
  }

  private buffersFor(rows: number, features: number, targets?: number): ChunkBuffers {
    // a set with a different row width (or target width) needs new buffers
    if (features !== this.features || targets !== this.targets) {
      this.buffers.clear();
      this.features = features;
      this.targets = targets;
    }
    let b = this.buffers.get(rows);
    if (b === undefined) this.buffers.set(rows, (b = makeBuffers(rows, features, targets, this.net)));
    return b;
  }

  // make the buffers a set's chunks will need now, so later evaluations allocate nothing: ours, and
  // the layers' own at each chunk shape (one forward of the zeroed chunk; layers keep a buffer per shape)
  // in evaluation mode like the passes themselves: no Dropout draw, no BatchNorm statistics from zeros
  prepare(data: Dataset): void {
    const restore = evaluationMode(this.net);
    try {
      this.net.predict(this.buffersFor(Math.min(this.chunk, data.count), data.features, data.targets).x);
      const tail = data.count % this.chunk;
      if (tail !== 0) this.net.predict(this.buffersFor(tail, data.features, data.targets).x);
    } finally {
      restore();
    }
  }

  // the network's scores for examples start..start+rows-1, and their targets (reused buffers)
  private scoresOf(data: Dataset, start: number, rows: number): { scores: Matrix; t: BatchTargets } {
    const b = this.buffersFor(rows, data.features, data.targets);
    for (let i = 0; i < rows; i++) b.indices[i] = start + i;
    data.gather(b.indices, b.x, b.t);
    return { scores: this.net.predict(b.x), t: b.t };
  }

  // the one chunked pass: visit(scores, targets, start) for each chunk of rows, in order; the
  // scores are the network's buffer, valid only during the call
  // scores, in evaluation mode (Dropout off, BatchNormalization's running statistics); the network's
  // own mode comes back after
  forEachChunk(data: Dataset, visit: (scores: Matrix, t: BatchTargets, start: number) => void): void {
    const restore = evaluationMode(this.net);
    try {
      for (let start = 0; start < data.count; start += this.chunk) {
        const { scores, t } = this.scoresOf(data, start, Math.min(this.chunk, data.count - start));
        visit(scores, t, start);
      }
    } finally {
      restore();
    }
  }

  // the measures of the network's task over the whole set: accuracy, or MSE, MAE and R² for a
  // regression, in evaluation mode; pause (if given) is awaited between chunks
  async metricsAsync(data: Dataset, pause?: () => Promise<void> | undefined): Promise<TaskMetrics> {
    const sums = new MetricSums(this.net.task ?? 'classify');
    const restore = evaluationMode(this.net);
    try {
      for (let start = 0; start < data.count; start += this.chunk) {
        const { scores, t } = this.scoresOf(data, start, Math.min(this.chunk, data.count - start));
        sums.add(scores, t);
        const p = pause?.();
        if (p !== undefined) await p;
      }
    } finally {
      restore();
    }
    return sums.result();
  }

  metrics(data: Dataset): TaskMetrics {
    const sums = new MetricSums(this.net.task ?? 'classify');
    this.forEachChunk(data, (scores, t) => sums.add(scores, t));
    return sums.result();
  }

  // fraction of the set classified correctly (a classifier's or a binary model's measure)
  async accuracyAsync(data: Dataset, pause?: () => Promise<void> | undefined): Promise<number> {
    return accuracyOf(await this.metricsAsync(data, pause));
  }

  accuracy(data: Dataset): number {
    return accuracyOf(this.metrics(data));
  }
}

// the accuracy of net on a whole set, in chunks of evalBatchSize rows
export function evaluateAccuracy(net: Network, data: DatasetLike, options: { evalBatchSize?: number } = {}): number {
  // one name for the evaluation chunk everywhere (the trainer's option, saved models)
  if ('batchSize' in options) throw new TypeError('evaluateAccuracy: the option is evalBatchSize (rows per evaluation chunk)');
  return new Evaluator(net, options.evalBatchSize ?? DEFAULT_EVAL_CHUNK).accuracy(toDataset(data, 'evaluateAccuracy', net.backend));
}
