// AdaGrad, as torch.optim.Adagrad (lr_decay 0, initial accumulator 0):
//   g = g + wd·p
//   h = h + g²
//   p = p − lr·g / (√h + eps)
// each weight's step shrinks with the squared gradients it has seen. eps defaults to the
// book's 1e-7 (PyTorch uses 1e-10); it only keeps the first divisions finite.

import { getBackend } from '../backend/index.js';
import type { FloatArray } from '../matrix.js';
import { Optimizer, epsSpec, lrSpec, weightDecaySpec, type BaseHyper } from './optimizer.js';

export interface AdaGradOptions {
  lr?: number;
  eps?: number;
  weightDecay?: number;
}

export interface AdaGradHyper extends BaseHyper {
  eps: number;
}

export class AdaGrad extends Optimizer<AdaGradHyper> {
  constructor(options: AdaGradOptions = {}) {
    super('adagrad', { lr: lrSpec(0.01), eps: epsSpec(1e-7), weightDecay: weightDecaySpec }, ['h'], options);
  }

  protected override updateParam(p: FloatArray, g: FloatArray, state: FloatArray[]): void {
    const { lr, eps, weightDecay: wd } = this.hyper;
    // h = 1·h + 1·g²: RMSprop's fused pass with nothing forgotten
    getBackend().adaptiveStep(p, g, state[0]!, lr, 1, 1, eps, wd);
  }
}
