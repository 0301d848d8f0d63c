// Pooling: the book's max pooling over each channel's windows (NCHW rows, see convolution.ts);
// backward sends each gradient to the position of its window's maximum

import { getBackend } from '../backend/index.js';
import type { Backend } from '../backend/types.js';
import { describeGeometry, inputSize, outputPlane, windowGeometry, type WindowGeometry } from '../kernels/window.js';
import type { DType, Matrix } from '../matrix.js';
import { assertMatrix, checkDout, ensure } from './buffers.js';
import { checkImageShape, checkKernel, type ImageShape } from './convolution.js';
import type { Layer, LayerOptions, Parameter } from './types.js';

export interface PoolingOptions extends LayerOptions {
  input: ImageShape;
  // window height and width
  kernel: readonly [number, number];
  // default: the window's height, so windows tile the image (PyTorch's MaxPool2d default; the book's
  // class defaults to 1, but its SimpleConvNet passes 2 for its 2×2 windows); pad default 0
  stride?: number;
  pad?: number;
}

export class Pooling implements Layer {
  readonly kind = 'Pooling';
  readonly parameters: readonly Parameter[] = [];
  readonly backend: Backend;
  readonly geometry: WindowGeometry;
  private out: Matrix | undefined = undefined;
  // for each output, the index in x of its window's maximum: all backward needs
  private argmax = new Int32Array(0);
  private dx: Matrix | undefined = undefined;
  private n = 0;
  private dtype: DType | undefined = undefined;

  constructor(options: PoolingOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('Pooling: options { input, kernel } are required');
    const { input, kernel, pad = 0, backend } = options;
    checkImageShape('Pooling', input);
    checkKernel('Pooling', kernel);
    const stride = options.stride ?? kernel[0];
    const g = windowGeometry('Pooling', { channels: input[0], height: input[1], width: input[2] }, { kernelHeight: kernel[0], kernelWidth: kernel[1], stride, pad });
    // a window entirely in the padding would have no maximum (PyTorch's rule)
    if (2 * pad > g.kernelHeight || 2 * pad > g.kernelWidth) {
      throw new RangeError(`Pooling: pad ${pad} must be at most half the window (${g.kernelHeight}×${g.kernelWidth})`);
    }
    this.backend = backend ?? getBackend();
    this.geometry = g;
  }

  get inputSize(): number {
    return inputSize(this.geometry);
  }

  get outputSize(): number {
    return this.geometry.channels * outputPlane(this.geometry);
  }

  get outputShape(): ImageShape {
    return [this.geometry.channels, this.geometry.outHeight, this.geometry.outWidth];
  }

  forward(x: Matrix): Matrix {
    assertMatrix('Pooling.forward', 'x', x);
    if (x.cols !== this.inputSize) {
      throw new RangeError(`Pooling: x has ${x.cols} columns, expected channels×height×width = ${describeGeometry(this.geometry)} = ${this.inputSize}`);
    }
    const out = (this.out = ensure(this.out, x.rows, this.outputSize, x.dtype));
    if (this.argmax.length !== out.size) this.argmax = new Int32Array(out.size);
    this.backend.maxPool(x, this.geometry, out, this.argmax);
    this.n = x.rows;
    this.dtype = x.dtype;
    return out;
  }

  backward(dout: Matrix): Matrix {
    checkDout('Pooling.backward', dout, this.n, this.outputSize, this.dtype);
    const dx = (this.dx = ensure(this.dx, this.n, this.inputSize, dout.dtype));
    this.backend.maxPoolBackward(dout, this.argmax, dx);
    return dx;
  }
}
