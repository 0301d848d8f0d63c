// addBias: out = x + b on every row, the Affine forward's broadcast

import type { FloatArray, Matrix } from '../matrix.js';
import { overlaps, overlapsPartly } from './gemm.js';

export function checkAddBias(x: Matrix, b: Matrix, out: Matrix): void {
  if (x.dtype !== b.dtype || x.dtype !== out.dtype) {
    throw new TypeError(`addBias: X, b and out must share one dtype, got ${x.dtype}, ${b.dtype}, ${out.dtype} (mixed dtypes)`);
  }
  if (b.rows !== 1 || b.cols !== x.cols) {
    throw new RangeError(`addBias: b must be 1×${x.cols} to match X (${x.rows}×${x.cols}), got ${b.rows}×${b.cols}`);
  }
  if (!out.sameShape(x)) {
    throw new RangeError(`addBias: out must be ${x.rows}×${x.cols} like X, got ${out.rows}×${out.cols}`);
  }
  if (overlapsPartly(out.data, x.data)) throw new RangeError('addBias: out must not share memory with X');
  if (overlaps(out.data, b.data)) throw new RangeError('addBias: out must not share memory with b');
}

export function addBiasImpl(x: FloatArray, rows: number, cols: number, b: FloatArray, out: FloatArray): void {
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let j = 0; j < cols; j++) out[row + j] = x[row + j]! + b[j]!;
  }
}
