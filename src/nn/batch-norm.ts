// BatchNormalization (the book's chapter 6): normalise each channel over the batch, then scale by γ
// and shift by β (both learned). Training uses the batch's mean and variance and folds them into
// running averages (running = momentum·running + (1 − momentum)·batch, the book's update); evaluation
// uses the running averages, which are the layer's `state` and are saved with the model.
// After an Affine each column is a channel; after a Convolution (NCHW rows, see convolution.ts) each
// filter's plane is one, with statistics over the batch and every position (PyTorch's BatchNorm2d).

import { getBackend } from '../backend/index.js';
import type { Backend } from '../backend/types.js';
import { batchNormBackwardImpl, batchNormEvalImpl, batchNormTrainImpl } from '../kernels/batch-norm.js';
import { Matrix } from '../matrix.js';
import { assertMatrix, checkDout, ensure } from './buffers.js';
import type { Layer, LayerOptions, Parameter, StateTensor } from './types.js';

export interface BatchNormalizationOptions extends LayerOptions {
  // the book's defaults
  momentum?: number;
  eps?: number;
}

export class BatchNormalization implements Layer {
  readonly kind = 'BatchNormalization';
  readonly backend: Backend;
  readonly gamma: Matrix;
  readonly beta: Matrix;
  readonly dgamma: Matrix;
  readonly dbeta: Matrix;
  readonly runningMean: Matrix;
  readonly runningVar: Matrix;
  readonly parameters: readonly Parameter[];
  readonly state: readonly StateTensor[];
  readonly momentum: number;
  readonly eps: number;
  training = true;
  // the last training forward's normalised x and per-channel σ (and μ): what backward needs
  private xn: Matrix | undefined = undefined;
  private readonly mean: Float64Array;
  private readonly std: Float64Array;
  private out: Matrix | undefined = undefined;
  private dx: Matrix | undefined = undefined;
  private rows = 0;
  private cols = 0;
  private normalised = false;

  // gamma and beta are 1×C: one per channel (C = the width after an Affine, the filters after a conv)
  constructor(gamma: Matrix, beta: Matrix, options: BatchNormalizationOptions = {}) {
    assertMatrix('BatchNormalization', 'gamma', gamma);
    assertMatrix('BatchNormalization', 'beta', beta);
    if (gamma.rows !== 1 || !beta.sameShape(gamma)) {
      throw new RangeError(`BatchNormalization: gamma and beta must both be 1×channels, got ${gamma.rows}×${gamma.cols} and ${beta.rows}×${beta.cols}`);
    }
    if (beta.dtype !== gamma.dtype) throw new TypeError(`BatchNormalization: gamma is ${gamma.dtype} but beta is ${beta.dtype}`);
    const { momentum = 0.9, eps = 1e-6, backend } = options;
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) throw new RangeError(`BatchNormalization: momentum must be in [0, 1], got ${String(momentum)}`);
    if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) throw new RangeError(`BatchNormalization: eps must be a positive number, got ${String(eps)}`);
    this.backend = backend ?? getBackend();
    this.gamma = gamma;
    this.beta = beta;
    this.momentum = momentum;
    this.eps = eps;
    const c = gamma.cols;
    this.dgamma = Matrix.zeros(1, c, gamma.dtype);
    this.dbeta = Matrix.zeros(1, c, gamma.dtype);
    this.runningMean = Matrix.zeros(1, c, gamma.dtype);
    // variance 1 to start (not the book's 0): a network evaluated before training sees x unchanged
    this.runningVar = Matrix.zeros(1, c, gamma.dtype);
    this.runningVar.data.fill(1);
    this.mean = new Float64Array(c);
    this.std = new Float64Array(c);
    this.parameters = Object.freeze([
      Object.freeze({ name: 'gamma', role: 'gamma', value: gamma, grad: this.dgamma }),
      Object.freeze({ name: 'beta', role: 'beta', value: beta, grad: this.dbeta }),
    ]);
    this.state = Object.freeze([
      Object.freeze({ name: 'running_mean', value: this.runningMean }),
      Object.freeze({ name: 'running_var', value: this.runningVar }),
    ]);
  }

  get channels(): number {
    return this.gamma.cols;
  }

  setTraining(on: boolean): void {
    this.training = on;
  }

  forward(x: Matrix): Matrix {
    assertMatrix('BatchNormalization.forward', 'x', x);
    const { gamma, beta, channels: c } = this;
    if (x.dtype !== gamma.dtype) throw new TypeError(`BatchNormalization: x is ${x.dtype}, gamma is ${gamma.dtype} (the network's dtype)`);
    if (x.cols % c !== 0) throw new RangeError(`BatchNormalization: x has ${x.cols} columns, not a multiple of its ${c} channels`);
    const p = x.cols / c;
    const out = (this.out = ensure(this.out, x.rows, x.cols, x.dtype));
    this.rows = x.rows;
    this.cols = x.cols;
    this.normalised = this.training;
    if (!this.training) {
      batchNormEvalImpl(x.data, x.rows, c, p, gamma.data, beta.data, this.eps, this.runningMean.data, this.runningVar.data, out.data);
      return out;
    }
    if (x.rows * p < 2) throw new RangeError(`BatchNormalization: training needs more than one value per channel, got ${x.rows}×${x.cols}`);
    const xn = (this.xn = ensure(this.xn, x.rows, x.cols, x.dtype));
    batchNormTrainImpl(x.data, x.rows, c, p, gamma.data, beta.data, this.eps, xn.data, out.data, this.mean, this.std);
    const mom = this.momentum;
    for (let ch = 0; ch < c; ch++) {
      const variance = this.std[ch]! * this.std[ch]! - this.eps;
      this.runningMean.data[ch] = mom * this.runningMean.data[ch]! + (1 - mom) * this.mean[ch]!;
      this.runningVar.data[ch] = mom * this.runningVar.data[ch]! + (1 - mom) * variance;
    }
    return out;
  }

  backward(dout: Matrix): Matrix {
    checkDout('BatchNormalization.backward', dout, this.rows, this.cols, this.out?.dtype);
    if (!this.normalised) throw new Error('BatchNormalization.backward: the last forward ran in evaluation mode (setTraining(true) first)');
    const c = this.channels;
    const dx = (this.dx = ensure(this.dx, dout.rows, dout.cols, dout.dtype));
    batchNormBackwardImpl(dout.data, dout.rows, c, dout.cols / c, this.gamma.data, this.xn!.data, this.std, this.dgamma.data, this.dbeta.data, dx.data);
    return dx;
  }
}
