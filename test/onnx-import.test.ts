// ONNX files back into blasprop networks: PyTorch's own exports (golden files and outputs made by
// test/fixtures/onnx/make_torch_models.py) and blasprop's exports, round trip

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { onnx as O } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { loadMnist, toMatrix } from '../src/data/mnist.js';
import { ModelFileError } from '../src/io/model.js';
import { Matrix, type DType } from '../src/matrix.js';
import { buildNetwork, mlp, parseLayers, softmax } from '../src/nn/index.js';
import { exportOnnx } from '../src/onnx/export.js';
import { argmax } from '../src/nn/metrics.js';
import { importOnnx, loadOnnx } from '../src/onnx/import.js';
import { onnx } from '../src/onnx/proto.js';
import { EPS, nativeBackend, randomMatrix, testRng } from './helpers.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'onnx');
const mnist = loadMnist();

interface Expected {
  rows: number;
  cols: number;
  values: number[];
}

function expected(name: string): Expected {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.expected.json`), 'utf8')) as Expected;
}

describe('PyTorch exports import and give PyTorch\'s outputs on real MNIST', () => {
  it.each([
    // Flatten of a 1×28×28 image, Gemm (transB=1, PyTorch's [out, in]), Relu, Gemm, Softmax
    ['torch-relu-float32', 'float32', 'probabilities', ['Affine', 'Relu', 'Affine']],
    // a double model, Sigmoid, no softmax: the scores
    ['torch-sigmoid-float64', 'float64', 'logits', ['Affine', 'Sigmoid', 'Affine']],
    // Conv (padding, then stride 2), MaxPool, BatchNormalization after a pool and after a Gemm, Flatten
    ['torch-conv-float32', 'float32', 'probabilities', ['Convolution', 'Relu', 'Pooling', 'BatchNormalization', 'Convolution', 'Relu', 'Affine', 'BatchNormalization', 'Relu', 'Affine']],
  ] as const)('%s', async (name, dtype, output, kinds) => {
    const imported = await loadOnnx(join(FIXTURES, `${name}.onnx`), { backend: nativeBackend() });
    expect(imported.net.dtype).toBe(dtype);
    expect(imported.output).toBe(output);
    expect(imported.inputName).toBe('image');
    expect(imported.net.layers.map((l) => l.kind)).toEqual(kinds);
    imported.net.setTraining(false);
    const golden = expected(name);
    const x = toMatrix(mnist.test, { dtype, normalize: true, end: golden.rows });
    const scores = imported.net.predict(x);
    const y = output === 'probabilities' ? softmax(scores) : scores;
    let maxDiff = 0;
    let scale = 1;
    for (let i = 0; i < golden.rows; i++) {
      expect(argmax(y.data, i * 10, 10), `image ${i}`).toBe(argmax(golden.values, i * 10, 10));
      for (let j = 0; j < 10; j++) {
        maxDiff = Math.max(maxDiff, Math.abs(y.data[i * 10 + j]! - golden.values[i * 10 + j]!));
        scale = Math.max(scale, Math.abs(golden.values[i * 10 + j]!));
      }
    }
    // another library's sums in another order: a few dozen epsilons (of the largest value)
    expect(maxDiff).toBeLessThanOrEqual(64 * EPS[dtype] * scale);
    // the trained nets classify most images right: the comparison is not between noise
    let correct = 0;
    for (let i = 0; i < golden.rows; i++) if (argmax(y.data, i * 10, 10) === mnist.test.labels[i]) correct++;
    expect(correct).toBeGreaterThan(80);
  });
});

describe('blasprop exports import back exactly', () => {
  it.each(['float32', 'float64'] as const)('%s, both output forms', (dtype: DType) => {
    const net = mlp({ sizes: [12, 7, 5, 3], activation: ['sigmoid', 'relu'], init: 'he', seed: 4, dtype });
    // non-zero biases, so a lost bias would show
    for (const [k, m] of Object.entries(net.params)) if (k.startsWith('b')) m.data.forEach((_, i, d) => (d[i] = 0.1 * (i + 1)));
    for (const output of ['probabilities', 'logits'] as const) {
      const back = importOnnx(exportOnnx(net, { output }));
      expect(back.output).toBe(output);
      expect(back.net.dtype).toBe(dtype);
      expect(back.net.layers.map((l) => l.kind)).toEqual(net.layers.map((l) => l.kind));
      expect(back.metadata.format).toBe('blasprop-sequential');
      for (const [k, m] of Object.entries(net.params)) expect(Array.from(back.net.params[k]!.data), k).toEqual(Array.from(m.data));
    }
  });
});

describe('a blasprop conv net exported and imported back', () => {
  it('has the same layers and gives the same probabilities', () => {
    const layers = parseLayers('conv:5:3x2:s2:p1,batchnorm,relu,pool:3:s1:p1,dropout:0.4,dense:12,batchnorm,sigmoid');
    const net = buildNetwork({ input: [2, 9, 8], layers, outputs: 10, init: 'he', dtype: 'float32', seed: 2 });
    const x = randomMatrix(testRng(3), 6, 2 * 9 * 8, 'float32');
    // training steps move batch norm's running statistics away from (0, 1)
    for (let i = 0; i < 3; i++) net.gradient(x, new Int32Array([0, 1, 2, 3, 4, 5]));
    net.setTraining(false);
    const back = importOnnx(exportOnnx(net)).net;
    back.setTraining(false);
    expect(back.layers.map((l) => l.kind)).toEqual(net.layers.map((l) => l.kind));
    const want = softmax(net.predict(x));
    const got = softmax(back.predict(x));
    for (let i = 0; i < want.size; i++) expect(Math.abs(got.data[i]! - want.data[i]!)).toBeLessThanOrEqual(4 * EPS.float32);
  });
});

// a hand-built graph, for the forms no exporter here writes
function graphBytes(nodes: O.INodeProto[], initializers: O.ITensorProto[], output: string): Uint8Array {
  const vi = (name: string, n: number): O.IValueInfoProto => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'n' }, { dimValue: n }] } } } });
  return onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ version: 13 }],
    graph: { node: nodes, initializer: initializers, input: [vi('x', 2)], output: [vi(output, 3)] },
  }).finish();
}

const tensor = (name: string, dims: number[], values: number[]): O.ITensorProto => ({ name, dims, dataType: 1, floatData: values });

describe('importOnnx reads MatMul + Add and refuses what it does not read, naming the file', () => {
  it('MatMul then Add is one Affine with that bias', () => {
    const bytes = graphBytes(
      [
        { opType: 'MatMul', input: ['x', 'W'], output: ['h'] },
        { opType: 'Add', input: ['h', 'b'], output: ['y'] },
      ],
      [tensor('W', [2, 3], [1, 2, 3, 4, 5, 6]), tensor('b', [3], [0.5, -1, 2])],
      'y',
    );
    const { net, output } = importOnnx(bytes);
    expect(output).toBe('logits');
    // [1, 1]·W + b = [5, 7, 9] + [0.5, -1, 2]
    const y = net.predict(new Matrix(1, 2, new Float32Array([1, 1])));
    expect(Array.from(y.data)).toEqual([5.5, 6, 11]);
  });

  it('errors name the file and the node', () => {
    const conv = graphBytes([{ opType: 'Tanh', input: ['x'], output: ['y'] }], [], 'y');
    expect(() => importOnnx(conv, 'net.onnx')).toThrow(ModelFileError);
    expect(() => importOnnx(conv, 'net.onnx')).toThrow(/^net\.onnx: node 0 \(Tanh\) is not supported; blasprop reads Gemm/);
    expect(() => importOnnx(new Uint8Array([0xff, 0xff, 0xff]), 'junk.onnx')).toThrow(/^junk\.onnx: not an ONNX model/);
    const int8 = graphBytes([{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }], [{ name: 'W', dims: [2, 3], dataType: 3, int32Data: [1, 2, 3, 4, 5, 6] }], 'y');
    expect(() => importOnnx(int8, 'q.onnx')).toThrow(/^q\.onnx: tensor 'W' has ONNX data type 3/);
    const short = graphBytes([{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }], [tensor('W', [2, 3], [1, 2])], 'y');
    expect(() => importOnnx(short, 's.onnx')).toThrow(/^s\.onnx: tensor 'W' holds 2 values, its shape \[2, 3\] needs 6/);
    const branch = graphBytes(
      [
        { opType: 'Relu', input: ['x'], output: ['r'] },
        { opType: 'Sigmoid', input: ['x'], output: ['y'] },
      ],
      [],
      'y',
    );
    expect(() => importOnnx(branch, 'b.onnx')).toThrow(/^b\.onnx: node 1 \(Sigmoid\) does not read the previous node's output/);
  });
});
