// a model's answers for raw rows: standardised as the model was trained, through the network a chunk
// at a time, then the output function and the user's label names

import type { DataInfo } from '../io/model.js';
import { Matrix } from '../matrix.js';
import { argmax } from '../nn/metrics.js';
import { DEFAULT_EVAL_CHUNK, type Sequential } from '../nn/sequential.js';
import type { Dataset } from '../train/dataset.js';
import { Evaluator } from '../train/evaluate.js';
import { standardize } from './standardize.js';
import { matrixFrom } from './table.js';

export interface Prediction {
  // the model's output for the row: class probabilities, yes-probabilities, or predicted values
  output: number[];
  // a classification or a two-class binary model: the answer's index and name
  class?: number;
  label?: string;
  // a multi-label model: the names whose probability is over ½
  labels?: string[];
}

// rows as a finite float64 Matrix of the width the network takes
function rowsOf(x: readonly (readonly number[])[] | Matrix, inputs: number): Matrix {
  const m = matrixFrom('predict: rows', x, undefined);
  if (m.cols !== inputs) throw new RangeError(`predict: rows have ${m.cols} values, the model takes ${inputs}`);
  return m;
}

export function predictRows(net: Sequential, data: DataInfo, x: readonly (readonly number[])[] | Matrix, chunk = DEFAULT_EVAL_CHUNK): Prediction[] {
  const inputs = net.params.W1?.rows;
  if (inputs === undefined) throw new TypeError('predict: the network has no first Affine layer');
  const raw = rowsOf(x, inputs);
  // the training standardisation, and the network's dtype
  const input = data.standardization !== undefined ? standardize(raw, data.standardization, net.dtype) : raw.dtype === net.dtype ? raw : new Matrix(raw.rows, raw.cols, net.dtype === 'float32' ? Float32Array.from(raw.data) : Float64Array.from(raw.data));
  const task = net.task;
  const out: Prediction[] = [];
  // the rows as a Dataset for the evaluator's one chunked pass (its targets are not read)
  const rows: Dataset = {
    count: input.rows,
    features: input.cols,
    gather(indices, x) {
      x.data.set(input.data.subarray(indices[0]! * input.cols, (indices[0]! + x.rows) * input.cols));
    },
  };
  new Evaluator(net, chunk).forEachChunk(rows, (scores) => {
    const y = net.lastLayer.output(scores);
    for (let i = 0; i < y.rows; i++) {
      const row = Array.from(y.data.subarray(i * y.cols, (i + 1) * y.cols));
      const p: Prediction = { output: row };
      if (task === 'classify') {
        p.class = argmax(row, 0, row.length);
        p.label = data.labels?.[p.class] ?? String(p.class);
      } else if (task === 'binary' && row.length === 1) {
        p.class = row[0]! > 0.5 ? 1 : 0;
        p.label = data.labels?.[p.class] ?? String(p.class);
      } else if (task === 'binary') {
        p.labels = row.flatMap((v, j) => (v > 0.5 ? [data.labels?.[j] ?? String(j)] : []));
      }
      out.push(p);
    }
  });
  return out;
}
