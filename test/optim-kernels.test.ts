// the fused optimizer updates (momentumStep, adaptiveStep, adamStep): a hand-checked step on every
// backend, native against reference bit for bit in both dtypes, and the argument checks of both

import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../src/backend/index.js';
import type { Backend } from '../src/backend/types.js';
import { getNumThreads, setNumThreads } from '../src/info.js';
import { DTYPES, Matrix, type DType } from '../src/matrix.js';
import { createOptimizer, OPTIMIZER_NAMES } from '../src/optim/index.js';
import { allBackends, nativeBackend, randomMatrix, testRng, typedArraySpy } from './helpers.js';

const arr = (dtype: DType, values: number[]) => Matrix.from([values], dtype).data;

describe.each(allBackends().map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  describe.each(DTYPES)('%s', (dtype) => {
    it('sgdStep: p = 2 − 0.5·(1 + 0.25·2) = 1.25, exactly', () => {
      const p = arr(dtype, [2, -2]);
      backend.sgdStep(p, arr(dtype, [1, -1]), 0.5, 0.25);
      expect(Array.from(p)).toEqual([1.25, -1.25]);
      expect(() => backend.sgdStep(p, p, 0.5, 0.25)).toThrow(/^sgdStep: p must not share memory with g$/);
      expect(() => backend.sgdStep(p, arr(dtype, [1]), 0.5, 0.25)).toThrow(/^sgdStep: g has 1 elements, expected 2 like p$/);
      expect(() => backend.sgdStep(p, arr(dtype, [1, 1]), Infinity, 0.25)).toThrow(/^sgdStep: lr must be finite/);
      expect(Array.from(p)).toEqual([1.25, -1.25]);
    });

    it('momentumStep: v = 0.9·1 + 0.5 = 1.4, p = 2 − 0.5·1.4 = 1.3; nesterov p = 2 − 0.5·(0.5 + 0.9·1.4) = 1.12', () => {
      const p = arr(dtype, [2, 2]);
      const v = arr(dtype, [1, 1]);
      backend.momentumStep(p, arr(dtype, [0.5, 0.5]), v, 0.5, 0.9, 0, false);
      expect(Array.from(v)).toEqual(Array.from(arr(dtype, [1.4, 1.4])));
      expect(Array.from(p)).toEqual(Array.from(arr(dtype, [2 - 0.5 * v[0]!, 2 - 0.5 * v[0]!])));
      const q = arr(dtype, [2]);
      const w = arr(dtype, [1]);
      backend.momentumStep(q, arr(dtype, [0.5]), w, 0.5, 0.9, 0, true);
      expect(q[0]).toBeCloseTo(1.12, 6);
    });

    it('adaptiveStep: AdaGrad (a = b = 1) h = 4 + 9 = 13, p = 1 − 0.1·3/√13; weight decay adds wd·p to g', () => {
      const p = arr(dtype, [1]);
      const h = arr(dtype, [4]);
      backend.adaptiveStep(p, arr(dtype, [3]), h, 0.1, 1, 1, 0, 0);
      expect(h[0]).toBe(13);
      expect(p[0]).toBeCloseTo(1 - 0.3 / Math.sqrt(13), 6);
      // g' = 3 + 0.5·1 = 3.5 with h from 0: p = 1 − 0.1·3.5/3.5 = 0.9
      const q = arr(dtype, [1]);
      backend.adaptiveStep(q, arr(dtype, [3]), arr(dtype, [0]), 0.1, 1, 1, 0, 0.5);
      expect(q[0]).toBeCloseTo(0.9, 6);
    });

    it('adamStep: the first step (bias-corrected) moves p by about lr against the sign of g', () => {
      const p = arr(dtype, [1, 1]);
      const m = arr(dtype, [0, 0]);
      const v = arr(dtype, [0, 0]);
      // t = 1: stepSize = lr/(1 − β1), bc2Sqrt = √(1 − β2)
      backend.adamStep(p, arr(dtype, [0.3, -2]), m, v, 0.01 / 0.1, 0.9, 0.999, Math.sqrt(0.001), 1e-8, 0);
      expect(p[0]).toBeCloseTo(0.99, 6);
      expect(p[1]).toBeCloseTo(1.01, 6);
      expect(m[1]).toBeCloseTo(-0.2, 6);
      expect(v[1]).toBeCloseTo(0.004, 6);
    });

    it('argument checks: dtypes, lengths, shared memory, hyperparameters', () => {
      const a = () => arr(dtype, [1, 2, 3]);
      const other: DType = dtype === 'float32' ? 'float64' : 'float32';
      const p = a();
      expect(() => backend.momentumStep(p, arr(other, [1, 2, 3]), a(), 0.1, 0.9, 0, false)).toThrow(TypeError);
      expect(() => backend.momentumStep(p, a(), arr(dtype, [1, 2]), 0.1, 0.9, 0, false)).toThrow(/^momentumStep: v has 2 elements, expected 3 like p$/);
      expect(() => backend.adaptiveStep(p, a(), p, 0.1, 1, 1, 1e-7, 0)).toThrow(/^adaptiveStep: h must not share memory with p$/);
      expect(() => backend.adamStep(p, a(), a(), p.subarray(1), 0.1, 0.9, 0.999, 0.03, 1e-8, 0)).toThrow(/^adamStep: v has 2 elements, expected 3 like p$/);
      const m = a();
      expect(() => backend.adamStep(p, a(), m, m, 0.1, 0.9, 0.999, 0.03, 1e-8, 0)).toThrow(/^adamStep: v must not share memory with m$/);
      expect(() => backend.adamStep(p, a(), a(), a(), NaN, 0.9, 0.999, 0.03, 1e-8, 0)).toThrow(/^adamStep: stepSize must be finite/);
      expect(() => backend.adaptiveStep(p, a(), a(), 0.1, '1' as never, 1, 1e-7, 0)).toThrow(/^adaptiveStep: a must be a number/);
      // nothing was written by a refused call
      expect(Array.from(p)).toEqual([1, 2, 3]);
    });
  });
});

// three steps of every rule on both backends from the same start: the same bits, since both round
// every operation to the dtype (float32 arithmetic for float32, no fused multiply-add)
type Step = (b: Backend, p: Float32Array | Float64Array, g: Float32Array | Float64Array, s1: Float32Array | Float64Array, s2: Float32Array | Float64Array) => void;
function runBoth(dtype: DType, step: Step, rows = 37, cols = 29) {
  const rng = testRng(5);
  const p0 = randomMatrix(rng, rows, cols, dtype);
  const grads = [0, 1, 2].map(() => randomMatrix(rng, rows, cols, dtype));
  const run = (b: Backend) => {
    const p = p0.clone().data;
    const s1 = Matrix.zeros(rows, cols, dtype).data;
    const s2 = Matrix.zeros(rows, cols, dtype).data;
    for (const g of grads) step(b, p, g.data, s1, s2);
    return [p, s1, s2];
  };
  const native = run(nativeBackend());
  const reference = run(referenceBackend);
  // the first element whose bits differ (Object.is: −0 and NaN count), or −1: one pass, where toEqual
  // on a quarter-million elements takes seconds
  native.forEach((x, i) => expect(x.findIndex((v, j) => !Object.is(v, reference[i]![j])), `array ${i}`).toBe(-1));
}

describe.each(DTYPES)('native equals reference bit for bit (%s)', (dtype) => {
  it('sgd with weight decay', () => {
    runBoth(dtype, (b, p, g) => b.sgdStep(p, g, 0.1, 0.01));
  });
  it.each([0, 0.01])('momentum and nesterov, weight decay %s', (wd) => {
    runBoth(dtype, (b, p, g, v) => b.momentumStep(p, g, v, 0.1, 0.9, wd, false));
    runBoth(dtype, (b, p, g, v) => b.momentumStep(p, g, v, 0.1, 0.9, wd, true));
  });
  it.each([0, 0.01])('adagrad and rmsprop, weight decay %s', (wd) => {
    runBoth(dtype, (b, p, g, h) => b.adaptiveStep(p, g, h, 0.01, 1, 1, 1e-7, wd));
    runBoth(dtype, (b, p, g, h) => b.adaptiveStep(p, g, h, 0.01, 0.99, 1 - 0.99, 1e-8, wd));
  });
  it.each([0, 0.01])('adam, weight decay %s', (wd) => {
    let t = 0;
    runBoth(dtype, (b, p, g, m, v) => {
      t = (t % 3) + 1;
      b.adamStep(p, g, m, v, 0.001 / (1 - 0.9 ** t), 0.9, 0.999, Math.sqrt(1 - 0.999 ** t), 1e-8, wd);
    });
  });
});

// a parameter of 265 189 elements (above two_cores.h's kSplitElements, split off a 16-element
// boundary) at 2 threads: the native update runs over two cores, each element's result its own
describe('a large parameter updated over two cores equals reference bit for bit', () => {
  const rules: [string, Step][] = [
    ['sgd', (b, p, g) => b.sgdStep(p, g, 0.1, 0.01)],
    ['nesterov', (b, p, g, v) => b.momentumStep(p, g, v, 0.1, 0.9, 0.01, true)],
    ['rmsprop', (b, p, g, h) => b.adaptiveStep(p, g, h, 0.01, 0.99, 1 - 0.99, 1e-8, 0)],
    ['adam', (b, p, g, m, v) => b.adamStep(p, g, m, v, 0.001 / (1 - 0.9), 0.9, 0.999, Math.sqrt(1 - 0.999), 1e-8, 0.01)],
  ];
  it.each(rules)('%s', (_name, step) => {
    const before = getNumThreads();
    try {
      setNumThreads(2);
      runBoth('float32', step, 521, 509);
    } finally {
      setNumThreads(before);
    }
  });
});

// float32 updates flush subnormals (|x| < 2^-126) to zero on both backends, as x86's FTZ and DAZ do:
// state decaying through that range, gradients whose square underflows, subnormal inputs
describe('float32 subnormals are flushed alike on both backends', () => {
  const start = () => {
    // m and v start just above 2^-126 (three steps of β·m cross it), or subnormal, or ordinary
    const state = [1.5e-38, 1.2e-38, 3e-39, -2e-45, 1e-3, 0, -1.5e-38, 4e-30];
    const g = [0, 0, 1e-20, -3e-39, 1e-2, 1e-25, 0, -1e-22];
    const p = [0.5, -1e-39, 0.25, 2e-38, -0.75, 1e-40, 1, -0.5];
    return { p: Float32Array.from(p), g: Float32Array.from(g), s1: Float32Array.from(state), s2: Float32Array.from(state.map(Math.abs)) };
  };
  const rules: [string, (b: Backend, a: ReturnType<typeof start>) => void][] = [
    ['sgd with weight decay', (b, a) => b.sgdStep(a.p, a.g, 0.1, 0.01)],
    ['momentum', (b, a) => b.momentumStep(a.p, a.g, a.s1, 0.1, 0.9, 0, false)],
    ['nesterov with weight decay', (b, a) => b.momentumStep(a.p, a.g, a.s1, 0.1, 0.9, 0.01, true)],
    ['rmsprop', (b, a) => b.adaptiveStep(a.p, a.g, a.s2, 0.01, 0.9, 0.1, 1e-8, 0)],
    ['adam', (b, a) => b.adamStep(a.p, a.g, a.s1, a.s2, 0.01, 0.9, 0.999, 0.5, 1e-8, 0)],
    ['adam with weight decay', (b, a) => b.adamStep(a.p, a.g, a.s1, a.s2, 0.01, 0.9, 0.999, 0.5, 1e-8, 0.01)],
  ];
  it.each(rules)('%s', (_name, step) => {
    const run = (b: Backend) => {
      const a = start();
      for (let i = 0; i < 3; i++) step(b, a);
      return a;
    };
    const native = run(nativeBackend());
    const reference = run(referenceBackend);
    expect(native).toEqual(reference);
    // nothing subnormal is left in what the rule writes (p and its state)
    const untouched = start();
    const written = [native.p, native.s1, native.s2].filter((x, i) => i === 0 || !x.every((v, j) => Object.is(v, [untouched.p, untouched.s1, untouched.s2][i]![j])));
    expect(written.length).toBeGreaterThan(0);
    for (const x of written.flatMap((a) => [...a])) expect(x === 0 || Math.abs(x) >= 2 ** -126).toBe(true);
  });
  it('momentum state decaying below 2^-126 becomes zero (1.5e-38·0.9³ would be a subnormal 1.09e-38)', () => {
    for (const b of [nativeBackend(), referenceBackend]) {
      const a = start();
      for (let i = 0; i < 2; i++) b.momentumStep(a.p, a.g, a.s1, 0.1, 0.9, 0, false);
      expect(a.s1[0]).toBeCloseTo(1.5e-38 * 0.81, 44);
      b.momentumStep(a.p, a.g, a.s1, 0.1, 0.9, 0, false);
      expect(a.s1[0]).toBe(0);
    }
  });
});

it.each(OPTIMIZER_NAMES.map((n) => [n]))('a %s update with weight decay allocates no typed array after the first', (name) => {
  const params = { W: Matrix.zeros(20, 10, 'float32') };
  const grads = { W: Matrix.zeros(20, 10, 'float32') };
  grads.W.data.fill(0.5);
  const opt = createOptimizer(name, { weightDecay: 0.01 });
  opt.update(params, grads);
  const spy = typedArraySpy();
  spy.watch();
  try {
    for (let i = 0; i < 5; i++) opt.update(params, grads);
  } finally {
    spy.unwatch();
  }
  expect(spy.made).toBe(0);
});
