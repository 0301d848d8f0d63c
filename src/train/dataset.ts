// what the trainer draws batches from: anything that can copy chosen rows into a reused buffer,
// so a 60000-image set stays compact uint8 and only a batch at a time becomes floats

import { gatherBatch, type MnistSet } from '../data/mnist.js';
import { toTable, type Table, type TableSource } from '../data/table.js';
import type { Backend } from '../backend/types.js';
import { Matrix } from '../matrix.js';
import { argmax } from '../nn/metrics.js';
import type { Labels } from '../nn/types.js';

// a batch's targets: one class index per example, or a row of numbers per example
export type BatchTargets = Int32Array | Matrix;

export interface Dataset {
  // how many examples, and how many features each one has (a row of x)
  readonly count: number;
  readonly features: number;
  // the width of each example's row of target numbers (regression, multi-label); absent: one class index each
  readonly targets?: number;
  // copy the examples at indices into the rows of x and their targets into t (class indices into an
  // Int32Array, or target rows into a Matrix when `targets` is set); must not allocate
  gather(indices: Int32Array, x: Matrix, t: BatchTargets): void;
}

// an in-memory pair as the book's load_mnist returns it: x rows and one-hot rows or class indices
export interface MatrixData {
  x: Matrix;
  t: Labels;
}

export type DatasetLike = Dataset | MnistSet | MatrixData | Table | TableSource;

// a table (toTable, loadCsv) or the { x, y } it is made from
export function isTableLike(d: object): d is Table | TableSource {
  return 'x' in d && 'y' in d;
}

// the table itself, or the one its { x, y } makes (checked)
export function tableOf(d: Table | TableSource, where: string): Table {
  return 'task' in d && 'outputs' in d ? (d as Table) : toTable(d, where);
}

export function isMnistSet(d: object): d is MnistSet {
  return 'images' in d && (d as MnistSet).images instanceof Uint8Array && 'labels' in d;
}

export function isMatrixData(d: object): d is MatrixData {
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
    gather: (indices, x, t) => gatherBatch(set, indices, x, t as Int32Array, options),
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
      const labelsOut = t as Int32Array;
      // plain loops: subarray() would make a view object per row
      const src = x.data;
      const dst = out.data;
      for (let i = 0; i < indices.length; i++) {
        const k = indices[i]!;
        if (!(k >= 0 && k < x.rows)) throw new RangeError(`${where}: index ${k} is outside [0, ${x.rows})`);
        const s = k * d;
        const o = i * d;
        for (let j = 0; j < d; j++) dst[o + j] = src[s + j]!;
        labelsOut[i] = labels[k]!;
      }
    },
  };
}

// a table's rows (already standardised, when it was asked for) with their class indices or target rows
export function fromTable(table: Table, where: string): Dataset {
  const { x, y } = table;
  const d = x.cols;
  const k = y instanceof Matrix ? y.cols : undefined;
  return {
    count: x.rows,
    features: d,
    ...(k !== undefined ? { targets: k } : {}),
    gather(indices, out, t) {
      const src = x.data;
      const dst = out.data;
      for (let i = 0; i < indices.length; i++) {
        const r = indices[i]!;
        if (!(r >= 0 && r < x.rows)) throw new RangeError(`${where}: index ${r} is outside [0, ${x.rows})`);
        for (let j = 0; j < d; j++) dst[i * d + j] = src[r * d + j]!;
        if (k === undefined) (t as Int32Array)[i] = (y as Int32Array)[r]!;
        else for (let j = 0; j < k; j++) (t as Matrix).data[i * k + j] = (y as Matrix).data[r * k + j]!;
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
  else if (isTableLike(data)) out = fromTable(tableOf(data, where), where);
  else throw new TypeError(`${where}: expected an MNIST set ({ images, labels, ... }), { x: Matrix, t } or a Dataset with gather()`);
  if (!Number.isInteger(out.count) || out.count < 1) throw new RangeError(`${where}: needs at least one example, got ${out.count}`);
  if (!Number.isInteger(out.features) || out.features < 1) throw new RangeError(`${where}: features must be a positive integer, got ${out.features}`);
  return out;
}
