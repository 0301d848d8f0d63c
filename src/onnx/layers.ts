// one small exporter per layer kind: each adds its layer's forward to the graph as ONNX operators.
// a new layer kind is one new entry in LAYERS (and its head, if it ends a network, one in HEADS)

import type { Matrix } from '../matrix.js';
import { Affine } from '../nn/affine.js';
import type { Layer } from '../nn/types.js';
import { intAttribute, type OnnxGraph } from './graph.js';

// a value flowing through the graph: its name and its shape per sample (the batch dimension left out)
export interface Value {
  name: string;
  shape: number[];
}

export interface LayerExporter {
  // the features of one input row, when the layer fixes it (the graph input is shaped by the first)
  inputs?(layer: Layer): number;
  export(layer: Layer, g: OnnxGraph, x: Value, params: Readonly<Record<string, Matrix>>): Value;
}

// the network's name for one of its parameter matrices (W1, b1, …), so the file's tensors match the
// safetensors model's
function paramName(params: Readonly<Record<string, Matrix>>, m: Matrix): string {
  for (const [key, value] of Object.entries(params)) if (value === m) return key;
  throw new Error('exportOnnx: a layer parameter is not among the network\'s params');
}

// an elementwise activation: one operator, shape unchanged
function elementwise(opType: string): LayerExporter {
  return { export: (_layer, g, x) => ({ name: g.node(opType, [x.name]), shape: x.shape }) };
}

const LAYERS: Record<string, LayerExporter> = {
  // Gemm: x·W + b in one operator, W stored [in, out] as blasprop keeps it, b 1-D and broadcast
  Affine: {
    inputs: (layer) => (layer as Affine).W.rows,
    export(layer, g, x, params) {
      const { W, b } = layer as Affine;
      const width = x.shape.reduce((a, d) => a * d, 1);
      if (width !== W.rows) throw new RangeError(`exportOnnx: an Affine layer takes ${W.rows} inputs, but the layer before gives ${width}`);
      // a multi-dimensional value (a conv net's feature maps) is flattened row by row first
      const flat = x.shape.length === 1 ? x.name : g.node('Flatten', [x.name], [intAttribute('axis', 1)]);
      const Wname = g.constant(paramName(params, W), [W.rows, W.cols], W.data);
      const bname = g.constant(paramName(params, b), [b.cols], b.data);
      return { name: g.node('Gemm', [flat, Wname, bname]), shape: [W.cols] };
    },
  },
  Relu: elementwise('Relu'),
  Sigmoid: elementwise('Sigmoid'),
};

// a network's head: how the last layer's scores become the model's output (for 'probabilities')
type HeadExporter = (g: OnnxGraph, x: Value) => Value;

const HEADS: Record<string, HeadExporter> = {
  // softmax over each row's classes (opset 13's Softmax normalises along one axis)
  SoftmaxWithLoss: (g, x) => ({ name: g.node('Softmax', [x.name], [intAttribute('axis', -1)]), shape: x.shape }),
};

function names(record: Record<string, unknown>): string {
  return Object.keys(record).join(', ');
}

export function layerExporter(layer: Layer, index: number): LayerExporter {
  const exporter = Object.hasOwn(LAYERS, layer.kind) ? LAYERS[layer.kind] : undefined;
  if (exporter === undefined) {
    throw new TypeError(`exportOnnx: layers[${index}] (${layer.kind}) has no ONNX form; the layers that export are ${names(LAYERS)}`);
  }
  return exporter;
}

export function headExporter(lastLayer: { kind: string }): HeadExporter {
  const head = Object.hasOwn(HEADS, lastLayer.kind) ? HEADS[lastLayer.kind] : undefined;
  if (head === undefined) {
    throw new TypeError(`exportOnnx: the last layer (${lastLayer.kind}) has no ONNX form; the heads that export are ${names(HEADS)} (or export with output: 'logits')`);
  }
  return head;
}
