// hostile native calls, each batch in a child process (test/native-fuzz.mjs): a crash is a failed test
// here, not a dead test runner. scripts/test-sanitize.sh runs the same program longer under ASan/UBSan

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAddon, packageRoot } from '../src/native/addon.js';

const program = path.join(packageRoot, 'test', 'native-fuzz.mjs');

function addonPath(): string {
  const load = loadAddon();
  if (!load.ok) throw load.error;
  return load.path;
}

interface Counts { calls: number; ok: number; TypeError: number; RangeError: number; met?: number }

// runs the program; a signal (SIGSEGV, SIGABRT) or a non-zero exit fails with the child's own words
function child(args: string[], env: NodeJS.ProcessEnv = process.env): Counts {
  const run = spawnSync(process.execPath, [program, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  const said = `${run.stderr}${run.stdout}`.trim();
  expect(run.signal, `the child was killed by ${run.signal}: ${said}`).toBeNull();
  expect(run.status, said).toBe(0);
  return JSON.parse(run.stdout) as Counts;
}

describe('native fuzz, in a child process', () => {
  it('seeded random malformed calls to every native function: each returns or throws TypeError/RangeError, none writes outside its arrays', () => {
    // directed attacks first (indices inside out, out over src, aliases through a cloned SharedArrayBuffer,
    // detached and shrunk views in every position), then random wrong types, dtypes, lengths, shapes,
    // aliases and huge/negative/fractional dimensions
    const counts = child(['fuzz', addonPath(), '20261202', '4000']);
    expect(counts.calls).toBeGreaterThan(3500);
    // the mix reaches every outcome, so the fuzz is not only bouncing off the first type check
    expect(counts.ok).toBeGreaterThan(200);
    expect(counts.TypeError).toBeGreaterThan(200);
    expect(counts.RangeError).toBeGreaterThan(200);
  });

  it('gatherRows while a worker rewrites its SharedArrayBuffer indices: every call gathers whole source rows or throws RangeError', () => {
    // until five rewrites landed halfway through a gather (or 10 s on a loaded machine): before the
    // fix the first one segfaulted
    const counts = child(['race', addonPath(), '7', '5']);
    expect(counts.met).toBeGreaterThanOrEqual(1);
    expect(counts.ok).toBeGreaterThanOrEqual(5);
  });

  it('a std::bad_alloc inside an op becomes a JavaScript Error and the process carries on', () => {
    // make every C++ allocation of 16 MiB or more fail, then ask gatherRows for a 20 MB copy of its indices
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-badalloc-'));
    fs.writeFileSync(path.join(dir, 'shim.cc'), `#include <cstdlib>
#include <new>
void* operator new(std::size_t n) {
  if (n >= (std::size_t{16} << 20)) throw std::bad_alloc();
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
`);
    const shim = path.join(dir, 'shim.so');
    execFileSync('g++', ['-shared', '-fPIC', '-O2', '-o', shim, path.join(dir, 'shim.cc')]);
    // under the sanitizer script libasan is preloaded: the shim goes first so its operator new wins
    const env = {
      ...process.env,
      LD_PRELOAD: [shim, process.env.LD_PRELOAD].filter(Boolean).join(':'),
      ASAN_OPTIONS: [process.env.ASAN_OPTIONS, 'verify_asan_link_order=0', 'alloc_dealloc_mismatch=0'].filter(Boolean).join(':'),
    };
    const run = spawnSync(process.execPath, ['-e', `
      const a = require(${JSON.stringify(addonPath())});
      const n = 5_000_000;
      let message = 'no error';
      try { a.gatherRows(new Uint8Array(1), 1, new Int32Array(n), 1, new Float32Array(n)); } catch (e) { message = e.constructor.name + ': ' + e.message; }
      const c = new Float64Array(1);
      a.gemm(Float64Array.of(2), 1, 1, false, Float64Array.of(3), 1, 1, false, c, 1, 0);
      console.log(JSON.stringify({ message, product: c[0] }));`], { encoding: 'utf8', env, timeout: 60_000 });
    expect(run.signal, run.stderr).toBeNull();
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ message: 'Error: std::bad_alloc', product: 6 });
  });
});
