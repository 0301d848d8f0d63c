// a saved model's predictions for rows of inputs: the class and the softmax probabilities of each.

import { softmaxImpl } from '../kernels/softmax.js';
import type { Matrix } from '../matrix.js';
import { argmax } from '../nn/metrics.js';
import type { Sequential } from '../nn/index.js';
import type { Dataset } from '../train/dataset.js';
import { Evaluator } from '../train/evaluate.js';

export interface Prediction {
  class: number;
  probabilities: number[];
}

// rows of inputs (already scaled) through the network, a chunk at a time: fill(start, x) writes rows
// start … start + x.rows − 1 into x
export function classify(net: Sequential, rows: number, inputs: number, fill: (start: number, x: Matrix) => void): Prediction[] {
  // unlabelled rows, as a Dataset the evaluator's chunked pass reads in order
  const data: Dataset = {
    count: rows,
    features: inputs,
    gather(indices, x, t) {
      fill(indices[0]!, x);
      (t as Int32Array).fill(0);
    },
  };
  const out: Prediction[] = [];
  new Evaluator(net).forEachChunk(data, (scores) => {
    const { rows: n, cols } = scores;
    // probabilities in float64 whatever the network's dtype
    const p = new Float64Array(n * cols);
    softmaxImpl(scores.data, n, cols, p);
    for (let i = 0; i < n; i++) out.push({ class: argmax(scores.data, i * cols, cols), probabilities: Array.from(p.subarray(i * cols, (i + 1) * cols)) });
  });
  return out;
}
