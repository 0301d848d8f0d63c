// axpy: y += alpha·x element by element (the SGD update p -= lr·grad)

import type { FloatArray } from '../matrix.js';
import { overlaps } from './gemm.js';

export function checkAxpy(x: FloatArray, y: FloatArray): void {
  if (x.constructor !== y.constructor) throw new TypeError(`axpy: y must be a ${x.constructor.name} like x (mixed dtypes)`);
  if (x.length !== y.length) throw new RangeError(`axpy: x and y must have the same length, got ${x.length} and ${y.length}`);
  if (overlaps(y, x)) throw new RangeError('axpy: y must not share memory with x');
}

export function axpyImpl(alpha: number, x: FloatArray, y: FloatArray): void {
  for (let i = 0; i < y.length; i++) y[i]! += alpha * x[i]!;
}
