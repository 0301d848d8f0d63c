// one benchmark workload: a network, a batch drawn from MNIST, and the matrix products of its step

import type { Backend } from '../backend/types.js';
import { Matrix, type DType } from '../matrix.js';
import { mlp } from '../nn/sequential.js';
import type { Sequential } from '../nn/sequential.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import { Random } from '../random.js';
import { toDataset, type Dataset } from '../train/dataset.js';
import { Sampler } from '../train/sampling.js';
import type { MnistSet } from '../data/mnist.js';

export interface Config {
  name: string;
  sizes: number[];
  batch: number;
}

export const CONFIGS: Config[] = [
  { name: 'book 784-50-10', sizes: [784, 50, 10], batch: 100 },
  { name: 'wide 784-1024-10', sizes: [784, 1024, 10], batch: 256 },
  { name: 'deep 784-512-512-512-10', sizes: [784, 512, 512, 512, 10], batch: 128 },
];

// the products of one training step: per layer x·W forward, xᵀ·dout for dW, and dout·Wᵀ for dx
// except on the first layer, whose dx nobody needs
export interface Product {
  a: Matrix;
  b: Matrix;
  c: Matrix;
  transA: boolean;
  transB: boolean;
}

export function stepProducts(config: Config, dtype: DType): Product[] {
  const B = config.batch;
  const out: Product[] = [];
  for (let l = 0; l + 1 < config.sizes.length; l++) {
    const n = config.sizes[l]!;
    const m = config.sizes[l + 1]!;
    const x = Matrix.zeros(B, n, dtype);
    const W = Matrix.zeros(n, m, dtype);
    const y = Matrix.zeros(B, m, dtype);
    x.data.fill(0.5);
    W.data.fill(0.01);
    y.data.fill(0.1);
    out.push({ a: x, b: W, c: Matrix.zeros(B, m, dtype), transA: false, transB: false });
    out.push({ a: x, b: y, c: Matrix.zeros(n, m, dtype), transA: true, transB: false });
    if (l > 0) out.push({ a: y, b: W, c: Matrix.zeros(B, n, dtype), transA: false, transB: true });
  }
  return out;
}

// the forward products of one evaluation chunk: per layer x·W at rows × sizes, nothing else
export function forwardProducts(sizes: number[], rows: number, dtype: DType): Product[] {
  const out: Product[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const x = Matrix.zeros(rows, sizes[l]!, dtype);
    const W = Matrix.zeros(sizes[l]!, sizes[l + 1]!, dtype);
    x.data.fill(0.5);
    W.data.fill(0.01);
    out.push({ a: x, b: W, c: Matrix.zeros(rows, sizes[l + 1]!, dtype), transA: false, transB: false });
  }
  return out;
}

export function stepFlops(config: Config): number {
  let flops = 0;
  for (let l = 0; l + 1 < config.sizes.length; l++) {
    const per = 2 * config.batch * config.sizes[l]! * config.sizes[l + 1]!;
    flops += per * (l > 0 ? 3 : 2);
  }
  return flops;
}

// the gemm floor: the step's products back to back through the backend, nothing else
export function floorRunner(backend: Backend, products: Product[]): () => void {
  return () => {
    for (let i = 0; i < products.length; i++) {
      const p = products[i]!;
      backend.gemm(p.a, p.b, p.c, p.transA ? TRANS_A : p.transB ? TRANS_B : PLAIN);
    }
  };
}
const PLAIN = Object.freeze({ beta: 0 });
const TRANS_A = Object.freeze({ transA: true, beta: 0 });
const TRANS_B = Object.freeze({ transB: true, beta: 0 });

export interface Step {
  net: Sequential;
  run: () => void;
}

// a training step as the trainer runs it: draw the batch's indices and gather it, backprop, the update
// (SGD unless another optimizer is given); the floor is the products alone
export function stepRunner(backend: Backend, config: Config, dtype: DType, train: MnistSet, optimizer?: Optimizer): Step {
  const net = mlp({ sizes: config.sizes, dtype, seed: 1, backend });
  const data: Dataset = toDataset(train, 'train', backend);
  const opt = optimizer ?? new SGD({ lr: 0.1 });
  const sampler = new Sampler('replacement', new Random(2), data, config.batch, dtype);
  let it = 0;
  return {
    net,
    run: () => {
      it++;
      const b = sampler.next(it, data);
      const { grads } = net.gradient(b.x, b.t);
      opt.update(net.params, grads);
    },
  };
}
