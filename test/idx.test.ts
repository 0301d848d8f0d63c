import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { Matrix } from '../src/matrix.js';
import { gatherBatch, IdxFormatError, loadMnist, oneHot, parseIdx, readIdx, toMatrices, toMatrix } from '../src/data/index.js';

const root = mkdtempSync(join(tmpdir(), 'blasprop-idx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// an IDX file spelled out byte by byte: 0, 0, type code, ndims, big-endian uint32 dims, then the payload
function idxBytes(code: number, dims: number[], payload: number[] | Uint8Array): Buffer {
  const header: number[] = [0, 0, code, dims.length];
  for (const d of dims) header.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Buffer.concat([Buffer.from(header), Buffer.from(payload)]);
}

function write(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

// 2×3×4 uint8 values 0, 10, 20, ... 230: small enough to check every byte
const cube = Array.from({ length: 24 }, (_, i) => i * 10);

describe('readIdx', () => {
  it('reads a 3-D uint8 file: dims and every value', () => {
    const path = write(root, 'cube-idx3-ubyte', idxBytes(0x08, [2, 3, 4], cube));
    const f = readIdx(path);
    expect(f.dims).toEqual([2, 3, 4]);
    expect(f.type).toBe('uint8');
    expect(f.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(f.data)).toEqual(cube);
  });

  it('reads the gzipped file identically, with or without a .gz name', () => {
    const gz = gzipSync(idxBytes(0x08, [2, 3, 4], cube));
    const plain = readIdx(write(root, 'cube2-idx3-ubyte', idxBytes(0x08, [2, 3, 4], cube)));
    for (const name of ['cube-idx3-ubyte.gz', 'cube-gz-without-suffix']) {
      const f = readIdx(write(root, name, gz));
      expect(f.dims).toEqual(plain.dims);
      expect(f.type).toBe(plain.type);
      expect(Array.from(f.data)).toEqual(Array.from(plain.data));
    }
  });

  it('decodes wider types from big-endian', () => {
    // int16: 1 = 00 01, -2 = ff fe, 258 = 01 02
    const i16 = parseIdx(idxBytes(0x0b, [3], [0x00, 0x01, 0xff, 0xfe, 0x01, 0x02]), 'i16');
    expect(i16.type).toBe('int16');
    expect(i16.data).toBeInstanceOf(Int16Array);
    expect(Array.from(i16.data)).toEqual([1, -2, 258]);
    // int32: -1 = ff ff ff ff, 65536 = 00 01 00 00
    const i32 = parseIdx(idxBytes(0x0c, [2], [0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0x00, 0x00]), 'i32');
    expect(Array.from(i32.data)).toEqual([-1, 65536]);
    // float32 1.5 = 3f c0 00 00; float64 -2.5 = c0 04 00 00 00 00 00 00
    const f32 = parseIdx(idxBytes(0x0d, [1], [0x3f, 0xc0, 0, 0]), 'f32');
    expect(f32.data).toBeInstanceOf(Float32Array);
    expect(f32.data[0]).toBe(1.5);
    const f64 = parseIdx(idxBytes(0x0e, [1, 1], [0xc0, 0x04, 0, 0, 0, 0, 0, 0]), 'f64');
    expect(f64.dims).toEqual([1, 1]);
    expect(f64.data).toBeInstanceOf(Float64Array);
    expect(f64.data[0]).toBe(-2.5);
    // int8: 0xff is -1
    expect(Array.from(parseIdx(idxBytes(0x09, [2], [0xff, 0x05]), 'i8').data)).toEqual([-1, 5]);
  });

  it('refuses truncated data, naming the file and both sizes', () => {
    const path = write(root, 'short-data', idxBytes(0x08, [2, 3, 4], cube.slice(0, 20)));
    expect(() => readIdx(path)).toThrow(IdxFormatError);
    expect(() => readIdx(path)).toThrow(path);
    expect(() => readIdx(path)).toThrow(/truncated.*expected 24 bytes of data, got 20/);
  });

  it('refuses a truncated gzip stream, naming the file', () => {
    const gz = gzipSync(idxBytes(0x08, [2, 3, 4], cube));
    const path = write(root, 'cut.gz', gz.subarray(0, gz.length - 10));
    expect(() => readIdx(path)).toThrow(path);
    expect(() => readIdx(path)).toThrow(/gzip/);
  });

  it('refuses a wrong magic', () => {
    const bytes = idxBytes(0x08, [2, 3, 4], cube);
    bytes[0] = 0x50; // "PK…", say, a zip file
    const path = write(root, 'not-idx.bin', bytes);
    expect(() => readIdx(path)).toThrow(path);
    expect(() => readIdx(path)).toThrow(/not an IDX file/);
  });

  it('refuses an unknown type code', () => {
    const path = write(root, 'type-0a', idxBytes(0x0a, [2], [1, 2]));
    expect(() => readIdx(path)).toThrow(path);
    expect(() => readIdx(path)).toThrow(/unknown IDX type code 0x0a/);
  });

  it('refuses a file too short for its header', () => {
    const tiny = write(root, 'tiny', Buffer.from([0, 0, 8]));
    expect(() => readIdx(tiny)).toThrow(tiny);
    expect(() => readIdx(tiny)).toThrow(/too short.*got 3/);
    // magic promises 3 dims (16 header bytes) but only 10 bytes arrive
    const cut = write(root, 'cut-header', Buffer.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0]));
    expect(() => readIdx(cut)).toThrow(cut);
    expect(() => readIdx(cut)).toThrow(/too short.*3 dimensions.*need 16 bytes, got 10/);
  });

  it('refuses trailing bytes after the data', () => {
    const path = write(root, 'too-long', idxBytes(0x08, [2, 3, 4], [...cube, 7, 7, 7]));
    expect(() => readIdx(path)).toThrow(path);
    expect(() => readIdx(path)).toThrow(/3 trailing bytes.*expected 24 bytes of data, got 27/);
  });
});

// a fake MNIST: 5 train and 3 test 28×28 images whose pixel p of image k is (k*31 + p*7) mod 256
const R = 28;
const C = 28;
const D = R * C;
const pixel = (k: number, p: number) => (k * 31 + p * 7) % 256;
const trainLabels = [3, 1, 4, 1, 5];
const testLabels = [9, 2, 6];

function images(count: number): Uint8Array {
  const out = new Uint8Array(count * D);
  for (let k = 0; k < count; k++) for (let p = 0; p < D; p++) out[k * D + p] = pixel(k, p);
  return out;
}

function fakeMnist(name: string, opts: { gzip?: boolean; trainLabelCount?: number } = {}): string {
  const dir = mkdtempSync(join(root, name + '-'));
  const z = (b: Buffer) => (opts.gzip ? gzipSync(b) : b);
  const sfx = opts.gzip ? '.gz' : '';
  const tl = trainLabels.slice(0, opts.trainLabelCount ?? trainLabels.length);
  write(dir, 'train-images-idx3-ubyte' + sfx, z(idxBytes(0x08, [5, R, C], images(5))));
  write(dir, 'train-labels-idx1-ubyte' + sfx, z(idxBytes(0x08, [tl.length], tl)));
  write(dir, 't10k-images-idx3-ubyte' + sfx, z(idxBytes(0x08, [3, R, C], images(3))));
  write(dir, 't10k-labels-idx1-ubyte' + sfx, z(idxBytes(0x08, [3], testLabels)));
  return dir;
}

describe('loadMnist on a fake directory', () => {
  const dir = fakeMnist('fake');

  it('refuses images and labels that disagree on the count, naming both files', () => {
    const bad = fakeMnist('mismatch', { trainLabelCount: 4 });
    const run = () => loadMnist({ dir: bad });
    expect(run).toThrow(join(bad, 'train-images-idx3-ubyte'));
    expect(run).toThrow(join(bad, 'train-labels-idx1-ubyte'));
    expect(run).toThrow(/5 images but .* 4 labels/);
  });

  it('names both candidate paths when a file is missing', () => {
    const empty = mkdtempSync(join(root, 'empty-'));
    expect(() => loadMnist({ dir: empty })).toThrow(/train-images-idx3-ubyte\.gz/);
  });

  it('loads sizes, labels and pixels as compact uint8', () => {
    const { train, test } = loadMnist({ dir });
    expect([train.count, train.rows, train.cols, train.classes]).toEqual([5, 28, 28, 10]);
    expect([test.count, test.rows, test.cols]).toEqual([3, 28, 28]);
    expect(train.images).toBeInstanceOf(Uint8Array);
    expect(train.images.length).toBe(5 * D);
    expect(Array.from(train.labels)).toEqual(trainLabels);
    expect(Array.from(test.labels)).toEqual(testLabels);
    // image 2, row 10, column 7: p = 10*28 + 7 = 287, (62 + 2009) mod 256 = 23
    expect(train.images[2 * D + 287]).toBe(23);
    expect(test.images[2 * D + 287]).toBe(23);
  });

  it('gives the same data from the .gz variants', () => {
    const a = loadMnist({ dir });
    const b = loadMnist({ dir: fakeMnist('gz', { gzip: true }) });
    expect(b.train.files.images.endsWith('.gz')).toBe(true);
    expect(Array.from(b.train.images)).toEqual(Array.from(a.train.images));
    expect(Array.from(b.test.labels)).toEqual(Array.from(a.test.labels));
  });

  it('normalises to [0, 1] as v/255, or keeps 0..255 when asked', () => {
    const { train } = loadMnist({ dir, dtype: 'float64' });
    const x = toMatrix(train);
    expect([x.rows, x.cols, x.dtype]).toEqual([5, D, 'float64']);
    expect(x.get(2, 287)).toBe(23 / 255);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of x.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    // the pattern reaches both 0 (k=0, p=0) and 255 (e.g. k=1, p=32: 31 + 224)
    expect([lo, hi]).toEqual([0, 1]);

    const raw = toMatrix(train, { normalize: false, dtype: 'float32', start: 1, end: 3 });
    expect([raw.rows, raw.dtype]).toEqual([2, 'float32']);
    expect(raw.get(0, 32)).toBe(255);
    expect(raw.get(1, 287)).toBe(23);
  });

  it('makes one-hot rows with a single 1 at the label', () => {
    const { test } = loadMnist({ dir, oneHotLabel: true });
    const { x, t } = toMatrices(test);
    expect(x.rows).toBe(3);
    expect(t).toBeInstanceOf(Matrix);
    expect((t as Matrix).toArray()).toEqual([
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
      [0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
    ]);
    // without one-hot, t holds the class indices
    const plain = toMatrices(loadMnist({ dir }).test).t;
    expect(plain).toBeInstanceOf(Int32Array);
    expect(Array.from(plain as Int32Array)).toEqual(testLabels);
    expect(() => oneHot([1, 10], 10)).toThrow(/label 1 is 10/);
  });
});

describe('gatherBatch', () => {
  const { train } = loadMnist({ dir: fakeMnist('gather') });
  const idx = [4, 0, 4, 2];

  for (const dtype of ['float32', 'float64'] as const) {
    it(`copies the chosen rows, normalised, into ${dtype} buffers`, () => {
      const x = Matrix.zeros(4, D, dtype);
      x.data.fill(-1); // stale values must all be overwritten
      const t = new Int32Array(4);
      gatherBatch(train, idx, x, t);
      // the plain way: straight from the pixel formula, divided by 255, stored in the same dtype
      const want = Matrix.zeros(4, D, dtype);
      for (let i = 0; i < 4; i++) for (let p = 0; p < D; p++) want.set(i, p, pixel(idx[i]!, p) / 255);
      expect(Array.from(x.data)).toEqual(Array.from(want.data));
      expect(Array.from(t)).toEqual([5, 3, 5, 4]);
      // and agrees with toMatrix row by row
      const full = toMatrix(train, { dtype });
      for (let i = 0; i < 4; i++) {
        expect(Array.from(x.data.subarray(i * D, (i + 1) * D))).toEqual(
          Array.from(full.data.subarray(idx[i]! * D, (idx[i]! + 1) * D)),
        );
      }
    });
  }

  it('fills a one-hot matrix, clearing the previous batch', () => {
    const x = Matrix.zeros(2, D, 'float32');
    const t = Matrix.zeros(2, 10, 'float32');
    t.data.fill(1);
    gatherBatch(train, Int32Array.from([1, 2]), x, t, { normalize: false });
    expect(t.toArray()).toEqual([
      [0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
    ]);
    expect(x.get(0, 32)).toBe(255);
  });

  it('refuses bad indices and mis-shaped buffers', () => {
    const x = Matrix.zeros(2, D, 'float32');
    expect(() => gatherBatch(train, [0, 5], x)).toThrow(/index 1 is 5.*\[0, 5\)/);
    expect(() => gatherBatch(train, [0, 1.5], x)).toThrow(RangeError);
    expect(() => gatherBatch(train, [0, -1], x)).toThrow(RangeError);
    expect(() => gatherBatch(train, [0, 1, 2], x)).toThrow(/xOut must be 3×784.*got 2×784/);
    expect(() => gatherBatch(train, [0, 1], x, new Int32Array(3))).toThrow(/tOut must hold 2/);
    expect(() => gatherBatch(train, [0, 1], x, Matrix.zeros(2, 9))).toThrow(/2×10/);
  });
});
