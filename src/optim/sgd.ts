// stochastic gradient descent, as torch.optim.SGD without momentum:
//   g = g + wd·p          (weight decay as an L2 term added to the gradient)
//   p = p − lr·g

import type { Backend } from '../backend/types.js';
import type { FloatArray } from '../matrix.js';
import { Optimizer, lrSpec, weightDecaySpec, type BaseHyper } from './optimizer.js';

export interface SGDOptions {
  lr?: number;
  weightDecay?: number;
  // runs the plain update as one BLAS axpy per parameter (the trainer passes the network's backend)
  backend?: Backend;
}

export type SGDHyper = BaseHyper;

// the whole update as one small loop; with a backend and no weight decay it is the backend's axpy
export function sgdStepImpl(p: FloatArray, g: FloatArray, lr: number, wd: number): void {
  if (wd === 0) {
    for (let i = 0; i < p.length; i++) p[i] -= lr * g[i]!;
    return;
  }
  for (let i = 0; i < p.length; i++) p[i] -= lr * (g[i]! + wd * p[i]!);
}

export class SGD extends Optimizer<SGDHyper> {
  private readonly backend: Backend | undefined;

  constructor(options: SGDOptions = {}) {
    const { backend, ...hyper } = options ?? {};
    super('sgd', { lr: lrSpec(0.01), weightDecay: weightDecaySpec }, [], hyper);
    if (backend !== undefined && (backend === null || typeof backend.axpy !== 'function')) {
      throw new TypeError('SGD: backend must be a Backend (from getBackend() or backendByName())');
    }
    this.backend = backend;
  }

  protected override updateParam(p: FloatArray, g: FloatArray): void {
    const { lr, weightDecay } = this.hyper;
    // p += (−lr)·g in one BLAS call: the same step, minus a JavaScript pass over every weight
    if (weightDecay === 0 && this.backend !== undefined) this.backend.axpy(-lr, g, p);
    else sgdStepImpl(p, g, lr, weightDecay);
  }
}
