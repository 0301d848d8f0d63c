// the regression and binary heads in ONNX: a network ending in MeanSquaredError exports its scores,
// one ending in SigmoidWithLoss their sigmoid; ONNX Runtime (onnxruntime-web) gives what output() gives

import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { mlp } from '../src/nn/index.js';
import { exportOnnx } from '../src/onnx/export.js';
import { nativeBackend, randomMatrix, relDiff, testRng } from './helpers.js';

ort.env.wasm.numThreads = 1;

describe('ONNX heads of the regression and binary losses', () => {
  it.each(['regress', 'binary'] as const)('%s: ONNX Runtime answers what Sequential.output answers', async (task) => {
    const net = mlp({ sizes: [4, 6, 3], task, init: 'he', dtype: 'float32', seed: 1, backend: nativeBackend() });
    const x = randomMatrix(testRng(2), 5, 4, 'float32', 2);
    const session = await ort.InferenceSession.create(exportOnnx(net));
    try {
      const out = await session.run({ input: new ort.Tensor('float32', x.data, [5, 4]) });
      const y = out.probabilities!;
      expect(y.dims).toEqual([5, 3]);
      const want = net.output(x).data;
      // float32 through two different implementations: a few roundings apart
      expect(relDiff(y.data as Float32Array, want)).toBeLessThan(1e-5);
      if (task === 'binary') expect(Array.from(want).every((p) => p > 0 && p < 1)).toBe(true);
    } finally {
      await session.release();
    }
  });
});
