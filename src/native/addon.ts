// finds and loads the compiled addon; never throws, so importing blasprop works without it

import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { version } from '../cli/version.js';
import type { FloatArray } from '../matrix.js';
import { currentPlatform, describePlatform, GLIBC_BASELINE, glibcOlderThan, prebuildPackage, sourceBuildFix, whyNoPrebuild, type Platform } from './platform.js';

export interface NativeInfo {
  blas: string;
  config: string;
  corename: string;
  // this thread's setting, and the count OpenBLAS picked when it loaded
  threads: number;
  defaultThreads: number;
  parallel: string;
  napiVersion: number;
  buildSystem?: string;
  openblasLink?: string;
}

export interface NativeAddon {
  gemm(
    A: FloatArray, aRows: number, aCols: number, transA: boolean,
    B: FloatArray, bRows: number, bCols: number, transB: boolean,
    C: FloatArray, alpha: number, beta: number,
  ): void;
  addBias(X: FloatArray, rows: number, cols: number, b: FloatArray, out: FloatArray): void;
  colSum(X: FloatArray, rows: number, cols: number, out: FloatArray): void;
  axpy(alpha: number, x: FloatArray, y: FloatArray): void;
  sgdStep(p: FloatArray, g: FloatArray, lr: number, weightDecay: number): void;
  momentumStep(p: FloatArray, g: FloatArray, v: FloatArray, lr: number, momentum: number, weightDecay: number, nesterov: boolean): void;
  adaptiveStep(p: FloatArray, g: FloatArray, h: FloatArray, lr: number, a: number, b: number, eps: number, weightDecay: number): void;
  adamStep(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, stepSize: number, beta1: number, beta2: number, bc2Sqrt: number, eps: number, weightDecay: number): void;
  gatherRows(src: Uint8Array, cols: number, indices: Int32Array, divisor: number, out: FloatArray): void;
  softmax(X: FloatArray, rows: number, cols: number, Y: FloatArray): void;
  im2col(X: FloatArray, n: number, channels: number, height: number, width: number, kh: number, kw: number, stride: number, pad: number, col: FloatArray): void;
  col2im(col: FloatArray, n: number, channels: number, height: number, width: number, kh: number, kw: number, stride: number, pad: number, dx: FloatArray): void;
  swapAxes(X: FloatArray, d0: number, d1: number, bias: FloatArray | null, out: FloatArray): void;
  maxPool(X: FloatArray, n: number, channels: number, height: number, width: number, kh: number, kw: number, stride: number, pad: number, out: FloatArray, argmax: Int32Array): void;
  maxPoolBackward(dout: FloatArray, argmax: Int32Array, dx: FloatArray): void;
  convReluPool(
    X: FloatArray, n: number, channels: number, height: number, width: number, kh: number, kw: number, stride: number, pad: number,
    poolHeight: number, poolWidth: number, poolStride: number, W: FloatArray, b: FloatArray, out: FloatArray, argmax: Int32Array,
  ): void;
  convReluPoolBackward(
    X: FloatArray, n: number, channels: number, height: number, width: number, kh: number, kw: number, stride: number, pad: number,
    poolHeight: number, poolWidth: number, poolStride: number, W: FloatArray, Y: FloatArray, dout: FloatArray, argmax: Int32Array,
    dW: FloatArray, db: FloatArray, dx: FloatArray | null,
  ): void;
  hugePageAdvise(bytes: Uint8Array): number;
  relu(X: FloatArray, out: FloatArray): void;
  reluBackward(Y: FloatArray, dout: FloatArray, dx: FloatArray): void;
  // returns the count stored: OpenBLAS clamps to its maximum
  setNumThreads(threads: number): number;
  getNumThreads(): number;
  info(): NativeInfo;
}

export type AddonSource = 'prebuild' | 'local build' | 'BLASPROP_ADDON';

export type AddonLoad =
  | { ok: true; addon: NativeAddon; path: string; source: AddonSource }
  | { ok: false; error: Error; platform: string; reason: string; fix: string };

// src/native and dist/native both sit two levels below the package root
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

let cached: AddonLoad | undefined;

export function loadAddon(): AddonLoad {
  cached ??= tryLoad();
  return cached;
}

// where the addon is looked for, first found wins: an explicit file (the cmake-js development build, a
// test's broken addon); a local build (build/Release, from a checkout or npm rebuild; node-gyp-build also
// takes a checkout's prebuilds/); the prebuild package npm installed for this platform
function tryLoad(): AddonLoad {
  // the platform only when a prebuild is looked for or a load failed: on linux it asks for a process
  // report (~10 ms, a tenth of the start-up of a command that loads a local build)
  let known: Platform | undefined;
  const platform = (): Platform => (known ??= currentPlatform());
  const override = process.env.BLASPROP_ADDON;
  let file: string | undefined;
  let source: AddonSource = 'BLASPROP_ADDON';
  try {
    if (override) {
      file = path.resolve(override);
    } else {
      [file, source] = localBuild() ?? [prebuildFile(platform()), 'prebuild'];
    }
    if (!file) throw new Error('No native build was found');
    const addon = require(file) as NativeAddon;
    if (typeof addon.gemm !== 'function' || typeof addon.info !== 'function') {
      throw new Error(`${file} is not the blasprop addon (it has no gemm/info exports)`);
    }
    // workers start at one OpenBLAS thread: with several JavaScript threads computing, the cores are
    // shared by the threads themselves (the addon runs every product single-threaded then anyway)
    if (!isMainThread) addon.setNumThreads(1);
    return { ok: true, addon, path: file, source };
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    return { ok: false, error, platform: describePlatform(platform()), ...diagnose(error, file, platform()) };
  }
}

function localBuild(): [string, AddonSource] | undefined {
  const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
  try {
    const file = nodeGypBuild.path(packageRoot);
    return [file, file.includes(`${path.sep}prebuilds${path.sep}`) ? 'prebuild' : 'local build'];
  } catch {
    return undefined;
  }
}

// the prebuild package's binary, when npm installed it beside blasprop
function prebuildFile(platform: Platform): string | undefined {
  const name = prebuildPackage(platform);
  if (!name) return undefined;
  try {
    return require.resolve(`${name}/blasprop.node`);
  } catch {
    return undefined;
  }
}

// turn a loader error into a cause a person can act on, with the fix for this platform
// (exported for its tests, which feed it other platforms' errors)
export function diagnose(error: Error, file: string | undefined, platform: Platform): { reason: string; fix: string } {
  const msg = error.message;
  const build = sourceBuildFix(platform);
  const pkg = prebuildPackage(platform);
  if (/GLIBC_[\d.]+'? not found|GLIBCXX_|CXXABI_/.test(msg)) {
    const old = platform.glibcVersion && glibcOlderThan(platform.glibcVersion, GLIBC_BASELINE);
    return {
      reason: old ? `this system's glibc ${platform.glibcVersion} is older than the ${GLIBC_BASELINE} the prebuilt binaries need (${firstLine(msg)})`
        : `the binary needs a newer C library than this system has (${firstLine(msg)})`,
      fix: build,
    };
  }
  if (/libopenblas|libblas|libgfortran/.test(msg)) {
    return { reason: `the addon needs a shared library that is missing (${firstLine(msg)})`, fix: build };
  }
  if (/No native build was found|Cannot find module/.test(msg)) {
    const why = whyNoPrebuild(platform);
    if (why) return { reason: `${why}, and there is no local build`, fix: build };
    return {
      reason: `the prebuild package ${pkg} is not installed (npm skips optional dependencies under --omit=optional, ` +
        'and under a package-lock.json written on another platform), and there is no local build',
      fix: `npm install ${pkg}@${version()}, or ${build}`,
    };
  }
  if (/invalid ELF|wrong ELF class|file too short|not a valid|Module did not self-register|Exec format error/i.test(msg)) {
    return { reason: `the addon file ${file ?? ''} is damaged or for another platform (${firstLine(msg)})`, fix: pkg && file?.includes(path.join(...pkg.split('/'))) ? `reinstall it: npm install ${pkg}@${version()}` : build };
  }
  return { reason: firstLine(msg), fix: build };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}
