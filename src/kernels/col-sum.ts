// colSum: out[j] = Σ_i x[i][j], the Affine backward's db

import type { FloatArray, Matrix } from '../matrix.js';
import { overlaps } from './gemm.js';

export function checkColSum(x: Matrix, out: Matrix): void {
  if (x.dtype !== out.dtype) {
    throw new TypeError(`colSum: X and out must share one dtype, got ${x.dtype}, ${out.dtype} (mixed dtypes)`);
  }
  if (out.rows !== 1 || out.cols !== x.cols) {
    throw new RangeError(`colSum: out must be 1×${x.cols} for X (${x.rows}×${x.cols}), got ${out.rows}×${out.cols}`);
  }
  if (overlaps(out.data, x.data)) throw new RangeError('colSum: out must not share memory with X');
}

// rows in order, so the sum order (and so the rounding) matches the addon's
export function colSumImpl(x: FloatArray, rows: number, cols: number, out: FloatArray): void {
  out.fill(0, 0, cols);
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let j = 0; j < cols; j++) out[j]! += x[row + j]!;
  }
}
