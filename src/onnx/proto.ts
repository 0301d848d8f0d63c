// the ONNX protobuf messages: onnx-proto is the official onnx.proto (ONNX 1.10, IR 8) compiled for
// protobufjs, so blasprop never encodes protobuf by hand

import onnxProto from 'onnx-proto';
import type { DType } from '../matrix.js';

export const { onnx } = onnxProto;
export type { onnx as OnnxTypes } from 'onnx-proto';

// opset 13 (ONNX 1.8): Softmax over one axis, Gemm with a broadcast 1-D bias; ONNX Runtime ≥ 1.6 runs it
export const OPSET = 13;
// the IR version that came with opset 13, so older runtimes read the file too
export const IR_VERSION = 7;

// TensorProto.DataType of each dtype, and back
export const ONNX_DTYPE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
};

export function dtypeOfOnnx(elemType: number): DType | undefined {
  if (elemType === onnx.TensorProto.DataType.FLOAT) return 'float32';
  if (elemType === onnx.TensorProto.DataType.DOUBLE) return 'float64';
  return undefined;
}

// protobufjs decodes int64 fields as Long objects (or numbers when small enough and no Long is loaded)
export function toInt(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}
