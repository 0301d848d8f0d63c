// what a training run reports: the lines for people, the one JSON line for programs, and the facts
// a saved model keeps about the run that made it.

import { readFileSync } from 'node:fs';
import type { DType } from '../matrix.js';
import type { History, HistorySummary } from '../train/history.js';
import { formatDuration, formatRate } from './progress.js';
import type { Trainer } from '../train/trainer.js';

export function fixed4(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(4);
}

// the peak resident memory of this process so far, in MB. Linux's VmHWM belongs to this program;
// getrusage's maxRSS survives exec, so a child started by a large parent would report the parent's
export function peakRssMB(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS / 1024;
}

export interface RunFacts {
  net: string;
  backend: string;
  threads: number;
  optimizer: string;
  checkpoint?: string;
  resumedAt?: number;
}

// the task's measures: a classifier's accuracies (as always), or a regression's MSE, MAE and R²; the
// validation set's too when there was one, and the epoch whose weights early stopping kept
export function measureLines(s: HistorySummary): string[] {
  const sets = (['test', 'validation', 'train'] as const).filter((k) => s[k] !== undefined || (k !== 'validation' && s.validation === undefined && s.train === undefined));
  const lines = sets.map((k) => {
    const m = s[k];
    const short = k === 'validation' ? 'val' : k;
    if (m?.mse !== undefined) return `${short.padEnd(16)}mse ${fixed4(m.mse)}  mae ${fixed4(m.mae)}  r2 ${fixed4(m.r2)}`;
    return `${(short + ' accuracy').padEnd(16)}${fixed4(m?.accuracy ?? (k === 'test' ? s.testAccuracy : k === 'train' ? s.trainAccuracy : undefined))}`;
  });
  if (s.bestEpoch !== undefined) lines.push(`best epoch      ${s.bestEpoch} (early stopping kept its weights; the measures above are its)`);
  return lines;
}

export function summaryLines(history: History, facts: RunFacts): string[] {
  const s = history.summary();
  const c = history.config;
  const lines: string[] = [];
  if (s.stopReason !== 'completed') lines.push(`stopped early at iteration ${s.iterations} of ${c.iterations}${s.stopReason === 'aborted' ? ' (Ctrl-C)' : s.stopReason === 'early-stopped' ? ' (early stopping: the validation measure stopped improving)' : ''}`);
  const epochs = s.iterations / c.iterationsPerEpoch;
  const previous = history.epochs.length > 1 ? history.epochs[history.epochs.length - 2]!.iteration : 0;
  const lastSpan = s.iterations - previous;
  lines.push(
    ...measureLines(s),
    `loss            ${fixed4(history.lastEpoch?.loss)} (mean over the last ${lastSpan} iterations)`,
    `iterations      ${s.iterations} (${Number.isInteger(epochs) ? epochs : epochs.toFixed(2)} epoch${epochs === 1 ? '' : 's'} of ${c.iterationsPerEpoch}, batch ${c.batchSize})`,
    `wall time       ${formatDuration(s.wallTimeMs)} (training ${formatDuration(s.trainTimeMs)}, evaluation ${formatDuration(s.evalTimeMs)}` +
      `${s.checkpointTimeMs !== undefined ? `, checkpoints ${formatDuration(s.checkpointTimeMs)}` : ''})`,
    `per iteration   ${Number.isFinite(s.msPerIteration) ? s.msPerIteration.toFixed(3) : '-'} ms (${formatRate(s.iterationsPerSecond)} it/s, ${formatRate(s.samplesPerSecond)} samples/s)`,
    `network         ${facts.net}`,
    `optimizer       ${facts.optimizer}, sampling ${c.sampling}, seed ${c.seed}`,
    `backend         ${facts.backend}, ${facts.threads} thread${facts.threads === 1 ? '' : 's'}`,
    `memory          peak RSS ${peakRssMB().toFixed(0)} MB`,
  );
  if (facts.resumedAt !== undefined) lines.push(`resumed         from the checkpoint at iteration ${facts.resumedAt} (times include the earlier sessions)`);
  if (facts.checkpoint !== undefined && s.iterations > 0) lines.push(`checkpoint      ${facts.checkpoint} (iteration ${s.iterations})`);
  return lines;
}

// the one-line summary of --json; the first four names are what the benchmark reads
export function jsonSummary(history: History, trainer: Trainer, facts: RunFacts & { dtype: DType; model?: string }): Record<string, unknown> {
  const s = history.summary();
  const c = history.config;
  return {
    testAccuracy: s.testAccuracy ?? null,
    trainAccuracy: s.trainAccuracy ?? null,
    wallTimeMs: s.wallTimeMs,
    peakRssMB: peakRssMB(),
    trainTimeMs: s.trainTimeMs,
    evalTimeMs: s.evalTimeMs,
    checkpointTimeMs: history.checkpointTimeMs,
    msPerIteration: s.msPerIteration,
    iterationsPerSecond: s.iterationsPerSecond,
    samplesPerSecond: s.samplesPerSecond,
    iterations: s.iterations,
    totalIterations: c.iterations,
    epochs: s.iterations / c.iterationsPerEpoch,
    stopReason: s.stopReason,
    finalLoss: s.finalLoss ?? null,
    loss: history.lastEpoch?.loss ?? null,
    backend: facts.backend,
    dtype: facts.dtype,
    threads: facts.threads,
    network: c.network ?? null,
    optimizer: trainer.optimizer.name ?? null,
    learningRate: trainer.learningRate,
    batchSize: c.batchSize,
    sampling: c.sampling,
    seed: c.seed,
    resumedFrom: facts.resumedAt ?? null,
    checkpoint: facts.checkpoint ?? null,
    model: facts.model ?? null,
    // the task's measures of each set (accuracy, or mse, mae and r2), and early stopping's best epoch
    task: c.task ?? 'classify',
    train: s.train ?? null,
    validation: s.validation ?? null,
    test: s.test ?? null,
    bestEpoch: s.bestEpoch ?? null,
  };
}

// what a saved model records about the run that made it
export function trainingFacts(history: History, trainer: Trainer): Record<string, unknown> {
  const s = history.summary();
  const c = history.config;
  const hyper = (trainer.optimizer as { hyperparameters?: unknown }).hyperparameters;
  return {
    iterations: s.iterations,
    totalIterations: c.iterations,
    epochs: s.iterations / c.iterationsPerEpoch,
    stopReason: s.stopReason,
    testAccuracy: s.testAccuracy ?? null,
    trainAccuracy: s.trainAccuracy ?? null,
    finalLoss: s.finalLoss ?? null,
    seed: c.seed,
    samplingSeed: trainer.seed,
    optimizer: trainer.optimizer.name ?? null,
    learningRate: trainer.learningRate,
    ...(hyper !== undefined ? { hyperparameters: hyper } : {}),
    batchSize: c.batchSize,
    sampling: c.sampling,
    dtype: c.dtype,
    network: c.network ?? null,
    activation: c.activation ?? null,
    init: c.init ?? null,
    backend: c.backend ?? null,
    threads: c.threads ?? null,
    trainCount: c.trainCount,
    testCount: c.testCount,
    // the chunking of the accuracies above: blasprop eval chunks the same way, so it prints the same numbers
    evalBatchSize: trainer.evalBatchSize,
    wallTimeMs: s.wallTimeMs,
    trainTimeMs: s.trainTimeMs,
    evalTimeMs: s.evalTimeMs,
    savedAt: new Date().toISOString(),
  };
}
