// networks: backprop against numerical gradients (the book's check, and an exact version of it),
// native against reference, seeding, errors, buffer reuse, evaluation, and a small learning run

import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../src/backend/index.js';
import type { Backend } from '../src/backend/types.js';
import { loadMnist, toMatrix } from '../src/data/mnist.js';
import { DTYPES, Matrix, type DType } from '../src/matrix.js';
import { Affine } from '../src/nn/affine.js';
import { gradientCheck } from '../src/nn/gradcheck.js';
import { Relu } from '../src/nn/relu.js';
import { mlp, Sequential } from '../src/nn/sequential.js';
import { Sigmoid } from '../src/nn/sigmoid.js';
import { softmax, SoftmaxWithLoss } from '../src/nn/softmax.js';
import { TwoLayerNet } from '../src/nn/two-layer-net.js';
import type { Labels } from '../src/nn/types.js';
import { Random } from '../src/random.js';
import { allBackends, EPS, nativeBackend, randomMatrix, testRng } from './helpers.js';

const DELTA = 1e-7; // the 1e-7 inside crossEntropyError's log

function values(m: Matrix): number[] {
  return Array.from(m.data);
}

function rows(x: Matrix, start: number, end: number): Matrix {
  return new Matrix(end - start, x.cols, x.data.slice(start * x.cols, end * x.cols));
}

function oneHot(labels: Int32Array, classes: number, dtype: DType = 'float64'): Matrix {
  const t = Matrix.zeros(labels.length, classes, dtype);
  labels.forEach((k, i) => t.set(i, k, 1));
  return t;
}

function snapshot(record: Record<string, Matrix>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(record).map(([k, m]) => [k, values(m)]));
}

// max |a − b| over a parameter, relative to the largest |b| in it
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

// the exact gradient of the loss as computed, built from backprop one sample at a time: the loss
// is mean_n −log(y_n,t + δ), whose gradient is mean_n c_n·g_n with g_n the per-sample backprop
// gradient (of −log y_n,t) and c_n = y_n,t/(y_n,t + δ)
function exactLossGradient(net: Sequential, x: Matrix, t: Int32Array): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [k, p] of Object.entries(net.params)) out[k] = new Float64Array(p.size);
  for (let n = 0; n < x.rows; n++) {
    const xn = rows(x, n, n + 1);
    const tn = t.subarray(n, n + 1);
    const y = softmax(net.predict(xn));
    const yt = y.get(0, tn[0]!);
    const c = yt / (yt + DELTA);
    const g = net.gradient(xn, tn).grads;
    for (const k of Object.keys(out)) g[k]!.data.forEach((v, i) => (out[k]![i]! += (c * v) / x.rows));
  }
  return out;
}

function labelsFor(n: number, classes: number, rng: () => number): Int32Array {
  return Int32Array.from({ length: n }, () => Math.floor(rng() * classes));
}

describe.each(allBackends().map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  it("TwoLayerNet 20-10-5, batch 3, the book's weightInitStd 0.01: every mean |backprop − numerical| below 1e-7", () => {
    const rng = testRng(11);
    const net = new TwoLayerNet(20, 10, 5, { dtype: 'float64', seed: 1, backend });
    const x = randomMatrix(rng, 3, 20, 'float64');
    const t = labelsFor(3, 5, rng);
    const diffs = gradientCheck(net, x, t);
    expect(Object.keys(diffs)).toEqual(['W1', 'b1', 'W2', 'b2']);
    for (const d of Object.values(diffs)) expect(d).toBeLessThan(1e-7);
  });

  it.each([
    ['TwoLayerNet 20-10-5, std 0.1', () => new TwoLayerNet(20, 10, 5, { dtype: 'float64', weightInitStd: 0.1, seed: 2, backend }), 20, 5],
    ['mlp 12-10-8-6-4, sigmoid/relu/sigmoid, xavier', () => mlp({ dtype: 'float64', sizes: [12, 10, 8, 6, 4], activation: ['sigmoid', 'relu', 'sigmoid'], init: 'xavier', seed: 3, backend }), 12, 4],
    ['mlp 12-10-8-6-4, relu/sigmoid/relu, he', () => mlp({ dtype: 'float64', sizes: [12, 10, 8, 6, 4], activation: ['relu', 'sigmoid', 'relu'], init: 'he', seed: 4, backend }), 12, 4],
  ] as const)('%s: backprop matches the numerical gradient', (_label, make, inputs, classes) => {
    const rng = testRng(12);
    const net = make();
    const x = randomMatrix(rng, 4, inputs, 'float64');
    const t = labelsFor(4, classes, rng);
    // the book's measure: mean absolute difference per parameter
    const diffs = gradientCheck(net, x, t);
    expect(Object.keys(diffs)).toEqual(Object.keys(net.params));
    for (const d of Object.values(diffs)) expect(d).toBeLessThan(1e-7);
    // and a sharp one: against the exact gradient of the δ-guarded loss, relative to each
    // parameter's scale. What is left is central-difference error: truncation h²·|f'''|/6 and
    // rounding eps·loss/h ≈ 1e-12, of the order of 1e-9 of gradients of 1e-3 to 1e-1
    const numerical = net.numericalGradient(x, t);
    const exact = exactLossGradient(net, x, t);
    for (const k of Object.keys(net.params)) expect(relDiff(exact[k]!, numerical[k]!.data)).toBeLessThan(1e-8);
    // the plain backprop gradient differs from that only by δ/y_t ≈ 5e-7 relative
    const backprop = net.gradient(x, t).grads;
    for (const k of Object.keys(net.params)) expect(relDiff(backprop[k]!.data, numerical[k]!.data)).toBeLessThan(2e-6);
  });

  it('one-hot and index labels give identical losses, gradients and accuracies', () => {
    const rng = testRng(13);
    const net = mlp({ dtype: 'float64', sizes: [6, 5, 3], init: 'he', seed: 5, backend });
    const x = randomMatrix(rng, 7, 6, 'float64');
    const t = labelsFor(7, 3, rng);
    const loss = net.loss(x, t);
    // gradient() returns the loss of the same forward pass
    expect(net.gradient(x, t).loss).toBe(loss);
    const grads = snapshot(net.gradient(x, t).grads);
    expect(net.loss(x, oneHot(t, 3))).toBe(loss);
    expect(snapshot(net.gradient(x, oneHot(t, 3)).grads)).toEqual(grads);
    expect(net.accuracy(x, oneHot(t, 3))).toBe(net.accuracy(x, t));
  });
});

describe('native against reference', () => {
  // an entry of op(A)·op(B) with inner dimension k is within k·eps·Σ|a||b| of exact on either side;
  // the reference accumulates in float64, OpenBLAS in the dtype, and the loss gradient passes
  // through three products (k ≤ 64 here). float64: 64·2.2e-16·(a few products) ≈ 1e-13 of the
  // scale → 1e-12; float32: 64·1.2e-7 ≈ 7.6e-6 worst case, √k·eps ≈ 1e-6 typical → 1e-5.
  const TOL: Record<DType, number> = { float32: 1e-5, float64: 1e-12 };

  it.each(DTYPES)('%s: same seed, same parameters bit for bit; same loss and gradients to k·eps', (dtype) => {
    const native = nativeBackend();
    const a = mlp({ sizes: [64, 32, 16, 10], activation: ['relu', 'sigmoid'], init: 'he', dtype, seed: 7, backend: referenceBackend });
    const b = mlp({ sizes: [64, 32, 16, 10], activation: ['relu', 'sigmoid'], init: 'he', dtype, seed: 7, backend: native });
    for (const k of Object.keys(a.params)) expect(b.params[k]!.data).toEqual(a.params[k]!.data);
    const rng = testRng(14);
    const x = randomMatrix(rng, 16, 64, dtype);
    const t = labelsFor(16, 10, rng);
    const lossA = a.loss(x, t);
    expect(Math.abs(b.loss(x, t) - lossA) / lossA).toBeLessThan(TOL[dtype]);
    const ga = snapshot(a.gradient(x, t).grads);
    const gb = snapshot(b.gradient(x, t).grads);
    for (const k of Object.keys(ga)) expect(relDiff(gb[k]!, ga[k]!)).toBeLessThan(TOL[dtype]);
    // and the tolerance is not slack: the two backends do differ in float32 (OpenBLAS rounds every
    // partial sum to float32), by about eps32, while agreeing far better than a wrong result would
    if (dtype === 'float32') expect(Object.keys(ga).some((k) => relDiff(gb[k]!, ga[k]!) > 0)).toBe(true);
    expect(TOL[dtype]).toBeGreaterThan(64 * EPS[dtype]);
  });
});

describe('initialisation and seeding', () => {
  it("TwoLayerNet draws W1 then W2 as weightInitStd·randn from Random(seed); biases zero", () => {
    const net = new TwoLayerNet(30, 20, 10, { seed: 42, dtype: 'float32' });
    const r = new Random(42);
    expect(net.params.W1!.data).toEqual(r.fillNormal(new Float32Array(600), 0.01));
    expect(net.params.W2!.data).toEqual(r.fillNormal(new Float32Array(200), 0.01));
    expect(values(net.params.b1!).every((v) => v === 0)).toBe(true);
    expect(values(net.params.b2!).every((v) => v === 0)).toBe(true);
    expect([net.params.W1!.rows, net.params.W1!.cols, net.params.b2!.cols, net.dtype]).toEqual([30, 20, 10, 'float32']);
    // the same seed is the same network; another seed is another
    expect(snapshot(new TwoLayerNet(30, 20, 10, { seed: 42, dtype: 'float32' }).params)).toEqual(snapshot(net.params));
    expect(new TwoLayerNet(30, 20, 10, { seed: 43, dtype: 'float32' }).params.W1!.data).not.toEqual(net.params.W1!.data);
  });

  it.each([
    ['std', 0.01],
    ['xavier', Math.sqrt(1 / 400)],
    ['he', Math.sqrt(2 / 400)],
    [0.3, 0.3],
  ] as const)('init %s: weights have the rule\'s standard deviation', (init, std) => {
    const net = mlp({ dtype: 'float64', sizes: [400, 300, 10], init, seed: 9 });
    const w = values(net.params.W1!);
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const sd = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    // 120 000 draws: the sample sd is within 1% of the true one with overwhelming probability (σ ≈ 0.2%)
    expect(Math.abs(sd / std - 1)).toBeLessThan(0.01);
    expect(Math.abs(mean)).toBeLessThan(0.01 * std);
    // the second layer's fan-in is 300
    if (init === 'he') expect(net.params.W2!.data).toEqual(new Random(9).fillNormal(new Float64Array(120000 + 3000), 1).subarray(120000).map((v) => Math.sqrt(2 / 300) * v));
  });

  it('a caller-supplied Random is drawn from; seed and random together are refused', () => {
    const net = mlp({ dtype: 'float64', sizes: [3, 2], random: new Random(5) });
    expect(values(net.params.W1!)).toEqual(Array.from(new Random(5).fillNormal(new Float64Array(6), 0.01)));
    expect(() => mlp({ dtype: 'float64', sizes: [3, 2], seed: 1, random: new Random(1) })).toThrow(/seed or random, not both/);
  });

  it('loadParams copies values between networks, checking keys, shapes and dtypes first', () => {
    const rng = testRng(15);
    const a = new TwoLayerNet(8, 6, 3, { dtype: 'float64', seed: 1, weightInitStd: 0.5 });
    const b = new TwoLayerNet(8, 6, 3, { dtype: 'float64', seed: 2, weightInitStd: 0.5 });
    const x = randomMatrix(rng, 4, 8, 'float64');
    const ya = values(a.predict(x));
    expect(values(b.predict(x))).not.toEqual(ya);
    const W1 = b.params.W1;
    b.loadParams(a.params);
    expect(b.params.W1).toBe(W1); // the same objects, new values
    expect(values(b.predict(x))).toEqual(ya);

    const before = snapshot(b.params);
    expect(() => b.loadParams(new TwoLayerNet(8, 7, 3, { dtype: 'float64' }).params)).toThrow(/'W1' is 8×7 float64, the network's is 8×6 float64/);
    expect(() => b.loadParams(new TwoLayerNet(8, 6, 3, { dtype: 'float32' }).params)).toThrow(TypeError);
    expect(() => b.loadParams({ W1: a.params.W1!, b1: a.params.b1!, W2: a.params.W2! })).toThrow(/'b2' is missing/);
    expect(() => b.loadParams({ ...a.params, W3: a.params.W2! })).toThrow(/unexpected parameter 'W3'/);
    expect(snapshot(b.params)).toEqual(before);
  });
});

describe('networks: structure, errors, buffers, evaluation', () => {
  it('Sequential numbers parameters by layer order and turns off the first Affine\'s dx', () => {
    const a1 = new Affine(Matrix.zeros(4, 3, 'float64'), Matrix.zeros(1, 3, 'float64'));
    const a2 = new Affine(Matrix.zeros(3, 2, 'float64'), Matrix.zeros(1, 2, 'float64'));
    const net = new Sequential([a1, new Sigmoid(), a2], new SoftmaxWithLoss());
    expect(Object.keys(net.params)).toEqual(['W1', 'b1', 'W2', 'b2']);
    expect(net.params.W2).toBe(a2.W);
    expect(net.gradient(Matrix.zeros(2, 4, 'float64'), new Int32Array([0, 1])).grads.b2).toBe(a2.db);
    expect([a1.inputGrad, a2.inputGrad]).toEqual([false, true]);
    expect(() => new Sequential([a1, new Relu(), new Affine(Matrix.zeros(5, 2, 'float64'), Matrix.zeros(1, 2, 'float64'))], new SoftmaxWithLoss())).toThrow(
      /expects 5 inputs, but the layer before gives 3/,
    );
    const relu = new Relu();
    expect(() => new Sequential([new Affine(Matrix.zeros(4, 4, 'float64'), Matrix.zeros(1, 4, 'float64')), relu, relu], new SoftmaxWithLoss())).toThrow(/appears twice/);
    expect(() => new Sequential([new Affine(Matrix.zeros(4, 4, 'float64'), Matrix.zeros(1, 4, 'float64')), new Affine(Matrix.zeros(4, 2, 'float32'), Matrix.zeros(1, 2, 'float32'))], new SoftmaxWithLoss())).toThrow(
      /W2 is float32, the network is float64/,
    );
  });

  it('a network that starts with a parameter-free layer still gets every gradient right', () => {
    const rng = testRng(16);
    const net = new Sequential([new Sigmoid(), new Affine(randomMatrix(rng, 5, 3, 'float64'), randomMatrix(rng, 1, 3, 'float64'))], new SoftmaxWithLoss());
    const x = randomMatrix(rng, 4, 5, 'float64', 2);
    const t = new Int32Array([0, 2, 1, 1]);
    const numerical = net.numericalGradient(x, t);
    const exact = exactLossGradient(net, x, t);
    expect(Object.keys(numerical)).toEqual(['W1', 'b1']);
    for (const k of Object.keys(numerical)) expect(relDiff(exact[k]!, numerical[k]!.data)).toBeLessThan(1e-8);
  });

  it('clear errors for a wrong width, wrong labels and a wrong dtype; the network works afterwards', () => {
    const net = new TwoLayerNet(784, 50, 10, { dtype: 'float64', seed: 1 });
    const rng = testRng(17);
    const x = randomMatrix(rng, 3, 784, 'float64');
    const t = new Int32Array([1, 2, 9]);
    const loss = net.loss(x, t);
    expect(() => net.loss(randomMatrix(rng, 3, 783, 'float64'), t)).toThrow(new RangeError('Affine: x has 783 columns, W expects 784 (W is 784×50)'));
    expect(() => net.gradient(x, new Int32Array([1, 2]))).toThrow(/2 labels for 3 rows/);
    expect(() => net.gradient(x, new Int32Array([1, 2, 10]))).toThrow(/label 2 is 10, expected an integer in \[0, 10\)/);
    expect(() => net.loss(x, new Int32Array([1, -1, 2]))).toThrow(/label 1 is -1/);
    expect(() => net.loss(x, new Float64Array([1, 2.5, 3]) as unknown as Labels)).toThrow(TypeError);
    expect(() => net.loss(x, oneHot(new Int32Array([1, 2, 3]), 9))).toThrow(/one-hot t is 3×9, expected 3×10/);
    expect(() => net.accuracy(x, new Uint8Array([1, 2]))).toThrow(/2 labels for 3 rows/);
    expect(() => net.accuracy(x, new Uint8Array([1, 2, 200]))).toThrow(/label 2 is 200/);
    expect(() => net.predict(randomMatrix(rng, 3, 784, 'float32'))).toThrow(new TypeError('Sequential: x is float32, the network is float64'));
    expect(() => new TwoLayerNet(784, 0, 10)).toThrow(/hiddenSize must be a positive integer, got 0/);
    expect(() => new TwoLayerNet(784, 50, 10, { dtype: 'float64', weightInitStd: -1 })).toThrow(RangeError);
    expect(() => new TwoLayerNet(784, 50, 10, { dtype: 'float64', weightInitSTD: 1 } as never)).toThrow(/unknown option 'weightInitSTD'/);
    expect(() => mlp({ dtype: 'float64', sizes: [4, 3, 2], activation: ['relu', 'relu'] })).toThrow(/2 entries, but there are 1 hidden layers/);
    expect(() => mlp({ dtype: 'float64', sizes: [4, 3, 2], activation: 'tanh' as never })).toThrow(/'relu' or 'sigmoid'/);
    expect(() => mlp({ dtype: 'float64', sizes: [4, 3, 2], init: 'kaiming' as never })).toThrow(/init must be/);
    expect(() => mlp({ dtype: 'float64', sizes: [4] })).toThrow(/at least 2/);
    expect(net.loss(x, t)).toBe(loss);
    expect(() => net.gradient(x, t)).not.toThrow();
  });

  it('reuses its buffers while the batch size holds; another batch size works and gives the same rows', () => {
    const rng = testRng(18);
    const net = mlp({ dtype: 'float64', sizes: [6, 5, 4, 3], activation: ['relu', 'sigmoid'], init: 'he', seed: 3 });
    const x = randomMatrix(rng, 5, 6, 'float64');
    const t = new Int32Array([0, 1, 2, 0, 1]);
    const y1 = net.predict(x);
    const first = values(y1);
    expect(net.predict(x)).toBe(y1);
    const g1 = net.gradient(x, t);
    const dW1 = g1.grads.W1;
    expect(net.gradient(x, t)).toBe(g1);
    expect(net.gradient(x, t).grads.W1).toBe(dW1);
    // two rows alone give the same two rows of scores, then the full batch again as before
    expect(values(net.predict(rows(x, 1, 3)))).toEqual(first.slice(3, 9));
    expect(values(net.predict(x))).toEqual(first);
  });

  it('accuracy and evaluate: argmax by rows, chunked or not, one-hot or index', () => {
    const rng = testRng(19);
    const net = mlp({ dtype: 'float64', sizes: [6, 8, 4], init: 'he', seed: 8 });
    const x = randomMatrix(rng, 23, 6, 'float64');
    const t = labelsFor(23, 4, rng);
    // the truth, by hand: argmax of each row of the scores
    const y = net.predict(x).toArray();
    const correct = y.filter((row, i) => row.indexOf(Math.max(...row)) === t[i]).length;
    expect(correct).toBeGreaterThan(0);
    expect(correct).toBeLessThan(23);
    expect(net.accuracy(x, t)).toBe(correct / 23);
    expect(net.accuracy(x, t, 5)).toBe(correct / 23);
    expect(net.accuracy(x, oneHot(t, 4), 7)).toBe(correct / 23);
    const whole = net.evaluate(x, t);
    expect(whole.accuracy).toBe(correct / 23);
    expect(whole.loss).toBe(net.loss(x, t));
    const chunked = net.evaluate(x, oneHot(t, 4), 4);
    expect(chunked.accuracy).toBe(correct / 23);
    expect(chunked.loss).toBeCloseTo(whole.loss, 14);
    expect(() => net.accuracy(x, t, 0)).toThrow(/evalBatchSize must be a positive integer/);
  });

  it('a training step allocates no typed arrays (native backend)', () => {
    const backend: Backend = nativeBackend();
    const net = new TwoLayerNet(20, 10, 5, { seed: 1, backend, dtype: 'float32' });
    const rng = testRng(20);
    const x = randomMatrix(rng, 8, 20, 'float32');
    const t = labelsFor(8, 5, rng);
    net.gradient(x, t); // the first call makes the buffers
    const g = globalThis as unknown as Record<string, unknown>;
    const names = ['Float32Array', 'Float64Array', 'Uint8Array', 'Int32Array'];
    const saved = names.map((n) => g[n]);
    let made = 0;
    names.forEach((n, i) => {
      g[n] = new Proxy(saved[i] as object, {
        construct(target, args) {
          made++;
          return Reflect.construct(target as new (...a: unknown[]) => object, args);
        },
      });
    });
    try {
      for (let step = 0; step < 10; step++) {
        const { grads } = net.gradient(x, t);
        for (const k in grads) {
          const p = net.params[k]!.data, d = grads[k]!.data;
          for (let i = 0; i < p.length; i++) p[i] -= 0.1 * d[i]!;
        }
      }
      // the counter itself works
      new Float32Array(1);
    } finally {
      names.forEach((n, i) => (g[n] = saved[i]));
    }
    expect(made).toBe(1);
  });
});

describe('the book', () => {
  it("gradient check on the first 3 MNIST training images, 784-50-10: the book's magnitudes (native)", () => {
    const { train } = loadMnist({ dtype: 'float64' });
    const x = toMatrix(train, { end: 3 });
    const t = train.labels.subarray(0, 3);
    const net = new TwoLayerNet(784, 50, 10, { dtype: 'float64', seed: 1, backend: nativeBackend() });
    const diffs = gradientCheck(net, x, t);
    // the book prints W1 4.0e-10, b1 2.1e-09, W2 5.2e-09, b2 1.4e-07 (its own random weights);
    // each of ours is within 10× of those
    const book: Record<string, number> = { W1: 4.0e-10, b1: 2.1e-9, W2: 5.2e-9, b2: 1.4e-7 };
    for (const [k, d] of Object.entries(diffs)) {
      expect(d).toBeLessThan(10 * book[k]!);
      expect(d).toBeGreaterThan(book[k]! / 10);
    }
  });

  it('a 2-layer net with plain SGD learns a separable problem that needs its hidden layer', () => {
    // four clusters in the corners of a square, opposite corners share a class (XOR): no straight
    // line separates them, so only a working hidden layer gets them right
    const rng = testRng(21);
    const make = (n: number) => {
      const x = Matrix.zeros(n, 2, 'float64');
      const t = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const sx = rng() < 0.5 ? -1 : 1, sy = rng() < 0.5 ? -1 : 1;
        x.set(i, 0, sx + (rng() - 0.5) * 0.8);
        x.set(i, 1, sy + (rng() - 0.5) * 0.8);
        t[i] = sx * sy > 0 ? 1 : 0;
      }
      return { x, t };
    };
    const train = make(200);
    const test = make(200);
    const net = new TwoLayerNet(2, 16, 2, { dtype: 'float64', weightInitStd: 0.5, seed: 3 });
    const before = net.accuracy(test.x, test.t);
    const lr = 0.5;
    for (let step = 0; step < 200; step++) {
      const { grads } = net.gradient(train.x, train.t);
      for (const k in grads) {
        const p = net.params[k]!.data, g = grads[k]!.data;
        for (let i = 0; i < p.length; i++) p[i] -= lr * g[i]!;
      }
    }
    expect(before).toBeLessThan(0.8);
    expect(net.accuracy(test.x, test.t)).toBeGreaterThanOrEqual(0.97);
    expect(net.loss(train.x, train.t)).toBeLessThan(0.2);
  });
});
