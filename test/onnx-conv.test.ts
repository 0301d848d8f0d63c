// conv nets exported to ONNX run in ONNX Runtime (onnxruntime-web) and give blasprop's own
// evaluation-mode probabilities: Conv, MaxPool with padding, batch norm after a conv and after a dense
// layer, dropout's evaluation scaling

import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { DTYPES, Matrix } from '../src/matrix.js';
import { buildNetwork, parseLayers, SimpleConvNet, softmax } from '../src/nn/index.js';
import type { Sequential } from '../src/nn/sequential.js';
import { exportOnnx } from '../src/onnx/export.js';
import { nativeBackend, randomMatrix, testRng } from './helpers.js';

ort.env.wasm.numThreads = 1;

// onnxruntime-web has no float64 Conv kernel: a float64 net is exported as float32 (exportOnnx's dtype)
async function onnxProbabilities(net: Sequential, x: Matrix): Promise<Float32Array | Float64Array> {
  const session = await ort.InferenceSession.create(exportOnnx(net, { dtype: 'float32' }));
  try {
    const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data), [x.rows, x.cols]) });
    return out.probabilities!.data as Float32Array | Float64Array;
  } finally {
    await session.release();
  }
}

describe.each(DTYPES)('ONNX export of conv nets, %s', (dtype) => {
  // float32 in ONNX Runtime: two runtimes sum in different orders, a few eps32 apart on probabilities ≤ 1
  const tol = 1e-5;

  it.each([
    ['SimpleConvNet (1×12×12 input, 6 filters)', () => new SimpleConvNet({ input: [1, 12, 12], filters: 6, hidden: 20, dtype, seed: 1, backend: nativeBackend() })],
    ['conv with padding and stride, batch norm, padded max-pool, dropout, batch norm after dense', () =>
      buildNetwork({ input: [2, 9, 8], layers: parseLayers('conv:5:3x2:s2:p1,batchnorm,relu,pool:3:s1:p1,dropout:0.4,dense:12,batchnorm,sigmoid'), outputs: 10, init: 'he', dtype, seed: 2, backend: nativeBackend() })],
  ])('%s: the same probabilities as blasprop', async (_name, make) => {
    const net = make();
    const width = (net.layers[0] as unknown as { inputSize: number }).inputSize;
    const x = randomMatrix(testRng(3), 6, width, dtype);
    // training steps move batch norm's running statistics away from (0, 1)
    for (let i = 0; i < 3; i++) net.gradient(x, new Int32Array([0, 1, 2, 3, 4, 5]));
    net.setTraining(false);
    const ours = softmax(net.predict(x));
    const theirs = await onnxProbabilities(net, x);
    expect(theirs.length).toBe(ours.size);
    let worst = 0;
    for (let i = 0; i < ours.size; i++) worst = Math.max(worst, Math.abs(theirs[i]! - ours.data[i]!));
    expect(worst).toBeLessThan(tol);
  });
});
