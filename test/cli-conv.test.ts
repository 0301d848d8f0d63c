// the CLI with conv nets (in process, through run()): train --model simple-conv and --net on a small MNIST directory, then eval,
// predict (IDX and PNG) and the saved file's conv weights; bad --net strings are usage errors

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/index.js';
import { loadModel } from '../src/io/model.js';
import { idx, runCli as run } from './helpers.js';

let tmp: string;
let data: string;

const { train, test } = loadMnist();

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'blasprop-cli-conv-'));
  // 500 training and 100 test images of the real MNIST: the evaluations stay quick
  data = join(tmp, 'mnist');
  mkdirSync(data);
  writeFileSync(join(data, 'train-images-idx3-ubyte'), idx([500, 28, 28], train.images.subarray(0, 500 * 784)));
  writeFileSync(join(data, 'train-labels-idx1-ubyte'), idx([500], train.labels.subarray(0, 500)));
  writeFileSync(join(data, 't10k-images-idx3-ubyte'), idx([100, 28, 28], test.images.subarray(0, 100 * 784)));
  writeFileSync(join(data, 't10k-labels-idx1-ubyte'), idx([100], test.labels.subarray(0, 100)));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('blasprop train with conv nets', () => {
  it("--model simple-conv trains the book's net with Adam lr 0.001; eval, predict and the saved file agree", async () => {
    const model = join(tmp, 'simple.safetensors');
    const r = await run(['train', '--data', data, '--model', 'simple-conv', '--iterations', '10', '--batch', '50', '--seed', '1', '--save', model, '--quiet', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({ iterations: 10, dtype: 'float32', stopReason: 'completed', optimizer: 'adam', learningRate: 0.001 });
    expect(summary.network).toBe('1x28x28 conv:30:5,relu,pool:2,dense:100,relu,dense:10');
    // the file: the book's conv weights as PyTorch's [filters, channels, kh, kw]
    const loaded = await loadModel(model);
    expect(loaded.architecture.layers[0]).toEqual({ type: 'convolution', input: [1, 28, 28], filters: 30, kernel: [5, 5], stride: 1, pad: 0 });
    const ev = await run(['eval', model, '--data', data, '--json']);
    expect(ev.code).toBe(0);
    expect((JSON.parse(ev.stdout) as { testAccuracy: number }).testAccuracy).toBe(summary.testAccuracy);
    // predict: three test digits from an IDX file, and the first as a PNG, the same class both ways
    const images = join(tmp, 'three.idx');
    writeFileSync(images, idx([3, 28, 28], test.images.subarray(0, 3 * 784)));
    const png = new PNG({ width: 28, height: 28 });
    for (let i = 0; i < 784; i++) png.data.set([test.images[i]!, test.images[i]!, test.images[i]!, 255], 4 * i);
    const pngFile = join(tmp, 'digit.png');
    writeFileSync(pngFile, PNG.sync.write(png, { colorType: 0 }));
    const p = await run(['predict', model, images, '--json']);
    expect(p.code).toBe(0);
    const fromIdx = JSON.parse(p.stdout) as { count: number; predictions: { class: number }[] };
    expect(fromIdx.count).toBe(3);
    const q = await run(['predict', model, pngFile, '--json']);
    expect(q.code).toBe(0);
    expect((JSON.parse(q.stdout) as { class: number }).class).toBe(fromIdx.predictions[0]!.class);
  });

  it('--net builds any conv net (here with dropout and batch norm) and eval reads it back', async () => {
    const model = join(tmp, 'net.safetensors');
    const r = await run(['train', '--data', data, '--net', 'conv:4:3:p1,batchnorm,relu,pool:2,dropout:0.2,dense:16,relu', '--init', 'he', '--iterations', '10', '--batch', '50', '--seed', '2', '--save', model, '--quiet', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary.network).toBe('1x28x28 conv:4:3:p1,batchnorm,relu,pool:2,dropout:0.2,dense:16,relu,dense:10');
    const ev = await run(['eval', model, '--data', data, '--json']);
    expect((JSON.parse(ev.stdout) as { testAccuracy: number }).testAccuracy).toBe(summary.testAccuracy);
  });

  it.each([
    [['--net', 'conv:4'], /--net: layers: 'conv:4' needs a kernel size as K or KHxKW/],
    [['--net', 'conv:4:3:s2'], /--net: .*output height \(28 \+ 2·0 − 3\) \/ 2 \+ 1 = 13.5 is not an integer/],
    [['--model', 'simple-conv', '--hidden', '20'], /--hidden shapes an MLP; a conv net's layers come from --model or --net/],
    [['--model', 'simple-conv', '--net', 'relu'], /give --model simple-conv or --net, not both/],
    [['--model', 'resnet'], /--model/],
  ])('%j is a usage error (exit 2) saying what is wrong', async (flags, message) => {
    const r = await run(['train', '--data', data, ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
