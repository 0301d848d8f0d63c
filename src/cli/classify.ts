// a saved model's predictions for rows of inputs: the class and the softmax probabilities of each.

import { Matrix } from '../matrix.js';
import type { Sequential } from '../nn/index.js';

// softmax of one row of scores, in float64 and shifted by the row's maximum so exp cannot overflow
function softmaxRow(d: ArrayLike<number>, offset: number, n: number): number[] {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, d[offset + j]!);
  const p = new Array<number>(n);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += p[j] = Math.exp(d[offset + j]! - max);
  for (let j = 0; j < n; j++) p[j]! /= sum;
  return p;
}

// the predicted class: the first largest score, as accuracy counts it
function argmaxRow(d: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (d[offset + j]! > d[offset + best]!) best = j;
  return best;
}

export interface Prediction {
  class: number;
  probabilities: number[];
}

// rows of inputs (already scaled) through the network, a chunk at a time
export function classify(net: Sequential, rows: number, inputs: number, fill: (start: number, x: Matrix) => void): Prediction[] {
  const out: Prediction[] = [];
  const chunk = 1000;
  for (let start = 0; start < rows; start += chunk) {
    const x = Matrix.zeros(Math.min(chunk, rows - start), inputs, net.dtype);
    fill(start, x);
    const y = net.predict(x);
    for (let i = 0; i < y.rows; i++) out.push({ class: argmaxRow(y.data, i * y.cols, y.cols), probabilities: softmaxRow(y.data, i * y.cols, y.cols) });
  }
  return out;
}
