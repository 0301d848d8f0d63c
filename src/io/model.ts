// a network in one safetensors file: weights as tensors (W1 [in, out], b1 [out], …), the layer list
// and training facts in __metadata__, so the file is readable by the Hugging Face ecosystem too

import { SourceError } from '../errors.js';
import type { Backend } from '../backend/types.js';
import type { DType } from '../matrix.js';
import { DEFAULT_DTYPE, Matrix } from '../matrix.js';
import { Affine } from '../nn/affine.js';
import { Relu } from '../nn/relu.js';
import { Sequential } from '../nn/sequential.js';
import { Sigmoid } from '../nn/sigmoid.js';
import { SoftmaxWithLoss } from '../nn/softmax.js';
import type { Layer } from '../nn/types.js';
import type { AtomicWriteOptions } from './atomic.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, matrixToTensor, saveSafetensors, type SafetensorsFile, type Tensor } from './safetensors.js';

export const MODEL_FORMAT = 'blasprop-sequential';
export const MODEL_FORMAT_VERSION = '1';

export type LayerSpec = { type: 'affine'; inputs: number; outputs: number } | { type: 'relu' } | { type: 'sigmoid' };

export interface Architecture {
  layers: LayerSpec[];
  loss: 'softmax-cross-entropy';
}

export interface LoadedModel {
  net: Sequential;
  architecture: Architecture;
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
    throw new TypeError(`describeArchitecture: layers[${i}] (${layer.kind}) cannot be saved: only Affine, Relu and Sigmoid are`);
  });
  return { layers, loss: 'softmax-cross-entropy' };
}

// a network with this layer list and zero weights (load values into it with loadParams)
export function buildFromArchitecture(arch: Architecture, options: { dtype?: DType; backend?: Backend } = {}): Sequential {
  const { dtype = DEFAULT_DTYPE, backend } = options;
  const layers: Layer[] = arch.layers.map((spec) => {
    if (spec.type === 'affine') return new Affine(Matrix.zeros(spec.inputs, spec.outputs, dtype), Matrix.zeros(1, spec.outputs, dtype), { backend });
    return spec.type === 'relu' ? new Relu({ backend }) : new Sigmoid({ backend });
  });
  return new Sequential(layers, new SoftmaxWithLoss({ backend }), { dtype });
}

// a parameter's shape in a file: weights as [in, out], vectors (biases, …) 1-D like PyTorch's
function fileShape(net: Sequential, name: string, m: Matrix): number[] {
  return net.roles[name] === 'weight' ? [m.rows, m.cols] : [m.cols];
}

// the tensors of a network
export function tensorsOf(net: Sequential): Record<string, Tensor> {
  const tensors: Record<string, Tensor> = {};
  for (const [name, m] of Object.entries(net.params)) tensors[name] = matrixToTensor(m, fileShape(net, name, m));
  return tensors;
}

export function metadataOf(net: Sequential, training: unknown): Record<string, string> {
  const metadata: Record<string, string> = {
    format: MODEL_FORMAT,
    format_version: MODEL_FORMAT_VERSION,
    architecture: JSON.stringify(describeArchitecture(net)),
    dtype: net.dtype,
  };
  if (training !== undefined) metadata.training = JSON.stringify(training);
  return metadata;
}

export function encodeModel(net: Sequential, training?: unknown): Buffer {
  return encodeSafetensors(tensorsOf(net), metadataOf(net, training));
}

// atomic: a crash mid-save leaves the previous file as it was
export async function saveModel(path: string, net: Sequential, training?: unknown, options?: AtomicWriteOptions): Promise<void> {
  await saveSafetensors(path, tensorsOf(net), metadataOf(net, training), options);
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
  layers.forEach((spec: unknown, i) => {
    const s = spec as Record<string, unknown>;
    if (s === null || typeof s !== 'object') throw bad(`layers[${i}] is not an object`);
    if (s.type === 'relu' || s.type === 'sigmoid') return;
    if (s.type !== 'affine') throw bad(`layers[${i}] has unknown type ${JSON.stringify(s.type)}`);
    for (const key of ['inputs', 'outputs'] as const) {
      const n = s[key];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 2 ** 31 - 1) throw bad(`layers[${i}].${key} must be a positive integer, got ${JSON.stringify(n)}`);
    }
    if (width !== undefined && s.inputs !== width) throw bad(`layers[${i}] takes ${s.inputs} inputs but the layer before gives ${width}`);
    width = s.outputs as number;
  });
  if (width === undefined) throw bad('has no affine layer');
  return { layers: layers as LayerSpec[], loss: 'softmax-cross-entropy' };
}

// tensors against the network: the same names, each with the shape the layer list says
function matchTensors(source: string, net: Sequential, file: SafetensorsFile): Record<string, Matrix> {
  const expected = Object.keys(net.params);
  const names = Object.keys(file.tensors);
  for (const name of names) if (!expected.includes(name)) throw new ModelFileError(source, `unexpected tensor '${name}' (the network has ${expected.join(', ')})`);
  const record: Record<string, Matrix> = {};
  for (const name of expected) {
    const t = file.tensors[name];
    const p = net.params[name]!;
    if (t === undefined) throw new ModelFileError(source, `tensor '${name}' is missing`);
    const want = fileShape(net, name, p);
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw new ModelFileError(source, `tensor '${name}' has shape [${t.shape.join(', ')}], the network needs [${want.join(', ')}]`);
    }
    if (t.dtype !== p.dtype) throw new ModelFileError(source, `tensor '${name}' is ${t.dtype}, but the model's dtype is ${p.dtype}`);
    record[name] = new Matrix(p.rows, p.cols, t.data);
  }
  return record;
}

// the values the layer list needs (at least: its affine layers' weights and biases) against the values
// the file holds, before any network is allocated: a 400-byte file must not be able to ask for gigabytes.
// the exact names and shapes are matched once the network exists
function checkSize(source: string, arch: Architecture, file: SafetensorsFile): void {
  let needed = 0;
  for (const spec of arch.layers) if (spec.type === 'affine') needed += spec.inputs * spec.outputs + spec.outputs;
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
  const net = buildFromArchitecture(architecture, { dtype, backend: options.backend });
  net.loadParams(matchTensors(source, net, file));
  let training: unknown;
  if (file.metadata.training !== undefined) {
    try {
      training = JSON.parse(file.metadata.training);
    } catch {
      throw new ModelFileError(source, '__metadata__.training is not valid JSON');
    }
  }
  return { net, architecture, training, metadata: file.metadata };
}

export function decodeModel(buf: Buffer | Uint8Array, source = '<buffer>', options: LoadModelOptions = {}): LoadedModel {
  return modelFromFile(source, decodeSafetensors(buf, source), options);
}

export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  return modelFromFile(path, await loadSafetensors(path), options);
}

// weights from a file into an existing network of the same shape (nothing is written unless all fit)
export async function loadWeightsInto(net: Sequential, path: string): Promise<void> {
  net.loadParams(matchTensors(path, net, await loadSafetensors(path)));
}
