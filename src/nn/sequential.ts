// Sequential: layers in order, then a loss layer (SoftmaxWithLoss, SigmoidWithLoss or MeanSquaredError);
// the book's TwoLayerNet generalised to any depth and to regression and binary tasks

import type { Backend } from '../backend/types.js';
import { assertDType, DEFAULT_DTYPE, Matrix, type DType } from '../matrix.js';
import { Affine } from './affine.js';
import { describe } from '../describe.js';
import { assertMatrix } from './buffers.js';
import { ConvReluPool } from './conv-relu-pool.js';
import { checkInit, checkStd, DEFAULT_WEIGHT_INIT_STD, initStd, initWeights, randomFrom, type InitOptions, type WeightInit } from './init.js';
import { Relu } from './relu.js';
import { Sigmoid } from './sigmoid.js';
import { MetricSums, type TaskMetrics } from './task-metrics.js';
import { lossLayerFor } from './loss-for-task.js';
import { assertLabelKind } from './softmax.js';
import type { Labels, Layer, LossAndGradients, LossLayer, Network, ParameterRole, Task } from './types.js';

// the book's numerical-gradient step
const H = 1e-4;
// rows per forward when evaluating a large set, so a 60 000-row set never needs 60 000-row buffers;
// the one default for every chunked evaluation (Sequential.accuracy, the trainer's Evaluator, the CLI)
export const DEFAULT_EVAL_CHUNK = 1000;

export interface SequentialOptions {
  // only needed when no layer has parameters to take it from
  dtype?: DType;
}

// accuracy is NaN for a regression, whose measures are mse, mae and r2
export interface Evaluation extends TaskMetrics {
  loss: number;
  accuracy: number;
}

function shape(m: Matrix): string {
  return `${m.rows}×${m.cols} ${m.dtype}`;
}

function isLayer(layer: unknown): layer is Layer {
  const l = layer as Layer | null;
  return l !== null && typeof l === 'object' && typeof l.forward === 'function' && typeof l.backward === 'function' && Array.isArray(l.parameters);
}

// rows [start, end) of x, sharing its memory
function rowsView(x: Matrix, start: number, end: number): Matrix {
  return new Matrix(end - start, x.cols, x.data.subarray(start * x.cols, end * x.cols));
}

function labelsView(t: Labels, start: number, end: number): Labels {
  return t instanceof Matrix ? rowsView(t, start, end) : t.subarray(start, end);
}

export function isLossLayer(layer: unknown): layer is LossLayer {
  const l = layer as LossLayer | null;
  return l !== null && typeof l === 'object' && typeof l.forward === 'function' && typeof l.backward === 'function' && typeof l.output === 'function' &&
    (l.task === 'classify' || l.task === 'binary' || l.task === 'regress');
}

// a layer's declared input and output widths, when it has fixed ones (Affine, Convolution, Pooling)
function widths(layer: Layer): { inputs: number; outputs: number } | undefined {
  const l = layer as { inputSize?: unknown; outputSize?: unknown };
  return typeof l.inputSize === 'number' && typeof l.outputSize === 'number' ? { inputs: l.inputSize, outputs: l.outputSize } : undefined;
}

// layers that can skip their dx (Affine, Convolution) say so with a boolean inputGrad
function skipsInputGrad(layer: Layer): layer is Layer & { inputGrad: boolean } {
  return typeof (layer as { inputGrad?: unknown }).inputGrad === 'boolean';
}

// a measurement, not a step: Dropout passes everything (scaled) and BatchNormalization uses its running
// statistics until the returned function gives the network its mode back
export function evaluationMode(net: Network): () => void {
  if (net.training !== true) return () => {};
  net.setTraining?.(false);
  return () => net.setTraining?.(true);
}

export class Sequential implements Network {
  readonly layers: readonly Layer[];
  readonly lastLayer: LossLayer;
  readonly dtype: DType;
  // W1, b1, W2, b2, …: numbered by the order of the layers that have parameters or state, built once
  readonly params: Readonly<Record<string, Matrix>>;
  // running_mean2, running_var2, rng3, …: the layers' saved non-learnable tensors, numbered likewise
  readonly state: Readonly<Record<string, Matrix>>;
  // each layer's number in those names (0: a layer with neither)
  readonly layerNumbers: readonly number[];
  // what each of params is for, by the same keys
  readonly roles: Readonly<Record<string, ParameterRole>>;
  // what gradient() returns, one object reused
  private readonly result: LossAndGradients;
  // the layers as they run: each on its own, except that a Convolution → Relu → max Pooling run is one
  // fused stage (conv-relu-pool.ts), which computes what the three would
  private readonly stages: readonly Layer[];
  // backward stops at the stage of the first layer with parameters: nothing below it needs a gradient
  private readonly firstTrainable: number;
  private isTraining = true;

  constructor(layers: readonly Layer[], lastLayer: LossLayer, options: SequentialOptions = {}) {
    if (!Array.isArray(layers)) throw new TypeError(`Sequential: layers must be an array of layers, got ${describe(layers)}`);
    if (!isLossLayer(lastLayer)) {
      throw new TypeError(`Sequential: lastLayer must be a loss layer (SoftmaxWithLoss, SigmoidWithLoss, MeanSquaredError), got ${describe(lastLayer)}`);
    }
    if (options.dtype !== undefined) assertDType(options.dtype);
    const seen = new Set<Layer>();
    const params: Record<string, Matrix> = {};
    const grads: Record<string, Matrix> = {};
    const state: Record<string, Matrix> = {};
    const numbers: number[] = [];
    const roles: Record<string, ParameterRole> = {};
    let dtype = options.dtype;
    let firstTrainable = -1;
    let count = 0;
    // the width flowing between layers of fixed widths, checked now rather than at the first forward
    let width: number | undefined;
    layers.forEach((layer: unknown, i) => {
      if (!isLayer(layer)) throw new TypeError(`Sequential: layers[${i}] is not a layer (it needs forward, backward and parameters), got ${describe(layer)}`);
      // one layer object twice would overwrite its own cached input and output
      if (seen.has(layer)) throw new TypeError(`Sequential: layers[${i}] (${layer.kind}) appears twice; make a new layer instead`);
      seen.add(layer);
      const w = widths(layer);
      if (w !== undefined) {
        if (width !== undefined && w.inputs !== width) {
          throw new RangeError(`Sequential: layers[${i}] (${layer.kind}) expects ${w.inputs} inputs, but the layer before gives ${width}`);
        }
        width = w.outputs;
      } else if (layer.parameters.length > 0) {
        width = undefined;
      }
      const layerState = layer.state ?? [];
      if (layer.parameters.length === 0 && layerState.length === 0) {
        numbers.push(0);
        return;
      }
      numbers.push(++count);
      if (layer.parameters.length > 0 && firstTrainable < 0) firstTrainable = i;
      for (const p of layer.parameters) {
        dtype ??= p.value.dtype;
        if (p.value.dtype !== dtype) throw new TypeError(`Sequential: ${p.name}${count} is ${p.value.dtype}, the network is ${dtype}`);
        params[`${p.name}${count}`] = p.value;
        grads[`${p.name}${count}`] = p.grad;
        roles[`${p.name}${count}`] = p.role;
      }
      for (const t of layerState) state[`${t.name}${count}`] = t.value;
    });
    if (dtype === undefined) throw new TypeError('Sequential: no layer has parameters, so options.dtype is needed');
    // layers above the first trainable one must pass dx down
    layers.forEach((layer, i) => {
      if (i > firstTrainable && skipsInputGrad(layer) && !layer.inputGrad) {
        throw new TypeError(`Sequential: layers[${i}] (${layer.kind}) has inputGrad false, but the layers below it need its dx`);
      }
    });
    // the first trainable layer's dx is never read: an Affine or Convolution there skips computing it
    const first = layers[firstTrainable];
    if (first !== undefined && skipsInputGrad(first)) first.inputGrad = false;
    this.layers = Object.freeze(layers.slice());
    this.lastLayer = lastLayer;
    this.dtype = dtype;
    this.params = Object.freeze(params);
    this.roles = Object.freeze(roles);
    this.result = { loss: NaN, grads: Object.freeze(grads) };
    this.state = Object.freeze(state);
    this.layerNumbers = Object.freeze(numbers);
    const stages: Layer[] = [];
    let firstStage = -1;
    for (let i = 0; i < layers.length; ) {
      const fused = ConvReluPool.fuse(layers[i]!, layers[i + 1], layers[i + 2]);
      const width = fused === undefined ? 1 : 3;
      if (firstTrainable >= i && firstTrainable < i + width) firstStage = stages.length;
      stages.push(fused ?? layers[i]!);
      i += width;
    }
    this.stages = Object.freeze(stages);
    this.firstTrainable = firstStage < 0 ? stages.length : firstStage;
    this.setTraining(true);
  }

  // true: Dropout draws masks and BatchNormalization uses batch statistics (for training steps);
  // false: both act as at inference. accuracy() and evaluate() switch it off for their pass themselves
  get training(): boolean {
    return this.isTraining;
  }

  setTraining(on: boolean): void {
    if (typeof on !== 'boolean') throw new TypeError(`setTraining: expected a boolean, got ${describe(on)}`);
    this.isTraining = on;
    for (const layer of this.layers) layer.setTraining?.(on);
  }

  // the backend of its layers (they are built with one), for the data gather and SGD's axpy
  get backend(): Backend | undefined {
    for (const layer of this.layers) {
      const b = (layer as { backend?: Backend }).backend;
      if (b !== undefined) return b;
    }
    return this.lastLayer.backend;
  }

  // what the network learns: its loss layer's task
  get task(): Task {
    return this.lastLayer.task;
  }

  // scores before the loss's output function; the last layer's own buffer, valid until the next forward
  predict(x: Matrix): Matrix {
    assertMatrix('Sequential.predict', 'x', x);
    if (x.dtype !== this.dtype) throw new TypeError(`Sequential: x is ${x.dtype}, the network is ${this.dtype}`);
    const stages = this.stages;
    let out = x;
    for (let i = 0; i < stages.length; i++) out = stages[i]!.forward(out);
    return out;
  }

  // the model's answer for x: class probabilities (softmax), yes-probabilities (sigmoid) or the
  // predicted values (regression); a new matrix
  output(x: Matrix): Matrix {
    return this.lastLayer.output(this.predict(x));
  }

  loss(x: Matrix, t: Labels): number {
    return this.lastLayer.forward(this.predict(x), t);
  }

  // share of rows whose largest score is at the label (of entries on the right side of ½, for a
  // binary task); large sets go through evalBatchSize rows at a time
  accuracy(x: Matrix, t: Labels, evalBatchSize = DEFAULT_EVAL_CHUNK): number {
    if (this.task === 'regress') throw new TypeError('Sequential.accuracy: a regression has no accuracy; evaluate() gives its mse, mae and r2');
    return this.scan(x, t, evalBatchSize, false).accuracy;
  }

  // mean loss and the task's measures over a whole set, evalBatchSize rows per forward
  evaluate(x: Matrix, t: Labels, evalBatchSize = DEFAULT_EVAL_CHUNK): Evaluation {
    return this.scan(x, t, evalBatchSize, true);
  }

  // over rows of x in place (views, no copies); the Evaluator does the same for a Dataset it gathers from
  private scan(x: Matrix, t: Labels, chunk: number, withLoss: boolean): Evaluation {
    assertMatrix('Sequential.accuracy', 'x', x);
    if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`Sequential.accuracy: evalBatchSize must be a positive integer, got ${chunk}`);
    const n = x.rows;
    if (n === 0) throw new RangeError('Sequential.accuracy: x has no rows');
    // the label count is checked against all of x before any chunk runs
    assertLabelKind('Sequential.accuracy', t);
    const tRows = t instanceof Matrix ? t.rows : t.length;
    if (tRows !== n) throw new RangeError(`Sequential.accuracy: ${tRows} labels for ${n} rows`);
    const sums = new MetricSums(this.task);
    let lossSum = 0;
    const restore = evaluationMode(this);
    try {
      for (let start = 0; start < n; start += chunk) {
        const end = Math.min(n, start + chunk);
        const whole = start === 0 && end === n;
        const xs = whole ? x : rowsView(x, start, end);
        const ts = whole ? t : labelsView(t, start, end);
        const y = this.predict(xs);
        sums.add(y, ts);
        // chunk means weighted by their rows give the mean over the set
        if (withLoss) lossSum += this.lastLayer.forward(y, ts) * (end - start);
      }
    } finally {
      restore();
    }
    const m = sums.result();
    return { loss: withLoss ? lossSum / n : NaN, ...m, accuracy: m.accuracy ?? NaN };
  }

  // backprop: loss forward, then dout = 1 back through the last layer and the layers in reverse;
  // returns the loss and the layers' own gradient matrices (no copies), overwritten by the next call
  gradient(x: Matrix, t: Labels): LossAndGradients {
    const result = this.result;
    result.loss = this.loss(x, t);
    const stages = this.stages;
    let dout = this.lastLayer.backward(1);
    for (let i = stages.length - 1; i >= this.firstTrainable; i--) dout = stages[i]!.backward(dout);
    return result;
  }

  // central differences, one parameter entry at a time, each restored exactly; new matrices.
  // slow (two forwards per entry): for checking gradient() on small nets
  numericalGradient(x: Matrix, t: Labels): Record<string, Matrix> {
    const out: Record<string, Matrix> = {};
    for (const [key, p] of Object.entries(this.params)) {
      const g = Matrix.zeros(p.rows, p.cols, p.dtype);
      const d = p.data;
      for (let i = 0; i < d.length; i++) {
        const tmp = d[i]!;
        d[i] = tmp + H;
        const fxh1 = this.loss(x, t);
        d[i] = tmp - H;
        const fxh2 = this.loss(x, t);
        g.data[i] = (fxh1 - fxh2) / (2 * H);
        d[i] = tmp;
      }
      out[key] = g;
    }
    return out;
  }

  // copy another network's (or a checkpoint's) parameter values into this one's; everything is
  // checked before anything is written
  loadParams(record: Readonly<Record<string, Matrix>>): void {
    copyRecord('loadParams', 'parameter', this.params, record);
  }

  // the same for the layers' state (running statistics, generator words)
  loadState(record: Readonly<Record<string, Matrix>>): void {
    copyRecord('loadState', 'state tensor', this.state, record);
  }
}

function copyRecord(where: string, what: string, target: Readonly<Record<string, Matrix>>, record: Readonly<Record<string, Matrix>>): void {
  if (record === null || typeof record !== 'object') throw new TypeError(`${where}: expected a record of Matrix, got ${describe(record)}`);
  const keys = Object.keys(target);
  for (const key of Object.keys(record)) {
    if (!Object.hasOwn(target, key)) throw new TypeError(`${where}: unexpected ${what} '${key}' (this network has ${keys.join(', ') || 'none'})`);
  }
  for (const key of keys) {
    const src: unknown = record[key];
    const dst = target[key]!;
    if (src === undefined) throw new TypeError(`${where}: ${what} '${key}' is missing`);
    if (!(src instanceof Matrix)) throw new TypeError(`${where}: '${key}' must be a Matrix, got ${describe(src)}`);
    if (src.dtype !== dst.dtype) throw new TypeError(`${where}: '${key}' is ${src.dtype}, the network is ${dst.dtype}`);
    if (!src.sameShape(dst)) throw new RangeError(`${where}: '${key}' is ${shape(src)}, the network's is ${shape(dst)}`);
  }
  for (const key of keys) {
    const dst = target[key]!;
    const src = record[key]!;
    if (src !== dst) dst.data.set(src.data);
  }
}

// ---------- the mlp builder ----------

export type Activation = 'relu' | 'sigmoid';

export interface MlpOptions extends InitOptions {
  // layer widths, input first: [784, 256, 128, 10] is three Affine layers
  sizes: readonly number[];
  // one for every hidden layer, or a list with one per hidden layer (default 'relu')
  activation?: Activation | readonly Activation[];
  // what the last layer learns (default 'classify': SoftmaxWithLoss; 'binary': SigmoidWithLoss;
  // 'regress': MeanSquaredError)
  task?: Task;
}

// the builder's defaults, once (the CLI prints and records them from here)
export const MLP_DEFAULTS = Object.freeze({ activation: 'relu' as Activation, init: 'std' as WeightInit, dtype: DEFAULT_DTYPE });

const MLP_KEYS = ['sizes', 'activation', 'init', 'weightInitStd', 'dtype', 'seed', 'random', 'backend', 'task'];

export function checkOptionKeys(where: string, options: unknown, allowed: readonly string[]): asserts options is object {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new TypeError(`${where}: unknown option '${key}' (expected ${allowed.join(', ')})`);
  }
}

// the layers of an mlp: Affine, activation, Affine, …, Affine, then the task's loss layer
export function mlpLayers(where: string, options: MlpOptions): { layers: Layer[]; lastLayer: LossLayer } {
  checkOptionKeys(where, options, MLP_KEYS);
  const { sizes, activation = MLP_DEFAULTS.activation, init = MLP_DEFAULTS.init, weightInitStd = DEFAULT_WEIGHT_INIT_STD, dtype = MLP_DEFAULTS.dtype, backend } = options;
  if (!Array.isArray(sizes) || sizes.length < 2) {
    throw new TypeError(`${where}: sizes must be an array of at least 2 layer widths, got ${describe(sizes)}`);
  }
  sizes.forEach((n: unknown, i) => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new RangeError(`${where}: sizes[${i}] must be a positive integer, got ${describe(n)}`);
  });
  const hidden = sizes.length - 2;
  const activations: readonly unknown[] = Array.isArray(activation) ? activation : new Array<unknown>(hidden).fill(activation);
  if (activations.length !== hidden) {
    throw new RangeError(`${where}: activation lists ${activations.length} entries, but there are ${hidden} hidden layers`);
  }
  activations.forEach((a, i) => {
    if (a !== 'relu' && a !== 'sigmoid') throw new TypeError(`${where}: activation ${i} must be 'relu' or 'sigmoid', got ${describe(a)}`);
  });
  checkInit(where, init);
  checkStd(where, 'weightInitStd', weightInitStd);
  assertDType(dtype);
  if (backend !== undefined && (backend === null || typeof backend.gemm !== 'function')) {
    throw new TypeError(`${where}: backend must be a Backend, got ${describe(backend)}`);
  }
  const random = randomFrom(where, options.seed, options.random);
  const layers: Layer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l]!;
    // weights drawn layer by layer in row-major order (W1 first, as the book's randn calls); biases zero
    const W = initWeights(Matrix.zeros(fanIn, sizes[l + 1]!, dtype), initStd(init, fanIn, weightInitStd), random);
    layers.push(new Affine(W, Matrix.zeros(1, sizes[l + 1]!, dtype), { backend }));
    if (l < hidden) layers.push(activations[l] === 'sigmoid' ? new Sigmoid({ backend }) : new Relu({ backend }));
  }
  const task = options.task ?? 'classify';
  if (task !== 'classify' && task !== 'binary' && task !== 'regress') throw new TypeError(`${where}: task must be 'classify', 'binary' or 'regress', got ${describe(task)}`);
  return { layers, lastLayer: lossLayerFor(task, { backend }) };
}

// a multilayer perceptron as a Sequential
export function mlp(options: MlpOptions): Sequential {
  const { layers, lastLayer } = mlpLayers('mlp', options);
  return new Sequential(layers, lastLayer);
}
