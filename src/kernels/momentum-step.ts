// momentumStep: the whole update of SGD with momentum (and Nesterov's look-ahead) in one pass
//   g' = g + wd·p;  v = μ·v + g';  p −= lr·v   (nesterov: p −= lr·(g' + μ·v))
// arithmetic in the arrays' dtype: float64 as JavaScript computes, float32 with every operation
// rounded to float32 and subnormals flushed (flush.ts), as the native op computes it, so both backends
// give the same bits

import type { FloatArray } from '../matrix.js';
import { flushFloat32, float32Hyper } from './flush.js';
import { checkUpdateArrays, checkUpdateNumber } from './update-check.js';

export function checkMomentumStep(p: FloatArray, g: FloatArray, v: FloatArray, lr: number, mu: number, wd: number): void {
  checkUpdateArrays('momentumStep', p, g, v, 'v');
  checkUpdateNumber('momentumStep', 'lr', lr);
  checkUpdateNumber('momentumStep', 'momentum', mu);
  checkUpdateNumber('momentumStep', 'weightDecay', wd);
}

export function momentumStepImpl(p: FloatArray, g: FloatArray, v: FloatArray, lr: number, mu: number, wd: number, nesterov: boolean): void {
  if (p instanceof Float32Array) {
    momentumStep32(p, g, v, float32Hyper(lr), float32Hyper(mu), Math.fround(wd) !== 0, float32Hyper(wd), nesterov);
    return;
  }
  for (let i = 0; i < p.length; i++) {
    const gi = wd === 0 ? g[i]! : g[i]! + wd * p[i]!;
    v[i] = mu * v[i]! + gi;
    p[i] -= nesterov ? lr * (gi + mu * v[i]!) : lr * v[i]!;
  }
}

// the same in float32 arithmetic: every input and every operation's result through flushFloat32,
// the hyperparameters once (decay says whether wd was nonzero before flushing, as natively)
function momentumStep32(p: FloatArray, g: FloatArray, v: FloatArray, lr: number, mu: number, decay: boolean, wd: number, nesterov: boolean): void {
  const f = flushFloat32;
  for (let i = 0; i < p.length; i++) {
    const pi = f(p[i]!);
    const gi = decay ? f(f(g[i]!) + f(wd * pi)) : f(g[i]!);
    const vi = f(f(mu * f(v[i]!)) + gi);
    v[i] = vi;
    p[i] = f(pi - f(nesterov ? lr * f(gi + f(mu * vi)) : lr * vi));
  }
}
