// the handful of ops a backend must provide; everything else is shared TypeScript.
// the rule for arguments: an op whose maths depends on the shape (rows, columns, a transpose) takes
// Matrix; an element-wise op, which sees only a run of numbers, takes flat typed arrays. an op is
// native only when a benchmark shows it pays (sigmoid, for one, is plain TypeScript in its layer).

import type { WindowGeometry } from '../kernels/window.js';
import type { FloatArray, Matrix } from '../matrix.js';

export type BackendName = 'native' | 'reference';

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
}

export interface Backend {
  readonly name: BackendName;
  // c = alpha·op(a)·op(b) + beta·c, written into the caller's c; op is a transpose flag, never a copy
  gemm(a: Matrix, b: Matrix, c: Matrix, options?: GemmOptions): void;
  // out = x + b on every row (b is 1×cols); out may be x itself
  addBias(x: Matrix, b: Matrix, out: Matrix): void;
  // out (1×cols) = sum of x over its rows
  colSum(x: Matrix, out: Matrix): void;
  // y += alpha·x over whole arrays of one length: the SGD update
  axpy(alpha: number, x: FloatArray, y: FloatArray): void;
  // the optimizers' updates, each one fused pass over p, its gradient g and its state, in place
  // (src/kernels/sgd-step.ts, momentum-step.ts, adaptive-step.ts, adam-step.ts say the formulas)
  sgdStep(p: FloatArray, g: FloatArray, lr: number, weightDecay: number): void;
  momentumStep(p: FloatArray, g: FloatArray, v: FloatArray, lr: number, momentum: number, weightDecay: number, nesterov: boolean): void;
  adaptiveStep(p: FloatArray, g: FloatArray, h: FloatArray, lr: number, a: number, b: number, eps: number, weightDecay: number): void;
  adamStep(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, stepSize: number, beta1: number, beta2: number, bc2Sqrt: number, eps: number, weightDecay: number): void;
  // out = max(x, 0) element-wise (out may be x)
  relu(x: FloatArray, out: FloatArray): void;
  // dx = dout where y (relu's output) > 0, else 0
  reluBackward(y: FloatArray, dout: FloatArray, dx: FloatArray): void;
  // out[r] = src[indices[r]·out.cols …] / divisor: a minibatch of uint8 rows, normalised while gathered
  gatherRows(src: Uint8Array, indices: Int32Array, divisor: number, out: Matrix): void;
  // y = softmax(x) row by row (y may be x)
  softmax(x: Matrix, y: Matrix): void;
  // the convolution's ops (src/kernels/im2col.ts, col2im.ts, swap_axes.ts, max_pool.ts say how)
  im2col(x: Matrix, g: WindowGeometry, col: Matrix): void;
  col2im(col: Matrix, g: WindowGeometry, dx: Matrix): void;
  swapAxes(x: Matrix, d0: number, d1: number, bias: Matrix | null, out: Matrix): void;
  maxPool(x: Matrix, g: WindowGeometry, out: Matrix, argmax: Int32Array): void;
  maxPoolBackward(dout: Matrix, argmax: Int32Array, dx: Matrix): void;
  // Convolution → Relu → max Pooling as one op (src/kernels/conv-relu-pool.ts): out and argmax as
  // Pooling's after the three layers; backward writes dW, db and, unless it is null, dx
  convReluPool(x: Matrix, W: Matrix, b: Matrix, conv: WindowGeometry, pool: WindowGeometry, out: Matrix, argmax: Int32Array): void;
  convReluPoolBackward(
    x: Matrix, W: Matrix, y: Matrix, dout: Matrix, argmax: Int32Array, conv: WindowGeometry, pool: WindowGeometry, dW: Matrix, db: Matrix, dx: Matrix | null,
  ): void;
  // zeroed bytes for a data set (the native backend puts large ones in 2 MB pages); shared: on a
  // SharedArrayBuffer, for worker threads to read in place
  allocateBytes(length: number, shared?: boolean): Uint8Array;
}
