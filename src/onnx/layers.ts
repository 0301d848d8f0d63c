// one small exporter per layer kind: each adds its layer's forward to the graph as ONNX operators.
// a new layer kind is one new entry in LAYERS (and its head, if it ends a network, one in HEADS)

import type { Matrix } from '../matrix.js';
import type { Affine } from '../nn/affine.js';
import type { Layer } from '../nn/types.js';
import { intAttribute, type OnnxGraph } from './graph.js';

// a value flowing through the graph: its name and its shape per sample (the batch dimension left out)
export interface Value {
  name: string;
  shape: number[];
}

export interface ExportContext {
  g: OnnxGraph;
  // 'exportOnnx: layers[3] (Convolution)', the start of every error about this layer
  where: string;
  // a parameter or state matrix as a constant, under the network's name for it (W1, running_mean2, …)
  named(m: Matrix, dims: readonly number[]): string;
  // the network's name for a parameter or state matrix
  nameOf(m: Matrix): string;
}

export interface LayerExporter {
  // the features of one input row, when the layer fixes it (the graph input is shaped by the first)
  inputs?(layer: Layer): number;
  export(layer: Layer, ctx: ExportContext, x: Value): Value;
}

const size = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

// an elementwise activation: one operator, shape unchanged
function elementwise(opType: string): LayerExporter {
  return { export: (_layer, { g }, x) => ({ name: g.node(opType, [x.name]), shape: x.shape }) };
}

const LAYERS: Record<string, LayerExporter> = {
  // Gemm: x·W + b in one operator, W stored [in, out] as blasprop keeps it, b 1-D and broadcast
  Affine: {
    inputs: (layer) => (layer as Affine).W.rows,
    export(layer, ctx, x) {
      const { W, b } = layer as Affine;
      if (size(x.shape) !== W.rows) throw new RangeError(`${ctx.where} takes ${W.rows} inputs, but the layer before gives ${size(x.shape)}`);
      // feature maps are flattened first, NCHW order, which is how blasprop's rows hold them
      const flat = x.shape.length === 1 ? x.name : ctx.g.node('Flatten', [x.name], [intAttribute('axis', 1)]);
      return { name: ctx.g.node('Gemm', [flat, ctx.named(W, [W.rows, W.cols]), ctx.named(b, [b.cols])]), shape: [W.cols] };
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
  // each output's yes-probability
  SigmoidWithLoss: (g, x) => ({ name: g.node('Sigmoid', [x.name]), shape: x.shape }),
  // a regression answers its scores as they are
  MeanSquaredError: (_g, x) => x,
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
