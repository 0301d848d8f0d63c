// Nesterov accelerated gradient, as torch.optim.SGD(momentum=μ, nesterov=True):
//   g = g + wd·p
//   v = μ·v + g
//   p = p − lr·(g + μ·v)
// the step looks ahead along the updated velocity instead of taking the velocity itself.
// the book's corrected code, p += μ²·v − (1+μ)·lr·g with the old v and then v = μ·v − lr·g,
// gives the same p for a constant lr (its v is −lr times this one); early printings updated v
// first, which is a different rule.

import { getBackend } from '../backend/index.js';
import type { FloatArray } from '../matrix.js';
import { Optimizer, lrSpec, weightDecaySpec, type BaseHyper } from './optimizer.js';

export interface NesterovOptions {
  lr?: number;
  momentum?: number;
  weightDecay?: number;
}

export interface NesterovHyper extends BaseHyper {
  momentum: number;
}

export class Nesterov extends Optimizer<NesterovHyper> {
  constructor(options: NesterovOptions = {}) {
    super(
      'nesterov',
      {
        lr: lrSpec(0.01),
        // PyTorch refuses Nesterov without momentum; μ ≥ 1 diverges
        momentum: { default: 0.9, label: 'momentum value', valid: (x) => x > 0 && x < 1 },
        weightDecay: weightDecaySpec,
      },
      ['v'],
      options,
    );
  }

  protected override updateParam(p: FloatArray, g: FloatArray, state: FloatArray[]): void {
    const { lr, momentum: mu, weightDecay: wd } = this.hyper;
    // one fused pass on the current backend, momentum's with the look-ahead on
    getBackend().momentumStep(p, g, state[0]!, lr, mu, wd, true);
  }
}
