// batch normalisation over x seen as [N, C, P]: statistics per channel c over the N·P values of the
// batch (P = 1 after an Affine, P = H·W after a convolution); the book's formulas (chapter 6)

import type { FloatArray } from '../matrix.js';

// training: xn = (x − μ)/σ with the batch's μ and σ = √(var + eps) (biased var, as the book);
// out = γ·xn + β; mean/std receive μ and σ per channel, for the running averages and backward
export function batchNormTrainImpl(
  x: FloatArray, n: number, c: number, p: number, gamma: FloatArray, beta: FloatArray, eps: number,
  xn: FloatArray, out: FloatArray, mean: Float64Array, std: Float64Array,
): void {
  const m = n * p;
  for (let ch = 0; ch < c; ch++) {
    // two passes (mean, then squared deviations): accurate where Σx² − (Σx)² would cancel
    let sum = 0;
    for (let s = 0; s < n; s++) {
      const base = (s * c + ch) * p;
      for (let k = 0; k < p; k++) sum += x[base + k]!;
    }
    const mu = sum / m;
    let sq = 0;
    for (let s = 0; s < n; s++) {
      const base = (s * c + ch) * p;
      for (let k = 0; k < p; k++) {
        const d = x[base + k]! - mu;
        sq += d * d;
      }
    }
    const sigma = Math.sqrt(sq / m + eps);
    mean[ch] = mu;
    std[ch] = sigma;
    const g = gamma[ch]!;
    const bt = beta[ch]!;
    for (let s = 0; s < n; s++) {
      const base = (s * c + ch) * p;
      for (let k = 0; k < p; k++) {
        const v = (x[base + k]! - mu) / sigma;
        xn[base + k] = v;
        out[base + k] = g * v + bt;
      }
    }
  }
}

// evaluation: the running statistics instead of the batch's
export function batchNormEvalImpl(
  x: FloatArray, n: number, c: number, p: number, gamma: FloatArray, beta: FloatArray, eps: number,
  runningMean: FloatArray, runningVar: FloatArray, out: FloatArray,
): void {
  for (let ch = 0; ch < c; ch++) {
    const mu = runningMean[ch]!;
    const sigma = Math.sqrt(runningVar[ch]! + eps);
    const g = gamma[ch]!;
    const bt = beta[ch]!;
    for (let s = 0; s < n; s++) {
      const base = (s * c + ch) * p;
      for (let k = 0; k < p; k++) out[base + k] = (g * (x[base + k]! - mu)) / sigma + bt;
    }
  }
}

// backward of the training forward: dβ = Σ dout, dγ = Σ dout·xn, and the book's chain through
// σ and μ collapsed to dx = γ/(m·σ)·(m·dout − Σ dout − xn·Σ dout·xn)
export function batchNormBackwardImpl(
  dout: FloatArray, n: number, c: number, p: number, gamma: FloatArray, xn: FloatArray, std: Float64Array,
  dgamma: FloatArray, dbeta: FloatArray, dx: FloatArray,
): void {
  const m = n * p;
  for (let ch = 0; ch < c; ch++) {
    let sumD = 0;
    let sumDx = 0;
    for (let s = 0; s < n; s++) {
      const base = (s * c + ch) * p;
      for (let k = 0; k < p; k++) {
        const d = dout[base + k]!;
        sumD += d;
        sumDx += d * xn[base + k]!;
      }
    }
    dbeta[ch] = sumD;
    dgamma[ch] = sumDx;
    const scale = gamma[ch]! / (m * std[ch]!);
    for (let s = 0; s < n; s++) {
      const base = (s * c + ch) * p;
      for (let k = 0; k < p; k++) dx[base + k] = scale * (m * dout[base + k]! - sumD - xn[base + k]! * sumDx);
    }
  }
}
