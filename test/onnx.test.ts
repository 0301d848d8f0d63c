// exported models run in ONNX Runtime (onnxruntime-web, WebAssembly) and must agree with blasprop's own
// predict on real MNIST test images; a model the runtime refuses fails the test

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { onnx as O } from 'onnx-proto';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnist, toMatrix } from '../src/data/mnist.js';
import { saveModel } from '../src/io/model.js';
import { Matrix, type DType } from '../src/matrix.js';
import { Affine, buildNetwork, mlp, Sequential, type LayerConfig, softmax, SoftmaxWithLoss, type Activation, type Layer } from '../src/nn/index.js';
import { argmax } from '../src/nn/metrics.js';
import { exportOnnx, saveOnnx } from '../src/onnx/export.js';
import { onnx, toInt } from '../src/onnx/proto.js';
import { fit } from '../src/train/index.js';
import { run } from '../src/cli/index.js';
import { packageRoot } from '../src/native/addon.js';
import { EPS, nativeBackend } from './helpers.js';

// one WebAssembly thread: the suite shares two cores with everything else
ort.env.wasm.numThreads = 1;

const mnist = loadMnist();
// the first 2000 test images: every one must get the same class from both runtimes
const TEST_IMAGES = 2000;
const images: Record<DType, Matrix> = {
  float32: toMatrix(mnist.test, { dtype: 'float32', normalize: true, end: TEST_IMAGES }),
  float64: toMatrix(mnist.test, { dtype: 'float64', normalize: true, end: TEST_IMAGES }),
};

const root = mkdtempSync(join(tmpdir(), 'blasprop-onnx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// a small net trained for a few hundred steps, so its classes are clear (not an untrained tie);
// each is trained once, in float32, and shared by the tests that read it
const cache = new Map<string, Promise<Sequential>>();
function trained(dtype: DType, activation: Activation): Promise<Sequential> {
  const key = `${dtype} ${activation}`;
  if (!cache.has(key)) cache.set(key, dtype === 'float32' ? train(activation) : trained('float32', activation).then((net) => withDtype(net, dtype, activation)));
  return cache.get(key)!;
}

const mlpOf = (activation: Activation, dtype: DType) =>
  mlp({ sizes: [784, 32, 16, 10], activation, init: activation === 'relu' ? 'he' : 'xavier', seed: 7, dtype, backend: nativeBackend() });

async function train(activation: Activation): Promise<Sequential> {
  const net = mlpOf(activation, 'float32');
  await fit(net, { train: { ...mnist.train, count: 5000 } }, { iterations: 300, batchSize: 100, optimizer: 'adam', learningRate: 0.003, seed: 3, evaluate: false });
  return net;
}

// the same weights in another dtype (float32 values are exact in float64): a trained float64 net
// without a second training run
function withDtype(net: Sequential, dtype: DType, activation: Activation): Sequential {
  const copy = mlpOf(activation, dtype);
  for (const [key, m] of Object.entries(copy.params)) m.data.set(net.params[key]!.data);
  return copy;
}

// the model's output for every image, from ONNX Runtime; the session is refused → the test fails
async function runOnnx(bytes: Uint8Array, x: Matrix, inputName = 'input', outputName = 'probabilities'): Promise<Float32Array | Float64Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds = { [inputName]: new ort.Tensor(x.dtype, x.data, [x.rows, x.cols]) };
    const out = await session.run(feeds);
    const y = out[outputName];
    if (y === undefined) throw new Error(`the model has no output '${outputName}' (it has ${Object.keys(out).join(', ')})`);
    expect(y.dims).toEqual([x.rows, 10]);
    expect(y.type).toBe(x.dtype);
    return y.data as Float32Array | Float64Array;
  } finally {
    await session.release();
  }
}

// each row's class, by the library's one argmax
function argmaxRows(d: ArrayLike<number>, rows: number, cols: number): number[] {
  return Array.from({ length: rows }, (_, i) => argmax(d, i * cols, cols));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// probabilities in [0, 1] through ~800-term dot products summed in another order: a few dozen
// epsilons of the dtype apart at most
const PROBABILITY_TOLERANCE: Record<DType, number> = { float32: 64 * EPS.float32, float64: 64 * EPS.float64 };

// the same class for every image, probabilities (or scores, relative to their size) within the
// tolerance of the file's dtype
function expectSamePredictions(net: Sequential, x: Matrix, fromOnnx: ArrayLike<number>, options: { logits?: boolean; minAccuracy?: number; fileDtype?: DType } = {}): void {
  const { logits = false, minAccuracy = 0.85, fileDtype = net.dtype } = options;
  const scores = net.predict(x);
  const expected = logits ? scores : softmax(scores);
  const classes = argmaxRows(expected.data, x.rows, 10);
  expect(argmaxRows(fromOnnx, x.rows, 10)).toEqual(classes);
  // the nets are trained: most images are classified right, so the comparison is not between noise
  let correct = 0;
  for (let i = 0; i < x.rows; i++) if (classes[i] === mnist.test.labels[i]) correct++;
  expect(correct / x.rows).toBeGreaterThan(minAccuracy);
  const scale = logits ? Math.max(1, ...Array.from(expected.data, Math.abs)) : 1;
  expect(maxAbsDiff(fromOnnx, expected.data)).toBeLessThanOrEqual(PROBABILITY_TOLERANCE[fileDtype] * scale);
}

describe('exported MLPs run in ONNX Runtime and agree with predict on real MNIST', () => {
  it.each([
    ['float32', 'relu'],
    ['float32', 'sigmoid'],
    ['float64', 'relu'],
    ['float64', 'sigmoid'],
  ] as const)('%s, Affine + %s + softmax', async (dtype, activation) => {
    const net = await trained(dtype, activation);
    const x = images[dtype];
    expectSamePredictions(net, x, await runOnnx(exportOnnx(net), x));
  });

  it.each(['float32', 'float64'] as const)('%s with output: logits gives the raw scores', async (dtype) => {
    const net = await trained(dtype, 'relu');
    const x = images[dtype];
    const bytes = exportOnnx(net, { output: 'logits', inputName: 'pixels' });
    expectSamePredictions(net, x, await runOnnx(bytes, x, 'pixels', 'logits'), { logits: true });
  });

  it('a float64 network exported as float32 runs in float32 and still agrees', async () => {
    const net = await trained('float64', 'relu');
    const y = await runOnnx(exportOnnx(net, { dtype: 'float32' }), images.float32);
    const expected = softmax(net.predict(images.float64));
    expect(argmaxRows(y, TEST_IMAGES, 10)).toEqual(argmaxRows(expected.data, TEST_IMAGES, 10));
    // weights rounded to float32: float32's tolerance
    expect(maxAbsDiff(y, expected.data)).toBeLessThanOrEqual(PROBABILITY_TOLERANCE.float32);
  });

  it('runs any batch size: the batch dimension is dynamic', async () => {
    const net = await trained('float32', 'relu');
    const bytes = exportOnnx(net);
    for (const rows of [1, 7]) {
      const x = toMatrix(mnist.test, { dtype: 'float32', normalize: true, start: 100, end: 100 + rows });
      expectSamePredictionsLoose(net, x, await runOnnx(bytes, x));
    }
  });
});

// a handful of rows: only the argmax and the tolerance (the accuracy floor needs many images)
function expectSamePredictionsLoose(net: Sequential, x: Matrix, fromOnnx: ArrayLike<number>): void {
  const expected = softmax(net.predict(x));
  expect(argmaxRows(fromOnnx, x.rows, 10)).toEqual(argmaxRows(expected.data, x.rows, 10));
  expect(maxAbsDiff(fromOnnx, expected.data)).toBeLessThanOrEqual(PROBABILITY_TOLERANCE[net.dtype]);
}

describe('a model trained on standardised features takes raw rows in ONNX', () => {
  it('Sub and Div at the input: raw MNIST rows in ONNX Runtime give predict on the standardised rows', async () => {
    // mean and population std per pixel over 5000 training images; a constant pixel gets std 1
    const count = 5000;
    const raw = toMatrix(mnist.train, { dtype: 'float32', normalize: true, end: count });
    const cols = raw.cols;
    const mean = new Array<number>(cols).fill(0);
    const std = new Array<number>(cols).fill(0);
    for (let i = 0; i < count; i++) for (let j = 0; j < cols; j++) mean[j]! += raw.data[i * cols + j]! / count;
    for (let i = 0; i < count; i++) for (let j = 0; j < cols; j++) std[j]! += (raw.data[i * cols + j]! - mean[j]!) ** 2 / count;
    for (let j = 0; j < cols; j++) std[j] = std[j]! > 0 ? Math.sqrt(std[j]!) : 1;
    const standardize = (x: Matrix) => new Matrix(x.rows, x.cols, x.data.map((v, k) => (v - mean[k % cols]!) / std[k % cols]!));
    const net = mlp({ sizes: [784, 32, 10], init: 'he', seed: 5, dtype: 'float32', backend: nativeBackend() });
    await fit(net, { train: { x: standardize(raw), t: Int32Array.from(mnist.train.labels.subarray(0, count)) } }, { iterations: 200, batchSize: 100, optimizer: 'adam', learningRate: 0.002, seed: 6, evaluate: false });
    const labels = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    const bytes = exportOnnx(net, { data: { labels, standardization: { mean, std } } });
    const model = onnx.ModelProto.decode(bytes);
    expect((model.graph as O.GraphProto).node.slice(0, 2).map((n) => n.opType)).toEqual(['Sub', 'Div']);
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(meta.labels!)).toEqual(labels);
    expect(JSON.parse(meta.standardization!).std).toHaveLength(784);
    const x = images.float32;
    // ONNX Runtime gets the raw pixels; blasprop's predict the standardised ones
    const y = await runOnnx(bytes, x);
    const z = standardize(x);
    const expected = softmax(net.predict(z));
    expect(argmaxRows(y, x.rows, 10)).toEqual(argmaxRows(expected.data, x.rows, 10));
    // x − mean and ÷ std rounded once more in float32 inside the graph: a few more epsilons at most
    expect(maxAbsDiff(y, expected.data)).toBeLessThanOrEqual(PROBABILITY_TOLERANCE.float32);
    expect(() => exportOnnx(net, { data: { standardization: { mean: mean.slice(1), std } } })).toThrow(/data\.standardization must be \{ mean, std \} of 784 finite numbers/);
    expect(() => exportOnnx(net, { data: { labels: [1, 2] as unknown as string[] } })).toThrow(/data\.labels must be an array of strings/);
  });
});

// conv nets: trained once in float32 (a few steps: conv training is the slow part), tested in both
// dtypes on a copy of the weights and state; ONNX Runtime has no double Conv, so a float64 conv net is
// exported as float32 and compared with float32's tolerance
const CONV_NET: LayerConfig[] = [
  { type: 'conv', filters: 4, kernel: 3, pad: 1 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'pool', kernel: 2 },
  { type: 'conv', filters: 6, kernel: 4, stride: 2, pad: 1 }, { type: 'relu' }, { type: 'dropout', ratio: 0.25 },
  { type: 'dense', outputs: 24 }, { type: 'batchnorm' }, { type: 'sigmoid' }, { type: 'dropout', ratio: 0.5 },
];
// pooling, batch norm and dropout without a conv: all three run in double in ONNX Runtime
const POOL_NET: LayerConfig[] = [{ type: 'pool', kernel: 2 }, { type: 'batchnorm' }, { type: 'dense', outputs: 32 }, { type: 'relu' }, { type: 'dropout', ratio: 0.3 }, { type: 'batchnorm' }];

const built = (layers: LayerConfig[], dtype: DType) => buildNetwork({ input: [1, 28, 28], layers, outputs: 10, init: 'he', dtype, seed: 3, backend: nativeBackend() });
const convCache = new Map<string, Promise<Sequential>>();
function trainedConv(name: 'conv' | 'pool', dtype: DType): Promise<Sequential> {
  const key = `${name} ${dtype}`;
  const layers = name === 'conv' ? CONV_NET : POOL_NET;
  if (!convCache.has(key)) {
    convCache.set(key, dtype === 'float32'
      ? (async () => {
          const net = built(layers, 'float32');
          await fit(net, { train: { ...mnist.train, count: 3000 } }, { iterations: 80, batchSize: 32, optimizer: 'adam', learningRate: 0.003, seed: 4, evaluate: false });
          return net;
        })()
      : trainedConv(name, 'float32').then((net) => {
          const copy = built(layers, dtype);
          for (const [key, m] of Object.entries({ ...copy.params, ...copy.state })) m.data.set(({ ...net.params, ...net.state })[key]!.data);
          return copy;
        }));
  }
  return convCache.get(key)!.then((net) => {
    net.setTraining(false);
    return net;
  });
}

describe('exported conv nets run in ONNX Runtime and agree with predict on real MNIST', () => {
  const N = 500;
  it.each([
    ['Conv, BatchNormalization, MaxPool, Dropout, Affine, Sigmoid', 'conv', 'float32', 0.6],
    ['the same net in float64, exported as float32', 'conv', 'float64', 0.6],
    ['MaxPool, BatchNormalization, Dropout, Affine, Relu', 'pool', 'float32', 0.75],
    ['MaxPool, BatchNormalization, Dropout, Affine, Relu', 'pool', 'float64', 0.75],
  ] as const)('%s (%s, %s)', async (_name, kind, dtype, minAccuracy) => {
    const net = await trainedConv(kind, dtype);
    const fileDtype = kind === 'conv' ? 'float32' : dtype;
    const x = toMatrix(mnist.test, { dtype, normalize: true, end: N });
    const y = await runOnnx(exportOnnx(net, { dtype: fileDtype }), fileDtype === dtype ? x : toMatrix(mnist.test, { dtype: fileDtype, normalize: true, end: N }));
    expectSamePredictions(net, x, y, { minAccuracy, fileDtype });
  });

  it('a float64 Conv is a clear error unless exported as float32', async () => {
    const net = await trainedConv('conv', 'float64');
    expect(() => exportOnnx(net)).toThrow(/^exportOnnx: layers\[0\] \(Convolution\): ONNX Runtime has no float64 \(double\) Conv; export with \{ dtype: 'float32' \}/);
  });
});

describe('the ONNX file', () => {
  const net = mlp({ sizes: [784, 8, 10], activation: ['sigmoid'], seed: 1, dtype: 'float32' });

  it('is opset 13 with a named, dynamic-batch input, the weights as named tensors, and blasprop metadata', () => {
    const model = onnx.ModelProto.decode(exportOnnx(net));
    expect(model.opsetImport.map((o) => [o.domain, toInt(o.version)])).toEqual([['', 13]]);
    expect(model.producerName).toBe('blasprop');
    const graph = model.graph as O.GraphProto;
    expect(graph.node.map((n) => n.opType)).toEqual(['Gemm', 'Sigmoid', 'Gemm', 'Softmax']);
    const input = graph.input[0]!;
    expect(input.name).toBe('input');
    const dims = input.type!.tensorType!.shape!.dim!;
    expect(dims[0]!.dimParam).toBe('batch');
    expect(toInt(dims[1]!.dimValue)).toBe(784);
    expect(input.type!.tensorType!.elemType).toBe(onnx.TensorProto.DataType.FLOAT);
    expect(graph.output.map((o) => o.name)).toEqual(['probabilities']);
    expect(graph.initializer.map((t) => [t.name, t.dims!.map(toInt)])).toEqual([
      ['W1', [784, 8]],
      ['b1', [8]],
      ['W2', [8, 10]],
      ['b2', [10]],
    ]);
    // the weights' bytes are the network's, unchanged
    const W2 = graph.initializer[2]!;
    expect(Buffer.from(W2.rawData!).equals(Buffer.from(net.params.W2!.data.buffer))).toBe(true);
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(meta.format).toBe('blasprop-sequential');
    expect(meta.dtype).toBe('float32');
    expect(meta.output).toBe('probabilities');
    expect(JSON.parse(meta.architecture!)).toEqual({
      layers: [{ type: 'affine', inputs: 784, outputs: 8 }, { type: 'sigmoid' }, { type: 'affine', inputs: 8, outputs: 10 }],
      loss: 'softmax-cross-entropy',
    });
  });

  it('a float64 network is a graph of doubles', () => {
    const model = onnx.ModelProto.decode(exportOnnx(mlp({ sizes: [4, 3], seed: 1, dtype: 'float64' })));
    const graph = model.graph as O.GraphProto;
    expect(graph.input[0]!.type!.tensorType!.elemType).toBe(onnx.TensorProto.DataType.DOUBLE);
    expect(graph.initializer.every((t) => t.dataType === onnx.TensorProto.DataType.DOUBLE)).toBe(true);
  });

  it('a layer with no ONNX form is an error naming the layer', () => {
    const odd: Layer = { kind: 'Mystery', forward: (x) => x, backward: (d) => d, parameters: [] };
    const withOdd = new Sequential([new Affine(Matrix.zeros(4, 3, 'float32'), Matrix.zeros(1, 3, 'float32')), odd], new SoftmaxWithLoss());
    expect(() => exportOnnx(withOdd)).toThrow(/layers\[1\] \(Mystery\) has no ONNX form/);
  });

  it('refuses bad options', () => {
    expect(() => exportOnnx(net, { output: 'scores' as 'logits' })).toThrow(/output must be 'probabilities' or 'logits'/);
    expect(() => exportOnnx(net, { dtype: 'float16' as DType })).toThrow(/dtype must be/);
    expect(() => exportOnnx(net, { inputName: 'x', outputName: 'x' })).toThrow(/both 'x'/);
    expect(() => exportOnnx(net, { colour: 1 } as object)).toThrow(/unknown option 'colour'/);
    expect(() => exportOnnx({} as Sequential)).toThrow(/expected a Sequential/);
  });

  it('saveOnnx writes atomically: a crash before the rename leaves the old file', async () => {
    const path = join(root, 'model.onnx');
    writeFileSync(path, 'old');
    await expect(saveOnnx(path, net, {}, { beforeRename: () => { throw new Error('crash'); } })).rejects.toThrow('crash');
    expect(readFileSync(path, 'utf8')).toBe('old');
    await saveOnnx(path, net);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(exportOnnx(net)))).toBe(true);
  });
});

describe('examples/onnx.mjs, the README\'s whole path', () => {
  it('trains, exports, and ONNX Runtime classifies the first five test images right', () => {
    const out = execFileSync(process.execPath, [join(packageRoot, 'examples', 'onnx.mjs')], { encoding: 'utf8' });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(5);
    // "image 0: 7 (p 0.999, label 7)": the predicted class is the label
    for (const line of lines) expect(line).toMatch(/^image \d: (\d) \(p [\d.]+, label \1\)$/);
  });
});

describe('blasprop export', () => {
  it('turns a saved model into an .onnx file that ONNX Runtime runs', async () => {
    const net = await trained('float32', 'relu');
    const model = join(root, 'cli.safetensors');
    const out = join(root, 'cli.onnx');
    await saveModel(model, net);
    expect(await run(['export', model, out])).toBe(0);
    const x = images.float32;
    expectSamePredictions(net, x, await runOnnx(readFileSync(out), x));
    expect(await run(['export', model, join(root, 'logits.onnx'), '--logits', '--dtype', 'float64'])).toBe(0);
    const meta = onnx.ModelProto.decode(readFileSync(join(root, 'logits.onnx'))).metadataProps;
    expect(meta.find((p) => p.key === 'output')!.value).toBe('logits');
  });

  it('usage mistakes exit 2, a missing model 1', async () => {
    expect(await run(['export', join(root, 'only-one.safetensors')])).toBe(2);
    expect(await run(['export', join(root, 'missing.safetensors'), join(root, 'x.onnx')])).toBe(1);
    expect(await run(['export', 'a.safetensors', 'b.onnx', '--dtype', 'int8'])).toBe(2);
  });
});
