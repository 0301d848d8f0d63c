// what the trainer draws batches from: anything that can copy chosen rows into a reused buffer,
// so a 60000-image set stays compact uint8 and only a batch at a time becomes floats

import { gatherBatch, type MnistSet } from '../data/mnist.js';
import type { Backend } from '../backend/types.js';
import { Matrix } from '../matrix.js';
import { argmax } from '../nn/metrics.js';
import type { Labels } from '../nn/types.js';

export interface Dataset {
  // how many examples, and how many features each one has (a row of x)
  readonly count: number;
  readonly features: number;
  // copy the examples at indices into the rows of x and their class indices into t; must not allocate
  gather(indices: Int32Array, x: Matrix, t: Int32Array): void;
}

// an in-memory pair as the book's load_mnist returns it: x rows and one-hot rows or class indices
export interface MatrixData {
  x: Matrix;
  t: Labels;
}

export type DatasetLike = Dataset | MnistSet | MatrixData;

function isMnistSet(d: object): d is MnistSet {
  return 'images' in d && (d as MnistSet).images instanceof Uint8Array && 'labels' in d;
}

function isMatrixData(d: object): d is MatrixData {
  return 'x' in d && (d as MatrixData).x instanceof Matrix && 't' in d;
}

function isDataset(d: object): d is Dataset {
  return typeof (d as Dataset).gather === 'function' && typeof (d as Dataset).count === 'number';
}

// a compact MNIST-format split: gatherBatch scales pixels as the set asked (normalize) into x's dtype,
// natively when the network's backend is given
function fromMnistSet(set: MnistSet, backend: Backend | undefined): Dataset {
  // made once: an options object per call would be garbage per iteration
  const options = { backend };
  return {
    count: set.count,
    features: set.rows * set.cols,
    gather: (indices, x, t) => gatherBatch(set, indices, x, t, options),
  };
}

// class indices once, up front: one-hot rows become the index of their largest entry
function labelIndices(t: Labels, rows: number, where: string): Int32Array {
  if (t instanceof Matrix) {
    if (t.rows !== rows) throw new RangeError(`${where}: t has ${t.rows} rows but x has ${rows}`);
    const out = new Int32Array(rows);
    for (let i = 0; i < rows; i++) out[i] = argmax(t.data, i * t.cols, t.cols);
    return out;
  }
  if (t instanceof Int32Array || t instanceof Uint8Array) {
    if (t.length !== rows) throw new RangeError(`${where}: t has ${t.length} labels but x has ${rows} rows`);
    return Int32Array.from(t);
  }
  throw new TypeError(`${where}: t must be a one-hot Matrix, an Int32Array or a Uint8Array of class indices`);
}

function fromMatrixData(data: MatrixData, where: string): Dataset {
  const { x } = data;
  const labels = labelIndices(data.t, x.rows, where);
  const d = x.cols;
  return {
    count: x.rows,
    features: d,
    gather(indices, out, t) {
      // plain loops: subarray() would make a view object per row
      const src = x.data;
      const dst = out.data;
      for (let i = 0; i < indices.length; i++) {
        const k = indices[i]!;
        if (!(k >= 0 && k < x.rows)) throw new RangeError(`${where}: index ${k} is outside [0, ${x.rows})`);
        const s = k * d;
        const o = i * d;
        for (let j = 0; j < d; j++) dst[o + j] = src[s + j]!;
        t[i] = labels[k]!;
      }
    },
  };
}

// accept the three shapes a caller is likely to have in hand
export function toDataset(data: DatasetLike, where = 'dataset', backend?: Backend): Dataset {
  if (data === null || typeof data !== 'object') {
    throw new TypeError(`${where}: expected an MNIST set, { x, t } or a Dataset, got ${data === null ? 'null' : typeof data}`);
  }
  let out: Dataset;
  if (isMnistSet(data)) out = fromMnistSet(data, backend);
  else if (isMatrixData(data)) out = fromMatrixData(data, where);
  else if (isDataset(data)) out = data;
  else throw new TypeError(`${where}: expected an MNIST set ({ images, labels, ... }), { x: Matrix, t } or a Dataset with gather()`);
  if (!Number.isInteger(out.count) || out.count < 1) throw new RangeError(`${where}: needs at least one example, got ${out.count}`);
  if (!Number.isInteger(out.features) || out.features < 1) throw new RangeError(`${where}: features must be a positive integer, got ${out.features}`);
  return out;
}
