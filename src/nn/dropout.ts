// Dropout (the book's chapter 6): in training each value is kept with probability 1 − ratio and
// zeroed otherwise; at evaluation every value is scaled by 1 − ratio instead (the book's form; the
// expected activation matches). The mask comes from the layer's own seeded generator, whose four
// state words are the layer's `state` ('rng'): model files and checkpoints save them, so a seeded
// run is reproducible and a resumed run draws the very masks it would have drawn

import { dtypeOf, Matrix, type DType, type FloatArray } from '../matrix.js';
import { multiplyImpl, scaleImpl } from '../kernels/dropout.js';
import { Random, type RandomState } from '../random.js';
import { assertMatrix, checkDout, ensure } from './buffers.js';
import { randomFrom } from './init.js';
import type { Layer, Parameter, StateTensor } from './types.js';

export interface DropoutOptions {
  // the generator to seed the layer's own from: a seed, or a Random to draw one from (not both)
  seed?: number;
  random?: Random;
}

const TWO_32 = 2 ** 32;

export class Dropout implements Layer {
  readonly kind = 'Dropout';
  readonly parameters: readonly Parameter[] = [];
  readonly state: readonly StateTensor[];
  readonly ratio: number;
  training = true;
  // the generator's state words (float64 holds a uint32 exactly): the truth, loaded before each draw
  private readonly rng: Matrix;
  private readonly random: Random;
  private readonly words: RandomState = { algorithm: 'xoshiro128**', s: [0, 0, 0, 0], spare: null };
  private mask: FloatArray | undefined = undefined;
  private out: Matrix | undefined = undefined;
  private dx: Matrix | undefined = undefined;
  private rows = 0;
  private cols = 0;
  private dtype: DType | undefined = undefined;
  private masked = false;

  constructor(ratio = 0.5, options: DropoutOptions = {}) {
    if (typeof ratio !== 'number' || !(ratio >= 0 && ratio < 1)) throw new RangeError(`Dropout: ratio must be a number in [0, 1), got ${String(ratio)}`);
    this.ratio = ratio;
    // a generator of its own, seeded by one draw from the network's, so layers never share a stream
    const parent = randomFrom('Dropout', options.seed, options.random);
    this.random = new Random(parent.nextUint32() * 2 ** 21 + (parent.nextUint32() >>> 11));
    this.rng = Matrix.row(this.random.getState().s, 'float64');
    this.state = Object.freeze([Object.freeze({ name: 'rng', value: this.rng })]);
  }

  setTraining(on: boolean): void {
    this.training = on;
  }

  forward(x: Matrix): Matrix {
    assertMatrix('Dropout.forward', 'x', x);
    const out = (this.out = ensure(this.out, x.rows, x.cols, x.dtype));
    this.rows = x.rows;
    this.cols = x.cols;
    this.dtype = x.dtype;
    this.masked = this.training;
    if (!this.training) {
      scaleImpl(x.data, 1 - this.ratio, out.data);
      return out;
    }
    if (this.mask === undefined || this.mask.length !== x.size || dtypeOf(this.mask) !== x.dtype) this.mask = new (x.data.constructor as Float32ArrayConstructor)(x.size);
    this.drawMask(this.mask);
    multiplyImpl(x.data, this.mask, out.data);
    return out;
  }

  // keep where a uniform 32-bit draw is ≥ ratio·2³² (probability 1 − ratio)
  private drawMask(mask: FloatArray): void {
    const s = this.words.s;
    for (let i = 0; i < 4; i++) s[i] = this.rng.data[i]!;
    this.random.setState(this.words);
    const threshold = this.ratio * TWO_32;
    for (let i = 0; i < mask.length; i++) mask[i] = this.random.nextUint32() >= threshold ? 1 : 0;
    this.rng.data.set(this.random.getState().s);
  }

  backward(dout: Matrix): Matrix {
    checkDout('Dropout.backward', dout, this.rows, this.cols, this.dtype);
    const dx = (this.dx = ensure(this.dx, dout.rows, dout.cols, dout.dtype));
    if (this.masked) multiplyImpl(dout.data, this.mask!, dx.data);
    else scaleImpl(dout.data, 1 - this.ratio, dx.data);
    return dx;
  }
}
