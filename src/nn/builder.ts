// buildNetwork: conv, pool, dropout, batch-norm and dense layers composed into any Sequential, each
// layer's input shape carried from the one before (an image [C, H, W] until a dense layer flattens it,
// which in NCHW rows is no copy at all); and the same list written as a short string for the CLI

import type { Backend } from '../backend/types.js';
import { assertDType, Matrix, type DType } from '../matrix.js';
import type { Random } from '../random.js';
import { Affine } from './affine.js';
import { BatchNormalization } from './batch-norm.js';
import { describe } from '../describe.js';
import { Convolution, type ImageShape } from './convolution.js';
import { Dropout } from './dropout.js';
import { checkInit, checkStd, DEFAULT_WEIGHT_INIT_STD, initStd, initWeights, randomFrom, type InitOptions } from './init.js';
import { Pooling } from './pooling.js';
import { Relu } from './relu.js';
import { checkOptionKeys, Sequential } from './sequential.js';
import { Sigmoid } from './sigmoid.js';
import { SoftmaxWithLoss } from './softmax.js';
import type { Layer } from './types.js';

// a kernel or window size: n for n×n, or [height, width]
export type Size2 = number | readonly [number, number];

export type LayerConfig =
  | { type: 'conv'; filters: number; kernel: Size2; stride?: number; pad?: number }
  | { type: 'pool'; kernel: Size2; stride?: number; pad?: number }
  | { type: 'dense'; outputs: number }
  | { type: 'relu' }
  | { type: 'sigmoid' }
  | { type: 'dropout'; ratio?: number }
  | { type: 'batchnorm'; momentum?: number; eps?: number };

// init's fan-in of a conv filter is C·KH·KW
export interface NetworkOptions extends InitOptions {
  // one sample's shape: [channels, height, width] (MNIST: [1, 28, 28]), or a width for dense-only nets
  input: ImageShape | number;
  layers: readonly LayerConfig[];
  // the classes: a last dense layer to this many outputs, then SoftmaxWithLoss
  outputs: number;
}

const KEYS = ['input', 'layers', 'outputs', 'init', 'weightInitStd', 'dtype', 'seed', 'random', 'backend'];

function pair(where: string, name: string, size: unknown): [number, number] {
  if (typeof size === 'number') return [size, size];
  if (Array.isArray(size) && size.length === 2) return [size[0] as number, size[1] as number];
  throw new TypeError(`${where}: ${name} must be a number or [height, width], got ${JSON.stringify(size)}`);
}

function checkCount(where: string, name: string, n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new RangeError(`${where}: ${name} must be a positive integer, got ${describe(n)}`);
}

// the layers and loss of a network described by its layer list
export function networkLayers(where: string, options: NetworkOptions): { layers: Layer[]; lastLayer: SoftmaxWithLoss } {
  checkOptionKeys(where, options, KEYS);
  const { input, layers: configs, outputs, init = 'std', weightInitStd = DEFAULT_WEIGHT_INIT_STD, dtype = 'float64', backend } = options;
  if (!Array.isArray(configs)) throw new TypeError(`${where}: layers must be an array of layer configs, got ${describe(configs)}`);
  checkCount(where, 'outputs', outputs);
  checkInit(where, init);
  checkStd(where, 'weightInitStd', weightInitStd);
  assertDType(dtype);
  let image: ImageShape | undefined;
  let width: number;
  if (typeof input === 'number') {
    checkCount(where, 'input', input);
    width = input;
  } else {
    if (!Array.isArray(input) || input.length !== 3) throw new TypeError(`${where}: input must be [channels, height, width] or a width, got ${JSON.stringify(input)}`);
    input.forEach((n, i) => checkCount(where, `input[${i}]`, n));
    image = input;
    width = input[0] * input[1] * input[2];
  }
  const random = randomFrom(where, options.seed, options.random);
  const layers: Layer[] = [];
  const dense = (fanIn: number, fanOut: number) => {
    // weights drawn layer by layer in row-major order, as the book's randn calls; biases zero
    const W = initWeights(Matrix.zeros(fanIn, fanOut, dtype), initStd(init, fanIn, weightInitStd), random);
    return new Affine(W, Matrix.zeros(1, fanOut, dtype), { backend });
  };
  configs.forEach((config: LayerConfig, i) => {
    const at = `${where}: layers[${i}]`;
    if (config === null || typeof config !== 'object') throw new TypeError(`${at} must be a layer config object, got ${describe(config)}`);
    const needImage = (): ImageShape => {
      if (image === undefined) throw new TypeError(`${at} (${config.type}) needs an image input [channels, height, width], but the layer before gives a flat width ${width}`);
      return image;
    };
    switch (config.type) {
      case 'conv': {
        const shape = needImage();
        checkCount(at, 'filters', config.filters);
        const kernel = pair(at, 'kernel', config.kernel);
        const fanIn = shape[0] * kernel[0] * kernel[1];
        // W is filters × C·KH·KW: PyTorch's [filters, C, KH, KW]
        const W = Matrix.zeros(config.filters, fanIn, dtype);
        const conv = new Convolution(W, Matrix.zeros(1, config.filters, dtype), { input: shape, kernel, stride: config.stride, pad: config.pad, backend });
        initWeights(W, initStd(init, fanIn, weightInitStd), random);
        layers.push(conv);
        image = conv.outputShape;
        width = conv.outputSize;
        return;
      }
      case 'pool': {
        const pool = new Pooling({ input: needImage(), kernel: pair(at, 'kernel', config.kernel), stride: config.stride, pad: config.pad, backend });
        layers.push(pool);
        image = pool.outputShape;
        width = pool.outputSize;
        return;
      }
      case 'dense':
        checkCount(at, 'outputs', config.outputs);
        layers.push(dense(width, config.outputs));
        image = undefined;
        width = config.outputs;
        return;
      case 'relu':
        layers.push(new Relu({ backend }));
        return;
      case 'sigmoid':
        layers.push(new Sigmoid({ backend }));
        return;
      case 'dropout':
        layers.push(new Dropout(config.ratio, { random }));
        return;
      case 'batchnorm': {
        // per channel on an image, per column on a flat width
        const channels = image === undefined ? width : image[0];
        const gamma = Matrix.zeros(1, channels, dtype);
        gamma.data.fill(1);
        layers.push(new BatchNormalization(gamma, Matrix.zeros(1, channels, dtype), { momentum: config.momentum, eps: config.eps, backend }));
        return;
      }
      default:
        throw new TypeError(`${at} has unknown type ${JSON.stringify((config as { type: unknown }).type)} (expected conv, pool, dense, relu, sigmoid, dropout or batchnorm)`);
    }
  });
  layers.push(dense(width, outputs));
  return { layers, lastLayer: new SoftmaxWithLoss({ backend }) };
}

// any network from its layer list, as a Sequential
export function buildNetwork(options: NetworkOptions): Sequential {
  const { layers, lastLayer } = networkLayers('buildNetwork', options);
  return new Sequential(layers, lastLayer);
}

// the layer list as the CLI writes it: comma-separated tokens
//   conv:F:K[xK][:sS][:pP]   F filters of K×K (or KH×KW), stride S (1), padding P (0)
//   pool:K[xK][:sS][:pP]     max pooling, stride default the window's height
//   dense:N  relu  sigmoid  dropout[:R]  batchnorm
// e.g. "conv:30:5,relu,pool:2,dense:100,relu" is SimpleConvNet's hidden stack
export function parseLayers(text: string): LayerConfig[] {
  if (typeof text !== 'string' || text.trim() === '') throw new TypeError(`layers: expected a comma-separated layer list, got ${JSON.stringify(text)}`);
  return text.split(',').map((raw) => {
    const token = raw.trim();
    const bad = (why: string) => new TypeError(`layers: '${token}' ${why}`);
    const [name, ...args] = token.split(':');
    const int = (s: string | undefined, what: string): number => {
      if (s === undefined || !/^\d+$/.test(s)) throw bad(`needs ${what} as a whole number`);
      return Number(s);
    };
    const size = (s: string | undefined, what: string): Size2 => {
      const m = /^(\d+)(?:x(\d+))?$/.exec(s ?? '');
      if (m === null) throw bad(`needs ${what} as K or KHxKW`);
      return m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])];
    };
    // the optional sS / pP suffixes of conv and pool
    const window = (rest: string[]): { stride?: number; pad?: number } => {
      const out: { stride?: number; pad?: number } = {};
      for (const a of rest) {
        if (a.startsWith('s')) out.stride = int(a.slice(1), 'a stride after s');
        else if (a.startsWith('p')) out.pad = int(a.slice(1), 'a padding after p');
        else throw bad(`has '${a}': expected sN (stride) or pN (padding)`);
      }
      return out;
    };
    const none = () => {
      if (args.length > 0) throw bad('takes no arguments');
    };
    switch (name) {
      case 'conv':
        return { type: 'conv', filters: int(args[0], 'a filter count'), kernel: size(args[1], 'a kernel size'), ...window(args.slice(2)) };
      case 'pool':
        return { type: 'pool', kernel: size(args[0], 'a window size'), ...window(args.slice(1)) };
      case 'dense':
        if (args.length !== 1) throw bad('needs one width, as dense:100');
        return { type: 'dense', outputs: int(args[0], 'a width') };
      case 'dropout': {
        if (args.length > 1) throw bad('takes at most a ratio, as dropout:0.5');
        const ratio = args[0] === undefined ? undefined : Number(args[0]);
        if (ratio !== undefined && !(ratio >= 0 && ratio < 1)) throw bad('needs a ratio in [0, 1)');
        return { type: 'dropout', ratio };
      }
      case 'relu':
      case 'sigmoid':
      case 'batchnorm':
        none();
        return { type: name };
      default:
        throw bad('is not a layer (expected conv, pool, dense, relu, sigmoid, dropout or batchnorm)');
    }
  });
}

// ---------- the book's SimpleConvNet ----------

export interface SimpleConvNetOptions {
  // the book's defaults: 1×28×28 input, 30 filters of 5×5, stride 1, pad 0, hidden 100, 10 classes
  input?: ImageShape;
  filters?: number;
  kernel?: number;
  stride?: number;
  pad?: number;
  hidden?: number;
  outputs?: number;
  weightInitStd?: number;
  dtype?: DType;
  seed?: number;
  random?: Random;
  backend?: Backend;
}

const SIMPLE_KEYS = ['input', 'filters', 'kernel', 'stride', 'pad', 'hidden', 'outputs', 'weightInitStd', 'dtype', 'seed', 'random', 'backend'];

// conv → ReLU → max-pool 2×2 stride 2 → Affine(hidden) → ReLU → Affine(outputs) → SoftmaxWithLoss,
// weights weightInitStd·randn (W1 the filters, W2, W3 the dense layers), biases zero
export class SimpleConvNet extends Sequential {
  constructor(options: SimpleConvNetOptions = {}) {
    checkOptionKeys('SimpleConvNet', options, SIMPLE_KEYS);
    const { input = [1, 28, 28], filters = 30, kernel = 5, stride = 1, pad = 0, hidden = 100, outputs = 10, ...rest } = options;
    const { layers, lastLayer } = networkLayers('SimpleConvNet', {
      ...rest,
      input,
      outputs,
      init: 'std',
      layers: [
        { type: 'conv', filters, kernel, stride, pad },
        { type: 'relu' },
        { type: 'pool', kernel: 2, stride: 2 },
        { type: 'dense', outputs: hidden },
        { type: 'relu' },
      ],
    });
    super(layers, lastLayer);
  }
}
