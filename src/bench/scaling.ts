// npm run bench -- --scaling: how a training step's cost grows with the batch and the hidden width,
// per dtype and thread count: step / gemm floor and samples/s for 784-width-10, a table and an svg

import { writeFileSync } from 'node:fs';
import type { Backend } from '../backend/types.js';
import type { MnistSet } from '../data/mnist.js';
import { setNumThreads } from '../info.js';
import { DTYPES, type DType } from '../matrix.js';
import { lineChart, svgDocument, type Series } from '../plot/svg.js';
import { time } from './timing.js';
import { floorRunner, stepProducts, stepRunner } from './workload.js';

export const SCALING_BATCHES = [1, 8, 32, 100, 256, 1024];
export const SCALING_WIDTHS = [16, 64, 256, 1024, 4096];

export interface ScalingRow {
  batch: number;
  width: number;
  dtype: DType;
  threads: number;
  stepMs: number;
  floorMs: number;
  stepOverFloor: number;
  samplesPerSecond: number;
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd'];

export function benchScaling(native: Backend, train: MnistSet, threadCounts: number[], quick: boolean, log: (s: string) => void): ScalingRow[] {
  const rows: ScalingRow[] = [];
  // short repetitions: 120 cells, and the ratio, not the last percent, is the point
  const opts = { warmup: 3, reps: quick ? 3 : 5, minRepMs: quick ? 20 : 60 };
  log('scaling: 784-width-10, ms per training step (SGD) against its gemm floor');
  log('batch  width  dtype    thr    step ms   floor ms  step/floor   samples/s');
  for (const dtype of DTYPES) {
    for (const threads of threadCounts) {
      setNumThreads(threads);
      for (const width of SCALING_WIDTHS) {
        for (const batch of SCALING_BATCHES) {
          const config = { name: `784-${width}-10`, sizes: [784, width, 10], batch };
          const floorMs = time(floorRunner(native, stepProducts(config, dtype)), opts).median;
          const stepMs = time(stepRunner(native, config, dtype, train).run, opts).median;
          const row = { batch, width, dtype, threads, stepMs, floorMs, stepOverFloor: stepMs / floorMs, samplesPerSecond: (batch * 1000) / stepMs };
          rows.push(row);
          log(`${String(batch).padStart(5)}  ${String(width).padStart(5)}  ${dtype.padEnd(8)} ${String(threads).padStart(3)}  ${stepMs.toFixed(3).padStart(9)}  ${floorMs.toFixed(3).padStart(9)}  ${row.stepOverFloor.toFixed(2).padStart(9)}×  ${Math.round(row.samplesPerSecond).toString().padStart(10)}`);
        }
      }
    }
  }
  return rows;
}

// two charts over log2(batch), one line per width, at one dtype and thread count: step/floor above,
// thousands of samples/s below
export function renderScalingSvg(rows: readonly ScalingRow[], dtype: DType, threads: number): string {
  const pick = (width: number, y: (r: ScalingRow) => number): Series['points'] =>
    rows.filter((r) => r.width === width && r.dtype === dtype && r.threads === threads).map((r) => ({ x: Math.log2(r.batch), y: y(r) }));
  const series = (y: (r: ScalingRow) => number): Series[] =>
    SCALING_WIDTHS.map((width, i) => ({ label: `width ${width}`, points: pick(width, y), color: COLORS[i % COLORS.length]!, width: 2 }));
  const [width, height] = [1000, 820];
  return svgDocument(width, height, `Training step cost, 784-width-10, ${dtype}, ${threads} thread${threads > 1 ? 's' : ''}`, [
    lineChart({ title: 'step / gemm floor', xLabel: 'log2 batch size', yLabel: 'step / floor', series: series((r) => r.stepOverFloor) }, { x: 10, y: 36, width: width - 20, height: 380 }),
    lineChart({ title: 'throughput', xLabel: 'log2 batch size', yLabel: 'thousand samples/s', series: series((r) => r.samplesPerSecond / 1000) }, { x: 10, y: 426, width: width - 20, height: 380 }),
  ]);
}

export function writeScalingSvg(path: string, rows: readonly ScalingRow[], dtype: DType, threads: number): void {
  writeFileSync(path, renderScalingSvg(rows, dtype, threads));
}
