// the IDX file format (the one MNIST ships in): a tiny header of dims, then raw big-endian values

import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { allocateBytes } from '../native/memory.js';
import { gunzipSync } from 'node:zlib';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxFile {
  dims: number[];
  type: IdxType;
  data: IdxData;
}

// a file that exists but is not a well-formed IDX file (or not the one we asked for)
export class IdxFormatError extends Error {
  override name = 'IdxFormatError';
}

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

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

// gzip is recognised by its own magic, so a .gz name is neither needed nor trusted
function gunzipIfNeeded(bytes: Uint8Array, name: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new IdxFormatError(`${name}: gzip data is corrupt or truncated (${(err as Error).message})`);
  }
}

export function parseIdx(buffer: Uint8Array, name = '<buffer>'): IdxFile {
  if (!(buffer instanceof Uint8Array)) {
    throw new TypeError(`parseIdx: expected a Uint8Array or Buffer, got ${Object.prototype.toString.call(buffer)}`);
  }
  const bytes = gunzipIfNeeded(buffer, name);

  // magic: two zero bytes, a type code, the number of dimensions
  if (bytes.length < 4) {
    throw new IdxFormatError(`${name}: too short for an IDX header (need at least 4 bytes of magic, got ${bytes.length})`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), hex).join(' ');
    throw new IdxFormatError(`${name}: not an IDX file (magic must start with 0x00 0x00, got ${magic})`);
  }
  const code = bytes[2]!;
  const kind = TYPES[code];
  if (kind === undefined) {
    throw new IdxFormatError(
      `${name}: unknown IDX type code ${hex(code)} (expected 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32 or 0x0e float64)`,
    );
  }
  const ndims = bytes[3]!;
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new IdxFormatError(
      `${name}: too short for an IDX header with ${ndims} dimensions (need ${headerBytes} bytes, got ${bytes.length})`,
    );
  }

  // each dimension is a big-endian uint32
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }

  // the data must fill the rest of the file exactly: short means truncated, long means garbage
  const expected = count * kind.size;
  const got = bytes.length - headerBytes;
  if (got < expected) {
    throw new IdxFormatError(
      `${name}: truncated data for dims [${dims.join(', ')}] of ${kind.type} (expected ${expected} bytes of data, got ${got})`,
    );
  }
  if (got > expected) {
    throw new IdxFormatError(
      `${name}: ${got - expected} trailing bytes after the data for dims [${dims.join(', ')}] of ${kind.type} (expected ${expected} bytes of data, got ${got})`,
    );
  }

  return { dims, type: kind.type, data: decode(view, headerBytes, count, kind.type, bytes) };
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

// an uncompressed file is read straight into memory from allocateBytes (large pages for a large set)
export function readIdx(path: string): IdxFile {
  const fd = openSync(path, 'r');
  let bytes: Uint8Array;
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(2, size));
    readSync(fd, head, 0, head.length, 0);
    if (isGzip(head)) {
      bytes = readFileSync(fd);
    } else {
      bytes = allocateBytes(size);
      let done = 0;
      while (done < size) {
        const n = readSync(fd, bytes, done, size - done, done);
        if (n === 0) break;
        done += n;
      }
      // a file that shrank while being read is reported as truncated by parseIdx
      if (done < size) bytes = bytes.subarray(0, done);
    }
  } finally {
    closeSync(fd);
  }
  return parseIdx(bytes, path);
}
