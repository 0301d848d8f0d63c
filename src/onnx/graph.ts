// the graph being built: nodes and constant tensors in order, each value named once

import type { onnx as O } from 'onnx-proto';
import type { DType, FloatArray } from '../matrix.js';
import { ONNX_DTYPE, onnx } from './proto.js';

// nodes and constant tensors, added in order by the layers' exporters
export class OnnxGraph {
  readonly nodes: O.INodeProto[] = [];
  readonly initializers: O.ITensorProto[] = [];
  private readonly names = new Set<string>();

  constructor(readonly dtype: DType) {}

  // a name no other value in the graph has: base, base_1, base_2, …
  private fresh(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  reserve(name: string): string {
    if (this.names.has(name)) throw new TypeError(`exportOnnx: the name '${name}' is used twice in the graph`);
    this.names.add(name);
    return name;
  }

  // a constant in the graph's dtype (values converted when the network's dtype differs)
  constant(base: string, dims: readonly number[], values: FloatArray): string {
    const data = this.dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
    const name = this.fresh(base);
    // raw little-endian bytes, as ONNX stores them; every platform Node runs on is little-endian
    this.initializers.push({ name, dims: dims.slice(), dataType: ONNX_DTYPE[this.dtype], rawData: new Uint8Array(data.buffer) });
    return name;
  }

  // a constant int64 tensor (shapes for Reshape)
  int64(base: string, values: readonly number[]): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values.slice() });
    return name;
  }

  // one operator; returns the name of its output
  node(opType: string, inputs: readonly string[], attributes: O.IAttributeProto[] = []): string {
    const output = this.fresh(opType.toLowerCase());
    this.nodes.push({ opType, name: output, input: inputs.slice(), output: [output], attribute: attributes });
    return output;
  }

  // the last node's output takes the graph output's name
  renameLast(from: string, to: string): void {
    const last = this.nodes[this.nodes.length - 1];
    if (last === undefined || last.output![0] !== from) throw new Error(`exportOnnx: '${from}' is not the last node's output`);
    this.names.delete(from);
    last.output = [this.reserve(to)];
  }
}

export function intAttribute(name: string, i: number): O.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

export function floatAttribute(name: string, f: number): O.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f };
}

export function intsAttribute(name: string, ints: readonly number[]): O.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: ints.slice() };
}

export function valueInfo(name: string, dtype: DType, shape: readonly number[]): O.IValueInfoProto {
  // the batch dimension is named, not sized: any number of rows goes in
  const dim = [{ dimParam: 'batch' }, ...shape.map((d) => ({ dimValue: d }))];
  return { name, type: { tensorType: { elemType: ONNX_DTYPE[dtype], shape: { dim } } } };
}

