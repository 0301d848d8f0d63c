// the logistic function and the binary cross-entropy of logits, element by element, in float64
// whatever the dtype. both stay finite for any finite input: exp is only ever taken of −|x|

import type { FloatArray } from '../matrix.js';

// σ(x) = 1/(1 + e^−x) for x ≥ 0, e^x/(1 + e^x) below: neither form can overflow
export function sigmoidImpl(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v >= 0) {
      out[i] = 1 / (1 + Math.exp(-v));
    } else {
      const e = Math.exp(v);
      out[i] = e / (1 + e);
    }
  }
}

// −[t·log σ(x) + (1 − t)·log(1 − σ(x))] = max(x, 0) − x·t + log(1 + e^−|x|), summed over every entry;
// t is any array of x's length (0/1 index labels of a one-column x need no one-hot copy)
export function binaryCrossEntropySum(x: FloatArray, t: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    sum += Math.max(v, 0) - v * t[i]! + Math.log1p(Math.exp(-Math.abs(v)));
  }
  return sum;
}
