// stochastic gradient descent, as torch.optim.SGD without momentum:
//   g = g + wd·p          (weight decay as an L2 term added to the gradient)
//   p = p − lr·g

import type { FloatArray } from '../matrix.js';
import { Optimizer, lrSpec, weightDecaySpec, type BaseHyper } from './optimizer.js';

export interface SGDOptions {
  lr?: number;
  weightDecay?: number;
}

export type SGDHyper = BaseHyper;

// the whole update as one small loop, so it can later be swapped for a native axpy
export function sgdStepImpl(p: FloatArray, g: FloatArray, lr: number, wd: number): void {
  if (wd === 0) {
    for (let i = 0; i < p.length; i++) p[i] -= lr * g[i]!;
    return;
  }
  for (let i = 0; i < p.length; i++) p[i] -= lr * (g[i]! + wd * p[i]!);
}

export class SGD extends Optimizer<SGDHyper> {
  constructor(options: SGDOptions = {}) {
    super('sgd', { lr: lrSpec(0.01), weightDecay: weightDecaySpec }, [], options);
  }

  protected override updateParam(p: FloatArray, g: FloatArray): void {
    sgdStepImpl(p, g, this.hyper.lr, this.hyper.weightDecay);
  }
}
