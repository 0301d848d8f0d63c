import { describe, expect, it } from 'vitest';
import { loadMnist, toMatrix, type MnistSet } from '../src/data/index.js';
import { Matrix } from '../src/matrix.js';
import { TwoLayerNet, type Labels, type LossAndGradients, type Network } from '../src/nn/index.js';
import { Adam, SGD } from '../src/optim/index.js';
import { Random } from '../src/random.js';
import { getNumThreads, setNumThreads } from '../src/info.js';
import { Writable } from 'node:stream';
import { Progress } from '../src/cli/progress.js';
import { evaluateAccuracy, fit, History, Trainer, type BatchInfo } from '../src/train/index.js';
import { nativeBackend, typedArraySpy } from './helpers.js';

// a tiny MNIST-shaped set whose images spell their own index: pixel 0 = i mod 256, pixel 1 = i div 256
// (normalize off, so a batch row says exactly which example it came from)
function indexSet(count: number, classes = 10): MnistSet {
  const rows = 2;
  const cols = 2;
  const images = new Uint8Array(count * rows * cols);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    images[i * 4] = i & 255;
    images[i * 4 + 1] = i >> 8;
    labels[i] = i % classes;
  }
  return { images, labels, count, rows, cols, classes, normalize: false, oneHotLabel: false, dtype: 'float64', files: { images: '<memory>', labels: '<memory>' } };
}

// a network that learns nothing and records which examples each gradient() call saw
class SpyNet implements Network {
  readonly dtype = 'float64' as const;
  readonly params = { W: Matrix.zeros(1, 1, 'float64') };
  private readonly result = { loss: 1, grads: { W: Matrix.zeros(1, 1, 'float64') } };
  readonly batches: number[][] = [];
  private scores = Matrix.zeros(0, 0);
  predict(x: Matrix): Matrix {
    if (this.scores.rows !== x.rows) this.scores = Matrix.zeros(x.rows, 10);
    return this.scores;
  }
  loss(): number {
    return 1;
  }
  accuracy(): number {
    return 0;
  }
  gradient(x: Matrix, _t: Labels): LossAndGradients {
    const seen: number[] = [];
    for (let i = 0; i < x.rows; i++) seen.push(x.get(i, 0) + 256 * x.get(i, 1));
    this.batches.push(seen);
    return this.result;
  }
  numericalGradient(): Record<string, Matrix> {
    return this.result.grads;
  }
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('training on real MNIST (native backend)', () => {
  const mnist = loadMnist({ dtype: 'float32' });

  it('784-50-10, batch 100, lr 0.1: three epochs reach test accuracy ≥ 0.90', async () => {
    const net = new TwoLayerNet(784, 50, 10, { dtype: 'float32', seed: 1, backend: nativeBackend() });
    const epochs: number[] = [];
    const h = await fit(net, mnist, { epochs: 3, batchSize: 100, learningRate: 0.1, seed: 2, onEpochEnd: (e) => void epochs.push(e.iteration) });
    expect(h.iterations).toBe(1800);
    expect(epochs).toEqual([600, 1200, 1800]);
    expect(h.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    const last = h.epochs[2]!;
    expect(last.testAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(last.trainAccuracy).toBeGreaterThanOrEqual(0.9);
    // the chunked evaluation agrees with the network's own accuracy over the whole test set at once
    const xTest = toMatrix(mnist.test, { dtype: 'float32' });
    expect(last.testAccuracy).toBe(net.accuracy(xTest, Int32Array.from(mnist.test.labels)));
    // an untrained 10-way classifier starts at ln 10; training brings the loss well down
    expect(h.meanLoss(0, 5)).toBeCloseTo(Math.log(10), 1);
    expect(last.loss).toBeLessThan(0.4);
    expect(h.msPerIteration).toBeGreaterThan(0);
  }, 60_000);

  it('the same seeds give bit-identical losses; another seed does not', async () => {
    const run = async (samplingSeed: number): Promise<History> => {
      const net = new TwoLayerNet(784, 50, 10, { dtype: 'float64', seed: 7, backend: nativeBackend() });
      return fit(net, mnist, { iterations: 150, seed: samplingSeed, evaluate: false });
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(a.loss.length).toBe(150);
    expect(sameBits(a.loss, b.loss)).toBe(true);
    expect(sameBits(a.loss, c.loss)).toBe(false);
  });

  it('a training step allocates no typed array after the first (epoch-end evaluations included)', async () => {
    const net = new TwoLayerNet(784, 50, 10, { dtype: 'float64', seed: 3, backend: nativeBackend() });
    // 1000 training and 200 test examples: an epoch every 10 iterations
    const small = { train: { ...mnist.train, count: 1000 }, test: { ...mnist.test, count: 200 } };
    const spy = typedArraySpy();
    let watched = 0;
    try {
      await fit(net, small, {
        iterations: 35,
        seed: 4,
        onBatchEnd: (b: BatchInfo) => {
          // the first step makes the layers' buffers; from then on nothing may be spy.made
          if (b.iteration === 1) spy.watch();
          if (b.iteration === 34) {
            watched = spy.made;
            spy.unwatch();
          }
        },
      });
    } finally {
      spy.unwatch();
    }
    expect(watched).toBe(0);
    // the spy itself works: making one typed array while watching is counted
    spy.watch();
    new Float64Array(1);
    spy.unwatch();
    expect(spy.made).toBe(1);
  });

  it('keeps the event loop turning: a 5 ms interval fires all through fit()', async () => {
    const net = new TwoLayerNet(784, 50, 10, { dtype: 'float32', seed: 1, backend: nativeBackend() });
    const small = { train: { ...mnist.train, count: 6000 }, test: { ...mnist.test, count: 1000 } };
    // the process's CPU time, not the wall clock: on a loaded machine the scheduler may take the CPU
    // away for longer than any bound, but while descheduled nothing runs and no CPU time passes, so a
    // long gap in CPU time can only be the trainer itself not yielding
    const cpuMs = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(cpuMs()), 5);
    const t0 = cpuMs();
    let h: History;
    try {
      h = await fit(net, small, { iterations: 400, seed: 1 });
    } finally {
      clearInterval(timer);
    }
    const elapsed = cpuMs() - t0;
    expect(h.epochs.length).toBeGreaterThanOrEqual(6);
    // a tick at least every 40 ms of CPU on average (the trainer yields every ~15 ms), and no long
    // freeze; CPU time runs up to twice the wall clock while 2 OpenBLAS threads work, so the bounds
    // are wider than the yield period by far
    expect(ticks.length).toBeGreaterThan(elapsed / 40);
    let maxGap = 0;
    for (let i = 1; i < ticks.length; i++) maxGap = Math.max(maxGap, ticks[i]! - ticks[i - 1]!);
    expect(maxGap).toBeLessThan(250);
  });
});

describe('optimizers on real MNIST', () => {
  const mnist = loadMnist({ dtype: 'float32' });

  it('Adam (lr 0.001) beats the book\'s plain SGD (lr 0.1) at the same 600 iterations', async () => {
    const test = async (optimizer: 'sgd' | Adam) => {
      const net = new TwoLayerNet(784, 50, 10, { dtype: 'float32', seed: 1, backend: nativeBackend() });
      const history = await fit(net, mnist, { iterations: 600, seed: 2, optimizer });
      return history.epochs.at(-1)!.testAccuracy!;
    };
    const sgd = await test('sgd');
    const adam = await test(new Adam({ lr: 0.001 }));
    // both learn; Adam's per-weight step sizes get further in one epoch (measured 0.910 vs 0.922)
    expect(sgd).toBeGreaterThan(0.85);
    expect(adam).toBeGreaterThan(sgd + 0.005);
  });
});

// the batches a fit draws are the generator's, whoever gathers them: the same run with a native backend
// (its gather split over two cores at 2 threads) and without one (the set gathered in TypeScript)
describe('the batches of a fit', () => {
  class NativeSpyNet extends SpyNet {
    readonly backend = nativeBackend();
  }

  // two fits on one trainer (the generator carries on), the first stopped mid-epoch by a callback
  async function batchesOf(net: SpyNet, sampling: 'replacement' | 'shuffle', count: number): Promise<number[][]> {
    const trainer = new Trainer(net, { iterations: 40, seed: 3, sampling, evaluate: false, onBatchEnd: (b) => b.iteration !== 17 || net.batches.length > 17 });
    const data = { train: indexSet(count) };
    expect((await trainer.fit(data)).iterations).toBe(17);
    expect((await trainer.fit(data)).iterations).toBe(40);
    return net.batches;
  }

  // 1050 examples: shuffle's epoch ends in a 50-row tail; 1000: in a full batch
  it.each([['replacement', 1050], ['shuffle', 1050], ['shuffle', 1000]] as const)('gives every step the batch drawn for it, across a stop and a second fit (%s, %i examples, 2 threads)', async (sampling, count) => {
    const before = getNumThreads();
    setNumThreads(2);
    try {
      const native = await batchesOf(new NativeSpyNet(), sampling, count);
      const plain = await batchesOf(new SpyNet(), sampling, count);
      expect(native.length).toBe(57);
      expect(native).toEqual(plain);
      // with replacement the batches are the generator's draws in order, none skipped by the stop
      if (sampling === 'replacement') {
        const r = new Random(3);
        const draw = new Int32Array(100);
        expect(native).toEqual(native.map(() => Array.from(r.fillRandint(draw, count))));
      } else {
        // each example once per epoch (the first fit's first epoch)
        const perEpoch = Math.ceil(count / 100);
        expect(native.slice(0, perEpoch).map((b) => b.length)).toEqual(count === 1050 ? [...Array(10).fill(100), 50] : Array(10).fill(100));
        expect(new Set(native.slice(0, perEpoch).flat()).size).toBe(count);
        // the second fit starts a new epoch of its own
        expect(new Set(native.slice(17, 17 + perEpoch).flat()).size).toBe(count);
      }
    } finally {
      setNumThreads(before);
    }
  });
});

describe('stopping', () => {
  it('a callback returning false stops after that batch', async () => {
    const net = new SpyNet();
    let calls = 0;
    const h = await fit(net, { train: indexSet(1000) }, {
      iterations: 500,
      seed: 1,
      evaluate: false,
      onBatchEnd: (b) => {
        calls++;
        return b.iteration !== 37;
      },
    });
    expect(calls).toBe(37);
    expect(h.iterations).toBe(37);
    expect(net.batches.length).toBe(37);
    expect(h.stopReason).toBe('stopped');
  });

  it('stop() from onEpochEnd ends at that epoch; a promise of false works too', async () => {
    const net = new SpyNet();
    const h = await fit(net, { train: indexSet(1000), test: indexSet(100) }, {
      iterations: 500,
      seed: 1,
      onEpochEnd: (e) => {
        if (e.epoch === 2) e.stop();
      },
    });
    // 1000 examples, batch 100: 10 iterations per epoch
    expect(h.iterations).toBe(20);
    expect(h.epochs.map((e) => e.iteration)).toEqual([10, 20]);
    expect(h.stopReason).toBe('stopped');

    const h2 = await fit(new SpyNet(), { train: indexSet(1000) }, { iterations: 500, seed: 1, onBatchEnd: async (b) => b.iteration < 5 });
    expect(h2.iterations).toBe(5);
  });

  it('Trainer.stop() and an AbortSignal stop it; an aborted signal trains nothing', async () => {
    const trainer = new Trainer(new SpyNet(), { iterations: 500, seed: 1, evaluate: false, onBatchEnd: (b) => void (b.iteration === 12 && trainer.stop()) });
    expect((await trainer.fit({ train: indexSet(1000) })).iterations).toBe(12);

    const controller = new AbortController();
    const h = await fit(new SpyNet(), { train: indexSet(1000) }, {
      iterations: 500,
      seed: 1,
      signal: controller.signal,
      onBatchEnd: (b) => void (b.iteration === 50 && controller.abort()),
    });
    expect(h.iterations).toBe(50);
    expect(h.stopReason).toBe('aborted');

    const done = new AbortController();
    done.abort();
    const none = await fit(new SpyNet(), { train: indexSet(1000) }, { seed: 1, signal: done.signal });
    expect(none.iterations).toBe(0);
    expect(none.epochs).toEqual([]);
  });

  it('an abort from a timer reaches a running fit (it yields to the event loop)', async () => {
    const mnist = loadMnist({ dtype: 'float32' });
    const net = new TwoLayerNet(784, 50, 10, { dtype: 'float32', seed: 1, backend: nativeBackend() });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const t0 = performance.now();
    const h = await fit(net, mnist, { iterations: 1_000_000, seed: 1, evaluate: false, signal: controller.signal });
    expect(h.stopReason).toBe('aborted');
    expect(h.iterations).toBeGreaterThan(0);
    expect(h.iterations).toBeLessThan(1_000_000);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});

describe('sampling', () => {
  it('replacement: the batches are Random(seed).fillRandint draws over the training set', async () => {
    const net = new SpyNet();
    await fit(net, { train: indexSet(1000) }, { iterations: 20, batchSize: 50, seed: 99, evaluate: false });
    const r = new Random(99);
    const expected = Array.from({ length: 20 }, () => Array.from(r.fillRandint(new Int32Array(50), 1000)));
    expect(net.batches).toEqual(expected);
    // with replacement, an epoch's worth of draws repeats some examples and misses others
    const firstEpoch = new Set(net.batches.slice(0, 20).flat());
    expect(firstEpoch.size).toBeLessThan(1000);
  });

  it.each([
    [1000, 100],
    [1050, 100],
    [7, 3],
  ])('shuffle: %i examples in batches of %i, every example exactly once per epoch', async (count, batchSize) => {
    const net = new SpyNet();
    const perEpoch = Math.ceil(count / batchSize);
    const h = await fit(net, { train: indexSet(count) }, { epochs: 3, batchSize, seed: 5, sampling: 'shuffle', evaluate: false });
    expect(h.iterations).toBe(3 * perEpoch);
    const orders: number[][] = [];
    for (let e = 0; e < 3; e++) {
      const seen = net.batches.slice(e * perEpoch, (e + 1) * perEpoch).flat();
      orders.push(seen);
      expect(seen.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
    }
    // a new order every epoch
    expect(orders[1]).not.toEqual(orders[0]);
    expect(orders[2]).not.toEqual(orders[1]);
  });
});

describe('hyperparameters are checked when the trainer is made', () => {
  const net = new SpyNet();
  it.each([
    [{ learningRate: -1 }, RangeError, 'Invalid learning rate: -1'],
    [{ learningRate: Number.NaN }, RangeError, 'Invalid learning rate: NaN'],
    [{ learningRate: '0.1' }, TypeError, 'Invalid learning rate: "0.1"'],
    [{ batchSize: 0 }, RangeError, 'Invalid batch size: 0'],
    [{ batchSize: 2.5 }, RangeError, 'Invalid batch size: 2.5'],
    [{ iterations: 0 }, RangeError, 'Invalid iterations: 0'],
    [{ iterations: 1.5 }, RangeError, 'Invalid iterations: 1.5'],
    [{ epochs: -2 }, RangeError, 'Invalid epochs: -2'],
    [{ iterations: 10, epochs: 1 }, TypeError, 'iterations or epochs, not both'],
    [{ sampling: 'random' }, TypeError, 'Invalid sampling: "random"'],
    [{ evaluate: 'always' }, TypeError, 'Invalid evaluate: "always"'],
    [{ optimizer: 'sgdd' }, TypeError, 'Unknown optimizer "sgdd"'],
    [{ optimizer: new SGD(), learningRate: 0.1 }, TypeError, 'learningRate goes to the optimizer'],
    [{ optimizer: { update() {} } }, TypeError, 'Invalid optimizer: expected a name'],
    [{ seed: -1 }, RangeError, 'seed must be an integer'],
    [{ learningrate: 0.1 }, TypeError, "unknown option 'learningrate'"],
    [{ onBatchEnd: 5 }, TypeError, 'Invalid onBatchEnd'],
  ])('%o', (options, type, message) => {
    expect(() => new Trainer(net, options as never)).toThrow(type);
    expect(() => new Trainer(net, options as never)).toThrow(message);
  });

  it('fit() rejects with the same error', async () => {
    await expect(fit(net, { train: indexSet(10) }, { learningRate: -1 })).rejects.toThrow('Invalid learning rate: -1');
  });

  it('defaults are the book: batch 100, lr 0.1 with SGD, 10 000 iterations; named optimizers keep their own rate', async () => {
    const t = new Trainer(net, { seed: 1 });
    expect([t.batchSize, t.learningRate, t.optimizer.name, t.sampling]).toEqual([100, 0.1, 'sgd', 'replacement']);
    expect(new Trainer(net, { optimizer: 'adam' }).learningRate).toBe(0.001);
    expect(new Trainer(net, { optimizer: 'momentum', learningRate: 0.05, optimizerOptions: { momentum: 0.8 } }).learningRate).toBe(0.05);
    const h = await new Trainer(new SpyNet(), { seed: 1, evaluate: false }).fit({ train: indexSet(1000) });
    expect(h.iterations).toBe(10_000);
  });
});

describe('history', () => {
  it('a very long planned run starts small and grows, keeping every loss', () => {
    const h = new History({ iterations: 1e9, batchSize: 100, learningRate: 0.1, optimizer: 'sgd', sampling: 'replacement', seed: 0, iterationsPerEpoch: 600, trainCount: 60000, testCount: 0 });
    for (let i = 0; i < 200_000; i++) h.push(i / 8);
    expect(h.iterations).toBe(200_000);
    expect(h.loss[0]).toBe(0);
    expect(h.loss[65_536]).toBe(65_536 / 8);
    expect(h.loss[199_999]).toBe(199_999 / 8);
    expect(h.meanLoss(0, 200_000)).toBe(199_999 / 16);
  });


  it('records every loss and epoch, serialises as JSON lines in order', async () => {
    const mnist = loadMnist({ dtype: 'float64' });
    const small = { train: { ...mnist.train, count: 500 }, test: { ...mnist.test, count: 100 } };
    const net = new TwoLayerNet(784, 20, 10, { dtype: 'float64', seed: 1 });
    const losses: number[] = [];
    const h = await fit(net, small, { iterations: 12, seed: 3, meta: { note: 'x' }, onBatchEnd: (b) => void losses.push(b.loss) });
    expect(Array.from(h.loss)).toEqual(losses);
    // 500 / 100 = 5 iterations per epoch: epochs at 5 and 10, then a final evaluation at 12
    expect(h.epochs.map((e) => [e.epoch, e.iteration])).toEqual([[1, 5], [2, 10], [2.4, 12]]);
    expect(h.epochs[1]!.loss).toBeCloseTo(losses.slice(5, 10).reduce((a, b) => a + b) / 5, 12);
    // the final record's accuracies are those of the final weights
    expect(h.summary().testAccuracy).toBe(evaluateAccuracy(net, small.test));

    const lines = h.toJSONLines().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ type: 'run', iterations: 12, batchSize: 100, learningRate: 0.1, seed: 3, note: 'x', trainCount: 500 });
    expect(lines.at(-1)).toMatchObject({ type: 'summary', iterations: 12, stopReason: 'completed' });
    const events = lines.slice(1, -1).map((l) => (l.type === 'epoch' ? `e${l.iteration}` : `i${l.iteration}`));
    expect(events).toEqual(['i1', 'i2', 'i3', 'i4', 'i5', 'e5', 'i6', 'i7', 'i8', 'i9', 'i10', 'e10', 'i11', 'i12', 'e12']);
    expect(lines.filter((l) => l.type === 'iteration').map((l) => l.loss)).toEqual(losses);
    expect(JSON.parse(JSON.stringify(h)).loss).toEqual(losses);
  });
});

describe('progress', () => {
  function sink(isTTY: boolean): { stream: Writable & { isTTY: boolean }; text: () => string } {
    let out = '';
    const stream = Object.assign(
      new Writable({
        write(chunk: Buffer, _enc, done) {
          out += chunk.toString();
          done();
        },
      }),
      { isTTY, columns: 200 },
    );
    return { stream, text: () => out };
  }
  const batch = (iteration: number, loss: number): BatchInfo => ({
    iteration, epoch: 1, totalIterations: 20, loss, batchSize: 100, elapsedMs: iteration * 10, trainTimeMs: iteration * 5, stop: () => {},
  });

  it('on a terminal: a cli-progress bar with loss and throughput, epoch lines above it', () => {
    const { stream, text } = sink(true);
    const p = new Progress({ stream });
    p.start(20);
    for (let i = 1; i <= 20; i++) p.batch(batch(i, 1));
    p.epoch({ epoch: 1, iteration: 20, loss: 0.5, trainAccuracy: 0.9, testAccuracy: 0.91, elapsedMs: 1, totalIterations: 20, stop: () => {} });
    p.stop();
    const out = text();
    // 20 iterations in 100 ms of training: 200 it/s, 20 000 samples/s
    expect(out).toMatch(/train \[.*\] 100% \| 20\/20 it \| loss 1\.0000 \| 200 it\/s \| 20\.0k samples\/s/);
    expect(out).toContain('epoch 1    iteration 20      loss 0.5000  train acc 0.9000  test acc 0.9100\n');
  });

  it('elsewhere: plain lines every tenth of the run', () => {
    const { stream, text } = sink(false);
    const p = new Progress({ stream });
    p.start(20);
    // the running loss is an exponential average: 2, then 2 + 0.05·(1 − 2) = 1.95
    p.batch(batch(1, 2));
    p.batch(batch(2, 1));
    for (let i = 3; i <= 20; i++) p.batch(batch(i, 1));
    p.stop();
    const lines = text().trimEnd().split('\n');
    expect(lines.length).toBe(10);
    expect(lines[0]).toBe('iteration  2/20  loss 1.9500  200 it/s  20.0k samples/s  20 ms');
    expect(lines[9]).toMatch(/^iteration 20\/20 /);
  });
});

describe('one name per concept', () => {
  it('the trainer says learningRate and an optimizer says lr; the other name is a clear error', () => {
    expect(() => new Trainer(new SpyNet(), { lr: 0.1 } as never)).toThrow(/the learning rate option is learningRate/);
    expect(() => new SGD({ learningRate: 0.1 } as never)).toThrow(/the learning rate is lr here/);
    expect(() => new Adam({ learningRate: 0.1 } as never)).toThrow(/the learning rate is lr here/);
  });

  it('the evaluation chunk is evalBatchSize for the trainer and evaluateAccuracy alike', () => {
    const net = new TwoLayerNet(4, 3, 10, { seed: 1 });
    const data = indexSet(30);
    expect(evaluateAccuracy(net, data, { evalBatchSize: 7 })).toBe(evaluateAccuracy(net, data));
    expect(() => evaluateAccuracy(net, data, { batchSize: 7 } as never)).toThrow(/the option is evalBatchSize/);
  });
});
