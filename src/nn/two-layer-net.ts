// the book's TwoLayerNet: Affine1 → Relu1 → Affine2, then SoftmaxWithLoss, weights weightInitStd·randn

import type { Backend } from '../backend/types.js';
import type { DType } from '../matrix.js';
import type { Random } from '../random.js';
import { checkOptionKeys, mlpLayers, Sequential } from './sequential.js';

export interface TwoLayerNetOptions {
  weightInitStd?: number;
  dtype?: DType;
  seed?: number;
  random?: Random;
  backend?: Backend;
}

const KEYS = ['weightInitStd', 'dtype', 'seed', 'random', 'backend'];

function checkSize(name: string, n: unknown): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`TwoLayerNet: ${name} must be a positive integer, got ${String(n)}`);
  }
}

export class TwoLayerNet extends Sequential {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;

  constructor(inputSize: number, hiddenSize: number, outputSize: number, options: TwoLayerNetOptions = {}) {
    checkSize('inputSize', inputSize);
    checkSize('hiddenSize', hiddenSize);
    checkSize('outputSize', outputSize);
    checkOptionKeys('TwoLayerNet', options, KEYS);
    const { layers, lastLayer } = mlpLayers('TwoLayerNet', { ...options, sizes: [inputSize, hiddenSize, outputSize], activation: 'relu', init: 'std' });
    super(layers, lastLayer);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.outputSize = outputSize;
  }
}
