import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import { Matrix, type DType, type FloatArray } from '../src/matrix.js';
import {
  AdaGrad,
  Adam,
  Momentum,
  Nesterov,
  OPTIMIZER_NAMES,
  RMSprop,
  SGD,
  createOptimizer,
  type Optimizer,
  type OptimizerName,
  type OptimizerStateDict,
  type Params,
} from '../src/optim/index.js';

// ---- the update rules written out again on plain numbers, one weight at a time ----
// momentum and Nesterov are in the book's form (v holds −lr times PyTorch's velocity), a second
// route to the same p for a constant lr.

type Rule = (p: number[], grads: number[][], h: Record<string, number>) => number[][];

function run(p0: number[], grads: number[][], step: (i: number, g: number, s: State) => number): number[][] {
  const p = p0.slice();
  const states: State[] = p0.map(() => ({ a: 0, b: 0, t: 0 }));
  const out: number[][] = [];
  for (const g of grads) {
    for (let i = 0; i < p.length; i++) {
      const s = states[i]!;
      s.t += 1;
      s.p = p[i]!;
      p[i] = step(i, g[i]!, s);
    }
    out.push(p.slice());
  }
  return out;
}
interface State {
  a: number;
  b: number;
  t: number;
  p?: number;
}

const reference: Record<OptimizerName, Rule> = {
  sgd: (p0, grads, { lr, weightDecay: wd }) =>
    run(p0, grads, (_, g, s) => s.p! - lr! * (g + wd! * s.p!)),
  momentum: (p0, grads, { lr, momentum: mu, weightDecay: wd }) =>
    run(p0, grads, (_, g, s) => {
      const gd = g + wd! * s.p!;
      s.a = mu! * s.a - lr! * gd;
      return s.p! + s.a;
    }),
  nesterov: (p0, grads, { lr, momentum: mu, weightDecay: wd }) =>
    run(p0, grads, (_, g, s) => {
      const gd = g + wd! * s.p!;
      const p = s.p! + mu! * mu! * s.a - (1 + mu!) * lr! * gd;
      s.a = mu! * s.a - lr! * gd;
      return p;
    }),
  adagrad: (p0, grads, { lr, eps, weightDecay: wd }) =>
    run(p0, grads, (_, g, s) => {
      const gd = g + wd! * s.p!;
      s.a += gd * gd;
      return s.p! - (lr! * gd) / (Math.sqrt(s.a) + eps!);
    }),
  rmsprop: (p0, grads, { lr, alpha, eps, weightDecay: wd }) =>
    run(p0, grads, (_, g, s) => {
      const gd = g + wd! * s.p!;
      s.a = alpha! * s.a + (1 - alpha!) * gd * gd;
      return s.p! - (lr! * gd) / (Math.sqrt(s.a) + eps!);
    }),
  adam: (p0, grads, { lr, beta1, beta2, eps, weightDecay: wd }) =>
    run(p0, grads, (_, g, s) => {
      const gd = g + wd! * s.p!;
      s.a = beta1! * s.a + (1 - beta1!) * gd;
      s.b = beta2! * s.b + (1 - beta2!) * gd * gd;
      const mHat = s.a / (1 - beta1! ** s.t);
      const vHat = s.b / (1 - beta2! ** s.t);
      return s.p! - (lr! * mHat) / (Math.sqrt(vHat) + eps!);
    }),
};

// hyperparameters for the hand checks: not the defaults, so each one is exercised
const hypers: Record<OptimizerName, Record<string, number>> = {
  sgd: { lr: 0.1, weightDecay: 0 },
  momentum: { lr: 0.1, momentum: 0.9, weightDecay: 0 },
  nesterov: { lr: 0.1, momentum: 0.8, weightDecay: 0 },
  adagrad: { lr: 0.1, eps: 1e-7, weightDecay: 0 },
  rmsprop: { lr: 0.05, alpha: 0.9, eps: 1e-8, weightDecay: 0 },
  adam: { lr: 0.1, beta1: 0.8, beta2: 0.95, eps: 1e-8, weightDecay: 0 },
};

// values exact in float32, so both dtypes start from the same numbers
const p0 = [1, -2, 0.5];
const gradSeq = [
  [0.5, -0.25, 2],
  [-1, 0.75, 0.125],
  [0.25, 0.5, -1.5],
];

function steps(name: OptimizerName, h: Record<string, number>, dtype: DType, grads = gradSeq): number[][] {
  const opt = createOptimizer(name, h);
  const params = { W: Matrix.row(p0, dtype) };
  return grads.map((g) => {
    opt.update(params, { W: Matrix.row(g, dtype) });
    return Array.from(params.W.data);
  });
}

function expectClose(actual: number[][], expected: number[][], tol: (e: number) => number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, s) =>
    row.forEach((a, i) => {
      const e = expected[s]![i]!;
      if (!(Math.abs(a - e) <= tol(e))) {
        throw new Error(`step ${s + 1}, weight ${i}: got ${a}, expected ${e} (±${tol(e)})`);
      }
    }),
  );
}

// float32 keeps p and the state buffers in float32: each step rounds each stored value once
// (relative error ≤ 2^-24), so after 3 steps p is off by at most about 3·2^-24·|p| plus a
// much smaller share from the rounded state; 8·2^-24 of the largest |p| bounds that with room.
const EPS32 = 2 ** -23;
const f32tol = (scale: number) => () => 4 * EPS32 * scale;

describe.each(OPTIMIZER_NAMES.map((n) => [n]))('%s by hand', (name) => {
  const h = hypers[name];
  const expected = reference[name](p0, gradSeq, h);
  const scale = Math.max(...expected.flat().map(Math.abs));

  it('float64 matches the formula to 1e-12 relative', () => {
    expectClose(steps(name, h, 'float64'), expected, (e) => 1e-12 * Math.abs(e));
  });

  it('float32 matches the formula to float32 rounding', () => {
    expectClose(steps(name, h, 'float32'), expected, f32tol(scale));
  });

  it('weight decay adds wd·p to the gradient', () => {
    const wd = 0.25;
    const withDecay = { ...h, weightDecay: wd };
    expectClose(steps(name, withDecay, 'float64'), reference[name](p0, gradSeq, withDecay), (e) => 1e-12 * Math.abs(e));
    // the same as no decay fed g + wd·p, weight by weight. on the reference backend: plain SGD's
    // update is the backend's axpy, which natively may fuse the multiply-add (one rounding, not two)
    useBackend('reference');
    try {
      const decayed = createOptimizer(name, withDecay);
      const plain = createOptimizer(name, h);
      const a = { W: Matrix.row(p0, 'float64') };
      const b = { W: Matrix.row(p0, 'float64') };
      for (const g of gradSeq) {
        decayed.update(a, { W: Matrix.row(g, 'float64') });
        plain.update(b, { W: Matrix.row(g.map((gi, i) => gi + wd * b.W.data[i]!), 'float64') });
        expect(Array.from(a.W.data)).toEqual(Array.from(b.W.data));
      }
    } finally {
      useBackend('native');
    }
    // and it does change the result
    expect(steps(name, withDecay, 'float64')[2]).not.toEqual(expected[2]);
  });
});

describe('hand-computed numbers', () => {
  it('SGD: 1 − 0.1·0.5 = 0.95', () => {
    expect(steps('sgd', { lr: 0.1 }, 'float64')[0]).toEqual([1 - 0.1 * 0.5, -2 + 0.1 * 0.25, 0.5 - 0.1 * 2]);
    expect(steps('sgd', { lr: 0.1 }, 'float64')[0]![0]).toBeCloseTo(0.95, 15);
  });

  it('Momentum: v2 = 0.9·0.5 − 1 = −0.55, p2 = 0.95 + 0.1·0.55 = 1.005', () => {
    expect(steps('momentum', { lr: 0.1, momentum: 0.9 }, 'float64')[1]![0]).toBeCloseTo(1.005, 14);
  });

  it('AdaGrad and Adam: the first step is about lr·sign(g)', () => {
    // AdaGrad: h = g², step lr·g/(|g| + eps); Adam: m̂ = g, v̂ = g², the same step
    for (const name of ['adagrad', 'adam'] as const) {
      const [p1] = steps(name, { lr: 0.1 }, 'float64');
      expect(p1![0]).toBeCloseTo(1 - 0.1, 6);
      expect(p1![1]).toBeCloseTo(-2 + 0.1, 6);
      expect(p1![2]).toBeCloseTo(0.5 - 0.1, 6);
    }
  });

  it('RMSprop: h = 0.01·g² on the first step, so the step is lr·g/(0.1·|g|) = 10·lr·sign(g)', () => {
    const [p1] = steps('rmsprop', { lr: 0.01, alpha: 0.99 }, 'float64');
    expect(p1![0]).toBeCloseTo(1 - 0.1, 6);
  });

  it('Nesterov first step: p − lr·(1 + μ)·g', () => {
    const [p1] = steps('nesterov', { lr: 0.1, momentum: 0.9 }, 'float64');
    expect(p1![0]).toBeCloseTo(1 - 0.1 * 1.9 * 0.5, 15);
  });
});

describe('hyperparameter checks', () => {
  const cases: [() => unknown, string | RegExp][] = [
    [() => new SGD({ lr: -1 }), 'Invalid learning rate: -1'],
    [() => new SGD({ lr: NaN }), 'Invalid learning rate: NaN'],
    [() => new Adam({ lr: Infinity }), 'Invalid learning rate: Infinity'],
    [() => new SGD({ weightDecay: -0.1 }), 'Invalid weightDecay value: -0.1'],
    [() => new Momentum({ momentum: 1.5 }), 'Invalid momentum value: 1.5'],
    [() => new Momentum({ momentum: -0.1 }), 'Invalid momentum value: -0.1'],
    [() => new Nesterov({ momentum: 0 }), 'Invalid momentum value: 0'],
    [() => new Nesterov({ momentum: 1 }), 'Invalid momentum value: 1'],
    [() => new AdaGrad({ eps: -1 }), 'Invalid epsilon value: -1'],
    [() => new RMSprop({ alpha: 1 }), 'Invalid alpha value: 1'],
    [() => new RMSprop({ eps: -1e-8 }), 'Invalid epsilon value: -1e-8'],
    [() => new Adam({ beta1: 1 }), 'Invalid beta parameter at index 0: 1'],
    [() => new Adam({ beta2: -0.5 }), 'Invalid beta parameter at index 1: -0.5'],
  ];
  it.each(cases)('%s throws %s', (make, message) => {
    expect(make).toThrow(RangeError);
    expect(make).toThrow(message);
  });

  it('rejects non-numbers and unknown option names', () => {
    expect(() => new SGD({ lr: '0.1' as unknown as number })).toThrow(TypeError);
    expect(() => new SGD({ lr: '0.1' as unknown as number })).toThrow(/Invalid learning rate: "0.1"/);
    expect(() => new Adam({ learningRate: 0.1 } as unknown as object)).toThrow(/the learning rate is lr here/);
  });

  it('accepts boundary values and applies defaults', () => {
    expect(new SGD({ lr: 0 }).lr).toBe(0);
    expect(new Momentum({ momentum: 0 }).hyperparameters.momentum).toBe(0);
    expect(new Adam().hyperparameters).toEqual({ lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
    expect(new SGD().hyperparameters).toEqual({ lr: 0.01, weightDecay: 0 });
    expect(new Momentum().hyperparameters).toEqual({ lr: 0.01, momentum: 0.9, weightDecay: 0 });
    expect(new Nesterov().hyperparameters).toEqual({ lr: 0.01, momentum: 0.9, weightDecay: 0 });
    expect(new AdaGrad().hyperparameters).toEqual({ lr: 0.01, eps: 1e-7, weightDecay: 0 });
    expect(new RMSprop().hyperparameters).toEqual({ lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0 });
  });

  it('the lr setter is checked and takes effect', () => {
    const opt = new SGD({ lr: 0.1 });
    expect(() => {
      opt.lr = -1;
    }).toThrow('Invalid learning rate: -1');
    expect(opt.lr).toBe(0.1);
    opt.lr = 0.5;
    const params = { W: Matrix.row([1], 'float64') };
    opt.update(params, { W: Matrix.row([1], 'float64') });
    expect(params.W.data[0]).toBe(0.5);
  });
});

describe('createOptimizer', () => {
  it('builds each optimizer by name with its options', () => {
    const classes = { sgd: SGD, momentum: Momentum, nesterov: Nesterov, adagrad: AdaGrad, rmsprop: RMSprop, adam: Adam };
    for (const name of OPTIMIZER_NAMES) {
      const opt = createOptimizer(name, { lr: 0.123 });
      expect(opt).toBeInstanceOf(classes[name]);
      expect(opt.name).toBe(name);
      expect(opt.lr).toBe(0.123);
    }
  });

  it('names the choices for an unknown optimizer', () => {
    expect(() => createOptimizer('adamw')).toThrow(TypeError);
    expect(() => createOptimizer('adamw')).toThrow('Unknown optimizer "adamw": expected one of sgd, momentum, nesterov, adagrad, rmsprop, adam');
    expect(() => createOptimizer('toString')).toThrow(/Unknown optimizer/);
  });
});

describe('update argument checks', () => {
  const make = (dtype: DType = 'float64'): Params => ({
    W: Matrix.from([[1, 2], [3, 4]], dtype),
    b: Matrix.row([0.5, -0.5], dtype),
  });

  it.each([
    ['a missing key', { W: Matrix.zeros(2, 2, 'float64') }, /grads has no 'b'/],
    ['an extra key', { W: Matrix.zeros(2, 2, 'float64'), b: Matrix.zeros(1, 2, 'float64'), c: Matrix.zeros(1, 1, 'float64') }, /grads has 'c'/],
    ['a renamed key', { W: Matrix.zeros(2, 2, 'float64'), B: Matrix.zeros(1, 2, 'float64') }, /grads has no 'b'/],
    ['a wrong shape', { W: Matrix.zeros(2, 2, 'float64'), b: Matrix.zeros(2, 1, 'float64') }, /grads\['b'\] is 2×1 float64, but params\['b'\] is 1×2 float64/],
    ['a wrong dtype', { W: Matrix.zeros(2, 2, 'float32'), b: Matrix.zeros(1, 2, 'float64') }, /grads\['W'\] is 2×2 float32, but params\['W'\] is 2×2 float64/],
    ['a non-Matrix', { W: [[0, 0], [0, 0]], b: Matrix.zeros(1, 2, 'float64') }, /grads\['W'\] is not a Matrix/],
  ])('rejects %s and changes nothing', (_, grads, message) => {
    for (const name of OPTIMIZER_NAMES) {
      const opt = createOptimizer(name, { lr: 0.1 });
      const params = make();
      const before = params.W.data.slice();
      expect(() => opt.update(params, grads as unknown as Params)).toThrow(message);
      expect(params.W.data).toEqual(before);
      expect(opt.step).toBe(0);
    }
  });

  it('follows a change of parameter set between calls', () => {
    const opt = new Momentum({ lr: 0.1 });
    const params = make();
    const zero = () => ({ W: Matrix.zeros(2, 2, 'float64'), b: Matrix.zeros(1, 2, 'float64') });
    opt.update(params, zero());
    // a new parameter appears: it gets its own fresh state
    const more = { ...params, c: Matrix.row([1], 'float64') };
    opt.update(more, { ...zero(), c: Matrix.row([1], 'float64') });
    expect(more.c.data[0]).toBeCloseTo(0.9, 15);
    // and grads for the old set is now missing a key
    expect(() => opt.update(more, zero())).toThrow(/grads has no 'c'/);
  });

  it('refuses a parameter whose shape no longer fits its state', () => {
    const opt = new Adam();
    opt.update({ W: Matrix.zeros(2, 2, 'float64') }, { W: Matrix.zeros(2, 2, 'float64') });
    expect(() => opt.update({ W: Matrix.zeros(3, 3, 'float64') }, { W: Matrix.zeros(3, 3, 'float64') })).toThrow(/optimizer state 'm.W' holds 4 float64 values, but params\['W'\] is 3×3 float64/);
    expect(() => opt.update({ W: Matrix.zeros(2, 2, 'float32') }, { W: Matrix.zeros(2, 2, 'float32') })).toThrow(/holds 4 float64 values/);
  });
});

describe('state dict', () => {
  // deterministic, irregular gradients: a fixed function of step and position
  function gradsAt(step: number, dtype: DType): Params {
    const W = Matrix.zeros(3, 4, dtype);
    const b = Matrix.zeros(1, 4, dtype);
    W.data.forEach((_, i) => (W.data[i] = Math.sin(1.7 * step + 0.9 * i) * (1 + i / 5)));
    b.data.forEach((_, i) => (b.data[i] = Math.cos(2.3 * step - 1.1 * i)));
    return { W, b };
  }
  function initial(dtype: DType): Params {
    const W = Matrix.zeros(3, 4, dtype);
    W.data.forEach((_, i) => (W.data[i] = (i - 5.5) / 7));
    return { W, b: Matrix.row([0.1, -0.2, 0.3, -0.4], dtype) };
  }
  const bytes = (a: FloatArray) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const options = { lr: 0.05, weightDecay: 0.01 };

  describe.each(OPTIMIZER_NAMES.flatMap((n) => [[n, 'float64'], [n, 'float32']] as const))('%s %s', (name, dtype) => {
    it('stop, save, load into a new optimizer, continue == never stopped (bit-identical)', () => {
      const straight = createOptimizer(name, options);
      const a = initial(dtype);
      for (let s = 0; s < 10; s++) straight.update(a, gradsAt(s, dtype));

      const first = createOptimizer(name, options);
      const b = initial(dtype);
      for (let s = 0; s < 4; s++) first.update(b, gradsAt(s, dtype));
      const saved = structuredClone(first.stateDict());
      const resumed = createOptimizer(saved.name, saved.hyper);
      resumed.loadStateDict(saved);
      expect(resumed.step).toBe(4);
      for (let s = 4; s < 10; s++) resumed.update(b, gradsAt(s, dtype));

      expect(bytes(b.W.data)).toEqual(bytes(a.W.data));
      expect(bytes(b.b.data)).toEqual(bytes(a.b.data));
      // and a fresh optimizer without the state would not have matched (for stateful ones)
      if (name !== 'sgd') {
        const warm = createOptimizer(name, options);
        const fresh = createOptimizer(name, options);
        const c = initial(dtype);
        for (let s = 0; s < 4; s++) warm.update(c, gradsAt(s, dtype));
        for (let s = 4; s < 10; s++) fresh.update(c, gradsAt(s, dtype));
        expect(bytes(c.W.data)).not.toEqual(bytes(a.W.data));
      }
    });
  });

  it('names its buffers slot.param, in the params dtype, as copies', () => {
    const opt = new Adam({ lr: 0.1 });
    const params = initial('float32');
    opt.update(params, gradsAt(0, 'float32'));
    const state = opt.stateDict();
    expect(state.name).toBe('adam');
    expect(state.step).toBe(1);
    expect(state.hyper).toEqual({ lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
    expect(Object.keys(state.buffers).sort()).toEqual(['m.W', 'm.b', 'v.W', 'v.b']);
    for (const b of Object.values(state.buffers)) expect(b).toBeInstanceOf(Float32Array);
    // m after one step is (1 − β1)·g
    const g = gradsAt(0, 'float32').W.data;
    expect(state.buffers['m.W']![3]).toBe(Math.fround(0.1 * g[3]!));
    // a later update leaves the saved copy alone
    const saved = state.buffers['m.W']!.slice();
    opt.update(params, gradsAt(1, 'float32'));
    expect(state.buffers['m.W']).toEqual(saved);
    expect(new SGD().stateDict()).toEqual({ name: 'sgd', hyper: { lr: 0.01, weightDecay: 0 }, step: 0, buffers: {} });
  });

  it('keeps dotted parameter names intact', () => {
    const opt = new Momentum();
    const params = { 'layer1.W': Matrix.row([1, 2], 'float64') };
    opt.update(params, { 'layer1.W': Matrix.row([1, 1], 'float64') });
    const state = opt.stateDict();
    expect(Object.keys(state.buffers)).toEqual(['v.layer1.W']);
    const other = new Momentum();
    other.loadStateDict(state);
    expect(other.stateDict()).toEqual(state);
  });

  it('loading restores the saved hyperparameters, including a changed lr', () => {
    const opt = new Momentum({ lr: 0.1 });
    opt.lr = 0.02;
    const other = new Momentum({ lr: 0.5, momentum: 0.5 });
    other.loadStateDict(opt.stateDict());
    expect(other.hyperparameters).toEqual({ lr: 0.02, momentum: 0.9, weightDecay: 0 });
  });

  it('rejects malformed state dicts and stays as it was', () => {
    const opt = new Adam();
    opt.update({ W: Matrix.zeros(1, 2, 'float64') }, { W: Matrix.row([1, 2], 'float64') });
    const good = opt.stateDict();
    const bad: [unknown, RegExp][] = [
      [null, /expected a state dict/],
      [{ ...good, name: 'sgd' }, /state is for optimizer "sgd", this one is 'adam'/],
      [{ ...good, hyper: { lr: 0.1 } }, /hyperparameter 'beta1' is missing/],
      [{ ...good, hyper: { ...good.hyper, beta1: 2 } }, /Invalid beta parameter at index 0: 2/],
      [{ ...good, hyper: { ...good.hyper, momentum: 0.9 } }, /unknown option 'momentum'/],
      [{ ...good, step: -1 }, /step must be a non-negative integer/],
      [{ ...good, step: 1.5 }, /step must be a non-negative integer/],
      [{ ...good, buffers: { ...good.buffers, 'h.W': new Float64Array(2) } }, /unexpected buffer 'h.W'/],
      [{ ...good, buffers: { ...good.buffers, W: new Float64Array(2) } }, /unexpected buffer 'W'/],
      [{ ...good, buffers: { 'm.W': good.buffers['m.W'] } }, /buffer 'v.W' is missing/],
      [{ ...good, buffers: { ...good.buffers, 'v.W': [0, 0] } }, /must be a Float32Array or Float64Array/],
      [{ ...good, buffers: { ...good.buffers, 'v.W': new Float64Array(3) } }, /differ in length or dtype/],
      [{ ...good, buffers: { ...good.buffers, 'v.W': new Float32Array(2) } }, /differ in length or dtype/],
    ];
    for (const [state, message] of bad) {
      expect(() => opt.loadStateDict(state as OptimizerStateDict)).toThrow(message);
      expect(opt.stateDict()).toEqual(good);
    }
  });

  it('a loaded state that does not fit the params is caught at the next update', () => {
    const opt = new Momentum();
    opt.loadStateDict({ name: 'momentum', hyper: { lr: 0.1, momentum: 0.9, weightDecay: 0 }, step: 3, buffers: { 'v.W': new Float64Array(5) } });
    expect(() => opt.update({ W: Matrix.zeros(2, 2, 'float64') }, { W: Matrix.zeros(2, 2, 'float64') })).toThrow(/optimizer state 'v.W' holds 5 float64 values/);
  });
});

describe('minimising f(p) = Σ(p − c)²', () => {
  // every optimizer, from its own sensible settings, must end near the minimum c
  const c = [3, -1, 0.5, 2];
  const settings: Record<OptimizerName, Record<string, number>> = {
    sgd: { lr: 0.1 },
    momentum: { lr: 0.05 },
    nesterov: { lr: 0.05 },
    adagrad: { lr: 0.5 },
    rmsprop: { lr: 0.01 },
    adam: { lr: 0.05 },
  };
  it.each(OPTIMIZER_NAMES.map((n) => [n]))('%s converges', (name) => {
    const opt: Optimizer = createOptimizer(name, settings[name]);
    const params = { p: Matrix.zeros(1, 4, 'float64') };
    const grads = { p: Matrix.zeros(1, 4, 'float64') };
    const loss = () => {
      let sum = 0;
      for (let i = 0; i < c.length; i++) sum += (params.p.data[i]! - c[i]!) ** 2;
      return sum;
    };
    const start = loss();
    for (let s = 0; s < 2000; s++) {
      // ∂f/∂p = 2(p − c), written into the same grads buffer each step
      params.p.data.forEach((x, i) => (grads.p.data[i] = 2 * (x - c[i]!)));
      opt.update(params, grads);
    }
    expect(loss()).toBeLessThan(1e-6 * start);
  });
});

// golden numbers from real torch.optim (scripts/optim-golden.py, run once with Debian's python3-torch):
// a 2×3 parameter, five updates with fixed gradients, float64
interface GoldenCase {
  optimizer: OptimizerName;
  hyper: Record<string, number>;
  after: number[][][];
}
const golden = JSON.parse(readFileSync(new URL('./fixtures/optim-golden.json', import.meta.url), 'utf8')) as { torch: string; p0: number[][]; grads: number[][][]; cases: GoldenCase[] };

describe(`torch.optim ${golden.torch} golden numbers`, () => {
  it('covers every built-in optimizer, with and without weight decay', () => {
    expect([...new Set(golden.cases.map((c) => c.optimizer))].sort()).toEqual([...OPTIMIZER_NAMES].sort());
    for (const name of OPTIMIZER_NAMES) expect(golden.cases.some((c) => c.optimizer === name && c.hyper.weightDecay! > 0), name).toBe(true);
  });

  it.each(golden.cases.map((c) => [c.optimizer, JSON.stringify(c.hyper), c] as const))('%s %s', (name, _, c) => {
    const opt = createOptimizer(name, c.hyper);
    const params = { W: Matrix.from(golden.p0, 'float64') };
    golden.grads.forEach((g, step) => {
      opt.update(params, { W: Matrix.from(g, 'float64') });
      // five updates, each a handful of float64 roundings, in an order that may differ from torch's
      // (a fused multiply-add in BLAS, Adam's bias corrections): within 1e-13 relative of torch
      expectClose([Array.from(params.W.data)], [c.after[step]!.flat()], (e) => 1e-13 * Math.max(1, Math.abs(e)));
    });
  });
});
