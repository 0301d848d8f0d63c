// MeanSquaredError: the regression loss. the output is the scores themselves (identity), the loss the
// book's mean_squared_error ½·Σ(y − t)² per row, averaged over the batch, and its gradient (y − t)/batch

import { Matrix } from '../matrix.js';
import { describe } from '../describe.js';
import { assertMatrix, lossBackwardInputs, ensure, outputBuffer } from './buffers.js';
import type { LayerOptions, Labels, LossLayer } from './types.js';

// targets of a regression: a Matrix of one value per output and row, nothing else
export function checkTargets(where: string, t: unknown, rows: number, cols: number): asserts t is Matrix {
  if (!(t instanceof Matrix)) throw new TypeError(`${where}: targets must be a Matrix of ${rows}×${cols} values, got ${describe(t)}`);
  if (t.rows !== rows || t.cols !== cols) throw new RangeError(`${where}: targets are ${t.rows}×${t.cols}, expected ${rows}×${cols} like the scores`);
}

export class MeanSquaredError implements LossLayer {
  readonly kind = 'MeanSquaredError';
  readonly task = 'regress';
  // the last forward's predictions and targets, by reference (the caller must not change them before
  // backward): the identity output needs no buffer of its own
  y: Matrix | undefined = undefined;
  t: Matrix | undefined = undefined;
  loss = NaN;
  private dx: Matrix | undefined = undefined;

  // every layer takes LayerOptions; this loss's maths is plain TypeScript, so no backend op runs here
  constructor(_options: LayerOptions = {}) {}

  forward(x: Matrix, t: Labels): number {
    assertMatrix('MeanSquaredError.forward', 'x', x);
    checkTargets('MeanSquaredError', t, x.rows, x.cols);
    if (x.rows === 0) throw new RangeError('MeanSquaredError: the batch is empty');
    this.y = x;
    this.t = t;
    const yd = x.data;
    const td = t.data;
    // summed in float64 whatever the dtype
    let sum = 0;
    for (let i = 0; i < yd.length; i++) {
      const e = yd[i]! - td[i]!;
      sum += e * e;
    }
    this.loss = (0.5 * sum) / x.rows;
    return this.loss;
  }

  // dx = dout·(y − t)/batch: the derivative of ½(y − t)², averaged like the loss
  backward(dout = 1): Matrix {
    const [y, t] = lossBackwardInputs('MeanSquaredError.backward', dout, this.y, this.t);
    const dx = (this.dx = ensure(this.dx, y.rows, y.cols, y.dtype));
    const yd = y.data;
    const td = t.data;
    const dd = dx.data;
    for (let i = 0; i < dd.length; i++) dd[i] = (dout * (yd[i]! - td[i]!)) / y.rows;
    return dx;
  }

  // a regression's answer is the scores as they are
  output(x: Matrix, out?: Matrix): Matrix {
    assertMatrix('MeanSquaredError.output', 'x', x);
    const y = outputBuffer('MeanSquaredError.output', x, out);
    if (y !== x) y.data.set(x.data);
    return y;
  }
}
