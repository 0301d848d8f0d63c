// Relu: max(0, x); the gradient flows back only where the input was positive

import { getBackend } from '../backend/index.js';
import type { Backend } from '../backend/types.js';
import type { DType, Matrix } from '../matrix.js';
import { assertMatrix, checkDout, ensure, ensureMask } from './buffers.js';
import type { Layer, LayerOptions, Parameter } from './types.js';

export class Relu implements Layer {
  readonly kind = 'Relu';
  readonly parameters: readonly Parameter[] = [];
  readonly backend: Backend;
  // 1 where x <= 0 (the book's mask): those entries are zeroed forward and block the gradient backward
  private mask: Uint8Array | undefined = undefined;
  private out: Matrix | undefined = undefined;
  private dx: Matrix | undefined = undefined;
  // the shape of the last forward, which dout must match
  private rows = 0;
  private cols = 0;
  private dtype: DType | undefined = undefined;

  constructor(options: LayerOptions = {}) {
    this.backend = options.backend ?? getBackend();
  }

  forward(x: Matrix): Matrix {
    assertMatrix('Relu.forward', 'x', x);
    const n = x.data.length;
    const mask = (this.mask = ensureMask(this.mask, n));
    const out = (this.out = ensure(this.out, x.rows, x.cols, x.dtype));
    const xd = x.data;
    const od = out.data;
    for (let i = 0; i < n; i++) {
      const v = xd[i]!;
      // NaN is not <= 0, so it passes through as in numpy
      if (v <= 0) {
        mask[i] = 1;
        od[i] = 0;
      } else {
        mask[i] = 0;
        od[i] = v;
      }
    }
    this.rows = x.rows;
    this.cols = x.cols;
    this.dtype = x.dtype;
    return out;
  }

  // dx = dout where x > 0, else 0; written to the layer's own buffer, dout untouched
  backward(dout: Matrix): Matrix {
    checkDout('Relu.backward', dout, this.rows, this.cols, this.dtype);
    const dx = (this.dx = ensure(this.dx, dout.rows, dout.cols, dout.dtype));
    const mask = this.mask!;
    const gd = dout.data;
    const dd = dx.data;
    for (let i = 0; i < dd.length; i++) dd[i] = mask[i] === 1 ? 0 : gd[i]!;
    return dx;
  }
}
