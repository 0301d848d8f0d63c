// adamStep: Adam's update in one pass over p, g and the moment estimates m and v
//   g' = g + wd·p;  m = β1·m + (1 − β1)·g';  v = β2·v + (1 − β2)·g'²
//   p −= stepSize·m / (√v · (1 / bc2Sqrt) + eps)
// stepSize = lr / (1 − β1^t) and bc2Sqrt = √(1 − β2^t) are the bias corrections, computed once per
// parameter by the caller. arithmetic in the arrays' dtype: float32 with every operation rounded to
// float32 and subnormals flushed (flush.ts), as the native op computes it, so both backends give the
// same bits

import type { FloatArray } from '../matrix.js';
import { flushFloat32, float32Hyper } from './flush.js';
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
  if (p instanceof Float32Array) {
    const f = float32Hyper;
    adamStep32(p, g, m, v, f(stepSize), f(beta1), f(1 - beta1), f(beta2), f(1 - beta2), f(1 / bc2Sqrt), f(eps), Math.fround(wd) !== 0, f(wd));
    return;
  }
  const invBc2Sqrt = 1 / bc2Sqrt;
  for (let i = 0; i < p.length; i++) {
    const gi = wd === 0 ? g[i]! : g[i]! + wd * p[i]!;
    m[i] = beta1 * m[i]! + (1 - beta1) * gi;
    v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
    p[i] -= (stepSize * m[i]!) / (Math.sqrt(v[i]!) * invBc2Sqrt + eps);
  }
}

// the same in float32 arithmetic: every input and every operation's result through flushFloat32, the
// hyperparameters once (1 − β and 1 / bc2Sqrt computed in double first; decay says whether wd was
// nonzero before flushing, as natively)
function adamStep32(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, stepSize: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, invBc2Sqrt: number, eps: number, decay: boolean, wd: number): void {
  const f = flushFloat32;
  for (let i = 0; i < p.length; i++) {
    const pi = f(p[i]!);
    const gi = decay ? f(f(g[i]!) + f(wd * pi)) : f(g[i]!);
    const mi = f(f(beta1 * f(m[i]!)) + f(oneMinusBeta1 * gi));
    const vi = f(f(beta2 * f(v[i]!)) + f(f(oneMinusBeta2 * gi) * gi));
    m[i] = mi;
    v[i] = vi;
    p[i] = f(pi - f(f(stepSize * mi) / f(f(f(Math.sqrt(vi)) * invBc2Sqrt) + eps)));
  }
}
