// model files in the Hugging Face safetensors format: 8-byte header length, JSON header, raw little-endian data

import { SourceError } from '../errors.js';
import { endianness } from 'node:os';
import { constants as bufferConstants } from 'node:buffer';
import { Matrix, type DType, type FloatArray } from '../matrix.js';
import { writeFileAtomic, type AtomicWriteOptions } from './atomic.js';
import { readRegular } from './read.js';

export type Tensor = { dtype: DType; shape: number[]; data: FloatArray };
// integers are kept apart, so code that computes with tensors only ever meets floats
export type IntDType = 'int32' | 'uint32';
export type IntTensor = { dtype: IntDType; shape: number[]; data: Int32Array | Uint32Array };

export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  // the I32 and U32 tensors (a checkpoint's permutation and generator state)
  integers: Record<string, IntTensor>;
  metadata: Record<string, string>;
}

type AnyDType = DType | IntDType;

// the reference implementation refuses headers above this, so a corrupt length cannot make us allocate gigabytes
export const MAX_HEADER_SIZE = 100_000_000;

const METADATA_KEY = '__metadata__';

// the two dtypes we compute in, and their names in the file
const FILE_DTYPE: Record<AnyDType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', uint32: 'U32' };
const FROM_FILE: Record<string, AnyDType> = { F32: 'float32', F64: 'float64', I32: 'int32', U32: 'uint32' };
const ITEM_SIZE: Record<AnyDType, number> = { float32: 4, float64: 8, int32: 4, uint32: 4 };
const ARRAY: Record<AnyDType, Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, uint32: Uint32Array,
};
// dtypes a valid file may hold that we cannot use: named so the error can say "unsupported" rather than "unknown"
const OTHER_FILE_DTYPES = new Set([
  'BOOL', 'U8', 'I8', 'I16', 'U16', 'I64', 'U64', 'F16', 'BF16',
  'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64',
]);

// a format error in a file or buffer; the message starts with where the bytes came from
export class SafetensorsError extends SourceError {}

// typed arrays use the host byte order; the format is little-endian, so we copy bytes as they are only where they agree
function assertLittleEndianHost(): void {
  if (endianness() !== 'LE') throw new Error('safetensors: big-endian hosts are not supported');
}

// an own property even for names like "__proto__", which plain assignment would turn into a prototype change
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

const showShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export function encodeSafetensors(tensors: Record<string, Tensor | IntTensor>, metadata?: Record<string, string>): Buffer {
  assertLittleEndianHost();
  const where = 'encodeSafetensors';
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) throw new TypeError(`${where}: metadata must be an object of strings, got ${typeof metadata}`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`${where}: metadata "${k}" must be a string, got ${typeof v}`);
    }
    // metadata first, as the reference writer does
    if (Object.keys(metadata).length > 0) setOwn(header, METADATA_KEY, { ...metadata });
  }
  // lay tensors out back to back in insertion order; offsets are relative to the data section
  const entries = Object.entries(tensors);
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === METADATA_KEY) throw new TypeError(`${where}: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    checkTensor(where, name, t);
    const begin = offset;
    offset += t.data.byteLength;
    setOwn(header, name, { dtype: FILE_DTYPE[t.dtype], shape: [...t.shape], data_offsets: [begin, offset] });
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  // pad with spaces so the data starts 8-byte aligned and a reader can view float64 data in place
  const headerLength = json.length + ((8 - ((8 + json.length) % 8)) % 8);
  const out = Buffer.alloc(8 + headerLength + offset, 0x20);
  out.writeBigUInt64LE(BigInt(headerLength), 0);
  json.copy(out, 8);
  let at = 8 + headerLength;
  for (const [, t] of entries) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

// a tensor handed to us by code, not read from a file: wrong values are programming errors
function checkTensor(where: string, name: string, t: Tensor | IntTensor): void {
  if (!isPlainObject(t)) throw new TypeError(`${where}: tensor "${name}" must be an object, got ${t === null ? 'null' : typeof t}`);
  if (!Object.hasOwn(ARRAY, t.dtype)) {
    throw new TypeError(`${where}: tensor "${name}" dtype must be 'float32', 'float64', 'int32' or 'uint32', got ${JSON.stringify(t.dtype)}`);
  }
  const want = ARRAY[t.dtype];
  if (!(t.data instanceof want)) {
    throw new TypeError(`${where}: tensor "${name}" is ${t.dtype} so data must be a ${want.name}, got ${t.data?.constructor?.name ?? typeof t.data}`);
  }
  if (!Array.isArray(t.shape) || !t.shape.every(isCount)) {
    throw new TypeError(`${where}: tensor "${name}" shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
  }
  if (elementCount(t.shape) !== t.data.length) {
    throw new RangeError(`${where}: tensor "${name}" shape ${showShape(t.shape)} needs ${elementCount(t.shape)} values, got ${t.data.length}`);
  }
}

export function decodeSafetensors(buf: Buffer | Uint8Array, source = '<buffer>'): SafetensorsFile {
  assertLittleEndianHost();
  const fail = (problem: string): never => {
    throw new SafetensorsError(source, problem);
  };
  if (buf.byteLength < 8) fail(`file is ${buf.byteLength} bytes, shorter than the 8-byte header length`);
  // a u64: compare as bigint before narrowing, so a huge value is reported rather than rounded
  const n = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) fail(`header length ${n} exceeds the ${MAX_HEADER_SIZE}-byte limit`);
  if (n > BigInt(buf.byteLength - 8)) fail(`header length ${n} is larger than the ${buf.byteLength - 8} bytes after the length field`);
  const headerLength = Number(n);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + headerLength));
  } catch {
    return fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(header)) fail(`header must be a JSON object, got ${Array.isArray(header) ? 'an array' : JSON.stringify(header)}`);
  const entries = Object.entries(header as Record<string, unknown>);

  const metadata: Record<string, string> = {};
  const layout: { name: string; dtype: AnyDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of entries) {
    if (name === METADATA_KEY) {
      // null is what the reference writer's "no metadata" looks like if it ever serialises it
      if (entry === null) continue;
      if (!isPlainObject(entry)) fail(`${METADATA_KEY} must be an object of strings, got ${JSON.stringify(entry)}`);
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`${METADATA_KEY} "${k}" must be a string, got ${JSON.stringify(v)}`);
        setOwn(metadata, k, v as string);
      }
      continue;
    }
    layout.push({ name, ...readEntry(name, entry, fail) });
  }

  // every tensor's bytes must match its shape and lie inside the data section
  const dataStart = 8 + headerLength;
  const dataLength = buf.byteLength - dataStart;
  for (const { name, dtype, shape, begin, end } of layout) {
    const where = `tensor "${name}" data_offsets [${begin}, ${end}]`;
    if (end < begin) fail(`${where} end before they begin`);
    if (end > dataLength) fail(`${where} run past the end of the ${dataLength}-byte data section`);
    // bigint so an absurd shape cannot overflow into a false match
    const need = shape.reduce((p, d) => p * BigInt(d), 1n) * BigInt(ITEM_SIZE[dtype]);
    if (BigInt(end - begin) !== need) {
      fail(`${where} span ${end - begin} bytes but shape ${showShape(shape)} of ${FILE_DTYPE[dtype]} needs ${need}`);
    }
  }

  // walking in offset order, each tensor must start exactly where the previous one ended
  const byOffset = [...layout].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: string | undefined;
  for (const { name, begin, end } of byOffset) {
    if (begin > covered) {
      fail(`gap of ${begin - covered} bytes in the data section before tensor "${name}" (data_offsets [${begin}, ${end}], previous data ends at ${covered})`);
    }
    if (begin < covered) fail(`tensor "${name}" (data_offsets [${begin}, ${end}]) overlaps tensor "${previous}" which ends at ${covered}`);
    covered = end;
    previous = name;
  }
  if (covered !== dataLength) fail(`data section is ${dataLength} bytes but the tensors cover only ${covered}`);

  // copy each tensor into memory of its own: no alignment worries, and reusing buf cannot change it
  const tensors: Record<string, Tensor> = {};
  const integers: Record<string, IntTensor> = {};
  for (const { name, dtype, shape, begin, end } of layout) {
    const data = new ARRAY[dtype]((end - begin) / ITEM_SIZE[dtype]);
    new Uint8Array(data.buffer).set(buf.subarray(dataStart + begin, dataStart + end));
    if (dtype === 'int32' || dtype === 'uint32') setOwn(integers, name, { dtype, shape, data } as IntTensor);
    else setOwn(tensors, name, { dtype, shape, data } as Tensor);
  }
  return { tensors, integers, metadata };
}

// one header entry, checked field by field so the error says which field is wrong
function readEntry(
  name: string,
  entry: unknown,
  fail: (problem: string) => never,
): { dtype: AnyDType; shape: number[]; begin: number; end: number } {
  const where = `tensor "${name}"`;
  if (!isPlainObject(entry)) return fail(`${where} must be an object with dtype, shape and data_offsets, got ${JSON.stringify(entry)}`);
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!(field in entry)) fail(`${where} is missing "${field}"`);
  }
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string') return fail(`${where} dtype must be a string, got ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape)) return fail(`${where} shape must be an array, got ${JSON.stringify(shape)}`);
  const badDim = shape.find((d) => !isCount(d));
  if (badDim !== undefined) fail(`${where} shape ${JSON.stringify(shape)} has ${JSON.stringify(badDim)}, expected non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(`${where} data_offsets must be [begin, end] with non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const ours = FROM_FILE[dtype];
  if (ours === undefined) {
    if (OTHER_FILE_DTYPES.has(dtype)) fail(`${where} has dtype ${dtype}, which is not supported (only F32, F64, I32 and U32 are)`);
    fail(`${where} has unknown dtype ${JSON.stringify(dtype)} (only F32, F64, I32 and U32 are supported)`);
  }
  return { dtype: ours!, shape: shape as number[], begin: offsets[0] as number, end: offsets[1] as number };
}

export async function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor | IntTensor>,
  metadata?: Record<string, string>,
  options?: AtomicWriteOptions,
): Promise<void> {
  // encode first, so a bad tensor throws before anything touches the disk
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata), options);
}

// only a regular file (a FIFO would block, /dev/zero never end), read to the size it has
export function readSafetensorsFile(path: string): Buffer {
  return readRegular(path, bufferConstants.MAX_LENGTH, (problem) => {
    throw new SafetensorsError(path, problem);
  });
}

export async function loadSafetensors(path: string): Promise<SafetensorsFile> {
  return decodeSafetensors(readSafetensorsFile(path), path);
}

// a matrix as a tensor; shares the matrix's data, since encoding copies it anyway
export function matrixToTensor(m: Matrix, shape: number[] = [m.rows, m.cols]): Tensor {
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new TypeError(`matrixToTensor: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (elementCount(shape) !== m.size) {
    throw new RangeError(`matrixToTensor: shape ${showShape(shape)} holds ${elementCount(shape)} values, the ${m.rows}×${m.cols} matrix has ${m.size}`);
  }
  return { dtype: m.dtype, shape: [...shape], data: m.data };
}

// a tensor as a rows×cols matrix; shares the tensor's data (decoded tensors own theirs)
export function tensorToMatrix(t: Tensor, rows: number, cols: number, name = 'tensor'): Matrix {
  if (elementCount(t.shape) !== rows * cols) {
    throw new RangeError(`${name}: expected ${rows}×${cols}, file has ${showShape(t.shape)}`);
  }
  return new Matrix(rows, cols, t.data);
}
