// Convolution: the book's chapter 7 layer, forward by im2col + one matrix product.
//
// data layout: a batch is a Matrix with one sample per row, each row the sample's values in NCHW
// order (channel by channel, each channel row by row). Why:
//   - a batch of MNIST rows (784 values = 1×28×28) is already such a Matrix: no reshape, no copy,
//     and the dense layers, ReLU, the loss and the data gather keep working on rows unchanged;
//   - the Affine after the last conv/pool layer reads the row as the flattened C·H·W vector, exactly
//     as the book's `reshape(N, -1)` and PyTorch's flatten of an NCHW tensor do, so weights move
//     between the three without permutation;
//   - per sample the channels are contiguous planes, which is what pooling and per-channel batch
//     normalisation walk over.
// Inside the layer the product runs channels-first, W (filters × C·KH·KW) · col (C·KH·KW × N·OH·OW),
// because that orientation is the fast one for these thin products (PEERS.md: (30×25)·(25×57 600)
// gains 2× from a second thread, the rows orientation does not); one pass (swapAxes) then turns its
// [filters, N, OH·OW] result into NCHW rows and adds the bias on the way.
//
// weights: W is filters × (C·KH·KW), row-major, which is PyTorch's Conv2d weight [filters, C, KH, KW]
// byte for byte; b is 1 × filters.

import { getBackend } from '../backend/index.js';
import type { Backend, GemmOptions } from '../backend/types.js';
import { describeGeometry, inputSize, outputPlane, windowGeometry, type WindowGeometry } from '../kernels/window.js';
import { Matrix } from '../matrix.js';
import { weightAndBias } from './affine.js';
import { assertMatrix, checkDout, ensure } from './buffers.js';
import type { Layer, LayerOptions, Parameter } from './types.js';

// an image's shape: channels, height, width
export type ImageShape = readonly [channels: number, height: number, width: number];

export interface ConvolutionOptions extends LayerOptions {
  // the shape of one input sample
  input: ImageShape;
  // kernel height and width: W must have C·KH·KW columns
  kernel: readonly [number, number];
  stride?: number;
  pad?: number;
  // false: backward skips dx (a network's first layer, whose dx nobody reads), and with it the
  // dcol product and col2im
  inputGrad?: boolean;
}

const PLAIN: GemmOptions = Object.freeze({ beta: 0 });
const TRANS_A: GemmOptions = Object.freeze({ transA: true, beta: 0 });
const TRANS_B: GemmOptions = Object.freeze({ transB: true, beta: 0 });

export function checkImageShape(where: string, shape: unknown): asserts shape is ImageShape {
  if (!Array.isArray(shape) || shape.length !== 3) {
    throw new TypeError(`${where}: input must be [channels, height, width], got ${JSON.stringify(shape)}`);
  }
}

export function checkKernel(where: string, kernel: unknown): asserts kernel is readonly [number, number] {
  if (!Array.isArray(kernel) || kernel.length !== 2) {
    throw new TypeError(`${where}: kernel must be [height, width], got ${JSON.stringify(kernel)}`);
  }
}

export class Convolution implements Layer {
  readonly kind = 'Convolution';
  readonly backend: Backend;
  readonly W: Matrix;
  readonly b: Matrix;
  readonly dW: Matrix;
  readonly db: Matrix;
  readonly parameters: readonly Parameter[];
  readonly geometry: WindowGeometry;
  inputGrad: boolean;
  private readonly empty: Matrix;
  // the last forward's columns: all backward needs of x
  private col: Matrix | undefined = undefined;
  // the product W·col as [filters, N·OH·OW]; backward reuses it for dout in the same orientation
  private tmp: Matrix | undefined = undefined;
  private out: Matrix | undefined = undefined;
  // dout's column sums (one per filter and position), which db sums per filter
  private sums: Matrix | undefined = undefined;
  private dcol: Matrix | undefined = undefined;
  private dx: Matrix | undefined = undefined;
  private n = 0;

  constructor(W: Matrix, b: Matrix, options: ConvolutionOptions) {
    assertMatrix('Convolution', 'W', W);
    assertMatrix('Convolution', 'b', b);
    if (options === null || typeof options !== 'object') throw new TypeError('Convolution: options { input, kernel } are required');
    const { input, kernel, stride = 1, pad = 0, backend, inputGrad = true } = options;
    checkImageShape('Convolution', input);
    checkKernel('Convolution', kernel);
    if (b.dtype !== W.dtype) throw new TypeError(`Convolution: W is ${W.dtype} but b is ${b.dtype}`);
    const g = windowGeometry('Convolution', { channels: input[0], height: input[1], width: input[2] }, { kernelHeight: kernel[0], kernelWidth: kernel[1], stride, pad });
    const k = g.channels * g.kernelHeight * g.kernelWidth;
    if (W.cols !== k) {
      throw new RangeError(`Convolution: W must have channels×kernel height×kernel width = ${g.channels}×${g.kernelHeight}×${g.kernelWidth} = ${k} columns, got ${W.rows}×${W.cols}`);
    }
    if (b.rows !== 1 || b.cols !== W.rows) throw new RangeError(`Convolution: b must be 1×${W.rows} (one per filter), got ${b.rows}×${b.cols}`);
    if (typeof inputGrad !== 'boolean') throw new TypeError(`Convolution: inputGrad must be a boolean, got ${typeof inputGrad}`);
    this.backend = backend ?? getBackend();
    this.geometry = g;
    this.W = W;
    this.b = b;
    ({ dW: this.dW, db: this.db, parameters: this.parameters } = weightAndBias(W, b));
    this.inputGrad = inputGrad;
    this.empty = Matrix.zeros(0, 0, W.dtype);
  }

  get filters(): number {
    return this.W.rows;
  }

  get inputSize(): number {
    return inputSize(this.geometry);
  }

  get outputSize(): number {
    return this.W.rows * outputPlane(this.geometry);
  }

  // the output's image shape: filters × OH × OW
  get outputShape(): ImageShape {
    return [this.W.rows, this.geometry.outHeight, this.geometry.outWidth];
  }

  // forward's checks of x (shared with the fused stage that runs this layer, conv-relu-pool.ts)
  checkInput(x: unknown): asserts x is Matrix {
    assertMatrix('Convolution.forward', 'x', x);
    if (x.dtype !== this.W.dtype) throw new TypeError(`Convolution: x is ${x.dtype}, W is ${this.W.dtype} (the network's dtype)`);
    if (x.cols !== this.inputSize) {
      throw new RangeError(`Convolution: x has ${x.cols} columns, expected channels×height×width = ${describeGeometry(this.geometry)} = ${this.inputSize}`);
    }
  }

  forward(x: Matrix): Matrix {
    const { W, geometry: g } = this;
    this.checkInput(x);
    const n = x.rows;
    const positions = n * outputPlane(g);
    // col: every patch as a column; tmp = W·col, one row per filter
    const col = (this.col = ensure(this.col, W.cols, positions, W.dtype));
    this.backend.im2col(x, g, col);
    const tmp = (this.tmp = ensure(this.tmp, W.rows, positions, W.dtype));
    this.backend.gemm(W, col, tmp, PLAIN);
    // [filters, N, OH·OW] → NCHW rows, + b per filter
    const out = (this.out = ensure(this.out, n, this.outputSize, W.dtype));
    this.backend.swapAxes(tmp, W.rows, n, this.b, out);
    this.n = n;
    return out;
  }

  backward(dout: Matrix): Matrix {
    const { W, n } = this;
    checkDout('Convolution.backward', dout, n, this.outputSize, this.col === undefined ? undefined : W.dtype);
    const col = this.col!;
    const tmp = this.tmp!;
    // dout as [filters, N·OH·OW], into the forward's scratch (forward no longer needs it)
    this.backend.swapAxes(dout, n, W.rows, null, tmp);
    // dW = dout·colᵀ: every position's patch, weighted by its gradient, summed
    this.backend.gemm(tmp, col, this.dW, TRANS_B);
    // db: each filter's gradient summed over the batch (dout's column sums, one streaming pass) and
    // then over its positions
    const sums = (this.sums = ensure(this.sums, 1, this.outputSize, W.dtype));
    this.backend.colSum(dout, sums);
    const plane = outputPlane(this.geometry);
    for (let f = 0; f < W.rows; f++) {
      let sum = 0;
      for (let p = f * plane; p < (f + 1) * plane; p++) sum += sums.data[p]!;
      this.db.data[f] = sum;
    }
    if (!this.inputGrad) return this.empty;
    // dcol = Wᵀ·dout, then each column added back onto the pixels it came from
    const dcol = (this.dcol = ensure(this.dcol, col.rows, col.cols, W.dtype));
    this.backend.gemm(W, tmp, dcol, TRANS_A);
    const dx = (this.dx = ensure(this.dx, n, this.inputSize, W.dtype));
    this.backend.col2im(dcol, this.geometry, dx);
    return dx;
  }
}
