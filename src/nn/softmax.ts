// softmax, cross-entropy, and the two fused into the network's last layer (whose gradient is simply y − t)

import { getBackend } from '../backend/index.js';
import type { Backend } from '../backend/types.js';
import { Matrix } from '../matrix.js';
import { describe } from '../describe.js';
import { assertMatrix, lossBackwardInputs, ensure, outputBuffer } from './buffers.js';
import { softmaxImpl } from '../kernels/softmax.js';
import type { LayerOptions, Labels, LossLayer } from './types.js';

// the book's delta inside the log: a probability that underflows to 0 gives a large finite loss
const DELTA = 1e-7;

// a one-hot Matrix or class indices: nothing else is a label
export function assertLabelKind(where: string, t: unknown): asserts t is Labels {
  if (!(t instanceof Matrix || t instanceof Int32Array || t instanceof Uint8Array)) {
    throw new TypeError(`${where}: labels must be a one-hot Matrix or an Int32Array/Uint8Array of class indices, got ${describe(t)}`);
  }
}

// labels must describe exactly `rows` samples over `classes` classes; checked on every call, in O(rows)
// for index labels, so a wrong batch is an error instead of a silent broadcast
export function checkLabels(where: string, t: unknown, rows: number, classes: number): asserts t is Labels {
  assertLabelKind(where, t);
  if (t instanceof Matrix) {
    if (t.rows !== rows || t.cols !== classes) {
      throw new RangeError(`${where}: one-hot t is ${t.rows}×${t.cols}, expected ${rows}×${classes} like the scores`);
    }
    return;
  }
  if (t.length !== rows) throw new RangeError(`${where}: ${t.length} labels for ${rows} rows`);
  for (let i = 0; i < rows; i++) {
    const k = t[i]!;
    if (k < 0 || k >= classes) throw new RangeError(`${where}: label ${i} is ${k}, expected an integer in [0, ${classes})`);
  }
}

// row-wise softmax into out (a new matrix, or the caller's; may be x itself)
export function softmax(x: Matrix, out?: Matrix): Matrix {
  assertMatrix('softmax', 'x', x);
  out = outputBuffer('softmax', x, out);
  softmaxImpl(x.data, x.rows, x.cols, out.data);
  return out;
}

// −Σ t·log(y + 1e-7) / batch; index labels pick y at each row's label, which is the same sum
// without its zero terms (so both label forms give the same loss, bit for bit)
export function crossEntropyError(y: Matrix, t: Labels): number {
  assertMatrix('crossEntropyError', 'y', y);
  checkLabels('crossEntropyError', t, y.rows, y.cols);
  if (y.rows === 0) throw new RangeError('crossEntropyError: the batch is empty');
  return crossEntropy(y, t);
}

// the sum itself, for callers that have checked y and t already
function crossEntropy(y: Matrix, t: Labels): number {
  const { rows, cols } = y;
  const yd = y.data;
  let sum = 0;
  if (t instanceof Matrix) {
    const td = t.data;
    for (let i = 0; i < yd.length; i++) sum += td[i]! * Math.log(yd[i]! + DELTA);
    return -sum / rows;
  }
  for (let i = 0; i < rows; i++) sum += Math.log(yd[i * cols + t[i]!]! + DELTA);
  return -sum / rows;
}

export class SoftmaxWithLoss implements LossLayer {
  readonly kind = 'SoftmaxWithLoss';
  readonly task = 'classify';
  readonly backend: Backend;
  // the last forward's probabilities (the layer's own buffer) and labels (by reference: the caller
  // must not change them before backward)
  y: Matrix | undefined = undefined;
  t: Labels | undefined = undefined;
  loss = NaN;
  private dx: Matrix | undefined = undefined;

  constructor(options: LayerOptions = {}) {
    this.backend = options.backend ?? getBackend();
  }

  forward(x: Matrix, t: Labels): number {
    assertMatrix('SoftmaxWithLoss.forward', 'x', x);
    checkLabels('SoftmaxWithLoss', t, x.rows, x.cols);
    if (x.rows === 0) throw new RangeError('SoftmaxWithLoss: the batch is empty');
    const y = (this.y = ensure(this.y, x.rows, x.cols, x.dtype));
    this.t = t;
    // the exps on the backend; the loss reads one log per row
    this.backend.softmax(x, y);
    this.loss = crossEntropy(y, t);
    return this.loss;
  }

  // the model's answer: each row's class probabilities
  output(x: Matrix, out?: Matrix): Matrix {
    return softmax(x, out);
  }

  // dx = dout·(y − t)/batch: softmax and cross-entropy's derivatives cancel to this
  backward(dout = 1): Matrix {
    const [y, t] = lossBackwardInputs('SoftmaxWithLoss.backward', dout, this.y, this.t);
    const { rows, cols } = y;
    const dx = (this.dx = ensure(this.dx, rows, cols, y.dtype));
    const yd = y.data;
    const dd = dx.data;
    if (t instanceof Matrix) {
      const td = t.data;
      for (let i = 0; i < dd.length; i++) dd[i] = (dout * (yd[i]! - td[i]!)) / rows;
    } else {
      for (let i = 0; i < rows; i++) {
        const row = i * cols;
        const label = t[i]!;
        // y − onehot, with the one subtracted only at the label's column
        for (let j = 0; j < cols; j++) dd[row + j] = (dout * (j === label ? yd[row + j]! - 1 : yd[row + j]!)) / rows;
      }
    }
    return dx;
  }
}
