// without a loadable addon, importing blasprop still works: one warning that says why and how to fix it,
// then the reference backend computes the same answers

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/native/addon.js';

const dist = path.join(packageRoot, 'dist', 'index.js');

// run a module script against a built copy of the library, keeping its stderr for the warning
function runCapturingStderr(entry: string, env: Record<string, string>) {
  const { BLASPROP_BACKEND: _drop, ...rest } = process.env;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-fallback-')), 'stderr.txt');
  const fd = fs.openSync(file, 'w');
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', `
    import { getBackend, Matrix, info } from ${JSON.stringify(entry)};
    const first = getBackend();
    getBackend();
    const c = Matrix.zeros(1, 1);
    first.gemm(Matrix.from([[2, 3]]), Matrix.from([[4], [5]]), c);
    console.log(JSON.stringify({ backend: first.name, product: c.data[0], info: info() }));`], {
    encoding: 'utf8', env: { ...rest, ...env }, stdio: ['ignore', 'pipe', fd],
  });
  fs.closeSync(fd);
  return { result: JSON.parse(stdout) as { backend: string; product: number; info: { native: { available: boolean; platform?: string; reason?: string; fix?: string } } }, stderr: fs.readFileSync(file, 'utf8') };
}

describe('fallback to the reference backend', () => {
  it('the built library is there to test', () => {
    expect(fs.existsSync(dist), `${dist} is missing: npm test builds it (npm run build)`).toBe(true);
    expect(runCapturingStderr(dist, {}).result.backend).toBe('native');
  });

  it('a damaged addon file: warns once, names the cause and the fix, computes on the reference backend', () => {
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-bad-')), 'blasprop.node');
    fs.writeFileSync(bad, 'this is not a shared library');
    const { result, stderr } = runCapturingStderr(dist, { BLASPROP_ADDON: bad });
    expect(result.backend).toBe('reference');
    expect(result.product).toBe(23);
    expect(stderr.match(/BLASPROP_NATIVE_UNAVAILABLE/g)).toHaveLength(1);
    expect(stderr).toMatch(/damaged/);
    expect(stderr).toMatch(/apt-get install -y libopenblas-dev/);
    expect(result.info.native.available).toBe(false);
  });

  it('no addon at all (a copy of the package without build/ or prebuilds/): still imports and warns once', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-nobuild-'));
    fs.cpSync(path.join(packageRoot, 'dist'), path.join(copy, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(packageRoot, 'package.json'), path.join(copy, 'package.json'));
    fs.symlinkSync(path.join(packageRoot, 'node_modules'), path.join(copy, 'node_modules'));
    const { result, stderr } = runCapturingStderr(path.join(copy, 'dist', 'index.js'), {});
    expect(result.backend).toBe('reference');
    expect(result.product).toBe(23);
    expect(stderr.match(/BLASPROP_NATIVE_UNAVAILABLE/g)).toHaveLength(1);
    // this machine's platform is named, with the prebuild package that would have fit and its exact fix
    expect(stderr).toMatch(new RegExp(`cannot load on linux-${process.arch} \\(glibc [\\d.]+\\): the prebuild package @blasprop/linux-${process.arch} is not installed`));
    expect(stderr).toMatch(new RegExp(`Fix: npm install @blasprop/linux-${process.arch}@[\\d.]+, or build it from source: apt-get install -y libopenblas-dev g\\+\\+ make python3 && npm rebuild blasprop`));
    expect(result.info.native).toMatchObject({ available: false, platform: expect.stringMatching(/^linux-/) });
    // and `blasprop info` says the same: the platform, the reason and the fix
    const native = result.info.native as { platform: string; reason: string; fix: string };
    const { BLASPROP_ADDON: _a, BLASPROP_BACKEND: _b, ...env } = process.env;
    const shown = execFileSync(process.execPath, [path.join(copy, 'dist', 'cli.js'), 'info'], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] });
    expect(shown).toContain(native.platform);
    expect(shown).toContain(`unavailable: ${native.reason}`);
    expect(shown).toContain(native.fix);
  });

  it('BLASPROP_BACKEND=reference chooses the reference backend quietly; an unknown name is an error', () => {
    const { result, stderr } = runCapturingStderr(dist, { BLASPROP_BACKEND: 'reference' });
    expect(result.backend).toBe('reference');
    expect(stderr).not.toMatch(/BLASPROP_NATIVE_UNAVAILABLE/);
    expect(() => runCapturingStderr(dist, { BLASPROP_BACKEND: 'gpu' })).toThrow();
  });
});
