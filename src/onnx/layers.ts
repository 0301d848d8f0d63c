// one small exporter per layer kind: each adds its layer's forward to the graph as ONNX operators.
// a new layer kind is one new entry in LAYERS (and its head, if it ends a network, one in HEADS)

import type { Matrix } from '../matrix.js';
import type { Affine } from '../nn/affine.js';
import type { BatchNormalization } from '../nn/batch-norm.js';
import type { Convolution, ImageShape } from '../nn/convolution.js';
import type { Dropout } from '../nn/dropout.js';
import type { Pooling } from '../nn/pooling.js';
import type { Layer } from '../nn/types.js';
import type { WindowGeometry } from '../kernels/window.js';
import { floatAttribute, intAttribute, intsAttribute, type OnnxGraph } from './graph.js';

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

// the value as an image [C, H, W]: a flat row is reshaped, NCHW being how blasprop's rows hold images
function asImage(ctx: ExportContext, x: Value, shape: ImageShape): Value {
  const want = shape[0] * shape[1] * shape[2];
  if (size(x.shape) !== want) throw new RangeError(`${ctx.where} takes ${shape.join('×')} = ${want} inputs, but the layer before gives ${size(x.shape)}`);
  if (x.shape.length === 3) return x;
  return { name: ctx.g.node('Reshape', [x.name, ctx.g.int64('shape', [-1, ...shape])]), shape: [...shape] };
}

// the window attributes Conv and MaxPool share (ONNX pads: top, left, bottom, right)
function windowAttributes(g: WindowGeometry) {
  return [
    intsAttribute('kernel_shape', [g.kernelHeight, g.kernelWidth]),
    intsAttribute('strides', [g.stride, g.stride]),
    intsAttribute('pads', [g.pad, g.pad, g.pad, g.pad]),
  ];
}

const imageOf = (g: WindowGeometry): ImageShape => [g.channels, g.height, g.width];

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
  // Conv with W as [filters, C, KH, KW] (blasprop's filters × C·KH·KW, the same bytes) and b 1-D
  Convolution: {
    inputs: (layer) => (layer as Convolution).inputSize,
    export(layer, ctx, x) {
      const conv = layer as Convolution;
      const g = conv.geometry;
      // ONNX Runtime has float Conv kernels only: a double graph would be refused when loaded
      if (ctx.g.dtype === 'float64') throw new TypeError(`${ctx.where}: ONNX Runtime has no float64 (double) Conv; export with { dtype: 'float32' } (CLI: --dtype float32)`);
      const img = asImage(ctx, x, imageOf(g));
      const W = ctx.named(conv.W, [conv.filters, g.channels, g.kernelHeight, g.kernelWidth]);
      return { name: ctx.g.node('Conv', [img.name, W, ctx.named(conv.b, [conv.filters])], windowAttributes(g)), shape: [...conv.outputShape] };
    },
  },
  // MaxPool: ONNX ignores padded positions too
  Pooling: {
    inputs: (layer) => (layer as Pooling).inputSize,
    export(layer, ctx, x) {
      const pool = layer as Pooling;
      const img = asImage(ctx, x, imageOf(pool.geometry));
      return { name: ctx.g.node('MaxPool', [img.name], windowAttributes(pool.geometry)), shape: [...pool.outputShape] };
    },
  },
  // the evaluation form: the book's scaling by 1 − ratio
  Dropout: {
    export(layer, { g }, x) {
      const keep = g.constant('keep', [], Float64Array.of(1 - (layer as Dropout).ratio));
      return { name: g.node('Mul', [x.name, keep]), shape: x.shape };
    },
  },
  // BatchNormalization with the running statistics (inference); a flat row of C·P values is seen as
  // [C, P] so each channel is normalised over its P values
  BatchNormalization: {
    export(layer, ctx, x) {
      const bn = layer as BatchNormalization;
      const c = bn.channels;
      let v = x;
      if (x.shape.length === 1 && x.shape[0] !== c) {
        if (x.shape[0]! % c !== 0) throw new RangeError(`${ctx.where} normalises ${c} channels, but the layer before gives ${x.shape[0]} values`);
        v = { name: ctx.g.node('Reshape', [x.name, ctx.g.int64('shape', [-1, c, x.shape[0]! / c])]), shape: [c, x.shape[0]! / c] };
      }
      // ONNX keeps epsilon as a float32 attribute: the variance carries what float32 loses of eps, so
      // that var + epsilon is blasprop's var + eps (else a float64 graph is ~1e-13 off for small variances)
      const eps32 = Math.fround(bn.eps);
      const variance = ctx.g.constant(ctx.nameOf(bn.runningVar), [c], bn.runningVar.data.map((s2) => s2 + (bn.eps - eps32)));
      const inputs = [v.name, ctx.named(bn.gamma, [c]), ctx.named(bn.beta, [c]), ctx.named(bn.runningMean, [c]), variance];
      return { name: ctx.g.node('BatchNormalization', inputs, [floatAttribute('epsilon', eps32)]), shape: v.shape };
    },
  },
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
