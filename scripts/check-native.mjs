#!/usr/bin/env node
// loads one addon file into the built library and holds each native op to the reference backend, then
// (with --train N) trains the book's network on real MNIST for N steps and prints the test accuracy.
// It runs where vitest cannot: under another glibc's loader (scripts/check-glibc.sh) and under qemu with
// Debian's arm64 Node 18 (scripts/check-arm64.sh). Plain JavaScript, no test runner, exit 1 on a mismatch.
//   BLASPROP_ADDON=prebuilds/linux-x64/blasprop.node node scripts/check-native.mjs [--train 600] [--expect-glibc 2.31]
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lib = await import(path.join(root, 'dist', 'index.js'));
const { Matrix, DTYPES, Random, backendByName, referenceBackend, info } = lib;
const { windowGeometry } = await import(path.join(root, 'dist', 'kernels', 'window.js'));

const about = info();
if (!about.native.available) {
  console.error(`check-native: the addon did not load: ${about.native.reason}`);
  process.exit(1);
}
// the C library the process really runs on, so a run under another loader proves which one it was
const glibc = process.report.getReport().header.glibcVersionRuntime;
const expectGlibc = process.argv.indexOf('--expect-glibc');
if (expectGlibc > 0 && glibc !== process.argv[expectGlibc + 1]) {
  console.error(`check-native: running on glibc ${glibc}, expected ${process.argv[expectGlibc + 1]}`);
  process.exit(1);
}
const native = backendByName('native');
const rng = new Random(7);
let failures = 0;

function randomMatrix(rows, cols, dtype) {
  const m = Matrix.zeros(rows, cols, dtype);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.normal();
  return m;
}

// the largest difference relative to the reference's scale: float32 sums differ in the last bits
// (exact: ops whose two implementations do the same operations, which must agree to the bit)
function compare(name, dtype, got, want, exact = false) {
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  const tolerance = exact ? 0 : (dtype === 'float32' ? 1e-5 : 1e-12) * scale;
  const ok = got.length === want.length && worst <= tolerance;
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} ${dtype}: max |native − reference| = ${worst.toExponential(2)} (tolerance ${tolerance.toExponential(1)})`);
}

// run one op on both backends, each writing into its own copy of the output
function both(name, dtype, makeOut, op, exact = false) {
  const outs = [native, referenceBackend].map((backend) => {
    const out = makeOut();
    op(backend, out);
    return out.data ?? out;
  });
  compare(name, dtype, outs[0], outs[1], exact);
}

for (const dtype of DTYPES) {
  // shapes past OpenBLAS's small-matrix path, odd sizes so no kernel edge case hides
  const [m, k, n] = [67, 129, 35];
  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
    const a = transA ? randomMatrix(k, m, dtype) : randomMatrix(m, k, dtype);
    const b = transB ? randomMatrix(n, k, dtype) : randomMatrix(k, n, dtype);
    const c0 = randomMatrix(m, n, dtype);
    both(`gemm transA=${transA} transB=${transB}`, dtype, () => Matrix.from(c0.toArray(), dtype), (be, c) => be.gemm(a, b, c, { transA, transB, alpha: 0.5, beta: 2 }));
  }
  const x = randomMatrix(m, n, dtype);
  const bias = randomMatrix(1, n, dtype);
  both('addBias', dtype, () => Matrix.zeros(m, n, dtype), (be, out) => be.addBias(x, bias, out));
  both('colSum', dtype, () => Matrix.zeros(1, n, dtype), (be, out) => be.colSum(x, out));
  both('axpy', dtype, () => Matrix.from(bias.toArray(), dtype), (be, y) => be.axpy(-0.25, bias.data, y.data));
  both('relu', dtype, () => Matrix.zeros(m, n, dtype), (be, out) => be.relu(x.data, out.data));
  const dout = randomMatrix(m, n, dtype);
  both('reluBackward', dtype, () => Matrix.zeros(m, n, dtype), (be, dx) => be.reluBackward(x.data, dout.data, dx.data));
  both('softmax', dtype, () => Matrix.zeros(m, n, dtype), (be, y) => be.softmax(x, y));
  const pixels = new Uint8Array(50 * n).map(() => rng.randint(256));
  const rows = Int32Array.from({ length: m }, () => rng.randint(50));
  both('gatherRows', dtype, () => Matrix.zeros(m, n, dtype), (be, out) => be.gatherRows(pixels, rows, 255, out));
  // the convolution ops: 2 images of 3×9×9, a padded 3×3 window, and 2×2 pooling
  const [images, channels, side] = [2, 3, 9];
  const img = randomMatrix(images, channels * side * side, dtype);
  const g = windowGeometry('check', { channels, height: side, width: side }, { kernelHeight: 3, kernelWidth: 3, stride: 2, pad: 1 });
  const colShape = [channels * 9, images * g.outHeight * g.outWidth];
  both('im2col', dtype, () => Matrix.zeros(colShape[0], colShape[1], dtype), (be, col) => be.im2col(img, g, col));
  const dcol = randomMatrix(colShape[0], colShape[1], dtype);
  both('col2im', dtype, () => Matrix.zeros(images, img.cols, dtype), (be, dx) => be.col2im(dcol, g, dx));
  both('swapAxes', dtype, () => Matrix.zeros(images, img.cols, dtype), (be, out) => be.swapAxes(img, images, channels, null, out));
  const p = windowGeometry('check', { channels, height: side - 1, width: side - 1 }, { kernelHeight: 2, kernelWidth: 2, stride: 2, pad: 0 });
  const small = randomMatrix(images, channels * (side - 1) * (side - 1), dtype);
  const argmaxes = [];
  both('maxPool', dtype, () => Matrix.zeros(images, channels * p.outHeight * p.outWidth, dtype), (be, out) => {
    argmaxes.push(new Int32Array(out.size));
    be.maxPool(small, p, out, argmaxes.at(-1));
  });
  const dpool = randomMatrix(images, channels * p.outHeight * p.outWidth, dtype);
  both('maxPoolBackward', dtype, () => Matrix.zeros(images, small.cols, dtype), (be, dx) => be.maxPoolBackward(dpool, argmaxes[be === native ? 0 : 1], dx));
  // the optimizer updates, three steps each from state that is partly tiny or subnormal (float32
  // flushes those on both backends): the same operations in the same order, so the same bits
  const grad = randomMatrix(m, n, dtype);
  const state = Matrix.zeros(m, n, dtype);
  for (let i = 0; i < state.size; i++) {
    state.data[i] = [1.5e-38, 3e-39, -2e-45, 1e-3 * rng.normal()][i % 4];
    if (i % 7 === 0) grad.data[i] = i % 2 ? 1e-20 : 0;
  }
  const params = () => Matrix.from(x.toArray(), dtype);
  const three = (step) => { for (let s = 0; s < 3; s++) step(s + 1); };
  both('sgdStep', dtype, params, (be, p) => three(() => be.sgdStep(p.data, grad.data, 0.1, 0.01)), true);
  both('momentumStep', dtype, params, (be, p) => { const v = state.data.slice(); three(() => be.momentumStep(p.data, grad.data, v, 0.1, 0.9, 0.01, true)); }, true);
  both('adaptiveStep', dtype, params, (be, p) => { const h = state.data.map(Math.abs); three(() => be.adaptiveStep(p.data, grad.data, h, 0.01, 0.9, 0.1, 1e-8, 0)); }, true);
  both('adamStep', dtype, params, (be, p) => {
    const mm = state.data.slice();
    const vv = state.data.map(Math.abs);
    three((t) => be.adamStep(p.data, grad.data, mm, vv, 0.001 / (1 - 0.9 ** t), 0.9, 0.999, Math.sqrt(1 - 0.999 ** t), 1e-8, 0.01));
  }, true);
  // the fused conv → relu → max pool the conv nets train with: SimpleConvNet's geometry on 5 images
  // (more than one of the native op's blocks), 4 filters; argmax must name the same positions
  const conv = windowGeometry('check', { channels: 1, height: 28, width: 28 }, { kernelHeight: 5, kernelWidth: 5, stride: 1, pad: 0 });
  const pool = windowGeometry('check', { channels: 4, height: conv.outHeight, width: conv.outWidth }, { kernelHeight: 2, kernelWidth: 2, stride: 2, pad: 0 });
  const digits = randomMatrix(5, 784, dtype);
  const W = randomMatrix(4, 25, dtype);
  const b = randomMatrix(1, 4, dtype);
  const pooled = 4 * pool.outHeight * pool.outWidth;
  const fused = [native, referenceBackend].map((be) => {
    const out = Matrix.zeros(5, pooled, dtype);
    const argmax = new Int32Array(out.size);
    be.convReluPool(digits, W, b, conv, pool, out, argmax);
    return { out, argmax };
  });
  compare('convReluPool', dtype, fused[0].out.data, fused[1].out.data);
  compare('convReluPool argmax', dtype, fused[0].argmax, fused[1].argmax);
  const dfused = randomMatrix(5, pooled, dtype);
  for (const name of ['dW', 'db', 'dx']) {
    const [a, z] = [native, referenceBackend].map((be, i) => {
      const g = { dW: Matrix.zeros(4, 25, dtype), db: Matrix.zeros(1, 4, dtype), dx: Matrix.zeros(5, 784, dtype) };
      be.convReluPoolBackward(digits, W, fused[i].out, dfused, fused[i].argmax, conv, pool, g.dW, g.db, g.dx);
      return g[name].data;
    });
    compare(`convReluPoolBackward ${name}`, dtype, a, z);
  }
}

const trainAt = process.argv.indexOf('--train');
const result = { addon: about.native.path, arch: process.arch, node: process.version, glibc, corename: about.native.corename, failures };
if (trainAt > 0) {
  // the README's network and settings, seeded: the same steps on every machine
  const { TwoLayerNet, loadMnist, fit, toMatrix } = lib;
  const iterations = Number(process.argv[trainAt + 1]);
  const mnist = loadMnist({ dtype: 'float32' });
  const net = new TwoLayerNet(784, 50, 10, { dtype: 'float32', seed: 1 });
  const started = process.hrtime.bigint();
  await fit(net, mnist, { iterations, batchSize: 100, learningRate: 0.1, seed: 2 });
  const stepMs = Number(process.hrtime.bigint() - started) / 1e6 / iterations;
  result.iterations = iterations;
  result.stepMs = Number(stepMs.toFixed(2));
  result.testAccuracy = net.accuracy(toMatrix(mnist.test, { dtype: 'float32' }), mnist.test.labels);
}
console.log(JSON.stringify(result));
process.exit(failures === 0 ? 0 : 1);
