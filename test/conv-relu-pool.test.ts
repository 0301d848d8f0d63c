// the fused Convolution → Relu → max Pooling op against the three layers it stands for, run apart on
// the same data: forward bit for bit, backward (dW, db, dx summed in other orders) to a few ulps of the
// largest value; on both backends and dtypes, over shapes with batch 1, stride 2, padding 1–2,
// non-square inputs and kernels and several channels. Then how a Sequential plans it, thread-count
// independence, and bad arguments

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceBackend } from '../src/backend/index.js';
import type { Backend } from '../src/backend/types.js';
import { setNumThreads, getNumThreads } from '../src/index.js';
import { DTYPES, Matrix, type DType } from '../src/matrix.js';
import { loadAddon } from '../src/native/addon.js';
import { SimpleConvNet } from '../src/nn/builder.js';
import { ConvReluPool } from '../src/nn/conv-relu-pool.js';
import { Convolution } from '../src/nn/convolution.js';
import { Pooling } from '../src/nn/pooling.js';
import { Relu } from '../src/nn/relu.js';
import { loadMnist } from '../src/data/index.js';
import { fit, Trainer } from '../src/train/index.js';
import { allBackends, EPS, nativeBackend, randomMatrix, testRng } from './helpers.js';

// conv input c×h×w, f filters of kh×kw, stride, pad; then a pool window p×q at stride ps
const SHAPES = [
  // SimpleConvNet's geometry; 6 samples are more than one of the native op's blocks (4 in float32, 2 in float64)
  { n: 6, c: 1, h: 28, w: 28, f: 3, kh: 5, kw: 5, stride: 1, pad: 0, p: 2, q: 2, ps: 2 },
  { n: 2, c: 3, h: 7, w: 5, f: 4, kh: 3, kw: 1, stride: 2, pad: 1, p: 2, q: 3, ps: 1 },
  { n: 3, c: 2, h: 6, w: 10, f: 2, kh: 2, kw: 4, stride: 2, pad: 2, p: 3, q: 2, ps: 2 },
  { n: 1, c: 4, h: 4, w: 6, f: 5, kh: 5, kw: 3, stride: 1, pad: 2, p: 2, q: 2, ps: 2 },
  { n: 5, c: 2, h: 9, w: 12, f: 3, kh: 3, kw: 4, stride: 1, pad: 1, p: 1, q: 3, ps: 1 },
] as const;
interface Shape { n: number; c: number; h: number; w: number; f: number; kh: number; kw: number; stride: number; pad: number; p: number; q: number; ps: number }

function layers(s: Shape, dtype: DType, backend: Backend, seed: number) {
  const rng = testRng(seed);
  // biases alternate in sign, so windows of zeros (ties) pass relu for some filters and not for others
  const b = Matrix.row(Array.from({ length: s.f }, (_, f) => (f % 2 === 0 ? 0.25 : -0.25)), dtype);
  const conv = new Convolution(randomMatrix(rng, s.f, s.c * s.kh * s.kw, dtype), b, {
    input: [s.c, s.h, s.w], kernel: [s.kh, s.kw], stride: s.stride, pad: s.pad, backend,
  });
  const relu = new Relu({ backend });
  const pool = new Pooling({ input: conv.outputShape, kernel: [s.p, s.q], stride: s.ps, backend });
  const x = randomMatrix(rng, s.n, s.c * s.h * s.w, dtype);
  // a band of zeros gives ties (windows whose values all equal the bias): the first maximum must win
  x.data.fill(0, 0, Math.ceil(x.cols / 2));
  const dout = randomMatrix(rng, s.n, pool.outputSize, dtype);
  return { conv, relu, pool, x, dout };
}

// the three layers apart: out, then dx, dW, db (copies)
function unfused(l: ReturnType<typeof layers>) {
  const out = l.pool.forward(l.relu.forward(l.conv.forward(l.x))).clone();
  const dx = l.conv.backward(l.relu.backward(l.pool.backward(l.dout))).clone();
  return { out, dx, dW: l.conv.dW.clone(), db: l.conv.db.clone() };
}

function fused(l: ReturnType<typeof layers>) {
  const stage = ConvReluPool.fuse(l.conv, l.relu, l.pool)!;
  const out = stage.forward(l.x).clone();
  const dx = stage.backward(l.dout).clone();
  return { out, dx, dW: l.conv.dW.clone(), db: l.conv.db.clone() };
}

// |a − b| ≤ 64 ulps of b's largest magnitude, element by element (sums taken in other orders)
function near(a: Matrix, b: Matrix, dtype: DType): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < b.size; i++) {
    diff = Math.max(diff, Math.abs(a.data[i]! - b.data[i]!));
    scale = Math.max(scale, Math.abs(b.data[i]!));
  }
  expect(a.size).toBe(b.size);
  return diff === 0 ? 0 : diff / (64 * EPS[dtype] * scale);
}

const bits = (m: Matrix) => Array.from(m.data, (v) => (Object.is(v, -0) ? '-0' : String(v)));

describe.each(allBackends().map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  it.each(DTYPES)('fused = Convolution → Relu → Pooling: forward bit for bit, backward to 64 ulps of the largest value (%s)', (dtype) => {
    let positive = 0, zero = 0;
    SHAPES.forEach((s, i) => {
      const l = layers(s, dtype, backend, 10 + i);
      const want = unfused(l);
      const got = fused(l);
      expect(bits(got.out), JSON.stringify(s)).toEqual(bits(want.out));
      positive += want.out.data.filter((v) => v > 0).length;
      zero += want.out.data.filter((v) => v === 0).length;
      for (const key of ['dx', 'dW', 'db'] as const) {
        expect(near(got[key], want[key], dtype), `${key} ${JSON.stringify(s)}`).toBeLessThanOrEqual(1);
      }
    });
    // both sides of relu's mask occurred
    expect(positive).toBeGreaterThan(100);
    expect(zero).toBeGreaterThan(100);
  });

  it.each(DTYPES)('a NaN in the input comes out where the layers put it (a NaN wins its window, as in PyTorch) (%s)', (dtype) => {
    for (const s of [SHAPES[0], SHAPES[1], SHAPES[3]]) {
      const l = layers(s, dtype, backend, 30);
      // two neighbours, so a strided kernel reads at least one
      l.x.data[l.x.cols - 3] = NaN;
      l.x.data[l.x.cols - 2] = NaN;
      const want = l.pool.forward(l.relu.forward(l.conv.forward(l.x)));
      const got = ConvReluPool.fuse(l.conv, l.relu, l.pool)!.forward(l.x);
      expect(want.data.some((v) => Number.isNaN(v))).toBe(true);
      expect(bits(got)).toEqual(bits(want));
    }
  });

  it('as a first layer (inputGrad false) it fills dW and db and returns an empty dx', () => {
    const l = layers(SHAPES[1], 'float64', backend, 3);
    const want = unfused(l);
    l.conv.inputGrad = false;
    const got = fused(l);
    expect(got.dx.size).toBe(0);
    expect(near(got.dW, want.dW, 'float64')).toBeLessThanOrEqual(1);
    expect(near(got.db, want.db, 'float64')).toBeLessThanOrEqual(1);
  });
});

describe('the fused op on the two backends', () => {
  const native = nativeBackend();

  // the products round differently (BLAS fuses multiply-adds; the reference sums in float64)
  it.each(DTYPES)('native = reference to 64 ulps: out, dx, dW, db (%s)', (dtype) => {
    SHAPES.forEach((s, i) => {
      const r = fused(layers(s, dtype, referenceBackend, 20 + i));
      const n = fused(layers(s, dtype, native, 20 + i));
      for (const key of ['out', 'dx', 'dW', 'db'] as const) expect(near(n[key], r[key], dtype), key).toBeLessThanOrEqual(1);
    });
  });

  it('native results do not depend on the thread count (blocks summed in a fixed order)', () => {
    // SimpleConvNet's shape with 24 samples: above the size where the op uses more than one thread
    const s: Shape = { n: 24, c: 1, h: 28, w: 28, f: 30, kh: 5, kw: 5, stride: 1, pad: 0, p: 2, q: 2, ps: 2 };
    const before = getNumThreads();
    try {
      setNumThreads(1);
      const one = fused(layers(s, 'float32', native, 5));
      setNumThreads(2);
      const two = fused(layers(s, 'float32', native, 5));
      for (const key of ['out', 'dx', 'dW', 'db'] as const) expect(bits(two[key])).toEqual(bits(one[key]));
    } finally {
      setNumThreads(before);
    }
  });

  it('a Sequential runs conv → relu → pool fused (SimpleConvNet), with the gradient of the layers run apart', () => {
    let calls = 0;
    const counting: Backend = { ...native, convReluPool: (...args) => (calls++, native.convReluPool(...args)) };
    for (const backend of [referenceBackend, counting]) {
      const net = new SimpleConvNet({ input: [1, 10, 10], filters: 4, kernel: 3, hidden: 6, dtype: 'float64', seed: 7, backend });
      const rng = testRng(8);
      const x = randomMatrix(rng, 3, 100, 'float64');
      const t = new Int32Array([1, 4, 9]);
      // layer by layer, as the book runs it, into the same gradient matrices the network returns
      const grads = net.gradient(x, t).grads;
      let out = x;
      for (const layer of net.layers) out = layer.forward(out);
      const loss = net.lastLayer.forward(out, t);
      let dout = net.lastLayer.backward(1);
      for (const layer of [...net.layers].reverse()) dout = layer.backward(dout);
      const apart = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.clone()]));
      // fused: the same loss bit for bit; the dense layers' gradients too (they see the same bits); the
      // convolution's, summed in another order, to 64 ulps
      expect(net.gradient(x, t).loss).toBe(loss);
      expect(Object.keys(grads)).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3']);
      for (const k of ['W2', 'b2', 'W3', 'b3']) expect(bits(grads[k]!), k).toEqual(bits(apart[k]!));
      for (const k of ['W1', 'b1']) expect(near(grads[k]!, apart[k]!, 'float64'), k).toBeLessThanOrEqual(1);
    }
    // one forward per gradient() call
    expect(calls).toBe(2);
  });

  it('the addon refuses bad arguments with what it expected and what arrived', () => {
    const load = loadAddon();
    if (!load.ok) throw load.error;
    const a = load.addon;
    // 1 sample 1×6×6, 2 filters 3×3 → 2×4×4, pooled 2×2 → 2×2×2
    const x = new Float32Array(36), W = new Float32Array(18), b = new Float32Array(2), out = new Float32Array(8), argmax = new Int32Array(8);
    a.convReluPool(x, 1, 1, 6, 6, 3, 3, 1, 0, 2, 2, 2, W, b, out, argmax);
    expect(() => a.convReluPool(x, 1, 1, 6, 6, 3, 3, 0, 0, 2, 2, 2, W, b, out, argmax)).toThrow(/convReluPool: stride must be a positive integer, got 0/);
    expect(() => a.convReluPool(x, 1, 1, 6, 6, 7, 3, 1, 0, 2, 2, 2, W, b, out, argmax)).toThrow(/convReluPool: kernel height 7 is larger than the padded input height 6/);
    expect(() => a.convReluPool(x, 1, 1, 6, 6, 3, 3, 1, 0, 3, 3, 2, W, b, out, argmax)).toThrow(/convReluPool: output height \(4 \+ 2·0 − 3\) \/ 2 \+ 1 is not an integer/);
    expect(() => a.convReluPool(x, 2, 1, 6, 6, 3, 3, 1, 0, 2, 2, 2, W, b, out, argmax)).toThrow(/convReluPool: X has 36 elements, expected 2×36 = 72/);
    expect(() => a.convReluPool(x, 1, 1, 6, 6, 3, 3, 1, 0, 2, 2, 2, new Float32Array(17), b, out, argmax)).toThrow(/convReluPool: W has 17 elements, expected 2×9 = 18/);
    expect(() => a.convReluPool(x, 1, 1, 6, 6, 3, 3, 1, 0, 2, 2, 2, W, new Float64Array(2), out, argmax)).toThrow(/mixed dtypes/);
    expect(() => a.convReluPool(x, 1, 1, 6, 6, 3, 3, 1, 0, 2, 2, 2, W, b, out, new Float32Array(8) as unknown as Int32Array)).toThrow(/convReluPool: argmax must be an Int32Array, got Float32Array/);
    expect(() => a.convReluPool(x, 1, 1, 6, 6, 3, 3, 1, 0, 2, 2, 2, W, b, x.subarray(0, 8), argmax)).toThrow(RangeError);
    expect(() => (a.convReluPool as (...args: unknown[]) => void)(x, 1, 1, 6, 6, 3, 3, 1, 0, 2, 2, 2, W, b, out)).toThrow(/convReluPool: expected 16 arguments/);
    // backward: an argmax outside its own plane is refused, never written through
    const y = Float32Array.from({ length: 8 }, () => 1), dout = new Float32Array(8), dW = new Float32Array(18), db = new Float32Array(2), dx = new Float32Array(36);
    const bad = argmax.slice();
    bad[5] = 3;
    expect(() => a.convReluPoolBackward(x, 1, 1, 6, 6, 3, 3, 1, 0, 2, 2, 2, W, y, dout, bad, dW, db, dx)).toThrow(/convReluPoolBackward: argmax\[5\] is 3, not a position in its window/);
    expect(() => a.convReluPoolBackward(x, 1, 1, 6, 6, 3, 3, 1, 0, 2, 2, 2, W, y, dout, argmax, dW, db, dW)).toThrow(RangeError);
    expect(() => a.convReluPoolBackward(x, 1, 1, 6, 6, 3, 3, 1, 0, 2, 2, 2, W, y, dout, argmax, dW, db, new Float32Array(35))).toThrow(/convReluPoolBackward: dx has 35 elements/);
    a.convReluPoolBackward(x, 1, 1, 6, 6, 3, 3, 1, 0, 2, 2, 2, W, y, dout, argmax, dW, db, null);
    // the reference backend refuses the same argmax before writing anything
    const m = (data: Float32Array, rows: number) => new Matrix(rows, data.length / rows, data);
    const stage = (backend: Backend) => {
      const conv = new Convolution(m(W, 2), m(b, 1), { input: [1, 6, 6], kernel: [3, 3], backend });
      return { conv, pool: new Pooling({ input: conv.outputShape, kernel: [2, 2], backend }) };
    };
    const r = stage(referenceBackend);
    expect(() => referenceBackend.convReluPoolBackward(m(x, 1), r.conv.W, m(y, 1), m(dout, 1), bad, r.conv.geometry, r.pool.geometry, m(dW, 2), m(db, 1), null))
      .toThrow(/convReluPoolBackward: argmax\[5\] is 3, not a position in its window/);
  });
});

describe('a fused network checkpointed and resumed', () => {
  const root = mkdtempSync(join(tmpdir(), 'blasprop-fused-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('SimpleConvNet (2 threads: its 30 filters × 40 samples are split over them) stopped at iteration 7 and resumed ends with the same weights and losses, bit for bit', async () => {
    const mnist = loadMnist({ dtype: 'float32' });
    const data = { train: { ...mnist.train, count: 400 } };
    const options = { iterations: 16, batchSize: 40, optimizer: 'adam', learningRate: 0.001, seed: 4, evaluate: false } as const;
    const net = () => new SimpleConvNet({ hidden: 16, dtype: 'float32', seed: 2, backend: nativeBackend() });
    const bytes = (params: Record<string, Matrix>) => Object.entries(params).map(([k, m]) => [k, Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).toString('base64')]);
    const before = getNumThreads();
    try {
      setNumThreads(2);
      const reference = net();
      const refHistory = await fit(reference, data, options);
      const dir = join(root, 'run');
      const stopped = await fit(net(), data, { ...options, checkpoint: { dir, every: 5 }, onBatchEnd: (b) => b.iteration < 7 });
      expect(stopped.iterations).toBe(7);
      const trainer = await Trainer.resume(dir, { backend: nativeBackend() });
      const resumed = await trainer.fit(data);
      expect(bytes((trainer.net as SimpleConvNet).params)).toEqual(bytes(reference.params));
      expect(Array.from(resumed.loss)).toEqual(Array.from(refHistory.loss));
    } finally {
      setNumThreads(before);
    }
  });
});
