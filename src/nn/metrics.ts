// what a row of scores predicts, and how many rows predict their label: the one argmax
// (training accuracy, evaluation, one-hot labels and the CLI's predictions all use it)

import { Matrix } from '../matrix.js';
import { checkLabels } from './softmax.js';
import type { Labels } from './types.js';

// index of the largest of d[offset … offset+n), the first one on ties (numpy's argmax)
export function argmax(d: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  let bestValue = d[offset]!;
  for (let j = 1; j < n; j++) {
    const v = d[offset + j]!;
    if (v > bestValue) {
      bestValue = v;
      best = j;
    }
  }
  return best;
}

// how many rows of y have their argmax at the label (or at the one-hot row's argmax)
export function countCorrect(y: Matrix, t: Labels): number {
  checkLabels('accuracy', t, y.rows, y.cols);
  const { rows, cols } = y;
  let correct = 0;
  for (let i = 0; i < rows; i++) {
    const label = t instanceof Matrix ? argmax(t.data, i * cols, cols) : t[i]!;
    if (argmax(y.data, i * cols, cols) === label) correct++;
  }
  return correct;
}
