// blasprop gradcheck: the book's gradient check, backprop against numerical gradients on MNIST.

import { backendByName, getBackend } from '../backend/index.js';
import { oneHot, toMatrix } from '../data/mnist.js';
import { gradientCheck, TwoLayerNet } from '../nn/index.js';
import { choiceFlag, EXIT_FAILURE, integerFlag, parse } from './args.js';
import { loadData } from './data.js';

export const GRADCHECK_USAGE = `Usage: blasprop gradcheck [options]

The book's gradient check: a 784-50-10 TwoLayerNet in float64, the first 3 MNIST training images;
prints the mean absolute difference between backprop and numerical gradients for W1, b1, W2, b2.
Values near 1e-10..1e-7 mean backprop is right; exits 1 if any is 1e-6 or more.

Options:
  --backend NAME   native | reference
  --seed N         seeds the weights (default 0)
  --data DIR       directory with the MNIST IDX files
  -h, --help       show this help`;

// 4.0e-10 and 2.1e-09, as numpy prints them: two exponent digits at least
function scientific(x: number): string {
  return x.toExponential(1).replace(/e([+-])(\d)$/, 'e$10$2');
}

export async function gradcheckCommand(args: string[]): Promise<number> {
  const v = parse(args, {
    backend: { type: 'string' },
    seed: { type: 'string' },
    data: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(GRADCHECK_USAGE + '\n');
    return 0;
  }
  const seed = integerFlag('seed', v.seed, 0) ?? 0;
  const backendName = choiceFlag('backend', v.backend, ['native', 'reference'] as const);
  const backend = backendName === undefined ? getBackend() : backendByName(backendName);
  const { train: set } = loadData(v.data as string | undefined, 'float64');
  // the book: x_batch = x_train[:3], t_batch = t_train[:3], one-hot labels, normalised pixels
  const x = toMatrix(set, { start: 0, end: 3, dtype: 'float64', normalize: true });
  const t = oneHot(set.labels.subarray(0, 3), set.classes, 'float64');
  const net = new TwoLayerNet(set.rows * set.cols, 50, set.classes, { dtype: 'float64', seed, backend });
  process.stdout.write(`gradient check: ${set.rows * set.cols}-50-${set.classes} TwoLayerNet, float64, ${backend.name} backend, first 3 training images\n`);
  process.stdout.write('mean |backprop - numerical| per parameter:\n');
  const diffs = gradientCheck(net, x, t);
  let ok = true;
  for (const [key, d] of Object.entries(diffs)) {
    process.stdout.write(`${key}: ${scientific(d)}\n`);
    if (!(d < 1e-6)) ok = false;
  }
  process.stdout.write(ok ? 'ok: backprop matches the numerical gradient\n' : 'FAILED: a difference of 1e-6 or more means a backprop bug\n');
  return ok ? 0 : EXIT_FAILURE;
}
