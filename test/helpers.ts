// shared test helpers: both backends (the native one must really load), seeded data, tolerances

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nativeBackendOrError, referenceBackend } from '../src/backend/index.js';
import type { Backend } from '../src/backend/types.js';
import { arrayFor, Matrix, type DType, type FloatArray } from '../src/matrix.js';

// the native backend or a failing test: on a machine that built the addon nothing is skipped
export function nativeBackend(): Backend {
  const native = nativeBackendOrError();
  if (native instanceof Error) throw native;
  return native;
}

export function allBackends(): Backend[] {
  return [referenceBackend, nativeBackend()];
}

export const BACKEND_NAMES = ['reference', 'native'] as const;
export function backendNamed(name: (typeof BACKEND_NAMES)[number]): Backend {
  return name === 'native' ? nativeBackend() : referenceBackend;
}

// a tiny seeded generator for test data (mulberry32), independent of the library's own Random
export function testRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomMatrix(rng: () => number, rows: number, cols: number, dtype: DType, scale = 1): Matrix {
  const data = arrayFor(dtype, rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = (rng() * 2 - 1) * scale;
  return new Matrix(rows, cols, data);
}

// central differences of f over every entry of data, each entry restored exactly: the independent
// truth gradients are checked against. h = 1e-5: truncation error h²·|f'''|/6 < 1e-10 for smooth
// layers, rounding error eps·|f|/h ≈ 2e-16·10/1e-5 = 2e-10
export function numericGrad(f: () => number, data: FloatArray, h = 1e-5): Float64Array {
  const g = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const tmp = data[i]!;
    data[i] = tmp + h;
    const f1 = f();
    data[i] = tmp - h;
    const f2 = f();
    data[i] = tmp;
    g[i] = (f1 - f2) / (2 * h);
  }
  return g;
}

// max |a − b| relative to the largest |b|
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`relDiff: ${a.length} values against ${b.length}`);
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

// machine epsilon of each dtype
export const EPS: Record<DType, number> = { float32: 2 ** -23, float64: 2 ** -52 };

// counts typed arrays made (by constructor, or by subarray/slice/map/filter) while watching: how the
// tests prove a training step allocates nothing
export function typedArraySpy(): { watch(): void; unwatch(): void; readonly made: number } {
  const names = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint32Array', 'Uint8Array'] as const;
  const originals = names.map((n) => globalThis[n]);
  const proto = Object.getPrototypeOf(Float64Array.prototype) as Record<string, (...a: unknown[]) => unknown>;
  const methods = ['subarray', 'slice', 'map', 'filter'] as const;
  const originalMethods = methods.map((m) => proto[m]!);
  let made = 0;
  return {
    watch(): void {
      names.forEach((n, i) => {
        (globalThis as Record<string, unknown>)[n] = new Proxy(originals[i]!, {
          construct(target, args, newTarget) {
            made++;
            return Reflect.construct(target, args, newTarget === globalThis[n] ? target : newTarget);
          },
        });
      });
      methods.forEach((m, i) => {
        proto[m] = function (this: unknown, ...args: unknown[]) {
          made++;
          return originalMethods[i]!.apply(this, args);
        };
      });
    },
    unwatch(): void {
      names.forEach((n, i) => ((globalThis as Record<string, unknown>)[n] = originals[i]));
      methods.forEach((m, i) => (proto[m] = originalMethods[i]!));
    },
    get made() {
      return made;
    },
  };
}

// an MNIST-format (IDX) file: magic (0, 0, type 0x08 for bytes, dims), the dims big-endian, then the bytes
export function idx(dims: number[], bytes: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x0800 | dims.length, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, bytes]);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// one command line through the CLI's exported run(), in this process, with its output captured: for
// usage errors and other quick answers (spawning node for each costs ~0.5 s; a few tests still spawn
// the built command end to end)
export async function runCli(argv: string[]): Promise<CliResult> {
  const { run } = await import('../src/cli/index.js');
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await run(argv);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}


export interface SpawnedCliResult extends CliResult {
  signal: NodeJS.Signals | null;
}

export interface SpawnHooks {
  // the child as soon as it runs, and the output as it arrives: to signal it mid-run, for instance
  onSpawn?: (child: ChildProcess) => void;
  onStdout?: (soFar: string, child: ChildProcess) => void;
}

// the built command as a user runs it, in cwd
export function spawnCli(cwd: string, argv: string[], { onSpawn, onStdout }: SpawnHooks = {}): Promise<SpawnedCliResult> {
  const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...argv], { cwd, env: { ...process.env, BLASPROP_BACKEND: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    onSpawn?.(child);
  });
}
