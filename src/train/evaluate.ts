// accuracy over a whole set, a chunk of rows at a time through reused buffers:
// never a 60000×784 float matrix, only chunk×784 at once

import { Matrix } from '../matrix.js';
import type { Network } from '../nn/types.js';
import { evaluationMode } from '../nn/sequential.js';
import { toDataset, type Dataset, type DatasetLike } from './dataset.js';

export const DEFAULT_EVAL_CHUNK = 1000;

// one chunk's buffers: images, labels and the row indices that pick them
interface ChunkBuffers {
  x: Matrix;
  t: Int32Array;
  indices: Int32Array;
}

function makeBuffers(rows: number, features: number, net: Network): ChunkBuffers {
  return { x: Matrix.zeros(rows, features, net.dtype), t: new Int32Array(rows), indices: new Int32Array(rows) };
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

  constructor(net: Network, chunk: number = DEFAULT_EVAL_CHUNK) {
    if (typeof chunk !== 'number' || !Number.isInteger(chunk) || chunk < 1) {
      throw new RangeError(`Invalid evaluation batch size: ${chunk} (expected an integer ≥ 1)`);
    }
    this.net = net;
    this.chunk = chunk;
  }

  private buffersFor(rows: number, features: number): ChunkBuffers {
    // a set with a different row width needs new buffers
    if (features !== this.features) {
      this.buffers.clear();
      this.features = features;
    }
    let b = this.buffers.get(rows);
    if (b === undefined) this.buffers.set(rows, (b = makeBuffers(rows, features, this.net)));
    return b;
  }

  // make the buffers a set's chunks will need now, so later evaluations allocate nothing
  prepare(data: Dataset): void {
    this.buffersFor(Math.min(this.chunk, data.count), data.features);
    const tail = data.count % this.chunk;
    if (tail !== 0) this.buffersFor(tail, data.features);
  }

  // correct predictions among examples start..start+rows-1
  private correctIn(data: Dataset, start: number, rows: number): number {
    const b = this.buffersFor(rows, data.features);
    for (let i = 0; i < rows; i++) b.indices[i] = start + i;
    data.gather(b.indices, b.x, b.t);
    return countCorrect(this.net.predict(b.x), b.t);
  }

  // fraction of the set classified correctly; pause (if given) is awaited between chunks
  async accuracyAsync(data: Dataset, pause?: () => Promise<void> | undefined): Promise<number> {
    let correct = 0;
    const restore = evaluationMode(this.net);
    try {
      for (let start = 0; start < data.count; start += this.chunk) {
        correct += this.correctIn(data, start, Math.min(this.chunk, data.count - start));
        const p = pause?.();
        if (p !== undefined) await p;
      }
    } finally {
      restore();
    }
    return correct / data.count;
  }

  accuracy(data: Dataset): number {
    let correct = 0;
    const restore = evaluationMode(this.net);
    try {
      for (let start = 0; start < data.count; start += this.chunk) {
        correct += this.correctIn(data, start, Math.min(this.chunk, data.count - start));
      }
    } finally {
      restore();
    }
    return correct / data.count;
  }
}

// the accuracy of net on a whole set, in chunks of `batchSize` rows
export function evaluateAccuracy(net: Network, data: DatasetLike, options: { batchSize?: number } = {}): number {
  return new Evaluator(net, options.batchSize ?? DEFAULT_EVAL_CHUNK).accuracy(toDataset(data, 'evaluateAccuracy', net.backend));
}
