// SigmoidWithLoss: binary cross-entropy on the sigmoid of each score, for two-class problems (one
// output) and multi-label ones (one yes/no per output). as with SoftmaxWithLoss the two derivatives
// cancel: dx = (σ(x) − t)/batch. the loss is computed from the scores, never from log σ, so it stays
// finite when σ rounds to 0 or 1

import { binaryCrossEntropySum, sigmoidImpl } from '../kernels/sigmoid.js';
import { Matrix } from '../matrix.js';
import { describe } from '../describe.js';
import { assertMatrix, lossBackwardInputs, ensure, outputBuffer } from './buffers.js';
import type { LayerOptions, Labels, LossLayer } from './types.js';

// 0/1 per output (probabilities in [0, 1] too), or one 0/1 class index per row when there is one output
export function checkBinaryTargets(where: string, t: unknown, rows: number, cols: number): asserts t is Labels {
  if (t instanceof Matrix) {
    if (t.rows !== rows || t.cols !== cols) throw new RangeError(`${where}: targets are ${t.rows}×${t.cols}, expected ${rows}×${cols} like the scores`);
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      if (!(d[i]! >= 0 && d[i]! <= 1)) throw new RangeError(`${where}: target ${i} (row ${Math.floor(i / cols)}) is ${d[i]}, expected a value in [0, 1]`);
    }
    return;
  }
  if (t instanceof Int32Array || t instanceof Uint8Array) {
    if (cols !== 1) throw new TypeError(`${where}: class indices fit one output, but the scores have ${cols}: give a ${rows}×${cols} Matrix of 0/1 targets`);
    if (t.length !== rows) throw new RangeError(`${where}: ${t.length} labels for ${rows} rows`);
    for (let i = 0; i < rows; i++) if (t[i] !== 0 && t[i] !== 1) throw new RangeError(`${where}: label ${i} is ${t[i]}, expected 0 or 1`);
    return;
  }
  throw new TypeError(`${where}: targets must be a Matrix of 0/1 values or an Int32Array/Uint8Array of 0/1 labels, got ${describe(t)}`);
}

export class SigmoidWithLoss implements LossLayer {
  readonly kind = 'SigmoidWithLoss';
  readonly task = 'binary';
  // the last forward's probabilities (the layer's own buffer), scores and targets (by reference: the
  // caller must not change them before backward)
  y: Matrix | undefined = undefined;
  t: Labels | undefined = undefined;
  loss = NaN;
  private dx: Matrix | undefined = undefined;

  // every layer takes LayerOptions; this loss's maths is plain TypeScript, so no backend op runs here
  constructor(_options: LayerOptions = {}) {}

  forward(x: Matrix, t: Labels): number {
    assertMatrix('SigmoidWithLoss.forward', 'x', x);
    checkBinaryTargets('SigmoidWithLoss', t, x.rows, x.cols);
    if (x.rows === 0) throw new RangeError('SigmoidWithLoss: the batch is empty');
    const y = (this.y = ensure(this.y, x.rows, x.cols, x.dtype));
    this.t = t;
    sigmoidImpl(x.data, y.data);
    // summed over the outputs of a row, averaged over the rows (as the softmax loss)
    this.loss = binaryCrossEntropySum(x.data, t instanceof Matrix ? t.data : t) / x.rows;
    return this.loss;
  }

  // dx = dout·(σ(x) − t)/batch
  backward(dout = 1): Matrix {
    const [y, t] = lossBackwardInputs('SigmoidWithLoss.backward', dout, this.y, this.t);
    const dx = (this.dx = ensure(this.dx, y.rows, y.cols, y.dtype));
    const yd = y.data;
    const td = t instanceof Matrix ? t.data : t;
    const dd = dx.data;
    for (let i = 0; i < dd.length; i++) dd[i] = (dout * (yd[i]! - td[i]!)) / y.rows;
    return dx;
  }

  // the model's answer: the probability of "yes" for every output
  output(x: Matrix, out?: Matrix): Matrix {
    assertMatrix('SigmoidWithLoss.output', 'x', x);
    const y = outputBuffer('SigmoidWithLoss.output', x, out);
    sigmoidImpl(x.data, y.data);
    return y;
  }
}
