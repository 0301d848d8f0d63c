// ConvReluPool: how a Sequential runs a Convolution → Relu → max Pooling run of its layers, as one
// fused op (src/kernels/conv-relu-pool.ts). The three layers stay the definition (they hold W, b, dW
// and db, and run on their own anywhere else); this stage computes what they would, with the
// convolution's output never written out whole: the conv, relu and pool of SimpleConvNet apart pass
// its 6.9 MB through memory about ten times per step, which cost more than the products.

import type { Backend } from '../backend/types.js';
import { Matrix, type DType } from '../matrix.js';
import { checkDout, ensure } from './buffers.js';
import { Convolution } from './convolution.js';
import { Pooling } from './pooling.js';
import { Relu } from './relu.js';
import type { Layer, Parameter } from './types.js';

export class ConvReluPool implements Layer {
  readonly kind = 'ConvReluPool';
  readonly conv: Convolution;
  readonly pool: Pooling;
  readonly backend: Backend;
  // the layers' own: the optimizer updates conv.W, reads conv.dW
  readonly parameters: readonly Parameter[];
  // the last forward's input: backward recomputes its columns a block at a time
  private x: Matrix | undefined = undefined;
  private out: Matrix | undefined = undefined;
  // for each output, its window's maximum in the convolution's output (as Pooling keeps it)
  private argmax = new Int32Array(0);
  private dx: Matrix | undefined = undefined;
  // what backward returns when no dx is computed
  private readonly empty: Matrix;
  private dtype: DType | undefined = undefined;

  // the stage for three layers as they stand in a network, or undefined when they cannot fuse: they must
  // be those three kinds on one backend, the pooling unpadded over exactly the convolution's output
  static fuse(conv: Layer, relu: Layer | undefined, pool: Layer | undefined): ConvReluPool | undefined {
    if (!(conv instanceof Convolution && relu instanceof Relu && pool instanceof Pooling)) return undefined;
    const [c, h, w] = conv.outputShape;
    const g = pool.geometry;
    const fits = relu.backend === conv.backend && pool.backend === conv.backend && g.pad === 0 && g.channels === c && g.height === h && g.width === w;
    return fits ? new ConvReluPool(conv, pool) : undefined;
  }

  constructor(conv: Convolution, pool: Pooling) {
    this.conv = conv;
    this.pool = pool;
    this.backend = conv.backend;
    this.parameters = conv.parameters;
    this.empty = Matrix.zeros(0, 0, conv.W.dtype);
  }

  get inputSize(): number {
    return this.conv.inputSize;
  }

  get outputSize(): number {
    return this.pool.outputSize;
  }

  forward(x: Matrix): Matrix {
    const conv: Convolution = this.conv;
    conv.checkInput(x);
    const out = (this.out = ensure(this.out, x.rows, this.outputSize, x.dtype));
    if (this.argmax.length !== out.size) this.argmax = new Int32Array(out.size);
    this.backend.convReluPool(x, conv.W, conv.b, conv.geometry, this.pool.geometry, out, this.argmax);
    this.x = x;
    this.dtype = x.dtype;
    return out;
  }

  // fills conv.dW and conv.db; dx only when the convolution passes a gradient down (not as first layer)
  backward(dout: Matrix): Matrix {
    const { conv } = this;
    const x = this.x;
    checkDout('Pooling.backward', dout, x?.rows ?? 0, this.outputSize, this.dtype);
    const dx = conv.inputGrad ? (this.dx = ensure(this.dx, x!.rows, x!.cols, x!.dtype)) : null;
    this.backend.convReluPoolBackward(x!, conv.W, this.out!, dout, this.argmax, conv.geometry, this.pool.geometry, conv.dW, conv.db, dx);
    return dx ?? this.empty;
  }
}
