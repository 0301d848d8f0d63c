// relu: out = x where x > 0, else 0; reluBackward: dx = dout where the forward output y > 0, else 0.
// NaN is not <= 0, so it passes forward and lets the gradient through, as the book's mask does

import type { FloatArray } from '../matrix.js';
import { overlapsPartly } from './gemm.js';

export function checkSameLength(fn: string, names: string[], arrays: FloatArray[]): void {
  const first = arrays[0]!;
  arrays.forEach((a, i) => {
    if (a.constructor !== first.constructor) throw new TypeError(`${fn}: ${names[i]} must be a ${first.constructor.name} like ${names[0]} (mixed dtypes)`);
    if (a.length !== first.length) throw new RangeError(`${fn}: ${names[i]} has ${a.length} elements, expected ${first.length} like ${names[0]}`);
  });
}

export function checkRelu(x: FloatArray, out: FloatArray): void {
  checkSameLength('relu', ['X', 'out'], [x, out]);
  if (overlapsPartly(out, x)) throw new RangeError('relu: out must not share memory with X');
}

export function reluImpl(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v <= 0 ? 0 : v;
  }
}

export function checkReluBackward(y: FloatArray, dout: FloatArray, dx: FloatArray): void {
  checkSameLength('reluBackward', ['Y', 'dout', 'dx'], [y, dout, dx]);
  if (overlapsPartly(dx, dout)) throw new RangeError('reluBackward: dx must not share memory with dout');
  if (overlapsPartly(dx, y)) throw new RangeError('reluBackward: dx must not share memory with Y');
}

export function reluBackwardImpl(y: FloatArray, dout: FloatArray, dx: FloatArray): void {
  for (let i = 0; i < y.length; i++) dx[i] = y[i]! <= 0 ? 0 : dout[i]!;
}
