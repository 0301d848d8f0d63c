// adamStep: Adam's update in one pass over p, g and the moment estimates m and v
//   g' = g + wd·p;  m = β1·m + (1 − β1)·g';  v = β2·v + (1 − β2)·g'²
//   p −= stepSize·m / (√v / bc2Sqrt + eps)
// stepSize = lr / (1 − β1^t) and bc2Sqrt = √(1 − β2^t) are the bias corrections, computed once per
// parameter by the caller. arithmetic in double whatever the dtype, rounding only on store

import type { FloatArray } from '../matrix.js';
import { checkUpdateArrays, checkUpdateNumber } from './update-check.js';

export function checkAdamStep(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, stepSize: number, beta1: number, beta2: number, bc2Sqrt: number, eps: number, wd: number): void {
  checkUpdateArrays('adamStep', p, g, m, 'm', v, 'v');
  checkUpdateNumber('adamStep', 'stepSize', stepSize);
  checkUpdateNumber('adamStep', 'beta1', beta1);
  checkUpdateNumber('adamStep', 'beta2', beta2);
  checkUpdateNumber('adamStep', 'bc2Sqrt', bc2Sqrt);
  checkUpdateNumber('adamStep', 'eps', eps);
  checkUpdateNumber('adamStep', 'weightDecay', wd);
}

export function adamStepImpl(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, stepSize: number, beta1: number, beta2: number, bc2Sqrt: number, eps: number, wd: number): void {
  for (let i = 0; i < p.length; i++) {
    const gi = wd === 0 ? g[i]! : g[i]! + wd * p[i]!;
    m[i] = beta1 * m[i]! + (1 - beta1) * gi;
    v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
    p[i] -= (stepSize * m[i]!) / (Math.sqrt(v[i]!) / bc2Sqrt + eps);
  }
}
