// accuracy over a whole set, a chunk of rows at a time through reused buffers:
// never a 60000×784 float matrix, only chunk×784 at once

import { Matrix } from '../matrix.js';
import { MetricSums, type TaskMetrics } from '../nn/task-metrics.js';
import type { Network } from '../nn/types.js';
import { toDataset, type BatchTargets, type Dataset, type DatasetLike } from './dataset.js';

export const DEFAULT_EVAL_CHUNK = 1000;

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

// how many rows of scores have their largest entry at the label (the first maximum wins, as numpy's argmax)
export function countCorrect(scores: Matrix, t: Int32Array): number {
  const { rows, cols, data } = scores;
  if (t.length !== rows) throw new RangeError(`countCorrect: ${rows} rows of scores but ${t.length} labels`);
  let correct = 0;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let best = 0;
    let bestValue = data[o]!;
    for (let j = 1; j < cols; j++) {
      const v = data[o + j]!;
      if (v > bestValue) {
        bestValue = v;
        best = j;
      }
    }
    if (best === t[i]) correct++;
  }
  return correct;
}

export class Evaluator {
  private readonly net: Network;
  private readonly chunk: number;
  // full chunks and the one shorter last chunk, made once per size and kept
  private readonly buffers = new Map<number, ChunkBuffers>();
  private features = -1;
  private targets: number | undefined = undefined;

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

  // make the buffers a set's chunks will need now, so later evaluations allocate nothing
  prepare(data: Dataset): void {
    this.buffersFor(Math.min(this.chunk, data.count), data.features, data.targets);
    const tail = data.count % this.chunk;
    if (tail !== 0) this.buffersFor(tail, data.features, data.targets);
  }

  // the network's scores for examples start..start+rows-1, and their targets (reused buffers)
  private scoresIn(data: Dataset, start: number, rows: number): { scores: Matrix; t: BatchTargets } {
    const b = this.buffersFor(rows, data.features, data.targets);
    for (let i = 0; i < rows; i++) b.indices[i] = start + i;
    data.gather(b.indices, b.x, b.t);
    return { scores: this.net.predict(b.x), t: b.t };
  }

  // correct predictions among examples start..start+rows-1
  private correctIn(data: Dataset, start: number, rows: number): number {
    const { scores, t } = this.scoresIn(data, start, rows);
    if (!(t instanceof Int32Array)) throw new TypeError('Evaluator.accuracy: this set has target values, not classes; use metrics()');
    return countCorrect(scores, t);
  }

  // the measures of the network's task over the whole set: accuracy, or MSE, MAE and R² for a
  // regression; pause (if given) is awaited between chunks
  async metricsAsync(data: Dataset, pause?: () => Promise<void> | undefined): Promise<TaskMetrics> {
    const sums = new MetricSums(this.net.task ?? 'classify');
    for (let start = 0; start < data.count; start += this.chunk) {
      const { scores, t } = this.scoresIn(data, start, Math.min(this.chunk, data.count - start));
      sums.add(scores, t);
      const p = pause?.();
      if (p !== undefined) await p;
    }
    return sums.result();
  }

  // fraction of the set classified correctly; pause (if given) is awaited between chunks
  async accuracyAsync(data: Dataset, pause?: () => Promise<void> | undefined): Promise<number> {
    let correct = 0;
    for (let start = 0; start < data.count; start += this.chunk) {
      correct += this.correctIn(data, start, Math.min(this.chunk, data.count - start));
      const p = pause?.();
      if (p !== undefined) await p;
    }
    return correct / data.count;
  }

  accuracy(data: Dataset): number {
    let correct = 0;
    for (let start = 0; start < data.count; start += this.chunk) {
      correct += this.correctIn(data, start, Math.min(this.chunk, data.count - start));
    }
    return correct / data.count;
  }
}

// the accuracy of net on a whole set, in chunks of `batchSize` rows
export function evaluateAccuracy(net: Network, data: DatasetLike, options: { batchSize?: number } = {}): number {
  return new Evaluator(net, options.batchSize ?? DEFAULT_EVAL_CHUNK).accuracy(toDataset(data, 'evaluateAccuracy', net.backend));
}
