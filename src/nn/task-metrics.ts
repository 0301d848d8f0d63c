// the measure that fits a task, summed chunk by chunk over a whole set: accuracy for classification
// (the row's largest score at its label) and for binary outputs (score > 0, i.e. σ > ½, against
// target ≥ ½, per entry); mean squared error, mean absolute error and R² for regression

import { Matrix } from '../matrix.js';
import { describe } from '../describe.js';
import { checkTargets } from './mean-squared-error.js';
import { countCorrect } from './metrics.js';
import { checkBinaryTargets } from './sigmoid-with-loss.js';
import { checkLabels } from './softmax.js';
import type { Labels, Task } from './types.js';

// the targets a task's loss takes, for scores of rows×cols: class labels, 0/1 targets, or values
export function checkTaskTargets(where: string, task: Task, t: unknown, rows: number, cols: number): asserts t is Labels {
  if (task === 'classify') checkLabels(where, t, rows, cols);
  else if (task === 'binary') checkBinaryTargets(where, t, rows, cols);
  else checkTargets(where, t, rows, cols);
}

export interface TaskMetrics {
  accuracy?: number;
  // regression: over every entry; r2 is 1 − SSres/SStot per output, averaged over the outputs
  mse?: number;
  mae?: number;
  r2?: number;
}

export class MetricSums {
  readonly task: Task;
  private rows = 0;
  private correct = 0;
  private entries = 0;
  // regression, per output: squared and absolute residuals, and the targets' sums shifted by the
  // first target seen (so SStot does not cancel when the targets are large and close together)
  // (made at the first regression chunk: evaluating a classifier allocates nothing)
  private sq: Float64Array | undefined = undefined;
  private abs: Float64Array | undefined = undefined;
  private shift: Float64Array | undefined = undefined;
  private sum: Float64Array | undefined = undefined;
  private sumSq: Float64Array | undefined = undefined;

  constructor(task: Task) {
    if (task !== 'classify' && task !== 'binary' && task !== 'regress') throw new TypeError(`MetricSums: task must be 'classify', 'binary' or 'regress', got ${describe(task)}`);
    this.task = task;
  }

  // one chunk: scores (before the output function) against its targets
  add(scores: Matrix, t: Labels): void {
    const { rows, cols, data } = scores;
    checkTaskTargets('metrics', this.task, t, rows, cols);
    const td = t instanceof Matrix ? t.data : t;
    if (this.task === 'classify') {
      this.correct += countCorrect(scores, t);
    } else if (this.task === 'binary') {
      for (let i = 0; i < data.length; i++) if (data[i]! > 0 === td[i]! >= 0.5) this.correct++;
    } else {
      if (this.sq === undefined) this.start(cols, td);
      const sq = this.sq!, abs = this.abs!, shift = this.shift!, sum = this.sum!, sumSq = this.sumSq!;
      if (sq.length !== cols) throw new RangeError(`metrics: a chunk of ${cols} outputs after chunks of ${sq.length}`);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const k = i * cols + j;
          const e = data[k]! - td[k]!;
          sq[j]! += e * e;
          abs[j]! += Math.abs(e);
          const d = td[k]! - shift[j]!;
          sum[j]! += d;
          sumSq[j]! += d * d;
        }
      }
    }
    this.rows += rows;
    this.entries += data.length;
  }

  private start(cols: number, td: ArrayLike<number>): void {
    this.sq = new Float64Array(cols);
    this.abs = new Float64Array(cols);
    this.sum = new Float64Array(cols);
    this.sumSq = new Float64Array(cols);
    this.shift = Float64Array.from({ length: cols }, (_, j) => td[j]!);
  }

  result(): TaskMetrics {
    if (this.task === 'classify') return { accuracy: this.correct / this.rows };
    if (this.task === 'binary') return { accuracy: this.correct / this.entries };
    if (this.sq === undefined) return { mse: NaN, mae: NaN, r2: NaN };
    let sq = 0;
    let abs = 0;
    let r2 = 0;
    const n = this.rows;
    for (let j = 0; j < this.sq.length; j++) {
      sq += this.sq[j]!;
      abs += this.abs![j]!;
      const ssTot = this.sumSq![j]! - (this.sum![j]! * this.sum![j]!) / n;
      // a constant target has no variance to explain
      r2 += ssTot > 0 ? 1 - this.sq[j]! / ssTot : NaN;
    }
    return { mse: sq / this.entries, mae: abs / this.entries, r2: r2 / this.sq.length };
  }
}
