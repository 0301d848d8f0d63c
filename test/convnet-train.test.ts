// conv nets trained on the real MNIST through the library's trainer: learning in a few seconds,
// allocation-free steps, and a checkpointed run with dropout and batch norm resuming bit for bit

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/index.js';
import { Matrix } from '../src/matrix.js';
import { buildNetwork, parseLayers, SimpleConvNet } from '../src/nn/builder.js';
import type { Sequential } from '../src/nn/sequential.js';
import { Adam } from '../src/optim/index.js';
import { evaluateAccuracy, fit, readCheckpoint, Trainer, type History, type TrainerOptions } from '../src/train/index.js';
import { nativeBackend, typedArraySpy } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'blasprop-conv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('SimpleConvNet on the real MNIST', () => {
  const mnist = loadMnist({ dtype: 'float32' });

  // the book's network with 8 filters and 32 hidden units (4× fewer flops), so the test stays short;
  // the full SimpleConvNet's accuracy run is `npm run train:conv`
  it('learns: Adam lr 0.001, batch 50, 100 iterations lift 1000 test images from chance to ≥ 70 %', async () => {
    const net = new SimpleConvNet({ filters: 8, hidden: 32, dtype: 'float32', seed: 1, backend: nativeBackend() });
    const test = { ...mnist.test, count: 1000 };
    const before = evaluateAccuracy(net, test);
    const history = await fit(net, { train: mnist.train }, { iterations: 100, batchSize: 50, optimizer: new Adam({ lr: 0.001 }), seed: 2, evaluate: false });
    const after = evaluateAccuracy(net, test);
    // untrained: chance; the loss falls from ln 10 ≈ 2.30
    expect(before).toBeLessThan(0.2);
    expect(history.loss[0]).toBeCloseTo(Math.log(10), 1);
    expect(after).toBeGreaterThanOrEqual(0.7);
  });

  it('a training step allocates no typed array after the first (im2col buffers made once per batch size)', () => {
    const net = new SimpleConvNet({ dtype: 'float32', seed: 1, backend: nativeBackend() });
    const opt = new Adam({ lr: 0.001 });
    const x = new Matrix(100, 784, Float32Array.from(mnist.train.images.subarray(0, 78_400), (v) => v / 255));
    const t = Int32Array.from(mnist.train.labels.subarray(0, 100));
    opt.update(net.params, net.gradient(x, t).grads);
    const spy = typedArraySpy();
    spy.watch();
    try {
      for (let i = 0; i < 3; i++) opt.update(net.params, net.gradient(x, t).grads);
    } finally {
      spy.unwatch();
    }
    expect(spy.made).toBe(0);
  });
});

describe('a conv net with dropout and batch norm, checkpointed and resumed', () => {
  const mnist = loadMnist({ dtype: 'float64' });
  const data = { train: { ...mnist.train, count: 500 }, test: { ...mnist.test, count: 100 } };
  const network = (): Sequential =>
    buildNetwork({ input: [1, 28, 28], layers: parseLayers('conv:4:5:s1,batchnorm,relu,pool:4,dropout:0.3,dense:16,batchnorm,relu'), outputs: 10, seed: 3, backend: nativeBackend() });
  const options: TrainerOptions = { iterations: 24, batchSize: 25, optimizer: 'adam', learningRate: 0.001, seed: 4 };
  const bytes = (net: Sequential) => Object.entries({ ...net.params, ...net.state }).map(([k, m]) => [k, Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).toString('base64')]);
  const lossBytes = (h: History) => Buffer.from(h.loss.buffer, h.loss.byteOffset, h.loss.byteLength).toString('base64');

  it('stopped at iteration 13 and resumed, it ends with the same weights, running statistics, generator words and losses', async () => {
    const reference = network();
    const refHistory = await fit(reference, data, options);
    const dir = join(root, 'run');
    const stopped = await fit(network(), data, { ...options, checkpoint: { dir, every: 5 }, onBatchEnd: (b) => b.iteration < 13 });
    expect(stopped.iterations).toBe(13);
    const trainer = await Trainer.resume(dir, { backend: nativeBackend() });
    const resumed = await trainer.fit(data);
    const net = trainer.net as Sequential;
    expect(Object.keys(net.state)).toEqual(['running_mean2', 'running_var2', 'rng3', 'running_mean5', 'running_var5']);
    expect(bytes(net)).toEqual(bytes(reference));
    expect(lossBytes(resumed)).toEqual(lossBytes(refHistory));
    expect(resumed.epochs.map((e) => e.testAccuracy)).toEqual(refHistory.epochs.map((e) => e.testAccuracy));
    // the checkpoint's model file evaluates like the network in memory
    const end = await readCheckpoint(dir);
    expect(evaluateAccuracy(end.model.net, data.test)).toBe(evaluateAccuracy(reference, data.test));
  });
});
