import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Matrix } from '../src/matrix.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import {
  MAX_HEADER_SIZE,
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  matrixToTensor,
  saveSafetensors,
  tensorToMatrix,
  type Tensor,
} from '../src/io/safetensors.js';

// float arrays built from exact bit patterns, so NaN payloads and denormals are what we say they are
const f32Bits = (bits: number[]): Float32Array => new Float32Array(new Uint32Array(bits).buffer);
const f64Bits = (bits: bigint[]): Float64Array => new Float64Array(new BigUint64Array(bits).buffer);
const bytesOf = (a: Float32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

// a file assembled by hand: 8-byte little-endian length, header bytes as given, then data
function rawFile(header: string | Uint8Array, data: ArrayLike<number> = [], length?: bigint): Buffer {
  const h = typeof header === 'string' ? Buffer.from(header, 'utf8') : Buffer.from(header);
  const n = length ?? BigInt(h.length);
  const lengthBytes = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
  return Buffer.concat([Buffer.from(lengthBytes), h, Buffer.from(Array.from(data))]);
}

describe('encode/decode round trip', () => {
  const special32 = f32Bits([
    0x7fc00001, // quiet NaN with a payload
    0x7f800001, // signalling NaN
    0xffc12345, // negative NaN with a payload
    0x80000000, // -0
    0x7f800000, // +Infinity
    0xff800000, // -Infinity
    0x00000001, // smallest denormal
    0x807fffff, // largest negative denormal
    0x7f7fffff, // largest finite
    0x3f800000, // 1
  ]);
  const special64 = f64Bits([
    0x7ff8000000000123n,
    0x7ff0000000000001n,
    0xfff8deadbeef0000n,
    0x8000000000000000n,
    0x7ff0000000000000n,
    0xfff0000000000000n,
    0x0000000000000001n,
    0x000fffffffffffffn,
    0x7fefffffffffffffn,
    0x3fb999999999999an, // 0.1
  ]);

  it('keeps every bit of float32 and float64 data, scalars and empty tensors', () => {
    const tensors: Record<string, Tensor> = {
      a: { dtype: 'float32', shape: [2, 5], data: special32 },
      b: { dtype: 'float64', shape: [10], data: special64 },
      scalar: { dtype: 'float64', shape: [], data: new Float64Array([-0]) },
      empty: { dtype: 'float32', shape: [0, 3], data: new Float32Array(0) },
      after: { dtype: 'float32', shape: [1, 1, 1], data: new Float32Array([7]) },
    };
    const { tensors: out, metadata } = decodeSafetensors(encodeSafetensors(tensors));
    expect(Object.keys(out)).toEqual(Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      const got = out[name]!;
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      expect(got.data.constructor).toBe(t.data.constructor);
      expect(bytesOf(got.data).equals(bytesOf(t.data))).toBe(true);
    }
    expect(Object.is(out.scalar!.data[0], -0)).toBe(true);
    expect(metadata).toEqual({});
  });

  it('keeps metadata, odd tensor names and order', () => {
    const tensors: Record<string, Tensor> = {};
    // defineProperty: a plain assignment of "__proto__" would set the prototype instead
    Object.defineProperty(tensors, '__proto__', {
      value: { dtype: 'float32', shape: [1], data: new Float32Array([3]) },
      enumerable: true,
    });
    tensors['layer.0/weight é'] = { dtype: 'float64', shape: [1], data: new Float64Array([4]) };
    const metadata = { format: 'blasprop', note: 'ünïcode "quoted"' };
    const out = decodeSafetensors(encodeSafetensors(tensors, metadata));
    expect(Object.keys(out.tensors)).toEqual(['__proto__', 'layer.0/weight é']);
    expect(Object.getPrototypeOf(out.tensors)).toBe(Object.prototype);
    expect(Array.from(Object.getOwnPropertyDescriptor(out.tensors, '__proto__')!.value.data)).toEqual([3]);
    expect(Array.from(out.tensors['layer.0/weight é']!.data)).toEqual([4]);
    expect(out.metadata).toEqual(metadata);
  });

  it('writes only the bytes of a typed-array view, not its whole buffer', () => {
    const backing = new Float64Array([9, 1, 2, 9]);
    const view = backing.subarray(1, 3);
    const out = decodeSafetensors(encodeSafetensors({ v: { dtype: 'float64', shape: [2], data: view } }));
    expect(Array.from(out.tensors.v!.data)).toEqual([1, 2]);
  });

  it('decodes from an unaligned view and the tensors survive reuse of the buffer', () => {
    const enc = encodeSafetensors({
      w: { dtype: 'float64', shape: [3], data: new Float64Array([1.5, -2.25, 1e-300]) },
      v: { dtype: 'float32', shape: [1], data: new Float32Array([0.5]) },
    });
    const big = Buffer.alloc(enc.length + 3);
    enc.copy(big, 3);
    const { tensors } = decodeSafetensors(new Uint8Array(big.buffer, big.byteOffset + 3, enc.length));
    big.fill(0xaa);
    expect(Array.from(tensors.w!.data)).toEqual([1.5, -2.25, 1e-300]);
    expect(Array.from(tensors.v!.data)).toEqual([0.5]);
    // each tensor owns exactly its own memory
    expect(tensors.w!.data.buffer.byteLength).toBe(24);
    expect(tensors.w!.data.buffer).not.toBe(big.buffer);
  });

  it('accepts a file with no tensors', () => {
    expect(decodeSafetensors(encodeSafetensors({}))).toEqual({ tensors: {}, integers: {}, metadata: {} });
  });

  it('keeps I32 and U32 tensors apart from the float ones, every bit of them', () => {
    const i32 = Int32Array.from([-(2 ** 31), -1, 0, 2 ** 31 - 1]);
    const u32 = Uint32Array.from([0, 1, 2 ** 32 - 1]);
    const buf = encodeSafetensors({ f: { dtype: 'float32', shape: [1], data: Float32Array.of(0.5) }, i: { dtype: 'int32', shape: [2, 2], data: i32 }, u: { dtype: 'uint32', shape: [3], data: u32 } });
    // the header says I32 and U32, as the format spells them
    expect(buf.toString('latin1')).toContain('"i":{"dtype":"I32","shape":[2,2]');
    const file = decodeSafetensors(buf);
    expect(Object.keys(file.tensors)).toEqual(['f']);
    expect(file.integers).toEqual({ i: { dtype: 'int32', shape: [2, 2], data: i32 }, u: { dtype: 'uint32', shape: [3], data: u32 } });
    expect(() => encodeSafetensors({ i: { dtype: 'int32', shape: [2], data: new Uint32Array(2) as never } })).toThrow('tensor "i" is int32 so data must be a Int32Array, got Uint32Array');
  });
});

describe('byte layout against the spec', () => {
  it('decodes a file built byte by byte', () => {
    const json = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const bytes = [
      json.length, 0, 0, 0, 0, 0, 0, 0, // header length, u64 little-endian (55 < 256)
      ...Array.from(json, (c) => c.charCodeAt(0)),
      0x00, 0x00, 0x80, 0x3f, // 1.0f little-endian
      0x00, 0x00, 0x00, 0x40, // 2.0f little-endian
    ];
    // deliberately unpadded: data starts at byte 63, not 8-aligned
    expect((8 + json.length) % 8).not.toBe(0);
    const { tensors, metadata } = decodeSafetensors(Uint8Array.from(bytes));
    expect(tensors.x!.dtype).toBe('float32');
    expect(tensors.x!.shape).toEqual([2]);
    expect(Array.from(tensors.x!.data)).toEqual([1, 2]);
    expect(metadata).toEqual({});
  });

  it('decodes a padded F64 header with metadata, tensors out of offset order', () => {
    const json = '{"__metadata__":{"k":"v"},"b":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},' +
      '"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}';
    const padded = json + ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
    // -1.0 = 0xbff0000000000000, 0.5 = 0x3fe0000000000000, both little-endian
    const data = [0, 0, 0, 0, 0, 0, 0xf0, 0xbf, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f];
    const { tensors, metadata } = decodeSafetensors(rawFile(padded, data));
    expect(tensors.a!.data[0]).toBe(-1);
    expect(tensors.b!.data[0]).toBe(0.5);
    expect(metadata).toEqual({ k: 'v' });
  });

  it('encodes a header that plain JSON.parse reads, with the data 8-byte aligned', () => {
    const out = encodeSafetensors({ x: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) } });
    let n = 0;
    for (let i = 7; i >= 0; i--) n = n * 256 + out[i]!;
    const headerText = out.subarray(8, 8 + n).toString('utf8');
    expect(JSON.parse(headerText)).toEqual({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    // any padding is spaces only, and makes the data start a multiple of 8
    expect(headerText.slice(headerText.lastIndexOf('}') + 1)).toMatch(/^ *$/);
    expect((8 + n) % 8).toBe(0);
    expect(out.length).toBe(8 + n + 8);
    expect(Array.from(out.subarray(8 + n))).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40]);
  });

  it('puts metadata in the header as a flat string map', () => {
    const out = encodeSafetensors({}, { epoch: '3' });
    const n = Number(out.readBigUInt64LE(0));
    expect(JSON.parse(out.subarray(8, 8 + n).toString('utf8'))).toEqual({ __metadata__: { epoch: '3' } });
  });
});

describe('refusing corrupt files', () => {
  let dir: string;
  let count = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'blasprop-st-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // a valid two-tensor file: a = F32 [1, 2] at [0, 8], b = F64 [3] at [8, 16]
  const goodHeader = {
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    b: { dtype: 'F64', shape: [1], data_offsets: [8, 16] },
  };
  const goodData = [...bytesOf(new Float32Array([1, 2])), ...bytesOf(new Float64Array([3]))];

  async function expectRefused(file: Buffer, problem: RegExp): Promise<void> {
    const path = join(dir, `bad-${count++}.safetensors`);
    await writeFile(path, file);
    const err = await loadSafetensors(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SafetensorsError);
    const message = (err as Error).message;
    expect(message.startsWith(`${path}: `)).toBe(true);
    expect(message).toMatch(problem);
  }

  const withHeader = (header: unknown, data: number[] = goodData): Buffer => rawFile(JSON.stringify(header), data);

  it('loads the untouched file the corruptions start from', async () => {
    const path = join(dir, 'good.safetensors');
    await writeFile(path, withHeader(goodHeader));
    const { tensors } = await loadSafetensors(path);
    expect(Array.from(tensors.a!.data)).toEqual([1, 2]);
    expect(Array.from(tensors.b!.data)).toEqual([3]);
  });

  it('refuses a file shorter than the length field', async () => {
    await expectRefused(withHeader(goodHeader).subarray(0, 5), /file is 5 bytes, shorter than the 8-byte header length/);
    await expectRefused(Buffer.alloc(0), /file is 0 bytes/);
  });

  it('refuses a header length past the file or past the limit', async () => {
    const good = withHeader(goodHeader);
    const tooLong = Buffer.from(good);
    tooLong.writeBigUInt64LE(BigInt(good.length), 0);
    await expectRefused(tooLong, new RegExp(`header length ${good.length} is larger than the ${good.length - 8} bytes`));
    const flipped = Buffer.from(good);
    flipped.fill(0xff, 0, 8);
    await expectRefused(flipped, /header length 18446744073709551615 exceeds the 100000000-byte limit/);
    await expectRefused(rawFile('{}', [], BigInt(MAX_HEADER_SIZE + 1)), /exceeds the 100000000-byte limit/);
  });

  it('refuses a file whose data was cut short', async () => {
    await expectRefused(withHeader(goodHeader).subarray(0, -4), /tensor "b" data_offsets \[8, 16\] run past the end of the 12-byte data section/);
  });

  it('refuses a header that is not UTF-8 JSON describing an object', async () => {
    await expectRefused(rawFile('{"a": {dtype', goodData), /header is not valid JSON/);
    await expectRefused(rawFile(Uint8Array.from([0x7b, 0xff, 0x7d])), /header is not valid UTF-8/);
    await expectRefused(rawFile('', []), /header is not valid JSON/);
    await expectRefused(rawFile('[]', []), /header must be a JSON object, got an array/);
    await expectRefused(rawFile('42', []), /header must be a JSON object, got 42/);
  });

  it('refuses entries missing fields or with fields of the wrong type', async () => {
    const without = (field: string) => {
      const { [field]: _, ...rest } = goodHeader.a as Record<string, unknown>;
      return withHeader({ ...goodHeader, a: rest });
    };
    await expectRefused(without('dtype'), /tensor "a" is missing "dtype"/);
    await expectRefused(without('shape'), /tensor "a" is missing "shape"/);
    await expectRefused(without('data_offsets'), /tensor "a" is missing "data_offsets"/);
    await expectRefused(withHeader({ ...goodHeader, a: 5 }), /tensor "a" must be an object/);
    await expectRefused(withHeader({ ...goodHeader, a: { ...goodHeader.a, dtype: 32 } }), /tensor "a" dtype must be a string/);
    await expectRefused(withHeader({ ...goodHeader, a: { ...goodHeader.a, shape: 2 } }), /tensor "a" shape must be an array/);
    await expectRefused(withHeader({ ...goodHeader, a: { ...goodHeader.a, shape: [-2] } }), /shape \[-2\] has -2, expected non-negative integers/);
    await expectRefused(withHeader({ ...goodHeader, a: { ...goodHeader.a, shape: [1.5] } }), /has 1.5, expected non-negative integers/);
    await expectRefused(withHeader({ ...goodHeader, a: { ...goodHeader.a, shape: ['2'] } }), /has "2", expected non-negative integers/);
    await expectRefused(withHeader({ ...goodHeader, a: { ...goodHeader.a, data_offsets: [0] } }), /tensor "a" data_offsets must be \[begin, end\]/);
    await expectRefused(withHeader({ ...goodHeader, a: { ...goodHeader.a, data_offsets: [-8, 0] } }), /data_offsets must be \[begin, end\] with non-negative integers, got \[-8,0\]/);
  });

  it('refuses dtypes we cannot use, naming the tensor', async () => {
    await expectRefused(withHeader({ ...goodHeader, a: { ...goodHeader.a, dtype: 'F16' } }), /tensor "a" has dtype F16, which is not supported/);
    await expectRefused(withHeader({ ...goodHeader, b: { ...goodHeader.b, dtype: 'I64' } }), /tensor "b" has dtype I64, which is not supported/);
    await expectRefused(withHeader({ ...goodHeader, a: { ...goodHeader.a, dtype: 'F128' } }), /tensor "a" has unknown dtype "F128"/);
  });

  it('refuses offsets that do not match the shape', async () => {
    await expectRefused(
      withHeader({ ...goodHeader, a: { ...goodHeader.a, shape: [3] } }),
      /tensor "a" data_offsets \[0, 8\] span 8 bytes but shape \[3\] of F32 needs 12/,
    );
    await expectRefused(withHeader({ ...goodHeader, a: { ...goodHeader.a, data_offsets: [8, 0] } }), /data_offsets \[8, 0\] end before they begin/);
  });

  it('refuses gaps, overlaps and trailing bytes in the data section', async () => {
    const gap = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [12, 20] },
    };
    await expectRefused(withHeader(gap, new Array(20).fill(0)), /gap of 4 bytes in the data section before tensor "b"/);
    const leadingGap = { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } };
    await expectRefused(withHeader(leadingGap, new Array(8).fill(0)), /gap of 4 bytes in the data section before tensor "a"/);
    const overlap = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    };
    await expectRefused(withHeader(overlap, new Array(12).fill(0)), /tensor "b" \(data_offsets \[4, 12\]\) overlaps tensor "a"/);
    const same = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    };
    await expectRefused(withHeader(same, new Array(8).fill(0)), /overlaps tensor/);
    await expectRefused(withHeader(goodHeader, [...goodData, 1, 2, 3]), /data section is 19 bytes but the tensors cover only 16/);
  });

  it('refuses __metadata__ that is not a string-to-string map', async () => {
    await expectRefused(withHeader({ __metadata__: { epoch: 3 }, ...goodHeader }), /__metadata__ "epoch" must be a string, got 3/);
    await expectRefused(withHeader({ __metadata__: { nested: { a: 'b' } }, ...goodHeader }), /__metadata__ "nested" must be a string/);
    await expectRefused(withHeader({ __metadata__: ['x'], ...goodHeader }), /__metadata__ must be an object of strings/);
  });

  it('names the buffer when decoding from memory', () => {
    expect(() => decodeSafetensors(Buffer.alloc(3))).toThrow(/^<buffer>: file is 3 bytes/);
    expect(() => decodeSafetensors(Buffer.alloc(3), 'net.st')).toThrow(/^net\.st: file is 3 bytes/);
  });
});

describe('refusing bad tensors when encoding', () => {
  it('checks dtype, data and shape agree', () => {
    expect(() => encodeSafetensors({ w: { dtype: 'float32', shape: [2], data: new Float64Array(2) } })).toThrow(
      /tensor "w" is float32 so data must be a Float32Array, got Float64Array/,
    );
    expect(() => encodeSafetensors({ w: { dtype: 'float64', shape: [2, 2], data: new Float64Array(3) } })).toThrow(
      /tensor "w" shape \[2, 2\] needs 4 values, got 3/,
    );
    expect(() => encodeSafetensors({ w: { dtype: 'float16' as never, shape: [1], data: new Float64Array(1) } })).toThrow(TypeError);
    expect(() => encodeSafetensors({ w: { dtype: 'float64', shape: [-1], data: new Float64Array(0) } })).toThrow(TypeError);
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'float64', shape: [], data: new Float64Array(1) } })).toThrow(/reserved/);
    expect(() => encodeSafetensors({}, { epoch: 3 as never })).toThrow(/metadata "epoch" must be a string/);
  });
});

describe('matrices', () => {
  it('round-trips weights and a bias stored as a vector', () => {
    const W = Matrix.from([[1, 2, 3], [4, 5, 6]], 'float32');
    const b = Matrix.row([0.5, -0.5, 0.25], 'float64');
    const { tensors } = decodeSafetensors(encodeSafetensors({ W1: matrixToTensor(W), b1: matrixToTensor(b, [3]) }));
    expect(tensors.W1!.shape).toEqual([2, 3]);
    expect(tensors.b1!.shape).toEqual([3]);
    const W2 = tensorToMatrix(tensors.W1!, 2, 3, 'W1');
    expect(W2.dtype).toBe('float32');
    expect(W2.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const b2 = tensorToMatrix(tensors.b1!, 1, 3, 'b1');
    expect(b2.dtype).toBe('float64');
    expect(b2.toArray()).toEqual([[0.5, -0.5, 0.25]]);
  });

  it('explains a shape mismatch', () => {
    const t: Tensor = { dtype: 'float64', shape: [784, 100], data: new Float64Array(78400) };
    expect(() => tensorToMatrix(t, 784, 50, 'W1')).toThrow(new RangeError('W1: expected 784×50, file has [784, 100]'));
    expect(() => matrixToTensor(Matrix.zeros(2, 3), [5])).toThrow(RangeError);
  });
});

describe('atomic saves', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'blasprop-atomic-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const oldTensors = { w: { dtype: 'float64' as const, shape: [2], data: new Float64Array([1, 2]) } };
  const newTensors = { w: { dtype: 'float64' as const, shape: [3], data: new Float64Array([7, 8, 9]) } };

  it('leaves the old file byte-identical and no temp file when the save dies before the rename', async () => {
    const path = join(dir, 'model.safetensors');
    await saveSafetensors(path, oldTensors, { epoch: '1' });
    const before = await readFile(path);
    let seen: string | undefined;
    const crash = saveSafetensors(path, newTensors, { epoch: '2' }, {
      beforeRename: (tmpPath) => {
        seen = tmpPath;
        // the temp file is complete and sits next to the target
        expect(dirname(tmpPath)).toBe(dir);
        expect(basename(tmpPath)).toMatch(new RegExp(`^\\.blasprop-${process.pid}-[0-9a-f]{12}\\.tmp$`));
        expect(Array.from(decodeSafetensors(readFileSync(tmpPath)).tensors.w!.data)).toEqual([7, 8, 9]);
        throw new Error('simulated crash');
      },
    });
    await expect(crash).rejects.toThrow('simulated crash');
    expect(seen).toBeDefined();
    expect(existsSync(seen!)).toBe(false);
    expect((await readFile(path)).equals(before)).toBe(true);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('replaces the file on a normal save', async () => {
    const path = join(dir, 'model.safetensors');
    await saveSafetensors(path, newTensors, { epoch: '2' });
    const { tensors, metadata } = await loadSafetensors(path);
    expect(Array.from(tensors.w!.data)).toEqual([7, 8, 9]);
    expect(metadata).toEqual({ epoch: '2' });
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('does not touch the disk when the tensors are bad', async () => {
    const path = join(dir, 'model.safetensors');
    const before = await readFile(path);
    const bad = { w: { dtype: 'float64' as const, shape: [5], data: new Float64Array(1) } };
    await expect(saveSafetensors(path, bad)).rejects.toThrow(RangeError);
    expect((await readFile(path)).equals(before)).toBe(true);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('writes strings and cleans up when the directory is missing', async () => {
    const path = join(dir, 'log.txt');
    await writeFileAtomic(path, 'first\n');
    await writeFileAtomic(path, 'second\n');
    expect(await readFile(path, 'utf8')).toBe('second\n');
    await rm(path);
  });

  // issue 10 item 7: each of these failed before the temp file got a short name of its own
  it('works for a 255-byte name, and a failure names the target, never the temp file', async () => {
    const long = join(dir, 'm'.repeat(243) + '.safetensors');
    expect(basename(long)).toHaveLength(255);
    await saveSafetensors(long, oldTensors);
    expect(Array.from((await loadSafetensors(long)).tensors.w!.data)).toEqual([1, 2]);
    await rm(long);
    const missing = join(dir, 'nope', 'x.txt');
    await expect(writeFileAtomic(missing, 'x')).rejects.toThrow(`cannot write ${missing}: its directory does not exist`);
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    await expect(writeFileAtomic(sub, 'x')).rejects.toThrow(`cannot write ${sub}: it is a directory`);
    await rm(sub, { recursive: true });
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('removes the temp files a killed save left, and only those', async () => {
    // a process that has exited: its temp files are orphans
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const orphan = `.blasprop-${dead}-${'a'.repeat(12)}.tmp`;
    // a save in progress in a live process (this one), and files that are not ours
    const live = `.blasprop-${process.pid}-${'b'.repeat(12)}.tmp`;
    const others = ['notes.tmp', `.blasprop-${dead}-short.tmp`];
    for (const name of [orphan, live, ...others]) writeFileSync(join(dir, name), 'x');
    await writeFileAtomic(join(dir, 'model.safetensors'), 'y');
    expect((await readdir(dir)).sort()).toEqual([...others, live, 'model.safetensors'].sort());
    for (const name of [live, ...others]) await rm(join(dir, name));
  });
});
