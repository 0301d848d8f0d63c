// stochastic gradient descent, as torch.optim.SGD without momentum:
//   g = g + wd·p          (weight decay as an L2 term added to the gradient)
//   p = p − lr·g

import { getBackend } from '../backend/index.js';
import type { FloatArray } from '../matrix.js';
import { Optimizer, lrSpec, weightDecaySpec, type BaseHyper } from './optimizer.js';

export interface SGDOptions {
  lr?: number;
  weightDecay?: number;
}

export type SGDHyper = BaseHyper;

export class SGD extends Optimizer<SGDHyper> {
  constructor(options: SGDOptions = {}) {
    super('sgd', { lr: lrSpec(0.01), weightDecay: weightDecaySpec }, [], options);
  }

  protected override updateParam(p: FloatArray, g: FloatArray): void {
    const { lr, weightDecay } = this.hyper;
    // p += (−lr)·g as the current backend's axpy: natively one BLAS call instead of a JavaScript
    // pass over every weight; with weight decay one fused pass, sgdStep
    if (weightDecay === 0) getBackend().axpy(-lr, g, p);
    else getBackend().sgdStep(p, g, lr, weightDecay);
  }
}
