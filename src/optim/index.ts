// the optimizers, and a factory that picks one by name (for the CLI and for checkpoints)

import { AdaGrad, type AdaGradOptions } from './adagrad.js';
import { Adam, type AdamOptions } from './adam.js';
import { Momentum, type MomentumOptions } from './momentum.js';
import { Nesterov, type NesterovOptions } from './nesterov.js';
import { Optimizer, type OptimizerName } from './optimizer.js';
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

// name → how to make one: the built-ins, and any optimizer a user registers (so createOptimizer, the
// trainer's optimizer option and checkpoints all know it)
export type OptimizerFactory = (options?: Record<string, number>) => Optimizer;

const builtins: { [N in OptimizerName]: (options?: OptimizerOptionsMap[N]) => Optimizer } = {
  sgd: (o) => new SGD(o),
  momentum: (o) => new Momentum(o),
  nesterov: (o) => new Nesterov(o),
  adagrad: (o) => new AdaGrad(o),
  rmsprop: (o) => new RMSprop(o),
  adam: (o) => new Adam(o),
};

// the built-in names, in order
export const OPTIMIZER_NAMES = Object.keys(builtins) as readonly OptimizerName[];

const registry = new Map<string, OptimizerFactory>(Object.entries(builtins) as [string, OptimizerFactory][]);

// make your own Optimizer subclass known by its name: make(options) must return one whose name is that name
export function registerOptimizer(name: string, make: OptimizerFactory): void {
  if (typeof name !== 'string' || !/^[A-Za-z][\w-]*$/.test(name)) throw new TypeError(`registerOptimizer: name must be a word like 'lion', got ${JSON.stringify(name)}`);
  if (typeof make !== 'function') throw new TypeError('registerOptimizer: make must be a function (options) => Optimizer');
  if (registry.has(name)) throw new TypeError(`registerOptimizer: '${name}' is already registered`);
  registry.set(name, make);
}

// every name createOptimizer knows, built-ins first
export function optimizerNames(): string[] {
  return [...registry.keys()];
}

// whether a checkpoint can hold this optimizer: createOptimizer must be able to make it again by name
export function isCheckpointable(optimizer: Optimizer): boolean {
  return registry.has(optimizer.name);
}

// resuming a checkpoint: createOptimizer(state.name, state.hyper).loadStateDict(state)
export function createOptimizer<N extends OptimizerName>(name: N, options?: OptimizerOptionsMap[N]): Optimizer;
export function createOptimizer(name: string, options?: Record<string, number>): Optimizer;
export function createOptimizer(name: string, options?: Record<string, number>): Optimizer {
  const make = typeof name === 'string' ? registry.get(name) : undefined;
  if (make === undefined) throw new TypeError(`Unknown optimizer ${JSON.stringify(name)}: expected one of ${optimizerNames().join(', ')}`);
  const made = make(options);
  if (!(made instanceof Optimizer) || made.name !== name) throw new TypeError(`createOptimizer: the maker registered as '${name}' must return an Optimizer named '${name}'`);
  return made;
}
