// Affine: out = x·W + b; its three backward products run on the backend with transpose flags, never copies

import { getBackend } from '../backend/index.js';
import type { Backend, GemmOptions } from '../backend/types.js';
import { Matrix } from '../matrix.js';
import { assertMatrix, checkDout, ensure } from './buffers.js';
import type { Layer, LayerOptions, Parameter } from './types.js';

export interface AffineOptions extends LayerOptions {
  // false: backward skips dx = dout·Wᵀ (a network's first layer, whose dx nobody reads)
  inputGrad?: boolean;
}

// made once: an options object per gemm call would be garbage per iteration
const PLAIN: GemmOptions = Object.freeze({ beta: 0 });
const TRANS_A: GemmOptions = Object.freeze({ transA: true, beta: 0 });
const TRANS_B: GemmOptions = Object.freeze({ transB: true, beta: 0 });

// a weight and a bias with gradient buffers beside them, as one layer's parameters (Affine, Convolution)
export function weightAndBias(W: Matrix, b: Matrix): { dW: Matrix; db: Matrix; parameters: readonly Parameter[] } {
  const dW = Matrix.zeros(W.rows, W.cols, W.dtype);
  const db = Matrix.zeros(1, b.cols, b.dtype);
  const parameters = Object.freeze([
    Object.freeze({ name: 'W', role: 'weight' as const, value: W, grad: dW }),
    Object.freeze({ name: 'b', role: 'bias' as const, value: b, grad: db }),
  ]);
  return { dW, db, parameters };
}

export class Affine implements Layer {
  readonly kind = 'Affine';
  readonly backend: Backend;
  // the parameters, by reference: optimizers update these very objects in place
  readonly W: Matrix;
  readonly b: Matrix;
  // their gradients, made once and overwritten by every backward
  readonly dW: Matrix;
  readonly db: Matrix;
  readonly parameters: readonly Parameter[];
  // when false, backward returns `empty` (a 0×0 matrix) instead of dx, saving a third of its flops
  inputGrad: boolean;
  private readonly empty: Matrix;
  // the last forward's input, kept by reference (not copied) for dW = xᵀ·dout; the caller must not
  // change it before backward (inside a network it is the previous layer's own buffer)
  private x: Matrix | undefined = undefined;
  private out: Matrix | undefined = undefined;
  private dx: Matrix | undefined = undefined;

  constructor(W: Matrix, b: Matrix, options: AffineOptions = {}) {
    assertMatrix('Affine', 'W', W);
    assertMatrix('Affine', 'b', b);
    if (b.dtype !== W.dtype) throw new TypeError(`Affine: W is ${W.dtype} but b is ${b.dtype}`);
    if (b.rows !== 1 || b.cols !== W.cols) {
      throw new RangeError(`Affine: b must be 1×${W.cols} to match W (${W.rows}×${W.cols}), got ${b.rows}×${b.cols}`);
    }
    const { backend, inputGrad = true } = options;
    if (typeof inputGrad !== 'boolean') throw new TypeError(`Affine: inputGrad must be a boolean, got ${typeof inputGrad}`);
    this.backend = backend ?? getBackend();
    this.W = W;
    this.b = b;
    ({ dW: this.dW, db: this.db, parameters: this.parameters } = weightAndBias(W, b));
    this.inputGrad = inputGrad;
    this.empty = Matrix.zeros(0, 0, W.dtype);
  }

  get inputSize(): number {
    return this.W.rows;
  }

  get outputSize(): number {
    return this.W.cols;
  }

  forward(x: Matrix): Matrix {
    const W = this.W;
    assertMatrix('Affine.forward', 'x', x);
    if (x.dtype !== W.dtype) throw new TypeError(`Affine: x is ${x.dtype}, W is ${W.dtype} (the network's dtype)`);
    if (x.cols !== W.rows) {
      throw new RangeError(`Affine: x has ${x.cols} columns, W expects ${W.rows} (W is ${W.rows}×${W.cols})`);
    }
    const out = (this.out = ensure(this.out, x.rows, W.cols, W.dtype));
    // out = x·W, then b added to every row in place
    this.backend.gemm(x, W, out, PLAIN);
    this.backend.addBias(out, this.b, out);
    this.x = x;
    return out;
  }

  backward(dout: Matrix): Matrix {
    const x = this.x;
    const W = this.W;
    checkDout('Affine.backward', dout, x?.rows ?? 0, W.cols, x === undefined ? undefined : W.dtype);
    // dW = xᵀ·dout and db = column sums of dout: each sample's contribution, summed over the batch
    this.backend.gemm(x!, dout, this.dW, TRANS_A);
    this.backend.colSum(dout, this.db);
    if (!this.inputGrad) return this.empty;
    // dx = dout·Wᵀ: how the loss moves with each input
    const dx = (this.dx = ensure(this.dx, dout.rows, W.rows, W.dtype));
    this.backend.gemm(dout, W, dx, TRANS_B);
    return dx;
  }
}
