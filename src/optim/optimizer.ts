// what every optimizer shares: the book's update(params, grads) shape, hyperparameter checks,
// per-parameter state buffers, and a state dict for checkpoints.
//
// params and grads are Record<string, Matrix> with the same keys, shapes and dtypes; update()
// changes params[k].data in place. State buffers (velocities, moment estimates) live in the
// params' dtype, one per slot per parameter, made once on first use and reused every step.

import { describe } from '../describe.js';
import { arrayFor, Matrix, type FloatArray } from '../matrix.js';

export type Params = Record<string, Matrix>;

// the built-in optimizers' names; any other registered name works too (registerOptimizer)
export type OptimizerName = 'sgd' | 'momentum' | 'nesterov' | 'adagrad' | 'rmsprop' | 'adam';

// every optimizer has a learning rate and an L2 weight decay; the rest are its own
export interface BaseHyper {
  lr: number;
  weightDecay: number;
}

export interface OptimizerStateDict {
  name: string;
  hyper: Record<string, number>;
  // how many update() calls have been made
  step: number;
  // one copy per state buffer, keyed `${slot}.${param}`, e.g. 'v.W1', 'm.W1'
  buffers: Record<string, FloatArray>;
}

// one hyperparameter: its default, the words naming it in errors, and the values it may take
export interface HyperSpec {
  default: number;
  label: string;
  valid: (x: number) => boolean;
}

// the checks PyTorch's constructors make, plus finiteness (NaN < 0 is false, so torch lets NaN through)
export const nonNegative = (x: number): boolean => x >= 0;
export const unitInterval = (x: number): boolean => x >= 0 && x < 1;

export function lrSpec(defaultLr: number): HyperSpec {
  return { default: defaultLr, label: 'learning rate', valid: nonNegative };
}
export const weightDecaySpec: HyperSpec = { default: 0, label: 'weightDecay value', valid: nonNegative };
export function epsSpec(defaultEps: number): HyperSpec {
  return { default: defaultEps, label: 'epsilon value', valid: nonNegative };
}


function checkHyper(spec: HyperSpec, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`Invalid ${spec.label}: ${describe(value)} (expected a number)`);
  }
  if (!Number.isFinite(value) || !spec.valid(value)) throw new RangeError(`Invalid ${spec.label}: ${value}`);
  return value;
}

// read options against the specs: unknown names are mistakes, missing ones take defaults
// (or, when loading a state dict, must all be present)
export function readHyper(
  where: string,
  specs: Readonly<Record<string, HyperSpec>>,
  options: unknown,
  requireAll: boolean,
): Record<string, number> {
  if (options === undefined && !requireAll) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
  const given = options as Record<string, unknown>;
  // one name per concept: an optimizer's rate is lr, as in torch.optim (the trainer's option is learningRate)
  if ('learningRate' in given && Object.hasOwn(specs, 'lr')) throw new TypeError(`${where}: the learning rate is lr here (as in torch.optim); learningRate is the trainer's option`);
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(specs, key)) {
      throw new TypeError(`${where}: unknown option '${key}' (expected ${Object.keys(specs).join(', ')})`);
    }
  }
  const out: Record<string, number> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const value = given[key];
    if (value === undefined) {
      if (requireAll) throw new TypeError(`${where}: hyperparameter '${key}' is missing`);
      out[key] = spec.default;
    } else {
      out[key] = checkHyper(spec, value);
    }
  }
  return out;
}

function shape(m: Matrix): string {
  return `${m.rows}×${m.cols} ${m.dtype}`;
}

// kept out of update's path: a closure there would make V8 allocate a context on every call
function extraGradsError(params: Params, grads: Params): TypeError {
  const extra = Object.keys(grads).filter((k) => !Object.hasOwn(params, k));
  return new TypeError(`update: grads has '${extra.join("', '")}', which params does not have`);
}

export abstract class Optimizer<H extends BaseHyper = BaseHyper> {
  // the name it is registered under (createOptimizer and checkpoints make it again by this name)
  readonly name: string;
  protected hyper: H;
  private readonly specs: Readonly<Record<keyof H & string, HyperSpec>>;
  // the names of this optimizer's state buffers per parameter, e.g. ['m', 'v'] for Adam
  private readonly slots: readonly string[];
  private t = 0;
  // parameter names seen on the last update, so an unchanged key set is checked without allocating
  private keys: string[] = [];
  // parameter name → one buffer per slot
  private buffers = new Map<string, FloatArray[]>();

  protected constructor(
    name: string,
    specs: Readonly<Record<keyof H & string, HyperSpec>>,
    slots: readonly string[],
    options: unknown,
  ) {
    this.name = name;
    this.specs = specs;
    this.slots = slots;
    this.hyper = readHyper(this.constructor.name, specs, options, false) as unknown as H;
  }

  // how many update() calls have been made (Adam's t)
  get step(): number {
    return this.t;
  }

  get lr(): number {
    return this.hyper.lr;
  }

  // settable so a schedule can decay it between updates; checked like the constructor checks it
  set lr(value: number) {
    this.hyper.lr = checkHyper(this.specs.lr, value);
  }

  get hyperparameters(): Readonly<H> {
    return { ...this.hyper };
  }

  // one step: params[k].data moves along grads[k] for every k
  update(params: Params, grads: Params): void {
    this.checkArgs(params, grads);
    this.t++;
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      this.updateParam(params[k]!.data, grads[k]!.data, this.buffers.get(k)!);
    }
  }

  // the per-parameter rule: p and its state move in place; must not allocate
  protected abstract updateParam(p: FloatArray, g: FloatArray, state: FloatArray[]): void;

  // everything checked before anything changes, so a bad call leaves params and state as they were
  private checkArgs(params: Params, grads: Params): void {
    if (params === null || typeof params !== 'object') {
      throw new TypeError(`update: params must be an object of Matrix, got ${describe(params)}`);
    }
    if (grads === null || typeof grads !== 'object') {
      throw new TypeError(`update: grads must be an object of Matrix, got ${describe(grads)}`);
    }
    // re-read the key list only when the parameter set changed
    let n = 0;
    let same = true;
    for (const k in params) {
      if (same && (n >= this.keys.length || k !== this.keys[n])) same = false;
      n++;
    }
    if (!same || n !== this.keys.length) this.keys = Object.keys(params);
    const keys = this.keys;
    let gradCount = 0;
    for (const _ in grads) gradCount++;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const p = params[k];
      const g = grads[k];
      if (!(p instanceof Matrix)) throw new TypeError(`update: params['${k}'] is not a Matrix`);
      if (g === undefined) {
        throw new TypeError(`update: grads has no '${k}' (params has ${keys.join(', ')})`);
      }
      if (!(g instanceof Matrix)) throw new TypeError(`update: grads['${k}'] is not a Matrix`);
      if (g.rows !== p.rows || g.cols !== p.cols || g.dtype !== p.dtype) {
        throw new RangeError(`update: grads['${k}'] is ${shape(g)}, but params['${k}'] is ${shape(p)}`);
      }
      this.checkBuffers(k, p);
    }
    // same count and every param key present means the key sets are equal
    if (gradCount !== keys.length) throw extraGradsError(params, grads);
  }

  // state buffers are made on first sight of a parameter; after that they must still fit it
  private checkBuffers(k: string, p: Matrix): void {
    const state = this.buffers.get(k);
    if (state === undefined) {
      const made: FloatArray[] = [];
      for (let s = 0; s < this.slots.length; s++) made.push(arrayFor(p.dtype, p.size));
      this.buffers.set(k, made);
      return;
    }
    for (let s = 0; s < state.length; s++) {
      const b = state[s]!;
      if (b.length !== p.size || (b instanceof Float32Array) !== (p.dtype === 'float32')) {
        const dtype = b instanceof Float32Array ? 'float32' : 'float64';
        throw new RangeError(
          `update: optimizer state '${this.slots[s]}.${k}' holds ${b.length} ${dtype} values, but params['${k}'] is ${shape(p)}`,
        );
      }
    }
  }

  // a checkpoint of everything later updates depend on; buffers are copies
  stateDict(): OptimizerStateDict {
    const buffers: Record<string, FloatArray> = {};
    for (const [k, state] of this.buffers) {
      this.slots.forEach((slot, s) => {
        buffers[`${slot}.${k}`] = state[s]!.slice();
      });
    }
    const hyper: Record<string, number> = { ...(this.hyper as unknown as Record<string, number>) };
    return { name: this.name, hyper, step: this.t, buffers };
  }

  // resume from stateDict(): hyperparameters, step count and buffers all come from the state
  loadStateDict(state: OptimizerStateDict): void {
    if (state === null || typeof state !== 'object') {
      throw new TypeError(`loadStateDict: expected a state dict object, got ${describe(state)}`);
    }
    if (state.name !== this.name) {
      throw new TypeError(`loadStateDict: state is for optimizer ${describe(state.name)}, this one is '${this.name}'`);
    }
    const hyper = readHyper(`loadStateDict(${this.name})`, this.specs, state.hyper, true) as unknown as H;
    const step: unknown = state.step;
    if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
      throw new RangeError(`loadStateDict: step must be a non-negative integer, got ${describe(step)}`);
    }
    const raw: unknown = state.buffers;
    if (raw === null || typeof raw !== 'object') {
      throw new TypeError(`loadStateDict: buffers must be an object, got ${describe(raw)}`);
    }
    const buffers = new Map<string, FloatArray[]>();
    for (const [key, b] of Object.entries(raw as Record<string, unknown>)) {
      // keys are slot.param; the param name itself may contain dots
      const dot = key.indexOf('.');
      const s = this.slots.indexOf(key.slice(0, dot));
      const param = key.slice(dot + 1);
      if (dot < 0 || s < 0 || param === '') {
        throw new TypeError(`loadStateDict: unexpected buffer '${key}' (${this.name} keeps ${this.slots.map((x) => `${x}.<param>`).join(', ') || 'no buffers'})`);
      }
      if (!(b instanceof Float32Array || b instanceof Float64Array)) {
        throw new TypeError(`loadStateDict: buffer '${key}' must be a Float32Array or Float64Array`);
      }
      let slots = buffers.get(param);
      if (slots === undefined) buffers.set(param, (slots = new Array<FloatArray>(this.slots.length)));
      slots[s] = b.slice();
    }
    // every parameter needs all its slots, alike in length and dtype
    for (const [param, slots] of buffers) {
      for (let s = 0; s < this.slots.length; s++) {
        const b = slots[s];
        if (b === undefined) throw new TypeError(`loadStateDict: buffer '${this.slots[s]}.${param}' is missing`);
        if (b.length !== slots[0]!.length || b.constructor !== slots[0]!.constructor) {
          throw new RangeError(`loadStateDict: buffers for '${param}' differ in length or dtype`);
        }
      }
    }
    this.hyper = hyper;
    this.t = step;
    this.buffers = buffers;
  }
}
