// the book's gradient check: backprop against central differences, mean |difference| per parameter

import type { Matrix } from '../matrix.js';
import type { Labels, Network } from './types.js';

export function gradientCheck(net: Network, x: Matrix, t: Labels): Record<string, number> {
  // numerical first (it moves parameters and puts them back), then backprop on the untouched net
  const numerical = net.numericalGradient(x, t);
  const backprop = net.gradient(x, t).grads;
  const out: Record<string, number> = {};
  for (const key of Object.keys(net.params)) {
    const a = backprop[key]!.data;
    const b = numerical[key]!.data;
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
    out[key] = sum / a.length;
  }
  return out;
}
