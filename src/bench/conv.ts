// the book's SimpleConvNet training step (batch 100, Adam lr 0.001, as PEERS.md measured PyTorch) and
// its gemm floor: the step's own matrix products, at their shapes, back to back.
//
// what the step's products are: the network's conv → relu → pool runs as one fused op
// (native/conv_relu_pool.cc) that takes the batch a block of samples at a time, each block's products
// W·col and dW = dconv·colᵀ at [30 × 25] · [25 × block·576], its blocks handed out over the two
// cores (native/two_cores.h) when the setting allows 2 threads.
// the floor runs exactly those block products, but only one thread's share of them (the blocks
// divided evenly, rounded up): a perfect split with no cost for starting or joining threads, which the
// step cannot beat; with one thread, every block. then the dense layers' products, as the step runs
// them (narrow: two halves, one per core, native/threads.h)

import type { Backend, GemmOptions } from '../backend/types.js';
import type { MnistSet } from '../data/mnist.js';
import { Matrix, type DType } from '../matrix.js';
import { SimpleConvNet } from '../nn/builder.js';
import { Adam } from '../optim/adam.js';
import { Random } from '../random.js';
import { toDataset } from '../train/dataset.js';
import type { Product } from './workload.js';

export const CONV_BATCH = 100;

// samples per block of the fused op: its kBlockBytes (256 KB) over one sample's columns and products,
// (25 + 30) × 576 float32 values (126 KB): 2
const BLOCK_BYTES = 256 * 1024;
export const CONV_BLOCK = Math.max(1, Math.floor(BLOCK_BYTES / ((25 + 30) * 24 * 24 * 4)));

const PLAIN: GemmOptions = Object.freeze({ beta: 0 });
const TRANS_A: GemmOptions = Object.freeze({ transA: true, beta: 0 });
const TRANS_B: GemmOptions = Object.freeze({ transB: true, beta: 0 });

// [m, k, n, transA, transB]: C (m×n) = op(A)·op(B) with inner size k
type Shape = [number, number, number, boolean, boolean];

// the step's products; the fused op's per block, repeated for one thread's share of the blocks
function shapes(batch: number, threads: number): Shape[] {
  const positions = CONV_BLOCK * 24 * 24;
  // the op splits its blocks over at most two cores
  const blocks = Math.ceil(Math.ceil(batch / CONV_BLOCK) / Math.min(threads, 2));
  const conv: Shape[] = [];
  // per block W·col and dW = dconv·colᵀ (no dx: the first layer); db is a sum, no product
  for (let i = 0; i < blocks; i++) conv.push([30, 25, positions, false, false], [30, positions, 25, false, true]);
  return [
    ...conv,
    // Affine 4320→100: forward, dW = xᵀ·dout, dx = dout·Wᵀ
    [batch, 4320, 100, false, false],
    [4320, batch, 100, true, false],
    [batch, 100, 4320, false, true],
    // Affine 100→10
    [batch, 100, 10, false, false],
    [100, batch, 10, true, false],
    [batch, 10, 100, false, true],
  ];
}

export function convProducts(dtype: DType, batch = CONV_BATCH, threads = 1): Product[] {
  // one set of matrices per shape, which every block's products reuse: in the step each block's
  // columns and products sit in one thread's scratch, just written, so in cache; fresh matrices per
  // block would time the floor's reads from memory instead
  const made = new Map<string, Product>();
  return shapes(batch, threads).map(([m, k, n, transA, transB]) => {
    const key = [m, k, n, transA, transB].join();
    const known = made.get(key);
    if (known !== undefined) return known;
    const a = transA ? Matrix.zeros(k, m, dtype) : Matrix.zeros(m, k, dtype);
    const b = transB ? Matrix.zeros(n, k, dtype) : Matrix.zeros(k, n, dtype);
    a.data.fill(0.5);
    b.data.fill(0.01);
    const product = { a, b, c: Matrix.zeros(m, n, dtype), transA, transB };
    made.set(key, product);
    return product;
  });
}

// the whole step's product flops (every block's), for GFLOP/s
export function convFlops(batch = CONV_BATCH): number {
  return shapes(batch, 1).reduce((sum, [m, k, n]) => sum + 2 * m * k * n, 0);
}

export function convFloorRunner(backend: Backend, products: Product[]): () => void {
  return () => {
    for (let i = 0; i < products.length; i++) {
      const p = products[i]!;
      backend.gemm(p.a, p.b, p.c, p.transA ? TRANS_A : p.transB ? TRANS_B : PLAIN);
    }
  };
}

// a training step as the trainer runs it: draw indices, gather the batch, backprop, Adam
export function convStepRunner(backend: Backend, dtype: DType, train: MnistSet, batch = CONV_BATCH): () => void {
  const net = new SimpleConvNet({ dtype, seed: 1, backend });
  const data = toDataset(train, 'train', backend);
  const opt = new Adam({ lr: 0.001 });
  const random = new Random(2);
  const x = Matrix.zeros(batch, 784, dtype);
  const t = new Int32Array(batch);
  const indices = new Int32Array(batch);
  return () => {
    random.fillRandint(indices, data.count);
    data.gather(indices, x, t);
    opt.update(net.params, net.gradient(x, t).grads);
  };
}
