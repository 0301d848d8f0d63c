// a trained Sequential as an ONNX inference graph: its layers' forward, then the head's output, in a
// file that ONNX Runtime (Node, browsers, Python, C#, mobile) loads and runs

import type { onnx as O } from 'onnx-proto';
import { writeFileAtomic, type AtomicWriteOptions } from '../io/atomic.js';
import { describeArchitecture, MODEL_FORMAT } from '../io/model.js';
import { assertDType, type DType, type Matrix } from '../matrix.js';
import { describe } from '../describe.js';
import { checkOptionKeys, Sequential } from '../nn/sequential.js';
import type { Layer } from '../nn/types.js';
import { version } from '../cli/version.js';
import { OnnxGraph, valueInfo } from './graph.js';
import { IR_VERSION, onnx, OPSET } from './proto.js';
import { headExporter, layerExporter, type ExportContext, type Value } from './layers.js';

export interface OnnxExportOptions {
  // 'probabilities' (default): the head's output, softmax for a classifier; 'logits': the last
  // layer's scores, no head
  output?: 'probabilities' | 'logits';
  // the graph's input name (default 'input'); its shape is [batch, features] with a dynamic batch
  inputName?: string;
  // the graph's output name (default: the value of `output`)
  outputName?: string;
  // the tensors' type in the file (default the network's dtype): 'float32' exports a float64
  // network for runtimes or operators that have no double kernels
  dtype?: DType;
  // what the model knows about its data (loadModel's `data`): label, feature and target names go in
  // metadata_props; the standardisation becomes Sub and Div at the graph's input, so raw rows go in
  data?: OnnxDataInfo;
}

export interface OnnxDataInfo {
  labels?: string[];
  features?: string[];
  target?: string[];
  standardization?: { mean: number[]; std: number[] };
}

const OPTION_KEYS = ['output', 'inputName', 'outputName', 'dtype', 'data'];
const DATA_KEYS = ['labels', 'features', 'target', 'standardization'] as const;

// (x − mean) / std per feature, as two broadcast operators in front of the first layer
function standardize(g: OnnxGraph, x: Value, s: { mean: number[]; std: number[] }): Value {
  const width = x.shape[0]!;
  const ok = (v: unknown, positive: boolean) => Array.isArray(v) && v.length === width && v.every((n) => typeof n === 'number' && Number.isFinite(n) && (!positive || n > 0));
  if (s === null || typeof s !== 'object' || !ok(s.mean, false) || !ok(s.std, true)) {
    throw new TypeError(`exportOnnx: data.standardization must be { mean, std } of ${width} finite numbers each (std positive), one per input feature`);
  }
  const centred = g.node('Sub', [x.name, g.constant('standardization_mean', [width], Float64Array.from(s.mean))]);
  return { name: g.node('Div', [centred, g.constant('standardization_std', [width], Float64Array.from(s.std))]), shape: x.shape };
}

function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new TypeError(`exportOnnx: ${what} must be a non-empty string, got ${describe(name)}`);
  return name;
}

// the features one input row has: the first layer that knows its input width says
function inputWidth(layers: readonly Layer[]): number {
  for (const layer of layers) {
    const width = layerExporter(layer, 0).inputs?.(layer);
    if (width !== undefined) return width;
  }
  throw new TypeError('exportOnnx: the network has no layer that fixes its input width (an Affine, say), so the graph input cannot be shaped');
}

// the whole model as a ModelProto message
export function onnxModel(net: Sequential, options: OnnxExportOptions = {}): O.IModelProto {
  if (!(net instanceof Sequential)) throw new TypeError(`exportOnnx: expected a Sequential, got ${describe(net)}`);
  checkOptionKeys('exportOnnx', options, OPTION_KEYS);
  const { output = 'probabilities', dtype = net.dtype } = options;
  if (output !== 'probabilities' && output !== 'logits') throw new TypeError(`exportOnnx: output must be 'probabilities' or 'logits', got ${describe(output)}`);
  assertDType(dtype);
  const inputName = checkName('inputName', options.inputName ?? 'input');
  const outputName = checkName('outputName', options.outputName ?? output);
  if (inputName === outputName) throw new TypeError(`exportOnnx: inputName and outputName are both '${inputName}'`);

  const g = new OnnxGraph(dtype);
  // every layer's exporter is found before any runs: a layer with no ONNX form fails first
  const exporters = net.layers.map((layer, i) => layerExporter(layer, i));
  const head = output === 'probabilities' ? headExporter(net.lastLayer) : undefined;
  const input: Value = { name: g.reserve(inputName), shape: [inputWidth(net.layers)] };
  const data = options.data ?? {};
  if (data === null || typeof data !== 'object') throw new TypeError(`exportOnnx: data must be an object, got ${describe(data)}`);
  checkOptionKeys('exportOnnx: data', data, DATA_KEYS);
  for (const key of ['labels', 'features', 'target'] as const) {
    const names: unknown = data[key];
    if (names !== undefined && !(Array.isArray(names) && names.every((n) => typeof n === 'string'))) throw new TypeError(`exportOnnx: data.${key} must be an array of strings, got ${describe(names)}`);
  }
  let x = data.standardization === undefined ? input : standardize(g, input, data.standardization);
  // each parameter and state matrix under the network's own name for it (W1, b1, running_mean2, …)
  const names = new Map<Matrix, string>();
  for (const [key, m] of Object.entries({ ...net.params, ...net.state })) names.set(m, key);
  exporters.forEach((exporter, i) => {
    const layer = net.layers[i]!;
    const ctx: ExportContext = {
      g,
      where: `exportOnnx: layers[${i}] (${layer.kind})`,
      nameOf: (m) => names.get(m) ?? 'tensor',
      named: (m, dims) => g.constant(names.get(m) ?? 'tensor', dims, m.data),
    };
    x = exporter.export(layer, ctx, x);
  });
  if (head !== undefined) x = head(g, x);
  // a graph whose output is its input (no layers, logits) still needs one node to name the output
  if (x.name === input.name) x = { ...x, name: g.node('Identity', [x.name]) };
  g.renameLast(x.name, outputName);

  const metadata: Record<string, string> = {
    format: MODEL_FORMAT,
    architecture: JSON.stringify(describeArchitecture(net)),
    dtype: net.dtype,
    output,
  };
  // names as JSON, the same keys and form as the safetensors model's __metadata__
  for (const key of DATA_KEYS) if (data[key] !== undefined) metadata[key] = JSON.stringify(data[key]);
  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'blasprop',
    producerVersion: version(),
    docString: 'exported by blasprop',
    graph: {
      name: 'blasprop',
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(inputName, dtype, input.shape)],
      output: [valueInfo(outputName, dtype, x.shape)],
    },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  };
}

// the network as the bytes of an .onnx file
export function exportOnnx(net: Sequential, options: OnnxExportOptions = {}): Uint8Array {
  const model = onnxModel(net, options);
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

// atomic, as saveModel: a crash mid-save leaves the previous file as it was
export async function saveOnnx(path: string, net: Sequential, options: OnnxExportOptions = {}, writeOptions?: AtomicWriteOptions): Promise<void> {
  await writeFileAtomic(path, exportOnnx(net, options), writeOptions);
}
