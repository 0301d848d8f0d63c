// RMSprop, as torch.optim.RMSprop (not centered, no momentum):
//   g = g + wd·p
//   h = α·h + (1 − α)·g²
//   p = p − lr·g / (√h + eps)
// AdaGrad with a forgetting average, so old gradients stop shrinking the step. α is PyTorch's
// alpha, the book's decay_rate; eps is PyTorch's 1e-8 (the book uses 1e-7).

import { getBackend } from '../backend/index.js';
import type { FloatArray } from '../matrix.js';
import { Optimizer, epsSpec, lrSpec, unitInterval, weightDecaySpec, type BaseHyper } from './optimizer.js';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
}

export interface RMSpropHyper extends BaseHyper {
  alpha: number;
  eps: number;
}

export class RMSprop extends Optimizer<RMSpropHyper> {
  constructor(options: RMSpropOptions = {}) {
    super(
      'rmsprop',
      {
        lr: lrSpec(0.01),
        // α = 1 would never let a gradient in
        alpha: { default: 0.99, label: 'alpha value', valid: unitInterval },
        eps: epsSpec(1e-8),
        weightDecay: weightDecaySpec,
      },
      ['h'],
      options,
    );
  }

  protected override updateParam(p: FloatArray, g: FloatArray, state: FloatArray[]): void {
    const { lr, alpha, eps, weightDecay: wd } = this.hyper;
    // h = α·h + (1 − α)·g² in one fused pass on the current backend
    getBackend().adaptiveStep(p, g, state[0]!, lr, alpha, 1 - alpha, eps, wd);
  }
}
