// the IDX file format (the one MNIST ships in): a tiny header of dims, then raw big-endian values

import { closeSync } from 'node:fs';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { SourceError } from '../errors.js';
import { openRegular, readInto } from '../io/read.js';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxFile {
  dims: number[];
  type: IdxType;
  data: IdxData;
}

// a file that exists but is not a well-formed IDX file (or not the one we asked for)
export class IdxFormatError extends SourceError {}

// the third magic byte says what each value is; sizes in bytes
const TYPES: Record<number, { type: IdxType; size: number }> = {
  0x08: { type: 'uint8', size: 1 },
  0x09: { type: 'int8', size: 1 },
  0x0b: { type: 'int16', size: 2 },
  0x0c: { type: 'int32', size: 4 },
  0x0d: { type: 'float32', size: 4 },
  0x0e: { type: 'float64', size: 8 },
};

export const IDX_TYPE_CODES: Readonly<Record<IdxType, number>> = {
  uint8: 0x08,
  int8: 0x09,
  int16: 0x0b,
  int32: 0x0c,
  float32: 0x0d,
  float64: 0x0e,
};

const hex = (n: number) => '0x' + n.toString(16).padStart(2, '0');

// the gzip magic marks a compressed file, so a .gz name is neither needed nor trusted
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

// the most one IDX file may hold: typed arrays and the native ops index with 32-bit signed lengths
export const MAX_IDX_BYTES = 2 ** 31 - 1;

// the largest output deflate can make per input byte (a run-length match is 258 bytes in ~2 bits)
const DEFLATE_MAX_RATIO = 1032;

interface IdxHeader {
  type: IdxType;
  size: number;
  dims: number[];
  count: number;
  headerBytes: number;
  // what the header promises after itself
  dataBytes: number;
}

// magic, type and dims from the first bytes; needs at most 4 + 4·255 of them
function readHeader(bytes: Uint8Array, name: string): IdxHeader {
  // magic: two zero bytes, a type code, the number of dimensions
  if (bytes.length < 4) {
    throw new IdxFormatError(name, `too short for an IDX header (need at least 4 bytes of magic, got ${bytes.length})`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), hex).join(' ');
    throw new IdxFormatError(name, `not an IDX file (magic must start with 0x00 0x00, got ${magic})`);
  }
  const code = bytes[2]!;
  const kind = TYPES[code];
  if (kind === undefined) {
    throw new IdxFormatError(
      name, `unknown IDX type code ${hex(code)} (expected 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32 or 0x0e float64)`,
    );
  }
  const ndims = bytes[3]!;
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new IdxFormatError(
      name, `too short for an IDX header with ${ndims} dimensions (need ${headerBytes} bytes, got ${bytes.length})`,
    );
  }
  // each dimension is a big-endian uint32; the product is exact as long as it stays below 2^53
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const dataBytes = count * kind.size;
  if (headerBytes + dataBytes > MAX_IDX_BYTES) {
    throw new IdxFormatError(
      name, `dims [${dims.join(', ')}] of ${kind.type} need ${dataBytes} bytes of data, more than the ${MAX_IDX_BYTES} bytes one IDX file may hold`,
    );
  }
  return { type: kind.type, size: kind.size, dims, count, headerBytes, dataBytes };
}

// the data must fill the rest of the file exactly: short means truncated, long means garbage
function checkLength(h: IdxHeader, got: number, name: string): void {
  const what = `dims [${h.dims.join(', ')}] of ${h.type} (expected ${h.dataBytes} bytes of data, got ${got})`;
  if (got < h.dataBytes) throw new IdxFormatError(name, `truncated data for ${what}`);
  if (got > h.dataBytes) throw new IdxFormatError(name, `${got - h.dataBytes} trailing bytes after the data for ${what}`);
}

function gzipError(name: string, err: unknown): IdxFormatError {
  return new IdxFormatError(name, `gzip data is corrupt or truncated (${(err as Error).message})`);
}

// gunzip only as far as the header promises: first a growing prefix until the header is out, then the
// whole stream with the promised size as a hard limit, so a small bomb cannot take gigabytes
function gunzipIdx(gz: Uint8Array, name: string): Uint8Array {
  let head: Uint8Array = new Uint8Array(0);
  for (let k = 64; ; k *= 2) {
    try {
      head = gunzipSync(gz.subarray(0, k), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 1 << 22 });
    } catch (err) {
      throw gzipError(name, err);
    }
    if ((head.length >= 4 && head.length >= 4 + 4 * head[3]!) || k >= gz.length) break;
  }
  const h = readHeader(head, name);
  const promised = h.headerBytes + h.dataBytes;
  if (promised > gz.length * DEFLATE_MAX_RATIO + 1024) {
    throw new IdxFormatError(
      name, `dims [${h.dims.join(', ')}] of ${h.type} need ${h.dataBytes} bytes, more than ${gz.length} bytes of gzip can hold (truncated?)`,
    );
  }
  try {
    return gunzipSync(gz, { maxOutputLength: promised });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new IdxFormatError(name, `trailing bytes after the data for dims [${h.dims.join(', ')}] of ${h.type} (the gzip data holds more than the ${h.dataBytes} bytes of data the header promises)`);
    }
    throw gzipError(name, err);
  }
}

export function parseIdx(buffer: Uint8Array, name = '<buffer>'): IdxFile {
  if (!(buffer instanceof Uint8Array)) {
    throw new TypeError(`parseIdx: expected a Uint8Array or Buffer, got ${Object.prototype.toString.call(buffer)}`);
  }
  const bytes = isGzip(buffer) ? gunzipIdx(buffer, name) : buffer;
  const h = readHeader(bytes, name);
  checkLength(h, bytes.length - h.headerBytes, name);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { dims: h.dims, type: h.type, data: decode(view, h.headerBytes, h.count, h.type, bytes) };
}

// single bytes are viewed in place (no copy of 47 MB); wider values are big-endian and must be swapped
function decode(view: DataView, offset: number, n: number, type: IdxType, bytes: Uint8Array): IdxData {
  switch (type) {
    case 'uint8':
      return new Uint8Array(bytes.buffer, bytes.byteOffset + offset, n);
    case 'int8':
      return new Int8Array(bytes.buffer, bytes.byteOffset + offset, n);
    case 'int16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

export interface ReadIdxOptions {
  // where the data of an uncompressed file goes (a backend's allocateBytes gives large pages); zeroed bytes
  allocate?: (length: number) => Uint8Array;
}

const fail = (name: string) => (problem: string): never => {
  throw new IdxFormatError(name, `${problem}`);
};

// the header first, and nothing read or allocated beyond what it promises; an uncompressed file's data
// goes straight into memory from options.allocate
export function readIdx(path: string, options: ReadIdxOptions = {}): IdxFile {
  const { allocate = (n: number) => new Uint8Array(n) } = options;
  const { fd, size } = openRegular(path, fail(path));
  try {
    const head = new Uint8Array(Math.min(size, 4 + 4 * 255));
    readInto(fd, head, 0);
    if (isGzip(head)) {
      // a compressed file larger than the largest IDX we read could hold cannot be one
      if (size > MAX_IDX_BYTES) fail(path)(`is ${size} bytes of gzip, more than the ${MAX_IDX_BYTES} bytes one IDX file may hold`);
      const gz = new Uint8Array(size);
      return parseIdx(gz.subarray(0, readInto(fd, gz, 0)), path);
    }
    const h = readHeader(head, path);
    // the sizes are compared before the data is read: a wrong file costs nothing
    checkLength(h, size - h.headerBytes, path);
    const bytes = allocate(h.headerBytes + h.dataBytes);
    const got = readInto(fd, bytes, 0);
    // a file that shrank while being read
    if (got < bytes.length) checkLength(h, got - h.headerBytes, path);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { dims: h.dims, type: h.type, data: decode(view, h.headerBytes, h.count, h.type, bytes) };
  } finally {
    closeSync(fd);
  }
}
