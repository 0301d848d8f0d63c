// inference per image, blasprop against ONNX Runtime (onnxruntime-web, WebAssembly) on the same model
// exported by exportOnnx, at batch 1 and batch 1000, in one run; both compute the softmax

import type { Backend } from '../backend/types.js';
import type { MnistSet } from '../data/mnist.js';
import { toMatrix } from '../data/mnist.js';
import { setNumThreads } from '../info.js';
import { Matrix, type DType } from '../matrix.js';
import { mlp, softmax } from '../nn/index.js';
import { exportOnnx } from '../onnx/export.js';
import { timeAsync, type Timing } from './timing.js';

export interface OnnxBenchRow {
  model: string;
  dtype: DType;
  batch: number;
  // µs per image
  blaspropOneThread: number;
  blaspropAllThreads: number;
  onnxRuntimeWeb: number;
}

export const ONNX_BENCH_MODELS = [
  { name: 'book 784-50-10', sizes: [784, 50, 10] },
  { name: 'wide 784-1024-10', sizes: [784, 1024, 10] },
];

const perImage = (t: Timing, batch: number) => (t.median * 1000) / batch;

export async function benchOnnx(native: Backend, test: MnistSet, maxThreads: number, quick: boolean, log: (s: string) => void): Promise<OnnxBenchRow[]> {
  // a devDependency: the bench runs from a checkout, the library never loads it
  const ort = await import('onnxruntime-web');
  // one WebAssembly thread: what ONNX Runtime Web uses in most browsers (no cross-origin isolation)
  ort.env.wasm.numThreads = 1;
  const options = { warmup: 5, reps: quick ? 3 : 7, minRepMs: quick ? 50 : 200 };
  const rows: OnnxBenchRow[] = [];
  log('µs per image, softmax included: blasprop (native, 1 and all threads) and onnxruntime-web (WebAssembly, 1 thread)');
  log('model                 dtype    batch   blasprop 1 thr   blasprop all thr   onnxruntime-web   ort / blasprop 1 thr');
  for (const model of ONNX_BENCH_MODELS) {
    for (const dtype of ['float32', 'float64'] as const) {
      const net = mlp({ sizes: model.sizes, dtype, seed: 1, backend: native });
      const session = await ort.InferenceSession.create(exportOnnx(net));
      for (const batch of [1, 1000]) {
        const x = toMatrix(test, { dtype, normalize: true, end: batch });
        const probabilities = Matrix.zeros(batch, 10, dtype);
        const predict = async () => softmax(net.predict(x), probabilities);
        const feeds = { input: new ort.Tensor(dtype, x.data, [batch, x.cols]) };
        const runOnnx = () => session.run(feeds);
        setNumThreads(1);
        const one = await timeAsync(predict, options);
        setNumThreads(maxThreads);
        const all = await timeAsync(predict, options);
        const web = await timeAsync(runOnnx, options);
        const row: OnnxBenchRow = { model: model.name, dtype, batch, blaspropOneThread: perImage(one, batch), blaspropAllThreads: perImage(all, batch), onnxRuntimeWeb: perImage(web, batch) };
        rows.push(row);
        const us = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)).padStart(9);
        log(`${model.name.padEnd(21)} ${dtype.padEnd(8)} ${String(batch).padStart(5)}   ${us(row.blaspropOneThread)}        ${us(row.blaspropAllThreads)}          ${us(row.onnxRuntimeWeb)}        ${(row.onnxRuntimeWeb / row.blaspropOneThread).toFixed(1).padStart(6)}×`);
      }
      await session.release();
    }
  }
  return rows;
}
