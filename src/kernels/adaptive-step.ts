// adaptiveStep: AdaGrad's and RMSprop's update in one pass over p, g and the squared-gradient sum h
//   g' = g + wd·p;  h = a·h + b·g'²;  p −= lr·g' / (√h + eps)
// AdaGrad is a = b = 1 (a running sum); RMSprop is a = α, b = 1 − α (a forgetting average).
// arithmetic in double whatever the dtype, rounding only on store, like the native op

import type { FloatArray } from '../matrix.js';
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
  for (let i = 0; i < p.length; i++) {
    const gi = wd === 0 ? g[i]! : g[i]! + wd * p[i]!;
    h[i] = a * h[i]! + b * gi * gi;
    p[i] -= (lr * gi) / (Math.sqrt(h[i]!) + eps);
  }
}
