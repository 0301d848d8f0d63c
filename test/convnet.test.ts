// conv networks: the book's SimpleConvNet and its gradient check, the builder and its CLI string,
// training mode and state in Sequential, and model files holding conv layers and their state

import { describe, expect, it } from 'vitest';
import { decodeModel, describeArchitecture, encodeModel, inputWidth } from '../src/io/model.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { Matrix } from '../src/matrix.js';
import { BatchNormalization } from '../src/nn/batch-norm.js';
import { buildNetwork, parseLayers, SimpleConvNet } from '../src/nn/builder.js';
import { Convolution } from '../src/nn/convolution.js';
import { Dropout } from '../src/nn/dropout.js';
import { gradientCheck } from '../src/nn/gradcheck.js';
import { Pooling } from '../src/nn/pooling.js';
import { allBackends, randomMatrix, testRng } from './helpers.js';

function meanAbs(m: Matrix): number {
  let s = 0;
  for (const v of m.data) s += Math.abs(v);
  return s / m.size;
}

describe.each(allBackends().map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  it("SimpleConvNet is the book's: conv 30×5×5 → ReLU → pool 2×2/2 → Affine 4320→100 → ReLU → Affine 100→10, std 0.01", () => {
    const net = new SimpleConvNet({ seed: 1, dtype: 'float32', backend });
    expect(net.layers.map((l) => l.kind)).toEqual(['Convolution', 'Relu', 'Pooling', 'Affine', 'Relu', 'Affine']);
    expect(Object.entries(net.params).map(([k, m]) => [k, m.rows, m.cols])).toEqual([
      ['W1', 30, 25], ['b1', 1, 30], ['W2', 4320, 100], ['b2', 1, 100], ['W3', 100, 10], ['b3', 1, 10],
    ]);
    const conv = net.layers[0] as Convolution;
    expect([conv.geometry.stride, conv.geometry.pad, conv.outputShape]).toEqual([1, 0, [30, 24, 24]]);
    expect((net.layers[2] as Pooling).outputShape).toEqual([30, 12, 12]);
    // the first layer never computes dx
    expect(conv.inputGrad).toBe(false);
    // weights 0.01·randn: the sample std of 432 000 draws is within 1 % of 0.01; biases zero
    const W2 = net.params.W2!.data;
    const std = Math.sqrt(Array.from(W2).reduce((s, v) => s + v * v, 0) / W2.length);
    expect(Math.abs(std - 0.01)).toBeLessThan(1e-4);
    expect(net.params.b1!.data.every((v) => v === 0)).toBe(true);
    // a batch of MNIST-shaped rows goes straight in
    const scores = net.predict(randomMatrix(testRng(1), 3, 784, 'float32'));
    expect([scores.rows, scores.cols]).toEqual([3, 10]);
  });

  it("the book's gradient check of SimpleConvNet on 1×10×10 inputs (10 filters 3×3, hidden 10), float64: backprop = numerical", () => {
    // the book's gradient_check.py for chapter 7: one random 1×10×10 image, label 1
    const net = new SimpleConvNet({ input: [1, 10, 10], filters: 10, kernel: 3, hidden: 10, outputs: 10, seed: 3, backend });
    const rng = testRng(4);
    const x = new Matrix(1, 100, Float64Array.from({ length: 100 }, () => rng()));
    const diffs = gradientCheck(net, x, new Int32Array([1]));
    const grads = net.gradient(x, new Int32Array([1])).grads;
    expect(Object.keys(diffs)).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3']);
    // the book's magnitudes (chapter 5 prints 4e-10 … 1.4e-7): what is left is the central difference's
    // own truncation error, about 1e-6 of each gradient (h = 1e-4). (A seed whose hidden
    // pre-activation lies within h of ReLU's kink would show a larger b2 difference: a limit of the
    // numerical side, not of backprop.)
    for (const [key, d] of Object.entries(diffs)) {
      expect(d, key).toBeLessThan(1e-6);
      expect(d / meanAbs(grads[key]!), key).toBeLessThan(1e-5);
    }
  });

  it('gradient check of a built net with batch norm after a conv and after a dense layer, stride 2 and padding, float64', () => {
    const net = buildNetwork({
      input: [2, 7, 6],
      layers: [
        { type: 'conv', filters: 3, kernel: [3, 2], stride: 2, pad: 1 }, { type: 'batchnorm' }, { type: 'relu' },
        { type: 'pool', kernel: 2, stride: 1 }, { type: 'dense', outputs: 6 }, { type: 'batchnorm' }, { type: 'sigmoid' },
      ],
      outputs: 4, init: 'he', seed: 5, backend,
    });
    expect(Object.keys(net.params)).toEqual(['W1', 'b1', 'gamma2', 'beta2', 'W3', 'b3', 'gamma4', 'beta4', 'W5', 'b5']);
    expect(Object.keys(net.state)).toEqual(['running_mean2', 'running_var2', 'running_mean4', 'running_var4']);
    const x = randomMatrix(testRng(6), 5, 84, 'float64');
    const t = new Int32Array([0, 3, 1, 2, 3]);
    const diffs = gradientCheck(net, x, t);
    const grads = net.gradient(x, t).grads;
    for (const [key, d] of Object.entries(diffs)) {
      expect(d, key).toBeLessThan(1e-6);
      // b1 and b3 feed batch norm, which subtracts each channel's mean: their gradient is exactly 0
      if (key === 'b1' || key === 'b3') expect(meanAbs(grads[key]!), key).toBeLessThan(1e-15);
      else expect(d / meanAbs(grads[key]!), key).toBeLessThan(1e-5);
    }
  });

  it('setTraining reaches every layer; evaluate() measures in evaluation mode and gives the caller its mode back', () => {
    const net = buildNetwork({ input: [1, 6, 6], layers: [{ type: 'conv', filters: 2, kernel: 3 }, { type: 'batchnorm' }, { type: 'dropout', ratio: 0.5 }, { type: 'relu' }], outputs: 3, seed: 1, backend });
    const bn = net.layers[1] as BatchNormalization, drop = net.layers[2] as Dropout;
    expect([net.training, bn.training, drop.training]).toEqual([true, true, true]);
    const x = randomMatrix(testRng(2), 4, 36, 'float64');
    const t = new Int32Array([0, 1, 2, 0]);
    const running = bn.runningMean.clone();
    const words = drop.state[0]!.value.clone();
    const first = net.evaluate(x, t);
    // no batch statistics folded in, no mask drawn, and the same answer twice
    expect(bn.runningMean.data).toEqual(running.data);
    expect(drop.state[0]!.value.data).toEqual(words.data);
    expect(net.evaluate(x, t)).toEqual(first);
    expect([net.training, bn.training, drop.training]).toEqual([true, true, true]);
    net.setTraining(false);
    expect([bn.training, drop.training]).toEqual([false, false]);
    const scores = net.predict(x).clone();
    expect(net.predict(x).data).toEqual(scores.data);
    expect(() => net.setTraining('no' as unknown as boolean)).toThrow(/setTraining: expected a boolean/);
  });

  it('a conv net with batch norm and dropout survives a model file: same scores, state restored, PyTorch-shaped weights', () => {
    const net = buildNetwork({
      input: [1, 8, 8],
      layers: parseLayers('conv:4:3:p1, batchnorm, relu, pool:2, dropout:0.25, dense:5, relu'),
      outputs: 3, seed: 7, dtype: 'float32', backend,
    });
    const x = randomMatrix(testRng(8), 6, 64, 'float32');
    // a few training forwards move the running statistics and the dropout generator
    for (let i = 0; i < 3; i++) net.gradient(x, new Int32Array([0, 1, 2, 0, 1, 2]));
    const buf = encodeModel(net);
    const file = decodeSafetensors(buf);
    expect(file.tensors.W1!.shape).toEqual([4, 1, 3, 3]);
    expect(file.tensors.running_var2!.shape).toEqual([4]);
    expect(file.tensors.rng3!).toMatchObject({ dtype: 'float64', shape: [4] });
    const loaded = decodeModel(buf, 'conv.safetensors', { backend });
    expect(loaded.architecture).toEqual(describeArchitecture(net));
    expect(inputWidth(loaded.architecture)).toBe(64);
    for (const [k, m] of Object.entries(net.state)) expect(loaded.net.state[k]!.data, k).toEqual(m.data);
    net.setTraining(false);
    loaded.net.setTraining(false);
    expect(loaded.net.predict(x).data).toEqual(net.predict(x).data);
    // in training, the loaded dropout draws the very mask the original draws next
    net.setTraining(true);
    loaded.net.setTraining(true);
    expect(loaded.net.predict(x).data).toEqual(net.predict(x).data);
  });
});

describe('builder and layer strings', () => {
  it('parseLayers reads the CLI form, and says what is wrong with a bad token', () => {
    expect(parseLayers('conv:30:5,relu,pool:2,dense:100,relu')).toEqual([
      { type: 'conv', filters: 30, kernel: 5 }, { type: 'relu' }, { type: 'pool', kernel: 2 }, { type: 'dense', outputs: 100 }, { type: 'relu' },
    ]);
    expect(parseLayers('conv:16:3x5:s2:p1, pool:3x2:s1, dropout:0.3, batchnorm, sigmoid, dropout')).toEqual([
      { type: 'conv', filters: 16, kernel: [3, 5], stride: 2, pad: 1 }, { type: 'pool', kernel: [3, 2], stride: 1 },
      { type: 'dropout', ratio: 0.3 }, { type: 'batchnorm' }, { type: 'sigmoid' }, { type: 'dropout', ratio: undefined },
    ]);
    expect(() => parseLayers('conv:30')).toThrow(/'conv:30' needs a kernel size as K or KHxKW/);
    expect(() => parseLayers('conv:30:5:q2')).toThrow(/has 'q2': expected sN \(stride\) or pN \(padding\)/);
    expect(() => parseLayers('dense')).toThrow(/'dense' needs one width/);
    expect(() => parseLayers('dropout:1.5')).toThrow(/needs a ratio in \[0, 1\)/);
    expect(() => parseLayers('relu:2')).toThrow(/'relu:2' takes no arguments/);
    expect(() => parseLayers('lstm:3')).toThrow(/'lstm:3' is not a layer/);
    expect(() => parseLayers('')).toThrow(/expected a comma-separated layer list/);
  });

  it('buildNetwork carries shapes from layer to layer and refuses impossible ones', () => {
    const net = buildNetwork({ input: [3, 32, 32], layers: parseLayers('conv:8:3:p1,relu,pool:2,conv:16:3:p1,relu,pool:2,dense:64,relu'), outputs: 10, seed: 1 });
    expect(Object.entries(net.params).map(([k, m]) => `${k} ${m.rows}×${m.cols}`)).toEqual([
      'W1 8×27', 'b1 1×8', 'W2 16×72', 'b2 1×16', 'W3 1024×64', 'b3 1×64', 'W4 64×10', 'b4 1×10',
    ]);
    expect(() => buildNetwork({ input: 784, layers: [{ type: 'conv', filters: 2, kernel: 3 }], outputs: 10 })).toThrow(/layers\[0\] \(conv\) needs an image input \[channels, height, width\], but the layer before gives a flat width 784/);
    expect(() => buildNetwork({ input: [1, 28, 28], layers: [{ type: 'conv', filters: 2, kernel: 3, stride: 2 }], outputs: 10 })).toThrow(/output height \(28 \+ 2·0 − 3\) \/ 2 \+ 1 = 13.5 is not an integer/);
    expect(() => buildNetwork({ input: [1, 4, 4], layers: [{ type: 'conv', filters: 2, kernel: 5 }], outputs: 10 })).toThrow(/kernel height 5 is larger than the padded input height 4/);
    expect(() => buildNetwork({ input: [1, 28, 28], layers: [{ type: 'pool', kernel: 2 }, { type: 'dense', outputs: 0 }], outputs: 10 })).toThrow(/outputs must be a positive integer, got 0/);
  });

  it('a model file whose conv layer does not fit is refused with the file named', () => {
    const net = new SimpleConvNet({ input: [1, 8, 8], filters: 2, kernel: 3, hidden: 4, outputs: 3, seed: 1 });
    const file = decodeSafetensors(encodeModel(net));
    const arch = JSON.parse(file.metadata.architecture!) as { layers: Record<string, unknown>[] };
    arch.layers[0]!.stride = 4;
    const tensors = Object.fromEntries(Object.entries(file.tensors));
    const bad = encodeSafetensors(tensors, { ...file.metadata, architecture: JSON.stringify(arch) });
    expect(() => decodeModel(bad, 'bad.safetensors')).toThrow(/^bad.safetensors: __metadata__.architecture layers\[0\]: output height \(8 \+ 2·0 − 3\) \/ 4 \+ 1 = 2.25 is not an integer/);
    arch.layers[0]!.stride = 1;
    arch.layers[3]!.inputs = 71;
    expect(() => decodeModel(encodeSafetensors(tensors, { ...file.metadata, architecture: JSON.stringify(arch) }), 'bad.safetensors')).toThrow(/layers\[3\] takes 71 inputs but the layer before gives 18/);
  });
});
