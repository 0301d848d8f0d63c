// softmax: each row's exp(x − max) / Σ exp(x − max); subtracting the row's max keeps exp from overflowing

import type { FloatArray, Matrix } from '../matrix.js';
import { overlapsPartly } from './gemm.js';

export function checkSoftmax(x: Matrix, y: Matrix): void {
  if (x.dtype !== y.dtype) throw new TypeError(`softmax: Y must be ${x.dtype} like X (mixed dtypes)`);
  if (!y.sameShape(x)) throw new RangeError(`softmax: Y must be ${x.rows}×${x.cols} like X, got ${y.rows}×${y.cols}`);
  if (overlapsPartly(y.data, x.data)) throw new RangeError('softmax: Y must not share memory with X');
}

// sums in float64 whatever the dtype; the addon does the same
export function softmaxImpl(x: FloatArray, rows: number, cols: number, out: FloatArray): void {
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[row + j]! > max) max = x[row + j]!;
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[row + j]! - max);
      out[row + j] = e;
      sum += e;
    }
    for (let j = 0; j < cols; j++) out[row + j] = out[row + j]! / sum;
  }
}
