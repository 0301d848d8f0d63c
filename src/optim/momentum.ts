// SGD with momentum, as torch.optim.SGD(momentum=μ) (dampening 0):
//   g = g + wd·p
//   v = μ·v + g
//   p = p − lr·v
// the book writes v = μ·v − lr·g; p = p + v. Its v is −lr times this one, so for a constant lr
// the two give the same p; they differ only when lr changes mid-run (here a new lr scales the
// whole accumulated velocity at once, as in PyTorch).

import { getBackend } from '../backend/index.js';
import type { FloatArray } from '../matrix.js';
import { Optimizer, lrSpec, unitInterval, weightDecaySpec, type BaseHyper } from './optimizer.js';

export interface MomentumOptions {
  lr?: number;
  momentum?: number;
  weightDecay?: number;
}

export interface MomentumHyper extends BaseHyper {
  momentum: number;
}

export class Momentum extends Optimizer<MomentumHyper> {
  constructor(options: MomentumOptions = {}) {
    super(
      'momentum',
      {
        lr: lrSpec(0.01),
        // μ ≥ 1 makes the velocity grow without bound
        momentum: { default: 0.9, label: 'momentum value', valid: unitInterval },
        weightDecay: weightDecaySpec,
      },
      ['v'],
      options,
    );
  }

  protected override updateParam(p: FloatArray, g: FloatArray, state: FloatArray[]): void {
    const { lr, momentum: mu, weightDecay: wd } = this.hyper;
    // one fused pass on the current backend (natively, the addon's momentumStep)
    getBackend().momentumStep(p, g, state[0]!, lr, mu, wd, false);
  }
}
