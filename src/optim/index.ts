// the optimizers, and a factory that picks one by name (for the CLI and for checkpoints)

import { AdaGrad, type AdaGradOptions } from './adagrad.js';
import { Adam, type AdamOptions } from './adam.js';
import { Momentum, type MomentumOptions } from './momentum.js';
import { Nesterov, type NesterovOptions } from './nesterov.js';
import type { Optimizer, OptimizerName } from './optimizer.js';
import { RMSprop, type RMSpropOptions } from './rmsprop.js';
import { SGD, type SGDOptions } from './sgd.js';

export * from './optimizer.js';
export * from './sgd.js';
export * from './momentum.js';
export * from './nesterov.js';
export * from './adagrad.js';
export * from './rmsprop.js';
export * from './adam.js';

export interface OptimizerOptionsMap {
  sgd: SGDOptions;
  momentum: MomentumOptions;
  nesterov: NesterovOptions;
  adagrad: AdaGradOptions;
  rmsprop: RMSpropOptions;
  adam: AdamOptions;
}

const makers: { [N in OptimizerName]: (options?: OptimizerOptionsMap[N]) => Optimizer } = {
  sgd: (o) => new SGD(o),
  momentum: (o) => new Momentum(o),
  nesterov: (o) => new Nesterov(o),
  adagrad: (o) => new AdaGrad(o),
  rmsprop: (o) => new RMSprop(o),
  adam: (o) => new Adam(o),
};

export const OPTIMIZER_NAMES = Object.keys(makers) as readonly OptimizerName[];

// whether a checkpoint can hold this optimizer: createOptimizer must be able to make it again by name
export function isCheckpointable(optimizer: Optimizer): boolean {
  return Object.hasOwn(makers, optimizer.name);
}

// resuming a checkpoint: createOptimizer(state.name, state.hyper).loadStateDict(state)
export function createOptimizer<N extends OptimizerName>(name: N, options?: OptimizerOptionsMap[N]): Optimizer;
export function createOptimizer(name: string, options?: Record<string, number>): Optimizer;
export function createOptimizer(name: string, options?: Record<string, number>): Optimizer {
  if (typeof name !== 'string' || !Object.hasOwn(makers, name)) {
    throw new TypeError(`Unknown optimizer ${JSON.stringify(name)}: expected one of ${OPTIMIZER_NAMES.join(', ')}`);
  }
  return makers[name as OptimizerName](options);
}
