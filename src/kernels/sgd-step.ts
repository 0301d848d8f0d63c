// sgdStep: SGD's update with weight decay in one pass over p and g (without decay it is axpy)
//   p −= lr·(g + wd·p)
// arithmetic in the arrays' dtype: float32 with every operation rounded to float32 and subnormals
// flushed (flush.ts), as the native op computes it, so both backends give the same bits

import type { FloatArray } from '../matrix.js';
import { flushFloat32, float32Hyper } from './flush.js';
import { checkUpdateArrays, checkUpdateNumber } from './update-check.js';

export function checkSgdStep(p: FloatArray, g: FloatArray, lr: number, wd: number): void {
  checkUpdateArrays('sgdStep', p, g);
  checkUpdateNumber('sgdStep', 'lr', lr);
  checkUpdateNumber('sgdStep', 'weightDecay', wd);
}

export function sgdStepImpl(p: FloatArray, g: FloatArray, lr: number, wd: number): void {
  if (p instanceof Float32Array) {
    sgdStep32(p, g, float32Hyper(lr), float32Hyper(wd));
    return;
  }
  for (let i = 0; i < p.length; i++) p[i] -= lr * (g[i]! + wd * p[i]!);
}

// the same in float32 arithmetic: every input and every operation's result through flushFloat32
function sgdStep32(p: FloatArray, g: FloatArray, lr: number, wd: number): void {
  const f = flushFloat32;
  for (let i = 0; i < p.length; i++) {
    const pi = f(p[i]!);
    p[i] = f(pi - f(lr * f(f(g[i]!) + f(wd * pi))));
  }
}
