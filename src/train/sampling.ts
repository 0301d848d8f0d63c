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
  // look-ahead (when the data set can gather beside a step): a second full set, so the next batch is
  // written while the network still reads the current one, the iteration it is for (0: none), and the
  // generator as it was before drawing it, which is what a checkpoint of this iteration must save
  private readonly spare: Batch | undefined;
  private aheadIt = 0;
  private aheadBatch: Batch | undefined;
  // drawn ahead by next(), its gather not started yet (startNext)
  private pending: Batch | undefined = undefined;
  private readonly mark: Random;

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
    this.spare = data.startGather === undefined ? undefined : makeBatch(batchSize, data, dtype);
    this.mark = new Random(1).copyFrom(random);
  }

  // the examples of iteration it (1-based), gathered from data into a reused batch: the one started
  // ahead by the previous call if there was one, else gathered now. with last (the run's last iteration)
  // it also draws iteration it + 1's batch (here, so the random sequence is the same with or without a
  // look-ahead), whose gather startNext(data) starts beside the rest of the step; the caller then calls
  // settle(data) after the step, before anything else may read a batch or the state
  next(it: number, data: Dataset, last = it): Batch {
    let b: Batch;
    if (this.aheadIt === it) {
      b = this.aheadBatch!;
    } else {
      b = this.draw(it, this.full);
      data.gather(b.indices, b.x, b.t);
    }
    this.aheadIt = 0;
    // shuffle's look-ahead stops at an epoch's end: the next epoch's shuffle would change the order a
    // checkpoint of this iteration saves
    if (this.spare !== undefined && it < last && (this.order === undefined || it % this.perEpoch !== 0)) {
      this.mark.copyFrom(this.random);
      const nb = this.draw(it + 1, b === this.full ? this.spare : this.full);
      this.pending = nb;
      this.aheadIt = it + 1;
      this.aheadBatch = nb;
    }
    return b;
  }

  // starts gathering the batch next() drew ahead, beside what the caller does before settle(): after
  // the step's backward pass, so it runs beside the update, not beside the products (which, cut in
  // halves, want the second core themselves: native/threads.h); a no-op without one
  startNext(data: Dataset): void {
    const nb = this.pending;
    if (nb === undefined) return;
    this.pending = undefined;
    data.startGather!(nb.indices, nb.x, nb.t);
  }

  // the look-ahead batch whole (a no-op without one), started now if startNext() was not called
  settle(data: Dataset): void {
    this.startNext(data);
    data.finishGather?.();
  }

  // the run ends before the batch drawn ahead is used: the generator back to where it was before the
  // draw, so the next fit (or a resumed run) draws it again, as if it had never been looked at
  drop(data: Dataset): void {
    this.pending = undefined;
    this.settle(data);
    if (this.aheadIt !== 0) this.random.copyFrom(this.mark);
    this.aheadIt = 0;
  }

  // the indices of iteration it into the full set given (shuffle's last batch of an epoch into the tail)
  private draw(it: number, full: Batch): Batch {
    const order = this.order;
    let b = full;
    if (order) {
      const k = (it - 1) % this.perEpoch;
      // a new epoch: a new order, so every example is seen once per epoch
      if (k === 0) this.random.shuffle(order);
      if (k === this.perEpoch - 1) b = this.tail ?? full;
      const from = k * this.batchSize;
      const bi = b.indices;
      for (let i = 0; i < bi.length; i++) bi[i] = order[from + i]!;
    } else {
      this.random.fillRandint(b.indices, this.count);
    }
    return b;
  }

  // for a checkpoint: the generator's state and the epoch's order (a view: writeCheckpoint copies it out),
  // as they were before any look-ahead draw
  state(): SamplerState {
    return { random: (this.aheadIt !== 0 ? this.mark : this.random).getState(), order: this.order };
  }

  restore(state: SamplerState): void {
    this.random.setState(state.random);
    if (this.order && state.order) this.order.set(state.order);
    this.aheadIt = 0;
    this.pending = undefined;
  }
}
