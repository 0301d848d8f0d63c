// training data that moves to workers without a copy: typed arrays on SharedArrayBuffer, which every
// worker sees in place (a 47 MB MNIST set is copied once here, or never when it already is shared).
// the copy goes where the backend puts data sets (2 MB pages, as loadMnist's own arrays): on 4 KB
// pages a batch's random rows cost a page walk each, and each step of the book's network ~8 % more

import { getBackend } from '../backend/index.js';
import type { MnistSet } from '../data/mnist.js';
import { Matrix } from '../matrix.js';
import type { Labels } from '../nn/types.js';
import type { Table } from '../data/table.js';
import { isMatrixData, isMnistSet, isTableLike, tableOf, type DatasetLike } from '../train/dataset.js';
import type { TrainingData } from '../train/trainer.js';

// what crosses to a worker: plain objects over shared memory (class instances do not survive the trip)
export type SharedSet =
  | { kind: 'mnist'; set: MnistSet }
  | { kind: 'matrix'; x: SharedMatrix; t: SharedMatrix | Int32Array | Uint8Array }
  // a table (loadCsv, toTable): its x and y on shared memory, the rest (task, names, scaling) as data
  | { kind: 'table'; table: Omit<Table, 'x' | 'y'> & { x: SharedMatrix; y: SharedMatrix | Int32Array } };

interface SharedMatrix {
  rows: number;
  cols: number;
  data: Float32Array | Float64Array;
}

export interface SharedTrainingData {
  readonly shared: true;
  train: SharedSet;
  validation?: SharedSet;
  test?: SharedSet;
}

type Typed = Uint8Array | Int32Array | Float32Array | Float64Array;

// the same values on shared memory (the array itself when it already is)
function onShared<T extends Typed>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const bytes = getBackend().allocateBytes(a.byteLength, true);
  const Ctor = a.constructor as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => T;
  const out = new Ctor(bytes.buffer, bytes.byteOffset, a.length);
  out.set(a as never);
  return out;
}


function shareMatrix(m: Matrix): SharedMatrix {
  return { rows: m.rows, cols: m.cols, data: onShared(m.data) };
}

function shareSet(d: DatasetLike, where: string): SharedSet {
  if (d !== null && typeof d === 'object' && isMnistSet(d)) {
    return { kind: 'mnist', set: { ...d, images: onShared(d.images), labels: onShared(d.labels), files: { ...d.files } } };
  }
  if (d !== null && typeof d === 'object' && isMatrixData(d)) {
    const t: Labels = d.t;
    return { kind: 'matrix', x: shareMatrix(d.x), t: t instanceof Matrix ? shareMatrix(t) : onShared(t) };
  }
  if (d !== null && typeof d === 'object' && isTableLike(d)) {
    // checked and made a table here, as fit() would, so a bad one fails on this thread
    const table = tableOf(d, where);
    const y = table.y;
    return { kind: 'table', table: { ...table, x: shareMatrix(table.x), y: y instanceof Matrix ? shareMatrix(y) : onShared(y) } };
  }
  // a Dataset's gather() is a function, and functions cannot move to another thread
  throw new TypeError(`${where}: a worker can train on an MNIST set, { x: Matrix, t } or a table ({ x, y }, loadCsv's) only, not a Dataset with gather()`);
}

export function isSharedTrainingData(data: unknown): data is SharedTrainingData {
  return data !== null && typeof data === 'object' && (data as SharedTrainingData).shared === true;
}

// share once, then hand the result to any number of trainInWorker calls or a sweep: no further copies
export function shareTrainingData(data: TrainingData | SharedTrainingData): SharedTrainingData {
  if (isSharedTrainingData(data)) return data;
  if (data === null || typeof data !== 'object' || data.train === undefined) {
    throw new TypeError('shareTrainingData: expected { train, validation?, test? }');
  }
  return {
    shared: true,
    train: shareSet(data.train, 'train'),
    ...(data.validation !== undefined ? { validation: shareSet(data.validation, 'validation') } : {}),
    ...(data.test !== undefined ? { test: shareSet(data.test, 'test') } : {}),
  };
}

// in the worker: the shared arrays as the trainer's data again
export function unshare(data: SharedTrainingData): TrainingData {
  const m = (x: SharedMatrix): Matrix => new Matrix(x.rows, x.cols, x.data);
  const revive = (s: SharedSet): DatasetLike => {
    if (s.kind === 'mnist') return s.set;
    if (s.kind === 'table') return { ...s.table, x: m(s.table.x), y: s.table.y instanceof Int32Array ? s.table.y : m(s.table.y) };
    return { x: m(s.x), t: s.t instanceof Uint8Array || s.t instanceof Int32Array ? s.t : m(s.t) };
  };
  return {
    train: revive(data.train),
    ...(data.validation !== undefined ? { validation: revive(data.validation) } : {}),
    ...(data.test !== undefined ? { test: revive(data.test) } : {}),
  };
}
