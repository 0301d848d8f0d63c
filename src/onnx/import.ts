// an ONNX MLP (blasprop's own exports, or PyTorch's torch.onnx.export of Linear/ReLU/Sigmoid layers)
// back into a Sequential: a chain of Gemm or MatMul+Add, Relu, Sigmoid, optionally Softmax at the end

import { readFile } from 'node:fs/promises';
import type { onnx as O } from 'onnx-proto';
import type { Backend } from '../backend/types.js';
import { ModelFileError } from '../io/model.js';
import { arrayFor, Matrix, type DType, type FloatArray } from '../matrix.js';
import { Affine } from '../nn/affine.js';
import { Relu } from '../nn/relu.js';
import { Sequential } from '../nn/sequential.js';
import { Sigmoid } from '../nn/sigmoid.js';
import { SoftmaxWithLoss } from '../nn/softmax.js';
import type { Layer } from '../nn/types.js';
import { dtypeOfOnnx, onnx, toInt } from './proto.js';

export interface ImportedOnnx {
  net: Sequential;
  // 'probabilities' when the graph ends in Softmax, else 'logits' (net.predict gives the scores either way)
  output: 'probabilities' | 'logits';
  inputName: string;
  outputName: string;
  // the file's metadata_props
  metadata: Record<string, string>;
}

export const IMPORTED_OPS = ['Gemm', 'MatMul', 'Add', 'Relu', 'Sigmoid', 'Softmax', 'Flatten', 'Identity', 'Dropout'];

interface Constant {
  dims: number[];
  data: FloatArray;
}

// a tensor's values as a fresh array of its dtype (raw bytes are copied: they need not be aligned)
function constantOf(fail: (m: string) => Error, t: O.ITensorProto): Constant {
  const dtype = dtypeOfOnnx(t.dataType ?? 0);
  const dims = (t.dims ?? []).map(toInt);
  if (dtype === undefined) throw fail(`tensor '${t.name}' has ONNX data type ${t.dataType}; blasprop reads float and double tensors`);
  const count = dims.reduce((a, d) => a * d, 1);
  const data = arrayFor(dtype, count);
  const raw = t.rawData;
  if (raw !== null && raw !== undefined && raw.length > 0) {
    if (raw.length !== count * data.BYTES_PER_ELEMENT) throw fail(`tensor '${t.name}' holds ${raw.length} bytes, its shape [${dims.join(', ')}] needs ${count * data.BYTES_PER_ELEMENT}`);
    new Uint8Array(data.buffer).set(raw);
  } else {
    const values = (dtype === 'float32' ? t.floatData : t.doubleData) ?? [];
    if (values.length !== count) throw fail(`tensor '${t.name}' holds ${values.length} values, its shape [${dims.join(', ')}] needs ${count}`);
    data.set(values);
  }
  return { dims, data };
}

function attribute(node: O.INodeProto, name: string): O.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

function intAttr(node: O.INodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a === undefined ? fallback : toInt(a.i);
}

function floatAttr(node: O.INodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a === undefined ? fallback : (a.f ?? 0);
}

// [out, in] (PyTorch's Linear, Gemm transB=1) turned to blasprop's [in, out]
function transposed(data: FloatArray, rows: number, cols: number, dtype: DType): FloatArray {
  const out = arrayFor(dtype, rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  return out;
}

export function importOnnx(bytes: Uint8Array, source = '<buffer>', options: { backend?: Backend } = {}): ImportedOnnx {
  const fail = (message: string) => new ModelFileError(source, message);
  let model: O.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw fail(`not an ONNX model (${(e as Error).message})`);
  }
  const graph = model.graph;
  if (graph === null || graph === undefined) throw fail('the ONNX model has no graph');
  const constants = new Map<string, O.ITensorProto>();
  for (const t of graph.initializer ?? []) constants.set(t.name ?? '', t);
  // older exporters list the initializers among the inputs too: the real input is the one left
  const inputs = (graph.input ?? []).filter((v) => !constants.has(v.name ?? ''));
  if (inputs.length !== 1) throw fail(`the graph has ${inputs.length} inputs; blasprop reads graphs of one input`);
  if ((graph.output ?? []).length !== 1) throw fail(`the graph has ${(graph.output ?? []).length} outputs; blasprop reads graphs of one output`);
  const input = inputs[0]!;
  const inputName = input.name ?? '';
  const outputName = graph.output![0]!.name ?? '';
  const tensorType = input.type?.tensorType;
  const dtype = dtypeOfOnnx(tensorType?.elemType ?? 0);
  if (dtype === undefined) throw fail(`input '${inputName}' has ONNX element type ${tensorType?.elemType}; blasprop reads float and double`);

  const layers: Layer[] = [];
  const backend = options.backend;
  const weight = (node: O.INodeProto, i: number, k: number): Constant => {
    const name = node.input?.[k] ?? '';
    const t = constants.get(name);
    if (t === undefined) throw fail(`node ${i} (${node.opType}) reads '${name}', which is not a constant tensor; blasprop reads a chain of layers whose weights are initializers`);
    return constantOf(fail, t);
  };
  // the Affine that the last Gemm/MatMul made, and its output's name, for a MatMul's bias Add
  let lastAffine: { layer: Affine; output: string } | undefined;
  let current = inputName;
  let softmax = false;
  const nodes = graph.node ?? [];
  nodes.forEach((node, i) => {
    const op = node.opType ?? '';
    if (softmax) throw fail(`node ${i} (${op}) follows the Softmax; blasprop reads Softmax only as the last node`);
    if (node.input?.[0] !== current) throw fail(`node ${i} (${op}) does not read the previous node's output; blasprop reads a chain of layers`);
    const output = node.output?.[0] ?? '';
    switch (op) {
      case 'Gemm':
      case 'MatMul': {
        const trans = op === 'Gemm' && intAttr(node, 'transB', 0) === 1;
        if (op === 'Gemm' && (intAttr(node, 'transA', 0) !== 0 || floatAttr(node, 'alpha', 1) !== 1 || floatAttr(node, 'beta', 1) !== 1)) {
          throw fail(`node ${i} (Gemm) has transA, alpha or beta other than 0, 1, 1; blasprop reads x·W + b`);
        }
        const B = weight(node, i, 1);
        if (B.dims.length !== 2) throw fail(`node ${i} (${op}) has a weight of shape [${B.dims.join(', ')}]; expected a matrix`);
        const [inputs, outputs] = trans ? [B.dims[1]!, B.dims[0]!] : [B.dims[0]!, B.dims[1]!];
        const W = new Matrix(inputs, outputs, trans ? transposed(B.data, outputs, inputs, dtype) : B.data);
        const b = Matrix.zeros(1, outputs, dtype);
        if (op === 'Gemm' && (node.input?.length ?? 0) > 2 && node.input![2] !== '') {
          const C = weight(node, i, 2);
          if (C.data.length !== outputs) throw fail(`node ${i} (Gemm) has a bias of shape [${C.dims.join(', ')}]; expected ${outputs} values`);
          b.data.set(C.data);
        }
        if (W.dtype !== dtype) throw fail(`node ${i} (${op}) has ${W.dtype} weights, the input is ${dtype}`);
        const layer = new Affine(W, b, { backend });
        layers.push(layer);
        lastAffine = { layer, output };
        break;
      }
      case 'Add': {
        // MatMul then Add: the Add is the bias of the Affine just made
        if (lastAffine === undefined || lastAffine.output !== current) throw fail(`node ${i} (Add) does not follow a MatMul; blasprop reads Add only as a layer's bias`);
        const C = weight(node, i, 1);
        const b = lastAffine.layer.b;
        if (C.data.length !== b.cols) throw fail(`node ${i} (Add) adds a tensor of shape [${C.dims.join(', ')}] to ${b.cols} outputs`);
        for (let j = 0; j < b.cols; j++) b.data[j]! += C.data[j]!;
        break;
      }
      case 'Relu':
        layers.push(new Relu({ backend }));
        break;
      case 'Sigmoid':
        layers.push(new Sigmoid({ backend }));
        break;
      case 'Softmax': {
        const axis = intAttr(node, 'axis', -1);
        if (axis !== -1 && axis !== 1) throw fail(`node ${i} (Softmax) normalises along axis ${axis}; blasprop reads a softmax over each row's classes`);
        softmax = true;
        break;
      }
      case 'Flatten':
        // blasprop's rows are flat already: flattening an image into its row is the identity
        if (intAttr(node, 'axis', 1) !== 1) throw fail(`node ${i} (Flatten) has axis ${intAttr(node, 'axis', 1)}; blasprop reads axis 1`);
        break;
      case 'Identity':
      case 'Dropout':
        // Dropout at inference passes its input through
        break;
      default:
        throw fail(`node ${i} (${op}) is not supported; blasprop reads ${IMPORTED_OPS.join(', ')}`);
    }
    current = output;
  });
  if (current !== outputName) throw fail(`the graph's output '${outputName}' is not the last node's output`);
  if (layers.length === 0) throw fail('the graph has no layers');
  let net: Sequential;
  try {
    net = new Sequential(layers, new SoftmaxWithLoss({ backend }), { dtype });
  } catch (e) {
    throw fail((e as Error).message);
  }
  const metadata: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) metadata[p.key ?? ''] = p.value ?? '';
  return { net, output: softmax ? 'probabilities' : 'logits', inputName, outputName, metadata };
}

export async function loadOnnx(path: string, options: { backend?: Backend } = {}): Promise<ImportedOnnx> {
  return importOnnx(await readFile(path), path, options);
}
