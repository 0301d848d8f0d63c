// weight initialisation: normal values with a standard deviation picked by rule, from a seeded Random

import { describe } from '../describe.js';
import type { Backend } from '../backend/types.js';
import type { DType, Matrix } from '../matrix.js';
import { Random, randomSeed } from '../random.js';

// 'std': weightInitStd·randn (the book's TwoLayerNet); 'xavier': randn·√(1/fan_in) (the book's
// chapter-6 Xavier, for sigmoid); 'he': randn·√(2/fan_in) (for ReLU); a number: that fixed std
export type WeightInit = 'std' | 'xavier' | 'he' | number;

export const DEFAULT_WEIGHT_INIT_STD = 0.01;

// what every network builder (mlp, buildNetwork) takes for its weights and where they live
export interface InitOptions {
  // default 'std' (weightInitStd·randn, the book's)
  init?: WeightInit;
  weightInitStd?: number;
  dtype?: DType;
  // the generator: a seed, or a Random to draw from (not both); neither gives an unseeded net
  seed?: number;
  random?: Random;
  backend?: Backend;
}


export function checkStd(where: string, name: string, std: unknown): asserts std is number {
  if (typeof std !== 'number') throw new TypeError(`${where}: ${name} must be a number, got ${describe(std)}`);
  if (!Number.isFinite(std) || std < 0) throw new RangeError(`${where}: ${name} must be a finite number ≥ 0, got ${std}`);
}

export function checkInit(where: string, init: unknown): asserts init is WeightInit {
  if (typeof init === 'number') return checkStd(where, 'init', init);
  if (init !== 'std' && init !== 'xavier' && init !== 'he') {
    throw new TypeError(`${where}: init must be 'std', 'xavier', 'he' or a number (a fixed std), got ${describe(init)}`);
  }
}

// the standard deviation of a layer's weights, from the rule and its fan-in (its input size)
export function initStd(init: WeightInit, fanIn: number, weightInitStd = DEFAULT_WEIGHT_INIT_STD): number {
  if (typeof init === 'number') return init;
  if (init === 'std') return weightInitStd;
  return Math.sqrt((init === 'he' ? 2 : 1) / fanIn);
}

// W ← std·randn, entry by entry in row-major order, so one seed gives one network bit for bit
export function initWeights(W: Matrix, std: number, random: Random): Matrix {
  random.fillNormal(W.data, std);
  return W;
}

// the generator a builder draws from: the caller's, or a new one from the seed
export function randomFrom(where: string, seed: unknown, random: unknown): Random {
  if (random !== undefined) {
    if (seed !== undefined) throw new TypeError(`${where}: give seed or random, not both`);
    if (!(random instanceof Random)) throw new TypeError(`${where}: random must be a Random, got ${describe(random)}`);
    return random;
  }
  if (seed !== undefined && typeof seed !== 'number') throw new TypeError(`${where}: seed must be a number, got ${describe(seed)}`);
  return new Random(seed ?? randomSeed());
}
