// which examples each iteration trains on, and the batch buffers they are gathered into.
// the sampler's state (its generator and, for 'shuffle', the current epoch's order) is what a
// checkpoint saves: with it and the iteration number the rest of the run's batches are fixed.

import type { DType } from '../matrix.js';
import { Matrix } from '../matrix.js';
import { Random, type RandomState } from '../random.js';
import type { BatchTargets, Dataset } from './dataset.js';
import type { Sampling } from './options.js';

// one batch's buffers: the rows, their class indices (or target rows) and the example indices that picked them
export interface Batch {
  x: Matrix;
  t: BatchTargets;
  indices: Int32Array;
}

export interface SamplerState {
  random: RandomState;
  // 'shuffle' only: the permutation the current epoch reads from
  order?: Int32Array;
}

export function makeBatch(rows: number, data: Dataset, dtype: DType): Batch {
  const t = data.targets === undefined ? new Int32Array(rows) : Matrix.zeros(rows, data.targets, dtype);
  return { x: Matrix.zeros(rows, data.features, dtype), t, indices: new Int32Array(rows) };
}

export class Sampler {
  // the book: iter_per_epoch = max(train_size / batch_size, 1); a partial last batch still counts
  readonly perEpoch: number;
  private readonly random: Random;
  private readonly count: number;
  private readonly batchSize: number;
  private readonly order: Int32Array | undefined;
  // made once; shuffle's shorter last batch of an epoch gets its own set (none when the epoch divides)
  private readonly full: Batch;
  private readonly tail: Batch | undefined;

  // random: the trainer's generator, which carries on from one fit to the next
  constructor(sampling: Sampling, random: Random, data: Dataset, batchSize: number, dtype: DType) {
    const n = data.count;
    this.random = random;
    this.count = n;
    this.batchSize = batchSize;
    this.perEpoch = Math.max(1, Math.ceil(n / batchSize));
    this.full = makeBatch(batchSize, data, dtype);
    if (sampling === 'shuffle') {
      this.order = new Int32Array(n);
      for (let i = 0; i < n; i++) this.order[i] = i;
      const tailRows = n - (this.perEpoch - 1) * batchSize;
      this.tail = tailRows === batchSize ? undefined : makeBatch(tailRows, data, dtype);
    } else {
      this.order = undefined;
      this.tail = undefined;
    }
  }

  // the examples of iteration it (1-based), gathered from data into a reused batch
  next(it: number, data: Dataset): Batch {
    const b = this.draw(it);
    data.gather(b.indices, b.x, b.t);
    return b;
  }

  // the indices of iteration it into the full batch (shuffle's last batch of an epoch into the tail)
  private draw(it: number): Batch {
    const order = this.order;
    let b = this.full;
    if (order) {
      const k = (it - 1) % this.perEpoch;
      // a new epoch: a new order, so every example is seen once per epoch
      if (k === 0) this.random.shuffle(order);
      if (k === this.perEpoch - 1) b = this.tail ?? this.full;
      const from = k * this.batchSize;
      const bi = b.indices;
      for (let i = 0; i < bi.length; i++) bi[i] = order[from + i]!;
    } else {
      this.random.fillRandint(b.indices, this.count);
    }
    return b;
  }

  // for a checkpoint: the generator's state and the epoch's order (a view: writeCheckpoint copies it out)
  state(): SamplerState {
    return { random: this.random.getState(), order: this.order };
  }

  restore(state: SamplerState): void {
    this.random.setState(state.random);
    if (this.order && state.order) this.order.set(state.order);
  }
}
