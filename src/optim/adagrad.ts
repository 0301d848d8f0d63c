// AdaGrad, as torch.optim.Adagrad (lr_decay 0, initial accumulator 0):
//   g = g + wd·p
//   h = h + g²
//   p = p − lr·g / (√h + eps)
// each weight's step shrinks with the squared gradients it has seen. eps defaults to the
// book's 1e-7 (PyTorch uses 1e-10); it only keeps the first divisions finite.

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
    const h = state[0]!;
    const { lr, eps, weightDecay: wd } = this.hyper;
    for (let i = 0; i < p.length; i++) {
      const gi = wd === 0 ? g[i]! : g[i]! + wd * p[i]!;
      h[i] += gi * gi;
      p[i] -= (lr * gi) / (Math.sqrt(h[i]!) + eps);
    }
  }
}
