// Adam, as torch.optim.Adam (weight decay as L2 in the gradient, not AdamW; no amsgrad):
//   g = g + wd·p
//   m = β1·m + (1 − β1)·g
//   v = β2·v + (1 − β2)·g²
//   m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)      (t = 1 on the first update)
//   p = p − lr·m̂ / (√v̂ + eps)
// computed nearly as PyTorch does: p −= (lr / (1 − β1^t))·m / (√v · (1 / √(1 − β2^t)) + eps), the
// same formula with the bias corrections done once per parameter instead of once per weight (torch
// divides √v by √(1 − β2^t); the reciprocal, one rounding apart, spares a division per weight).
// float32 parameters are updated in float32 arithmetic with subnormals flushed (src/kernels/flush.ts).

import { getBackend } from '../backend/index.js';
import type { FloatArray } from '../matrix.js';
import { Optimizer, epsSpec, lrSpec, unitInterval, weightDecaySpec, type BaseHyper } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export interface AdamHyper extends BaseHyper {
  beta1: number;
  beta2: number;
  eps: number;
}

export class Adam extends Optimizer<AdamHyper> {
  constructor(options: AdamOptions = {}) {
    super(
      'adam',
      {
        lr: lrSpec(0.001),
        beta1: { default: 0.9, label: 'beta parameter at index 0', valid: unitInterval },
        beta2: { default: 0.999, label: 'beta parameter at index 1', valid: unitInterval },
        eps: epsSpec(1e-8),
        weightDecay: weightDecaySpec,
      },
      ['m', 'v'],
      options,
    );
  }

  protected override updateParam(p: FloatArray, g: FloatArray, state: FloatArray[]): void {
    const { lr, beta1, beta2, eps, weightDecay: wd } = this.hyper;
    // bias corrections undo the pull towards the zeros m and v start from
    const t = this.step;
    const stepSize = lr / (1 - beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    // the rest is one fused pass over p, m and v on the current backend
    getBackend().adamStep(p, g, state[0]!, state[1]!, stepSize, beta1, beta2, bc2Sqrt, eps, wd);
  }
}
