// both build paths (node-gyp from binding.gyp, cmake-js from CMakeLists.txt) make the same working addon

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/native/addon.js';

// what node-gyp built: build/Release after npm install, or a checkout's prebuilds/ without it
// (npm run prebuild builds through node-gyp too, in a scratch copy)
const gypAddon = (createRequire(import.meta.url)('node-gyp-build') as { path(dir: string): string }).path(packageRoot);
const cmakeAddon = path.join(packageRoot, 'build-cmake', 'Release', 'blasprop.node');

// load one addon in a fresh process: its exports, its build facts and one product
function probe(file: string): { exports: string[]; buildSystem: string; link: string; product: number[] } {
  const script = `
    const a = require(${JSON.stringify(file)});
    const c = new Float32Array(4);
    a.gemm(new Float32Array([1,2,3,4,5,6]), 2, 3, false, new Float32Array([1,2,3,4,5,6]), 2, 3, true, c, 1, 0);
    const i = a.info();
    console.log(JSON.stringify({ exports: Object.keys(a).sort(), buildSystem: i.buildSystem, link: i.openblasLink, product: Array.from(c) }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as ReturnType<typeof probe>;
}

describe('build paths', () => {
  beforeAll(() => {
    // the cmake-js build is the development build; make it here when CI or a developer has not yet
    if (!fs.existsSync(cmakeAddon)) {
      const run = spawnSync('npm', ['run', 'build:native'], { cwd: packageRoot, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`npm run build:native failed:\n${run.stdout}\n${run.stderr}`);
    }
  }, 300_000);

  it('node-gyp built the addon the library loads', () => {
    expect(probe(gypAddon).buildSystem).toBe('node-gyp');
  });

  it('cmake-js and node-gyp addons export the same functions and compute the same product', () => {
    const gyp = probe(gypAddon);
    const cmake = probe(cmakeAddon);
    expect(cmake.buildSystem).toBe('cmake-js');
    expect(gyp.exports).toEqual(['adamStep', 'adaptiveStep', 'addBias', 'axpy', 'col2im', 'colSum', 'convReluPool', 'convReluPoolBackward', 'gatherRows', 'gemm', 'getNumThreads', 'hugePageAdvise', 'im2col', 'info', 'maxPool', 'maxPoolBackward', 'momentumStep', 'relu', 'reluBackward', 'setNumThreads', 'sgdStep', 'softmax', 'swapAxes']);
    expect(cmake.exports).toEqual(gyp.exports);
    expect(cmake.link).toBe(gyp.link);
    // [[1,2,3],[4,5,6]]·[[1,2,3],[4,5,6]]ᵀ
    expect(gyp.product).toEqual([14, 32, 32, 77]);
    expect(cmake.product).toEqual(gyp.product);
  });

  it('both build files compile the same sources', () => {
    const gypSources = [...fs.readFileSync(path.join(packageRoot, 'binding.gyp'), 'utf8').matchAll(/"native\/([\w.]+\.cc)"/g)].map((m) => m[1]).sort();
    const onDisk = fs.readdirSync(path.join(packageRoot, 'native')).filter((f) => f.endsWith('.cc')).sort();
    // CMakeLists.txt globs native/*.cc, so binding.gyp must list every one of them
    expect(fs.readFileSync(path.join(packageRoot, 'CMakeLists.txt'), 'utf8')).toContain('native/*.cc');
    expect(gypSources).toEqual(onDisk);
  });
});
