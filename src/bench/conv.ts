// the book's SimpleConvNet training step (batch 100, Adam lr 0.001, as PEERS.md measured PyTorch) and
// its gemm floor: the step's own matrix products, at their shapes, back to back

import type { Backend, GemmOptions } from '../backend/types.js';
import type { MnistSet } from '../data/mnist.js';
import { Matrix, type DType } from '../matrix.js';
import { SimpleConvNet } from '../nn/builder.js';
import { Adam } from '../optim/adam.js';
import { Random } from '../random.js';
import { toDataset } from '../train/dataset.js';
import type { Product } from './workload.js';

export const CONV_BATCH = 100;

const PLAIN: GemmOptions = Object.freeze({ beta: 0 });
const TRANS_A: GemmOptions = Object.freeze({ transA: true, beta: 0 });
const TRANS_B: GemmOptions = Object.freeze({ transB: true, beta: 0 });

// [m, k, n, transA, transB]: C (m×n) = op(A)·op(B) with inner size k
type Shape = [number, number, number, boolean, boolean];

function shapes(batch: number): Shape[] {
  const positions = batch * 24 * 24;
  return [
    // conv: W·col, dW = dout·colᵀ, db = ones·doutᵀ (no dx: the first layer)
    [30, 25, positions, false, false],
    [30, positions, 25, false, true],
    [1, positions, 30, false, true],
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

export function convProducts(dtype: DType, batch = CONV_BATCH): Product[] {
  return shapes(batch).map(([m, k, n, transA, transB]) => {
    const a = transA ? Matrix.zeros(k, m, dtype) : Matrix.zeros(m, k, dtype);
    const b = transB ? Matrix.zeros(n, k, dtype) : Matrix.zeros(k, n, dtype);
    a.data.fill(0.5);
    b.data.fill(0.01);
    return { a, b, c: Matrix.zeros(m, n, dtype), transA, transB };
  });
}

export function convFlops(batch = CONV_BATCH): number {
  return shapes(batch).reduce((sum, [m, k, n]) => sum + 2 * m * k * n, 0);
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
