// Sigmoid: y = 1 / (1 + exp(-x)); its derivative needs only y, so y is all it keeps

import { sigmoidImpl } from '../kernels/sigmoid.js';
import type { Matrix } from '../matrix.js';
import { assertMatrix, checkDout, ensure } from './buffers.js';
import type { Layer, LayerOptions, Parameter } from './types.js';

export class Sigmoid implements Layer {
  readonly kind = 'Sigmoid';
  readonly parameters: readonly Parameter[] = [];
  // the forward output, which is also what backward needs
  private out: Matrix | undefined = undefined;
  private dx: Matrix | undefined = undefined;

  // every layer takes LayerOptions; Sigmoid's maths is plain TypeScript, so no backend op runs here
  constructor(_options: LayerOptions = {}) {}

  forward(x: Matrix): Matrix {
    assertMatrix('Sigmoid.forward', 'x', x);
    const out = (this.out = ensure(this.out, x.rows, x.cols, x.dtype));
    sigmoidImpl(x.data, out.data);
    return out;
  }

  // dx = dout·(1 − y)·y, the book's order of operations
  backward(dout: Matrix): Matrix {
    const y = this.out;
    checkDout('Sigmoid.backward', dout, y?.rows ?? 0, y?.cols ?? 0, y?.dtype);
    const dx = (this.dx = ensure(this.dx, dout.rows, dout.cols, dout.dtype));
    const yd = y!.data;
    const gd = dout.data;
    const dd = dx.data;
    for (let i = 0; i < dd.length; i++) dd[i] = gd[i]! * (1 - yd[i]!) * yd[i]!;
    return dx;
  }
}
