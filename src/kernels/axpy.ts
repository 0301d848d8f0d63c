// axpy: y += alpha·x element by element (the SGD update p -= lr·grad)

import type { FloatArray, Matrix } from '../matrix.js';
import { overlaps } from './gemm.js';

export function checkAxpy(x: Matrix, y: Matrix): void {
  if (x.dtype !== y.dtype) throw new TypeError(`axpy: x and y must share one dtype, got ${x.dtype}, ${y.dtype} (mixed dtypes)`);
  if (!x.sameShape(y)) throw new RangeError(`axpy: x and y must have the same shape, got ${x.rows}×${x.cols} and ${y.rows}×${y.cols}`);
  if (overlaps(y.data, x.data)) throw new RangeError('axpy: y must not share memory with x');
}

export function axpyImpl(alpha: number, x: FloatArray, y: FloatArray): void {
  for (let i = 0; i < y.length; i++) y[i]! += alpha * x[i]!;
}
