// gatherRows: out[r] = src[indices[r]] / divisor, a minibatch of uint8 rows turned into floats

import type { FloatArray, Matrix } from '../matrix.js';
import { overlaps } from './gemm.js';

export function checkGatherRows(src: Uint8Array, indices: Int32Array, divisor: number, out: Matrix): void {
  if (!(src instanceof Uint8Array)) throw new TypeError('gatherRows: src must be a Uint8Array');
  if (!(indices instanceof Int32Array)) throw new TypeError('gatherRows: indices must be an Int32Array');
  if (typeof divisor !== 'number' || !Number.isFinite(divisor) || divisor === 0) {
    throw new RangeError(`gatherRows: divisor must be a finite non-zero number, got ${divisor}`);
  }
  const cols = out.cols;
  if (cols === 0 || src.length % cols !== 0) {
    throw new RangeError(`gatherRows: src has ${src.length} elements, not a whole number of rows of ${cols}`);
  }
  if (out.rows !== indices.length) {
    throw new RangeError(`gatherRows: out must have ${indices.length} rows (one per index), got ${out.rows}`);
  }
  // writing a row must not change an index still to be read, nor a source row (the addon refuses the same)
  if (overlaps(out.data, indices)) throw new RangeError('gatherRows: out must not share memory with indices');
  if (overlaps(out.data, src)) throw new RangeError('gatherRows: out must not share memory with src');
  const count = src.length / cols;
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r]!;
    if (i < 0 || i >= count) throw new RangeError(`gatherRows: indices[${r}] is ${i}, outside [0, ${count})`);
  }
}

// each index is read once per row; an index another thread rewrote since the check reads undefined
// (NaN in the row), never memory out of bounds: this is plain JavaScript
export function gatherRowsImpl(src: Uint8Array, cols: number, indices: Int32Array, divisor: number, out: FloatArray): void {
  for (let r = 0; r < indices.length; r++) {
    const from = indices[r]! * cols;
    const to = r * cols;
    for (let j = 0; j < cols; j++) out[to + j] = src[from + j]! / divisor;
  }
}
