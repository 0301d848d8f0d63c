// adaptiveStep: AdaGrad's and RMSprop's update in one pass over p, g and the squared-gradient sum h
//   g' = g + wd·p;  h = a·h + b·g'²;  p −= lr·g' / (√h + eps)
// AdaGrad is a = b = 1 (a running sum); RMSprop is a = α, b = 1 − α (a forgetting average).
// arithmetic in the arrays' dtype: float32 with every operation rounded to float32 and subnormals
// flushed (flush.ts), as the native op computes it, so both backends give the same bits

import type { FloatArray } from '../matrix.js';
import { flushFloat32, float32Hyper } from './flush.js';
import { checkUpdateArrays, checkUpdateNumber } from './update-check.js';

export function checkAdaptiveStep(p: FloatArray, g: FloatArray, h: FloatArray, lr: number, a: number, b: number, eps: number, wd: number): void {
  checkUpdateArrays('adaptiveStep', p, g, h, 'h');
  checkUpdateNumber('adaptiveStep', 'lr', lr);
  checkUpdateNumber('adaptiveStep', 'a', a);
  checkUpdateNumber('adaptiveStep', 'b', b);
  checkUpdateNumber('adaptiveStep', 'eps', eps);
  checkUpdateNumber('adaptiveStep', 'weightDecay', wd);
}

export function adaptiveStepImpl(p: FloatArray, g: FloatArray, h: FloatArray, lr: number, a: number, b: number, eps: number, wd: number): void {
  if (p instanceof Float32Array) {
    const f = float32Hyper;
    adaptiveStep32(p, g, h, f(lr), f(a), f(b), f(eps), Math.fround(wd) !== 0, f(wd));
    return;
  }
  for (let i = 0; i < p.length; i++) {
    const gi = wd === 0 ? g[i]! : g[i]! + wd * p[i]!;
    h[i] = a * h[i]! + b * gi * gi;
    p[i] -= (lr * gi) / (Math.sqrt(h[i]!) + eps);
  }
}

// the same in float32 arithmetic: every input and every operation's result through flushFloat32,
// the hyperparameters once (decay says whether wd was nonzero before flushing, as natively)
function adaptiveStep32(p: FloatArray, g: FloatArray, h: FloatArray, lr: number, a: number, b: number, eps: number, decay: boolean, wd: number): void {
  const f = flushFloat32;
  for (let i = 0; i < p.length; i++) {
    const pi = f(p[i]!);
    const gi = decay ? f(f(g[i]!) + f(wd * pi)) : f(g[i]!);
    const hi = f(f(a * f(h[i]!)) + f(f(b * gi) * gi));
    h[i] = hi;
    p[i] = f(pi - f(f(lr * gi) / f(f(Math.sqrt(hi)) + eps)));
  }
}
