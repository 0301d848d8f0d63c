// an ONNX MLP (blasprop's own exports, or PyTorch's torch.onnx.export of Linear/ReLU/Sigmoid layers)
// back into a Sequential: a chain of Gemm or MatMul+Add, Relu, Sigmoid, optionally Softmax at the end

import { readFile } from 'node:fs/promises';
import type { onnx as O } from 'onnx-proto';
import type { Backend } from '../backend/types.js';
import { ModelFileError } from '../io/model.js';
import { arrayFor, Matrix, type DType, type FloatArray } from '../matrix.js';
import { Affine } from '../nn/affine.js';
import { BatchNormalization } from '../nn/batch-norm.js';
import { Convolution } from '../nn/convolution.js';
import { Dropout } from '../nn/dropout.js';
import { Pooling } from '../nn/pooling.js';
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

export const IMPORTED_OPS = ['Gemm', 'MatMul', 'Add', 'Relu', 'Sigmoid', 'Softmax', 'Conv', 'MaxPool', 'BatchNormalization', 'Mul', 'Flatten', 'Reshape', 'Identity', 'Dropout'];

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

// an int64 tensor's values (Reshape's shape), from int64_data or little-endian raw bytes
function int64Values(t: O.ITensorProto): number[] {
  if (t.dataType !== onnx.TensorProto.DataType.INT64) return [];
  const raw = t.rawData;
  if (raw !== null && raw !== undefined && raw.length > 0) {
    if (raw.length % 8 !== 0) return [];
    return Array.from(new BigInt64Array(raw.slice().buffer), Number);
  }
  return (t.int64Data ?? []).map(toInt);
}

function attribute(node: O.INodeProto, name: string): O.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

function intAttr(node: O.INodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a === undefined ? fallback : toInt(a.i);
}

function intsAttr(node: O.INodeProto, name: string): number[] | undefined {
  const a = attribute(node, name);
  return a === undefined ? undefined : (a.ints ?? []).map(toInt);
}

const size = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

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

  // one sample's shape, the batch dimension left out: it must be known (PyTorch: [1, 28, 28] or [784])
  const dims = (tensorType?.shape?.dim ?? []).slice(1).map((d) => toInt(d.dimValue));
  if (dims.length === 0 || dims.some((d) => !(d > 0))) throw fail(`input '${inputName}' must have a known size after its batch dimension, got [${(tensorType?.shape?.dim ?? []).map((d) => d.dimParam || toInt(d.dimValue)).join(', ')}]`);
  let shape = dims;

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
    // a layer's own checks (a kernel larger than its input, say) are errors about this node
    const layer = <T>(make: () => T): T => {
      try {
        return make();
      } catch (e) {
        throw fail(`node ${i} (${op}): ${(e as Error).message}`);
      }
    };
    // [C, H, W] of a convolution's or pooling's input
    const image = (): [number, number, number] => {
      if (shape.length !== 3) throw fail(`node ${i} (${op}) needs an image [channels, height, width], but its input is [${shape.join(', ')}]`);
      return shape as [number, number, number];
    };
    // square strides and symmetric padding, no dilation: the windows blasprop has
    const window = (): { kernel: [number, number]; stride: number; pad: number } => {
      const kernel = intsAttr(node, 'kernel_shape');
      const strides = intsAttr(node, 'strides') ?? [1, 1];
      const pads = intsAttr(node, 'pads') ?? [0, 0, 0, 0];
      const dilations = intsAttr(node, 'dilations') ?? [1, 1];
      const autoPad = new TextDecoder().decode(attribute(node, 'auto_pad')?.s ?? new Uint8Array(0));
      if (kernel?.length !== 2) throw fail(`node ${i} (${op}) has kernel_shape [${kernel?.join(', ') ?? ''}]; blasprop reads 2-D windows`);
      if (strides[0] !== strides[1] || pads.some((p) => p !== pads[0]) || dilations.some((d) => d !== 1) || intAttr(node, 'ceil_mode', 0) !== 0 || (autoPad !== '' && autoPad !== 'NOTSET')) {
        throw fail(`node ${i} (${op}) has strides [${strides.join(', ')}], pads [${pads.join(', ')}] or dilations [${dilations.join(', ')}] that blasprop's windows do not have (one stride, one padding on every side, no dilation, no ceil_mode or auto_pad)`);
      }
      return { kernel: [kernel[0]!, kernel[1]!], stride: strides[0]!, pad: pads[0]! };
    };
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
        // an image is read as its NCHW row, which is what Flatten would give
        if (size(shape) !== inputs) throw fail(`node ${i} (${op}) takes ${inputs} inputs, but its input is [${shape.join(', ')}]`);
        const affine = layer(() => new Affine(W, b, { backend }));
        layers.push(affine);
        lastAffine = { layer: affine, output };
        shape = [outputs];
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
      case 'Conv': {
        const [channels, height, width] = image();
        const { kernel, stride, pad } = window();
        if (intAttr(node, 'group', 1) !== 1) throw fail(`node ${i} (Conv) has group ${intAttr(node, 'group', 1)}; blasprop reads group 1`);
        const w = weight(node, i, 1);
        if (w.dims.length !== 4 || w.dims[1] !== channels || w.dims[2] !== kernel[0] || w.dims[3] !== kernel[1]) {
          throw fail(`node ${i} (Conv) has weights [${w.dims.join(', ')}]; its ${channels}-channel input and ${kernel.join('×')} kernel need [filters, ${channels}, ${kernel.join(', ')}]`);
        }
        const filters = w.dims[0]!;
        // [filters, C, KH, KW] is blasprop's filters × C·KH·KW, byte for byte
        const W = new Matrix(filters, channels * kernel[0] * kernel[1], w.data);
        const b = Matrix.zeros(1, filters, dtype);
        if ((node.input?.length ?? 0) > 2 && node.input![2] !== '') b.data.set(weight(node, i, 2).data);
        const conv = layer(() => new Convolution(W, b, { input: [channels, height, width], kernel, stride, pad, backend }));
        layers.push(conv);
        shape = [...conv.outputShape];
        break;
      }
      case 'MaxPool': {
        const pool = layer(() => new Pooling({ input: image(), ...window(), backend }));
        layers.push(pool);
        shape = [...pool.outputShape];
        break;
      }
      case 'BatchNormalization': {
        if (intAttr(node, 'training_mode', 0) !== 0) throw fail(`node ${i} (BatchNormalization) is in training mode; blasprop reads the inference form`);
        const channels = shape[0]!;
        const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((k) => {
          const t = weight(node, i, k);
          if (t.data.length !== channels) throw fail(`node ${i} (BatchNormalization) has '${node.input![k]}' of ${t.data.length} values for ${channels} channels`);
          return new Matrix(1, channels, t.data);
        });
        const bn = layer(() => new BatchNormalization(gamma!, beta!, { eps: floatAttr(node, 'epsilon', 1e-5), backend }));
        bn.runningMean.data.set(mean!.data);
        bn.runningVar.data.set(variance!.data);
        layers.push(bn);
        break;
      }
      case 'Mul': {
        // blasprop's own Dropout at inference: a scale of 1 − ratio
        const k = weight(node, i, 1);
        if (k.data.length !== 1 || !(k.data[0]! > 0 && k.data[0]! <= 1)) throw fail(`node ${i} (Mul) multiplies by [${k.dims.join(', ')}]; blasprop reads Mul only as Dropout's scale, one number in (0, 1]`);
        layers.push(layer(() => new Dropout(1 - k.data[0]!)));
        break;
      }
      case 'Flatten':
        // blasprop's rows are flat already: flattening an image into its row changes no value
        if (intAttr(node, 'axis', 1) !== 1) throw fail(`node ${i} (Flatten) has axis ${intAttr(node, 'axis', 1)}; blasprop reads axis 1`);
        shape = [size(shape)];
        break;
      case 'Reshape': {
        // a constant shape that keeps the batch (0 or -1 first): rows stay as they are
        const t = constants.get(node.input?.[1] ?? '');
        const target = t === undefined ? [] : int64Values(t);
        if (target.length < 2 || (target[0] !== 0 && target[0] !== -1) || target.slice(1).some((d) => !(d > 0)) || size(target.slice(1)) !== size(shape)) {
          throw fail(`node ${i} (Reshape) reshapes to something other than a constant [batch, ${size(shape)} values]`);
        }
        shape = target.slice(1);
        break;
      }
      case 'Identity':
      case 'Dropout':
        // ONNX's Dropout at inference passes its input through
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
