// what a training run leaves behind: the loss of every iteration, the accuracies of every epoch,
// and the timings, in a form a plot or a JSON-lines log can take as is

import type { TaskMetrics } from '../nn/task-metrics.js';
import type { PlotHistory } from '../plot/svg.js';

// 'early-stopped': the validation measure stopped improving (earlyStopping), and the best weights were kept
export type StopReason = 'completed' | 'stopped' | 'aborted' | 'early-stopped';

export interface EpochRecord {
  // 1-based; a final evaluation after a partial epoch gets a fractional number (iteration / iterationsPerEpoch)
  epoch: number;
  // iterations done when this record was made
  iteration: number;
  // absent when evaluation is off (or there is no test set)
  trainAccuracy?: number;
  testAccuracy?: number;
  // the task's measures on each set evaluated: accuracy, or mse, mae and r2 for a regression
  train?: TaskMetrics;
  validation?: TaskMetrics;
  test?: TaskMetrics;
  // mean training loss over the iterations since the previous record
  loss: number;
  // wall time since fit started
  elapsedMs: number;
}

// the settings a run used, written as the first log line so the log says how to reproduce it
export interface RunConfig {
  iterations: number;
  batchSize: number;
  learningRate: number;
  optimizer: string;
  sampling: 'replacement' | 'shuffle';
  seed: number;
  iterationsPerEpoch: number;
  trainCount: number;
  testCount: number;
  // anything else the caller wants on record (backend, dtype, layer sizes, …)
  [key: string]: unknown;
}

export interface HistorySummary {
  iterations: number;
  epochs: number;
  stopReason: StopReason;
  wallTimeMs: number;
  trainTimeMs: number;
  evalTimeMs: number;
  // time spent writing checkpoints (only when there were any); not part of trainTimeMs
  checkpointTimeMs?: number;
  msPerIteration: number;
  iterationsPerSecond: number;
  samplesPerSecond: number;
  finalLoss?: number;
  trainAccuracy?: number;
  testAccuracy?: number;
  // the task's measures of the weights the run ends with (the best epoch's, after early stopping)
  train?: TaskMetrics;
  validation?: TaskMetrics;
  test?: TaskMetrics;
  // early stopping: the epoch whose weights were kept
  bestEpoch?: number;
}

const INITIAL_CAPACITY = 1 << 16;

export class History {
  readonly config: RunConfig;
  readonly epochs: EpochRecord[] = [];
  stopReason: StopReason = 'completed';
  wallTimeMs = 0;
  // wall time minus evaluation: what the training steps (and the few event-loop yields) took
  trainTimeMs = 0;
  evalTimeMs = 0;
  // writing checkpoints: neither training nor evaluation, so kept apart from both
  checkpointTimeMs = 0;
  // early stopping: the record of the epoch whose weights the network was left with
  best: EpochRecord | undefined = undefined;
  private losses: Float64Array;
  private count = 0;

  constructor(config: RunConfig) {
    this.config = config;
    // one slot per planned iteration, made up front so recording a loss does not allocate; a very
    // long run starts with 2^16 slots and doubles them when full, so a huge --iterations cannot
    // ask for gigabytes before the first step
    this.losses = new Float64Array(Math.min(config.iterations, INITIAL_CAPACITY));
  }

  // record the loss of the next iteration
  push(loss: number): void {
    if (this.count === this.losses.length) {
      // full: grow geometrically, so the copies cost O(1) per iteration overall
      const grown = new Float64Array(Math.max(16, this.losses.length * 2));
      grown.set(this.losses);
      this.losses = grown;
    }
    this.losses[this.count++] = loss;
  }

  // a resumed run: the losses and epoch records of the iterations a checkpoint already holds
  restore(losses: ArrayLike<number>, epochs: readonly EpochRecord[]): void {
    if (this.count !== 0 || this.epochs.length !== 0) throw new Error('History.restore: the history already has iterations');
    for (let i = 0; i < losses.length; i++) this.push(losses[i]!);
    for (const e of epochs) this.epochs.push({ ...e });
  }

  // iterations actually done
  get iterations(): number {
    return this.count;
  }

  // loss[i] is the training loss of iteration i + 1 (a view, no copy)
  get loss(): Float64Array {
    return this.losses.subarray(0, this.count);
  }

  // mean loss over iterations from..to-1 (0-based)
  meanLoss(from: number, to: number): number {
    let s = 0;
    for (let i = from; i < to; i++) s += this.losses[i]!;
    return to > from ? s / (to - from) : NaN;
  }

  get msPerIteration(): number {
    return this.count > 0 ? this.trainTimeMs / this.count : NaN;
  }

  get lastEpoch(): EpochRecord | undefined {
    return this.epochs[this.epochs.length - 1];
  }

  summary(): HistorySummary {
    const last = this.lastEpoch;
    const perSecond = this.trainTimeMs > 0 ? (1000 * this.count) / this.trainTimeMs : NaN;
    const out: HistorySummary = {
      iterations: this.count,
      epochs: last?.epoch ?? 0,
      stopReason: this.stopReason,
      wallTimeMs: this.wallTimeMs,
      trainTimeMs: this.trainTimeMs,
      evalTimeMs: this.evalTimeMs,
      ...(this.checkpointTimeMs > 0 ? { checkpointTimeMs: this.checkpointTimeMs } : {}),
      msPerIteration: this.msPerIteration,
      iterationsPerSecond: perSecond,
      samplesPerSecond: perSecond * this.config.batchSize,
    };
    if (this.count > 0) out.finalLoss = this.losses[this.count - 1]!;
    // the measures of the weights kept: the best epoch's after early stopping, else the last record's
    const kept = this.best ?? last;
    if (kept?.trainAccuracy !== undefined) out.trainAccuracy = kept.trainAccuracy;
    if (kept?.testAccuracy !== undefined) out.testAccuracy = kept.testAccuracy;
    for (const set of ['train', 'validation', 'test'] as const) if (kept?.[set] !== undefined) out[set] = kept[set];
    if (this.best !== undefined) out.bestEpoch = this.best.epoch;
    return out;
  }

  // the shape writeHistoryPlot draws
  toPlot(): PlotHistory {
    const loss = new Array<{ iteration: number; value: number }>(this.count);
    for (let i = 0; i < this.count; i++) loss[i] = { iteration: i + 1, value: this.losses[i]! };
    // a regression's chart shows R² where a classifier's shows accuracy
    if (this.epochs.some((e) => e.train?.r2 !== undefined)) {
      return { loss, epochs: this.epochs.map((e) => ({ epoch: e.epoch, iteration: e.iteration, trainAccuracy: e.train?.r2, testAccuracy: e.test?.r2 })), measure: 'R²' };
    }
    return { loss, epochs: this.epochs };
  }

  toJSON(): { config: RunConfig; loss: number[]; epochs: EpochRecord[]; summary: HistorySummary } {
    return { config: this.config, loss: Array.from(this.loss), epochs: this.epochs, summary: this.summary() };
  }

  // one JSON object per line, in the order things happened:
  //   {"type":"run", ...config}            first
  //   {"type":"iteration","iteration":n,"loss":x}   every iteration
  //   {"type":"epoch","epoch":e,"iteration":n,...}  right after the iteration that ended the epoch
  //   {"type":"summary", ...}              last
  // a loss that is not finite is written as null (JSON has no NaN)
  toJSONLines(): string {
    const lines: string[] = [JSON.stringify({ type: 'run', ...this.config })];
    let e = 0;
    for (let i = 0; i < this.count; i++) {
      const v = this.losses[i]!;
      lines.push(`{"type":"iteration","iteration":${i + 1},"loss":${Number.isFinite(v) ? v : 'null'}}`);
      while (e < this.epochs.length && this.epochs[e]!.iteration === i + 1) lines.push(JSON.stringify({ type: 'epoch', ...this.epochs[e++] }));
    }
    // records not tied to a done iteration (none in a normal run) still belong in the log
    while (e < this.epochs.length) lines.push(JSON.stringify({ type: 'epoch', ...this.epochs[e++] }));
    lines.push(JSON.stringify({ type: 'summary', ...this.summary() }));
    return lines.join('\n') + '\n';
  }
}
