// the README's runnable examples print the book's numbers

import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/native/addon.js';

// "name: value" lines of an example's output, as numbers
function run(example: string): Record<string, number> {
  const out = execFileSync(process.execPath, [path.join(packageRoot, 'examples', example)], { encoding: 'utf8' });
  return Object.fromEntries(out.trim().split('\n').map((line) => {
    const [name, value] = line.split(':');
    return [name!.trim(), Number(value)];
  }));
}

describe('examples', () => {
  it('apple.mjs: price 220; dApple 2.2, dAppleNum 110, dTax 200', () => {
    const v = run('apple.mjs');
    expect(v.price).toBeCloseTo(220, 10);
    expect(v.dApple).toBeCloseTo(2.2, 10);
    expect(v.dAppleNum).toBeCloseTo(110, 10);
    expect(v.dTax).toBeCloseTo(200, 10);
  });

  it('apple-orange.mjs: price 715; 110, 2.2, 3.3, 165, 650', () => {
    const v = run('apple-orange.mjs');
    expect(Object.values(v)).toHaveLength(6);
    const [price, ...grads] = Object.values(v);
    expect(price).toBeCloseTo(715, 10);
    expect(grads.map((g) => Math.round(g * 1e9) / 1e9).sort((a, b) => a - b)).toEqual([2.2, 3.3, 110, 165, 650]);
  });
});
