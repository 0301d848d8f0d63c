// Relu: max(0, x); the gradient flows back only where the input was positive

import { getBackend } from '../backend/index.js';
import type { Backend } from '../backend/types.js';
import type { DType, Matrix } from '../matrix.js';
import { assertMatrix, checkDout, ensure } from './buffers.js';
import type { Layer, LayerOptions, Parameter } from './types.js';

export class Relu implements Layer {
  readonly kind = 'Relu';
  readonly parameters: readonly Parameter[] = [];
  readonly backend: Backend;
  // the forward output y: where y > 0 the gradient flows back (the book's mask is y <= 0). It is the
  // layer's own buffer, returned by forward; callers must not write into it before backward
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
    const out = (this.out = ensure(this.out, x.rows, x.cols, x.dtype));
    this.backend.relu(x.data, out.data);
    this.rows = x.rows;
    this.cols = x.cols;
    this.dtype = x.dtype;
    return out;
  }

  // dx = dout where x > 0, else 0; written to the layer's own buffer, dout untouched
  backward(dout: Matrix): Matrix {
    checkDout('Relu.backward', dout, this.rows, this.cols, this.dtype);
    const dx = (this.dx = ensure(this.dx, dout.rows, dout.cols, dout.dtype));
    this.backend.reluBackward(this.out!.data, dout.data, dx.data);
    return dx;
  }
}
