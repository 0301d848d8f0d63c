// a network in one safetensors file: weights as tensors (W1 [in, out], b1 [out], …), the layer list
// and training facts in __metadata__, so the file is readable by the Hugging Face ecosystem too

import { SourceError } from '../errors.js';
import type { Backend } from '../backend/types.js';
import { checkStandardization, type Standardization } from '../data/standardize.js';
import type { DType } from '../matrix.js';
import { windowGeometry } from '../kernels/window.js';
import { DEFAULT_DTYPE, Matrix } from '../matrix.js';
import { Affine } from '../nn/affine.js';
import { BatchNormalization } from '../nn/batch-norm.js';
import { Convolution } from '../nn/convolution.js';
import { Dropout } from '../nn/dropout.js';
import { Pooling } from '../nn/pooling.js';
import { Relu } from '../nn/relu.js';
import { Sequential } from '../nn/sequential.js';
import { Sigmoid } from '../nn/sigmoid.js';
import { MeanSquaredError } from '../nn/mean-squared-error.js';
import { SigmoidWithLoss } from '../nn/sigmoid-with-loss.js';
import { SoftmaxWithLoss } from '../nn/softmax.js';
import { lossLayerFor } from '../nn/loss-for-task.js';
import type { Layer, LossLayer, Task } from '../nn/types.js';
import type { AtomicWriteOptions } from './atomic.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, matrixToTensor, saveSafetensors, type SafetensorsFile, type Tensor } from './safetensors.js';

export const MODEL_FORMAT = 'blasprop-sequential';
export const MODEL_FORMAT_VERSION = '1';

// conv layers carry their input image [channels, height, width] and window; weights are the tensors
export type LayerSpec =
  | { type: 'affine'; inputs: number; outputs: number }
  | { type: 'relu' }
  | { type: 'sigmoid' }
  | { type: 'convolution'; input: [number, number, number]; filters: number; kernel: [number, number]; stride: number; pad: number }
  | { type: 'pooling'; input: [number, number, number]; kernel: [number, number]; stride: number; pad: number }
  | { type: 'dropout'; ratio: number }
  | { type: 'batchnorm'; channels: number; momentum: number; eps: number };

export type LossName = 'softmax-cross-entropy' | 'sigmoid-cross-entropy' | 'mean-squared-error';
export const LOSS_NAMES: readonly LossName[] = ['softmax-cross-entropy', 'sigmoid-cross-entropy', 'mean-squared-error'];

export interface Architecture {
  layers: LayerSpec[];
  loss: LossName;
}

// the loss layer's name in a file, and the layer a name builds
function lossNameOf(last: LossLayer): LossName {
  if (last instanceof SoftmaxWithLoss) return 'softmax-cross-entropy';
  if (last instanceof SigmoidWithLoss) return 'sigmoid-cross-entropy';
  if (last instanceof MeanSquaredError) return 'mean-squared-error';
  throw new TypeError(`describeArchitecture: the loss layer ${last.kind} cannot be saved: only SoftmaxWithLoss, SigmoidWithLoss and MeanSquaredError are`);
}

const TASK_OF: Record<LossName, Task> = { 'softmax-cross-entropy': 'classify', 'sigmoid-cross-entropy': 'binary', 'mean-squared-error': 'regress' };

// what a model knows about its data, so it takes raw rows and answers in the user's words: the class
// names by output index (a binary model with one output: [no, yes]), the feature and target column
// names, and the standardisation its inputs were trained with
export interface DataInfo {
  labels?: string[];
  features?: string[];
  target?: string[];
  standardization?: Standardization;
}

export interface LoadedModel {
  net: Sequential;
  architecture: Architecture;
  data: DataInfo;
  // whatever the saver recorded about training (JSON), or undefined
  training: unknown;
  metadata: Record<string, string>;
}

export class ModelFileError extends SourceError {}

// the layer list of a network, as data
export function describeArchitecture(net: Sequential): Architecture {
  const layers = net.layers.map((layer, i): LayerSpec => {
    if (layer instanceof Affine) return { type: 'affine', inputs: layer.W.rows, outputs: layer.W.cols };
    if (layer instanceof Relu) return { type: 'relu' };
    if (layer instanceof Sigmoid) return { type: 'sigmoid' };
    if (layer instanceof Convolution || layer instanceof Pooling) {
      const g = layer.geometry;
      const window = { kernel: [g.kernelHeight, g.kernelWidth] as [number, number], stride: g.stride, pad: g.pad };
      const input: [number, number, number] = [g.channels, g.height, g.width];
      return layer instanceof Convolution ? { type: 'convolution', input, filters: layer.filters, ...window } : { type: 'pooling', input, ...window };
    }
    if (layer instanceof Dropout) return { type: 'dropout', ratio: layer.ratio };
    if (layer instanceof BatchNormalization) return { type: 'batchnorm', channels: layer.channels, momentum: layer.momentum, eps: layer.eps };
    throw new TypeError(`describeArchitecture: layers[${i}] (${layer.kind}) cannot be saved: only Affine, Relu, Sigmoid, Convolution, Pooling, Dropout and BatchNormalization are`);
  });
  return { layers, loss: lossNameOf(net.lastLayer) };
}

// how many values one sample has going in: the first layer that says (what a data set must match)
export function inputWidth(arch: Architecture): number {
  for (const spec of arch.layers) {
    if (spec.type === 'affine') return spec.inputs;
    if (spec.type === 'convolution' || spec.type === 'pooling') return spec.input[0] * spec.input[1] * spec.input[2];
  }
  throw new TypeError('inputWidth: the layer list has no layer with a fixed input width');
}

// a network with this layer list and zero weights (load values into it with loadParams)
export function buildFromArchitecture(arch: Architecture, options: { dtype?: DType; backend?: Backend } = {}): Sequential {
  const { dtype = DEFAULT_DTYPE, backend } = options;
  const layers: Layer[] = arch.layers.map((spec) => {
    switch (spec.type) {
      case 'affine':
        return new Affine(Matrix.zeros(spec.inputs, spec.outputs, dtype), Matrix.zeros(1, spec.outputs, dtype), { backend });
      case 'relu':
        return new Relu({ backend });
      case 'sigmoid':
        return new Sigmoid({ backend });
      case 'convolution': {
        const [c] = spec.input;
        const W = Matrix.zeros(spec.filters, c * spec.kernel[0] * spec.kernel[1], dtype);
        return new Convolution(W, Matrix.zeros(1, spec.filters, dtype), { input: spec.input, kernel: spec.kernel, stride: spec.stride, pad: spec.pad, backend });
      }
      case 'pooling':
        return new Pooling({ input: spec.input, kernel: spec.kernel, stride: spec.stride, pad: spec.pad, backend });
      case 'dropout':
        // its generator words come from the file's state tensor
        return new Dropout(spec.ratio, { seed: 0 });
      case 'batchnorm':
        return new BatchNormalization(Matrix.zeros(1, spec.channels, dtype), Matrix.zeros(1, spec.channels, dtype), { momentum: spec.momentum, eps: spec.eps, backend });
    }
  });
  return new Sequential(layers, lossLayerFor(TASK_OF[arch.loss], { backend }), { dtype });
}

// each parameter and state tensor of a network with its file name and shape: Affine weights as
// [in, out], convolution weights as PyTorch's [filters, channels, kh, kw], everything else 1-D
// (biases, γ, β, running statistics, generator words)
function namedTensors(net: Sequential): { name: string; value: Matrix; shape: number[] }[] {
  const out: { name: string; value: Matrix; shape: number[] }[] = [];
  net.layers.forEach((layer, i) => {
    const k = net.layerNumbers[i]!;
    const weightShape = (m: Matrix): number[] => (layer instanceof Convolution ? [m.rows, layer.geometry.channels, layer.geometry.kernelHeight, layer.geometry.kernelWidth] : [m.rows, m.cols]);
    for (const p of layer.parameters) out.push({ name: `${p.name}${k}`, value: p.value, shape: p.role === 'weight' ? weightShape(p.value) : [p.value.size] });
    for (const t of layer.state ?? []) out.push({ name: `${t.name}${k}`, value: t.value, shape: [t.value.size] });
  });
  return out;
}

// the tensors of a network
export function tensorsOf(net: Sequential): Record<string, Tensor> {
  const tensors: Record<string, Tensor> = {};
  for (const { name, value, shape } of namedTensors(net)) tensors[name] = matrixToTensor(value, shape);
  return tensors;
}

const DATA_KEYS = ['labels', 'features', 'target', 'standardization'] as const;

// the data facts against the network's shape; `fail` says which file (or call) is wrong
function checkDataInfo(data: DataInfo, arch: Architecture, fail: (message: string) => Error): void {
  const affine = arch.layers.filter((l) => l.type === 'affine') as { inputs: number; outputs: number }[];
  const inputs = affine[0]!.inputs;
  const outputs = affine[affine.length - 1]!.outputs;
  const strings = (name: string, v: unknown, n?: number): void => {
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw fail(`${name} must be a list of names, got ${JSON.stringify(v)}`);
    if (n !== undefined && v.length !== n) throw fail(`${name} has ${v.length} names, the network has ${n}`);
  };
  // a one-output sigmoid names its two classes; every other classifier one name per output
  const labelCount = arch.loss === 'mean-squared-error' ? undefined : arch.loss === 'sigmoid-cross-entropy' && outputs === 1 ? 2 : outputs;
  if (data.labels !== undefined) {
    if (labelCount === undefined) throw fail('labels are given, but a regression has no classes');
    strings('labels', data.labels, labelCount);
  }
  if (data.features !== undefined) strings('features', data.features, inputs);
  if (data.target !== undefined) strings('target', data.target);
  if (data.standardization !== undefined) {
    try {
      checkStandardization('standardization', data.standardization, inputs);
    } catch (e) {
      throw fail((e as Error).message);
    }
  }
}

export function metadataOf(net: Sequential, training: unknown, data?: DataInfo): Record<string, string> {
  const architecture = describeArchitecture(net);
  const metadata: Record<string, string> = {
    format: MODEL_FORMAT,
    format_version: MODEL_FORMAT_VERSION,
    architecture: JSON.stringify(architecture),
    dtype: net.dtype,
  };
  if (training !== undefined) metadata.training = JSON.stringify(training);
  if (data !== undefined) {
    checkDataInfo(data, architecture, (m) => new TypeError(`saveModel: data.${m}`));
    for (const key of DATA_KEYS) if (data[key] !== undefined) metadata[key] = JSON.stringify(data[key]);
  }
  return metadata;
}

export function encodeModel(net: Sequential, training?: unknown, data?: DataInfo): Buffer {
  return encodeSafetensors(tensorsOf(net), metadataOf(net, training, data));
}

export interface SaveModelOptions extends AtomicWriteOptions {
  // label names, column names and standardisation, so the saved model takes raw rows
  data?: DataInfo;
}

// atomic: a crash mid-save leaves the previous file as it was
export async function saveModel(path: string, net: Sequential, training?: unknown, options: SaveModelOptions = {}): Promise<void> {
  const { data, ...atomic } = options;
  await saveSafetensors(path, tensorsOf(net), metadataOf(net, training, data), atomic);
}

// the data facts of a file's metadata, each checked against the network
function parseDataInfo(source: string, metadata: Record<string, string>, arch: Architecture): DataInfo {
  const data: DataInfo = {};
  for (const key of DATA_KEYS) {
    const text = metadata[key];
    if (text === undefined) continue;
    try {
      data[key] = JSON.parse(text);
    } catch {
      throw new ModelFileError(source, `__metadata__.${key} is not valid JSON`);
    }
  }
  checkDataInfo(data, arch, (m) => new ModelFileError(source, `__metadata__.${m}`));
  return data;
}

function parseArchitecture(source: string, metadata: Record<string, string>): Architecture {
  if (metadata.format !== MODEL_FORMAT) {
    throw new ModelFileError(source, `not a blasprop model (its __metadata__.format is ${JSON.stringify(metadata.format)}, expected "${MODEL_FORMAT}")`);
  }
  if (metadata.format_version !== MODEL_FORMAT_VERSION) {
    throw new ModelFileError(source, `model format version ${JSON.stringify(metadata.format_version)} is not supported (this blasprop reads ${MODEL_FORMAT_VERSION})`);
  }
  let arch: unknown;
  try {
    arch = JSON.parse(metadata.architecture ?? '');
  } catch {
    throw new ModelFileError(source, '__metadata__.architecture is not valid JSON');
  }
  const bad = (what: string) => new ModelFileError(source, `__metadata__.architecture ${what}`);
  if (arch === null || typeof arch !== 'object' || !Array.isArray((arch as Architecture).layers)) throw bad('has no layers list');
  const layers = (arch as Architecture).layers;
  let width: number | undefined;
  const count = (i: number, key: string, n: unknown, min = 1): void => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > 2 ** 31 - 1) {
      throw bad(`layers[${i}].${key} must be ${min === 1 ? 'a positive integer' : 'an integer ≥ 0'}, got ${JSON.stringify(n)}`);
    }
  };
  const tuple = (i: number, key: string, v: unknown, length: number): number[] => {
    if (!Array.isArray(v) || v.length !== length) throw bad(`layers[${i}].${key} must be an array of ${length} positive integers, got ${JSON.stringify(v)}`);
    v.forEach((n, j) => count(i, `${key}[${j}]`, n));
    return v as number[];
  };
  const chain = (i: number, inputs: number, outputs: number): void => {
    if (width !== undefined && inputs !== width) throw bad(`layers[${i}] takes ${inputs} inputs but the layer before gives ${width}`);
    width = outputs;
  };
  layers.forEach((spec: unknown, i) => {
    const s = spec as Record<string, unknown>;
    if (s === null || typeof s !== 'object') throw bad(`layers[${i}] is not an object`);
    switch (s.type) {
      case 'relu':
      case 'sigmoid':
        return;
      case 'affine':
        count(i, 'inputs', s.inputs);
        count(i, 'outputs', s.outputs);
        return chain(i, s.inputs as number, s.outputs as number);
      case 'convolution':
      case 'pooling': {
        const [c, h, w] = tuple(i, 'input', s.input, 3) as [number, number, number];
        const [kh, kw] = tuple(i, 'kernel', s.kernel, 2) as [number, number];
        count(i, 'stride', s.stride);
        count(i, 'pad', s.pad, 0);
        if (s.type === 'convolution') count(i, 'filters', s.filters);
        let g;
        try {
          g = windowGeometry(`layers[${i}]`, { channels: c, height: h, width: w }, { kernelHeight: kh, kernelWidth: kw, stride: s.stride as number, pad: s.pad as number });
        } catch (e) {
          throw bad((e as Error).message);
        }
        const planes = s.type === 'convolution' ? (s.filters as number) : c;
        return chain(i, c * h * w, planes * g.outHeight * g.outWidth);
      }
      case 'dropout':
        if (typeof s.ratio !== 'number' || !(s.ratio >= 0 && s.ratio < 1)) throw bad(`layers[${i}].ratio must be a number in [0, 1), got ${JSON.stringify(s.ratio)}`);
        return;
      case 'batchnorm':
        count(i, 'channels', s.channels);
        if (typeof s.momentum !== 'number' || !(s.momentum >= 0 && s.momentum <= 1)) throw bad(`layers[${i}].momentum must be a number in [0, 1], got ${JSON.stringify(s.momentum)}`);
        if (typeof s.eps !== 'number' || !(s.eps > 0 && Number.isFinite(s.eps))) throw bad(`layers[${i}].eps must be a positive number, got ${JSON.stringify(s.eps)}`);
        if (width !== undefined && width % (s.channels as number) !== 0) throw bad(`layers[${i}] normalises ${s.channels as number} channels, but the layer before gives ${width} values`);
        return;
      default:
        throw bad(`layers[${i}] has unknown type ${JSON.stringify(s.type)}`);
    }
  });
  if (width === undefined) throw bad('has no affine layer');
  const loss = (arch as { loss?: unknown }).loss;
  if (!LOSS_NAMES.includes(loss as LossName)) throw bad(`has unknown loss ${JSON.stringify(loss)} (expected ${LOSS_NAMES.join(', ')})`);
  return { layers: layers as LayerSpec[], loss: loss as LossName };
}

// tensors against the network: the same names, each with the shape the layer list says; parameters
// and state apart, for loadParams and loadState
function matchTensors(source: string, net: Sequential, file: SafetensorsFile): { params: Record<string, Matrix>; state: Record<string, Matrix> } {
  const expected = namedTensors(net);
  const names = expected.map((e) => e.name);
  for (const name of Object.keys(file.tensors)) if (!names.includes(name)) throw new ModelFileError(source, `unexpected tensor '${name}' (the network has ${names.join(', ')})`);
  const params: Record<string, Matrix> = {};
  const state: Record<string, Matrix> = {};
  for (const { name, value: p, shape: want } of expected) {
    const t = file.tensors[name];
    if (t === undefined) throw new ModelFileError(source, `tensor '${name}' is missing`);
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw new ModelFileError(source, `tensor '${name}' has shape [${t.shape.join(', ')}], the network needs [${want.join(', ')}]`);
    }
    if (t.dtype !== p.dtype) throw new ModelFileError(source, `tensor '${name}' is ${t.dtype}, but the model's dtype is ${p.dtype}`);
    (Object.hasOwn(net.params, name) ? params : state)[name] = new Matrix(p.rows, p.cols, t.data);
  }
  return { params, state };
}

// the values the layer list needs (its affine and conv layers' weights and biases, batch norm's four
// vectors) against the values
// the file holds, before any network is allocated: a 400-byte file must not be able to ask for gigabytes.
// the exact names and shapes are matched once the network exists
function checkSize(source: string, arch: Architecture, file: SafetensorsFile): void {
  let needed = 0;
  for (const spec of arch.layers) {
    if (spec.type === 'affine') needed += spec.inputs * spec.outputs + spec.outputs;
    if (spec.type === 'convolution') needed += spec.filters * (spec.input[0] * spec.kernel[0] * spec.kernel[1] + 1);
    if (spec.type === 'batchnorm') needed += 4 * spec.channels;
  }
  let held = 0;
  for (const t of Object.values(file.tensors)) held += t.data.length;
  if (needed > held) {
    throw new ModelFileError(source, `__metadata__.architecture needs ${needed} parameter values, but the file's tensors hold ${held}`);
  }
}

// weights that are NaN or infinite compute nothing but NaN: refused, unless asked for (a diverged run's checkpoint)
function checkFinite(source: string, file: SafetensorsFile): void {
  for (const [name, t] of Object.entries(file.tensors)) {
    let bad = 0;
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i]!)) bad++;
    if (bad > 0) {
      throw new ModelFileError(source, `tensor '${name}' holds ${bad} NaN or infinite values of ${t.data.length} (a diverged training run?); load it with { allowNonFinite: true } to inspect it anyway`);
    }
  }
}

export interface LoadModelOptions {
  backend?: Backend;
  // accept NaN and infinite weights (refused by default)
  allowNonFinite?: boolean;
}

// a network from a decoded safetensors file; source names it in errors
export function modelFromFile(source: string, file: SafetensorsFile, options: LoadModelOptions = {}): LoadedModel {
  const architecture = parseArchitecture(source, file.metadata);
  const dtype = file.metadata.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') throw new ModelFileError(source, `__metadata__.dtype must be "float32" or "float64", got ${JSON.stringify(dtype)}`);
  const ints = Object.keys(file.integers);
  if (ints.length > 0) throw new ModelFileError(source, `unexpected integer tensor '${ints[0]}' (a model holds only float weights)`);
  checkSize(source, architecture, file);
  if (options.allowNonFinite !== true) checkFinite(source, file);
  let net: Sequential;
  try {
    net = buildFromArchitecture(architecture, { dtype, backend: options.backend });
  } catch (e) {
    throw new ModelFileError(source, `__metadata__.architecture does not make a network: ${(e as Error).message}`);
  }
  const { params, state } = matchTensors(source, net, file);
  net.loadParams(params);
  net.loadState(state);
  // a loaded model predicts (Dropout off, running statistics); a trainer turns training on for its steps
  net.setTraining(false);
  let training: unknown;
  if (file.metadata.training !== undefined) {
    try {
      training = JSON.parse(file.metadata.training);
    } catch {
      throw new ModelFileError(source, '__metadata__.training is not valid JSON');
    }
  }
  return { net, architecture, data: parseDataInfo(source, file.metadata, architecture), training, metadata: file.metadata };
}

export function decodeModel(buf: Buffer | Uint8Array, source = '<buffer>', options: LoadModelOptions = {}): LoadedModel {
  return modelFromFile(source, decodeSafetensors(buf, source), options);
}

export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  return modelFromFile(path, await loadSafetensors(path), options);
}

// weights from a file into an existing network of the same shape (nothing is written unless all fit)
export async function loadWeightsInto(net: Sequential, path: string): Promise<void> {
  const { params, state } = matchTensors(path, net, await loadSafetensors(path));
  net.loadParams(params);
  net.loadState(state);
}
