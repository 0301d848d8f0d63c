// dropout's element-wise steps: out = x·mask (mask is 0 or 1), and at evaluation the book's scaling
// out = x·(1 − ratio), so the expected activation is the same in both modes

import type { FloatArray } from '../matrix.js';

export function multiplyImpl(x: FloatArray, mask: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * mask[i]!;
}

export function scaleImpl(x: FloatArray, factor: number, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * factor;
}
