// momentumStep: the whole update of SGD with momentum (and Nesterov's look-ahead) in one pass
//   g' = g + wd·p;  v = μ·v + g';  p −= lr·v   (nesterov: p −= lr·(g' + μ·v))
// arithmetic in double whatever the dtype, rounding only on store, as JavaScript does and as the
// native op does, so both backends give the same bits

import type { FloatArray } from '../matrix.js';
import { checkUpdateArrays, checkUpdateNumber } from './update-check.js';

export function checkMomentumStep(p: FloatArray, g: FloatArray, v: FloatArray, lr: number, mu: number, wd: number): void {
  checkUpdateArrays('momentumStep', p, g, v, 'v');
  checkUpdateNumber('momentumStep', 'lr', lr);
  checkUpdateNumber('momentumStep', 'momentum', mu);
  checkUpdateNumber('momentumStep', 'weightDecay', wd);
}

export function momentumStepImpl(p: FloatArray, g: FloatArray, v: FloatArray, lr: number, mu: number, wd: number, nesterov: boolean): void {
  for (let i = 0; i < p.length; i++) {
    const gi = wd === 0 ? g[i]! : g[i]! + wd * p[i]!;
    v[i] = mu * v[i]! + gi;
    p[i] -= nesterov ? lr * (gi + mu * v[i]!) : lr * v[i]!;
  }
}
