// tables of examples from JavaScript values: features x (rows of numbers) and targets y (class labels,
// numbers or strings; one-hot rows; 0/1 columns; numbers to predict), checked once, with the task
// inferred when not given, and turned into what a network trains on

import { Matrix, type FloatArray } from '../matrix.js';
import { describe } from '../describe.js';
import { argmax } from '../nn/metrics.js';
import type { Task } from '../nn/types.js';
import { Random } from '../random.js';
import type { DataInfo } from '../io/model.js';
import { standardize, type Standardization } from './standardize.js';

export const TASKS: readonly Task[] = ['classify', 'binary', 'regress'];

// a target of whole numbers with at most this many distinct values is taken for class labels
export const MAX_INFERRED_CLASSES = 20;

export type ClassLabel = number | string;

export interface TableSource {
  // rows of numbers, a flat typed array of `rows` rows, or a Matrix
  x: readonly (readonly number[])[] | FloatArray | Matrix;
  rows?: number;
  // one label or value per row (numbers or strings), rows of targets (one-hot, 0/1 or values), or a Matrix
  y: readonly ClassLabel[] | readonly (readonly number[])[] | Int32Array | Uint8Array | FloatArray | Matrix;
  // inferred from y when not given
  task?: Task;
  // names of the feature and target columns (a CSV's header), kept with a saved model
  features?: readonly string[];
  target?: readonly string[];
}

export interface Table {
  // the features, float64, as given (or standardised, when standardization says so)
  readonly x: Matrix;
  // class indices (classify; binary with one output) or a Matrix of targets (regress; multi-label binary)
  readonly y: Int32Array | Matrix;
  readonly task: Task;
  // the network's output width
  readonly outputs: number;
  // class names by index (classify), or the [no, yes] names of a binary target with one output
  readonly labels?: readonly string[];
  readonly features?: readonly string[];
  readonly target?: readonly string[];
  // the mean and std x was standardised with, when it was
  readonly standardization?: Standardization;
  // how the task was chosen, for people: "inferred: 3 distinct strings" or "given"
  readonly taskReason: string;
}

// every value must be a finite number: NaN and ±Infinity cannot be trained on
function checkFinite(where: string, d: ArrayLike<number>, cols: number): void {
  for (let k = 0; k < d.length; k++) {
    const v = d[k]!;
    if (!Number.isFinite(v)) {
      throw new RangeError(`${where}: row ${Math.floor(k / cols)}, column ${k % cols} is ${typeof v === 'number' ? v : describe(v)}: only finite numbers can be trained on (drop or fill such rows first)`);
    }
  }
}

// rows of numbers into a float64 Matrix (a copy), rectangular and finite
export function matrixFrom(where: string, value: unknown, rows: number | undefined): Matrix {
  let m: Matrix;
  if (value instanceof Matrix) {
    m = new Matrix(value.rows, value.cols, Float64Array.from(value.data));
  } else if (value instanceof Float32Array || value instanceof Float64Array) {
    if (rows === undefined || !Number.isInteger(rows) || rows < 1) throw new TypeError(`${where}: a flat ${value.constructor.name} needs rows (a positive integer), got ${describe(rows)}`);
    if (value.length % rows !== 0) throw new RangeError(`${where}: ${value.length} values do not make ${rows} rows of equal length`);
    m = new Matrix(rows, value.length / rows, Float64Array.from(value));
  } else if (Array.isArray(value)) {
    const n = value.length;
    const first: unknown = value[0];
    if (!Array.isArray(first)) throw new TypeError(`${where}: expected rows of numbers (number[][]), a flat typed array with rows, or a Matrix; row 0 is ${describe(first)}`);
    const cols = first.length;
    m = Matrix.zeros(n, cols, 'float64');
    value.forEach((row: unknown, i) => {
      if (!Array.isArray(row)) throw new TypeError(`${where}: row ${i} is ${describe(row)}, expected an array of numbers`);
      if (row.length !== cols) throw new RangeError(`${where}: row ${i} has ${row.length} values, row 0 has ${cols}`);
      row.forEach((v: unknown, j) => {
        if (typeof v !== 'number') throw new TypeError(`${where}: row ${i}, column ${j} is ${describe(v)}, expected a number`);
        m.data[i * cols + j] = v;
      });
    });
  } else {
    throw new TypeError(`${where}: expected rows of numbers (number[][]), a flat typed array with rows, or a Matrix, got ${describe(value)}`);
  }
  if (m.rows === 0) throw new RangeError(`${where}: there are no rows`);
  if (m.cols === 0) throw new RangeError(`${where}: the rows have no values`);
  checkFinite(where, m.data, m.cols);
  return m;
}

function isRows(y: unknown): boolean {
  return y instanceof Matrix || (Array.isArray(y) && y.length > 0 && Array.isArray(y[0]));
}

// every row all zeros but one 1
function isOneHot(m: Matrix): boolean {
  if (m.cols < 2) return false;
  for (let i = 0; i < m.rows; i++) {
    let ones = 0;
    for (let j = 0; j < m.cols; j++) {
      const v = m.data[i * m.cols + j]!;
      if (v === 1) ones++;
      else if (v !== 0) return false;
    }
    if (ones !== 1) return false;
  }
  return true;
}

// distinct labels in a stable order: numbers ascending, strings by code unit
function distinct(values: readonly ClassLabel[]): ClassLabel[] {
  const set = [...new Set(values)];
  return set.every((v) => typeof v === 'number') ? (set as number[]).sort((a, b) => a - b) : (set as string[]).sort();
}

function checkClassCount(where: string, classes: readonly ClassLabel[], task: Task): void {
  if (classes.length < 2) throw new RangeError(`${where}: the target has one class (${JSON.stringify(classes[0])}): there is nothing to tell apart`);
  if (task === 'binary' && classes.length !== 2) throw new RangeError(`${where}: a binary task needs exactly two classes, the target has ${classes.length} (${classes.slice(0, 5).map((c) => JSON.stringify(c)).join(', ')}${classes.length > 5 ? ', …' : ''}); use task 'classify'`);
}

interface Targets {
  y: Int32Array | Matrix;
  task: Task;
  outputs: number;
  labels?: string[];
  taskReason: string;
}

// one label or value per row
function fromList(where: string, values: readonly ClassLabel[], given: Task | undefined): Targets {
  const strings = values.some((v) => typeof v === 'string');
  values.forEach((v, i) => {
    if (strings ? typeof v !== 'string' : typeof v !== 'number') throw new TypeError(`${where}: y[${i}] is ${describe(v)}, but ${strings ? 'other labels are strings' : 'y holds numbers'}`);
    if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`${where}: y[${i}] is ${v}: only finite numbers can be trained on`);
  });
  let task = given;
  let taskReason = 'given';
  let classes: ClassLabel[] | undefined;
  if (task === undefined) {
    classes = distinct(values);
    if (strings) {
      task = 'classify';
      taskReason = `inferred: ${classes.length} distinct strings`;
    } else if (classes.every((c) => Number.isInteger(c)) && classes.length <= MAX_INFERRED_CLASSES) {
      task = 'classify';
      taskReason = `inferred: ${classes.length} distinct whole numbers`;
    } else {
      task = 'regress';
      taskReason = `inferred: ${classes.length} distinct numbers${classes.every((c) => Number.isInteger(c)) ? ` (more than ${MAX_INFERRED_CLASSES})` : ', not all whole'}`;
    }
  }
  if (task === 'regress') {
    if (strings) throw new TypeError(`${where}: a regression needs numbers, but y holds strings`);
    return { y: new Matrix(values.length, 1, Float64Array.from(values as number[])), task, outputs: 1, taskReason };
  }
  classes ??= distinct(values);
  checkClassCount(where, classes, task);
  const index = new Map<ClassLabel, number>(classes.map((c, k) => [c, k]));
  const y = Int32Array.from(values, (v) => index.get(v)!);
  const labels = classes.map(String);
  return { y, task, outputs: task === 'binary' ? 1 : classes.length, labels, taskReason };
}

// rows of targets: one-hot rows, 0/1 columns (multi-label) or values
function fromRows(where: string, m: Matrix, given: Task | undefined, names: readonly string[] | undefined): Targets {
  let task = given;
  let taskReason = 'given';
  if (task === undefined) {
    task = isOneHot(m) ? 'classify' : 'regress';
    taskReason = task === 'classify' ? 'inferred: one-hot rows' : `inferred: ${m.cols} column${m.cols === 1 ? '' : 's'} of numbers`;
  }
  const columnNames = names !== undefined && names.length === m.cols ? [...names] : Array.from({ length: m.cols }, (_, j) => String(j));
  if (task === 'classify') {
    if (!isOneHot(m)) throw new RangeError(`${where}: rows of y for a classification must be one-hot (one 1, the rest 0)`);
    const y = Int32Array.from({ length: m.rows }, (_, i) => argmax(m.data, i * m.cols, m.cols));
    const seen = new Set(y);
    if (seen.size < 2) throw new RangeError(`${where}: the target has one class (${JSON.stringify(columnNames[y[0]!])}): there is nothing to tell apart`);
    return { y, task, outputs: m.cols, labels: columnNames, taskReason };
  }
  if (task === 'binary') {
    for (let k = 0; k < m.data.length; k++) {
      const v = m.data[k]!;
      if (!(v >= 0 && v <= 1)) throw new RangeError(`${where}: row ${Math.floor(k / m.cols)}, column ${k % m.cols} of y is ${v}, a binary target must be in [0, 1]`);
    }
    // one 0/1 column is a two-class problem with class indices
    if (m.cols === 1) return fromList(where, Array.from(m.data), 'binary');
    for (let j = 0; j < m.cols; j++) {
      let ones = 0;
      for (let i = 0; i < m.rows; i++) ones += m.data[i * m.cols + j]! >= 0.5 ? 1 : 0;
      if (ones === 0 || ones === m.rows) throw new RangeError(`${where}: target column ${columnNames[j]} has one class (every row ${ones === 0 ? '0' : '1'}): there is nothing to tell apart`);
    }
    return { y: m, task, outputs: m.cols, labels: columnNames, taskReason };
  }
  return { y: m, task, outputs: m.cols, taskReason };
}

// check and convert JavaScript values into a table; every refusal names what and where
export function toTable(source: TableSource, where = 'data'): Table {
  if (source === null || typeof source !== 'object') throw new TypeError(`${where}: expected { x, y }, got ${describe(source)}`);
  const { task } = source;
  if (task !== undefined && !TASKS.includes(task)) throw new TypeError(`${where}: task must be ${TASKS.map((t) => `'${t}'`).join(', ')}, got ${describe(task)}`);
  const x = matrixFrom(`${where}.x`, source.x, source.rows);
  const yv: unknown = source.y;
  let targets: Targets;
  if (yv instanceof Int32Array || yv instanceof Uint8Array) {
    targets = fromList(`${where}.y`, Array.from(yv), task ?? 'classify');
    if (task === undefined) targets.taskReason = `inferred: ${yv.constructor.name} of class indices`;
  } else if (yv instanceof Float32Array || yv instanceof Float64Array) {
    targets = fromList(`${where}.y`, Array.from(yv), task);
  } else if (isRows(yv)) {
    targets = fromRows(`${where}.y`, matrixFrom(`${where}.y`, yv, undefined), task, source.target);
  } else if (Array.isArray(yv)) {
    if (yv.length === 0) throw new RangeError(`${where}.y: there are no labels`);
    targets = fromList(`${where}.y`, yv as ClassLabel[], task);
  } else {
    throw new TypeError(`${where}.y: expected class labels (numbers or strings), rows of targets, a typed array or a Matrix, got ${describe(yv)}`);
  }
  const yRows = targets.y instanceof Matrix ? targets.y.rows : targets.y.length;
  if (yRows !== x.rows) throw new RangeError(`${where}: x has ${x.rows} rows but y has ${yRows}`);
  const names = (what: string, list: readonly string[] | undefined, n: number): readonly string[] | undefined => {
    if (list === undefined) return undefined;
    if (!Array.isArray(list) || list.length !== n || list.some((s) => typeof s !== 'string')) throw new TypeError(`${where}: ${what} must be ${n} column names, got ${describe(list)}`);
    return [...list];
  };
  const features = names('features', source.features, x.cols);
  const targetNames = source.target === undefined ? undefined : [...source.target];
  return { x, ...targets, features, target: targetNames };
}

// the rows at indices, in that order: a new table with the same names
export function takeRows(table: Table, indices: ArrayLike<number>): Table {
  const { x, y } = table;
  const n = indices.length;
  const nx = Matrix.zeros(n, x.cols, 'float64');
  const ny = y instanceof Matrix ? Matrix.zeros(n, y.cols, 'float64') : new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = indices[i]!;
    nx.data.set(x.data.subarray(k * x.cols, (k + 1) * x.cols), i * x.cols);
    if (ny instanceof Matrix) ny.data.set((y as Matrix).data.subarray(k * ny.cols, (k + 1) * ny.cols), i * ny.cols);
    else ny[i] = (y as Int32Array)[k]!;
  }
  return { ...table, x: nx, y: ny };
}

export interface SplitOptions {
  // shares of the rows for the test and validation parts; the rest is for training
  test?: number;
  validation?: number;
  seed: number;
}

export interface TableSplit {
  train: Table;
  validation?: Table;
  test?: Table;
  // which rows of the table went where, in the parts' order (to compare with another tool on the same split)
  rows: { train: Int32Array; validation?: Int32Array; test?: Int32Array };
}

// what a saved model keeps about the data it was trained on (saveModel's data option): label names,
// column names, and the standardisation of a standardised table
export function dataInfoOf(table: Table): DataInfo {
  const info: DataInfo = {};
  if (table.labels !== undefined) info.labels = [...table.labels];
  if (table.features !== undefined) info.features = [...table.features];
  if (table.target !== undefined) info.target = [...table.target];
  if (table.standardization !== undefined) info.standardization = table.standardization;
  return info;
}

// the table with x standardised by s (fitted on the training part); the table remembers s
export function standardizeTable(table: Table, s: Standardization): Table {
  if (table.standardization !== undefined) throw new TypeError('standardizeTable: this table is standardised already');
  return { ...table, x: standardize(table.x, s), standardization: s };
}

// a seeded shuffle, then the test rows, the validation rows and the training rows, in that order
export function splitTable(table: Table, options: SplitOptions): TableSplit {
  const { test = 0, validation = 0, seed } = options;
  for (const [name, f] of [['test', test], ['validation', validation]] as const) {
    if (typeof f !== 'number' || !(f >= 0 && f < 1)) throw new RangeError(`splitTable: ${name} must be a share in [0, 1), got ${describe(f)}`);
  }
  if (test + validation >= 1) throw new RangeError(`splitTable: test ${test} and validation ${validation} leave nothing to train on`);
  const n = table.x.rows;
  const order = new Random(seed).permutation(n);
  const nTest = Math.round(test * n);
  const nVal = Math.round(validation * n);
  const part = (name: string, share: number, count: number, from: number): Table | undefined => {
    if (share === 0) return undefined;
    if (count < 1) throw new RangeError(`splitTable: a ${name} share of ${share} of ${n} rows is no row at all`);
    return takeRows(table, order.subarray(from, from + count));
  };
  const testPart = part('test', test, nTest, 0);
  const valPart = part('validation', validation, nVal, nTest);
  if (n - nTest - nVal < 1) throw new RangeError(`splitTable: no rows are left to train on (${n} rows)`);
  const out: TableSplit = { train: takeRows(table, order.subarray(nTest + nVal)), rows: { train: order.slice(nTest + nVal) } };
  if (valPart !== undefined) {
    out.validation = valPart;
    out.rows.validation = order.slice(nTest, nTest + nVal);
  }
  if (testPart !== undefined) {
    out.test = testPart;
    out.rows.test = order.slice(0, nTest);
  }
  return out;
}
