// the packed tarball carries its own prebuilt, statically linked addon: installed with scripts
// disabled into an empty project, it loads that prebuild (no compiler, no system BLAS) and computes

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/native/addon.js';

let work: string;
let tarball: string;
let sourceTarball: string;
let prebuild: string;

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
}

// dynamic dependencies of a shared object, from its ELF header
function needed(file: string): string[] {
  return [...sh('readelf', ['-d', file], packageRoot).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
}

describe('the npm package', () => {
  beforeAll(() => {
    // build the prebuild and the tarball in a copy of the sources, so the tests running beside this
    // one keep their build/ untouched
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-pack-'));
    const src = path.join(work, 'src-copy');
    fs.mkdirSync(src);
    for (const entry of ['package.json', 'binding.gyp', 'CMakeLists.txt', 'tsconfig.json', 'tsconfig.build.json', 'native', 'scripts', 'src']) {
      fs.cpSync(path.join(packageRoot, entry), path.join(src, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(packageRoot, 'node_modules'), path.join(src, 'node_modules'));
    // first a tarball without a prebuild, as for a platform we have none for
    const bare = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', work], src)) as { filename: string }[];
    sourceTarball = path.join(work, `source-${bare[0]!.filename}`);
    fs.renameSync(path.join(work, bare[0]!.filename), sourceTarball);
    sh('npm', ['run', 'prebuild'], src);
    prebuild = path.join(src, 'prebuilds', `${process.platform}-${process.arch}`, 'blasprop.node');
    const packed = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', work], src)) as { filename: string }[];
    tarball = path.join(work, packed[0]!.filename);
  }, 300_000);

  it('the prebuilt addon needs only libc, libm, libstdc++, libgcc_s and libpthread: no OpenBLAS, no gfortran', () => {
    const deps = needed(prebuild);
    expect(deps.length).toBeGreaterThan(0);
    for (const dep of deps) expect(dep).toMatch(/^(libc|libm|libstdc\+\+|libgcc_s|libpthread)\.so/);
    // and it keeps OpenBLAS's symbols to itself: only the Node-API entry points are exported
    const exported = sh('nm', ['-D', '--defined-only', prebuild], packageRoot).split('\n').filter((l) => / [TDBW] /.test(l));
    expect(exported.some((l) => /cblas_|openblas|dgemm/.test(l))).toBe(false);
    expect(exported.some((l) => /napi_register_module_v1/.test(l))).toBe(true);
  });

  it('the tarball holds compiled JS, declarations, the prebuild and the native sources, and nothing heavy besides', () => {
    const files = sh('tar', ['-tzf', tarball], work).split('\n').filter(Boolean);
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/dist/cli.js');
    expect(files).toContain(`package/prebuilds/${process.platform}-${process.arch}/blasprop.node`);
    expect(files).toContain('package/binding.gyp');
    expect(files).toContain('package/CMakeLists.txt');
    expect(files).toContain('package/native/gemm.cc');
    // what a source build on the user's machine runs: the install step and the OpenBLAS finder
    expect(files).toContain('package/scripts/install.cjs');
    expect(files).toContain('package/scripts/openblas.cjs');
    expect(files.filter((f) => /\/(test|build|build-cmake|node_modules)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('installs with scripts disabled and loads the prebuilt binary, which computes a correct gemm', () => {
    const app = path.join(work, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    sh('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', tarball], app);
    fs.writeFileSync(path.join(app, 'main.js'), `
      import { getBackend, info, Matrix } from 'blasprop';
      const c = Matrix.zeros(2, 2, 'float32');
      getBackend().gemm(Matrix.from([[1, 2, 3], [4, 5, 6]], 'float32'), Matrix.from([[7, 8], [9, 10], [11, 12]], 'float32'), c);
      const i = info();
      console.log(JSON.stringify({ backend: getBackend().name, c: Array.from(c.data), source: i.native.source, path: i.native.path }));
    `);
    const { BLASPROP_ADDON: _a, BLASPROP_BACKEND: _b, ...env } = process.env;
    const out = JSON.parse(execFileSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8', env })) as Record<string, unknown>;
    expect(out.backend).toBe('native');
    expect(out.source).toBe('prebuild');
    expect(out.path).toContain(path.join('node_modules', 'blasprop', 'prebuilds'));
    expect(out.c).toEqual([58, 64, 139, 154]);
    // no local build happened: scripts were off, so there is no build/ folder
    expect(fs.existsSync(path.join(app, 'node_modules', 'blasprop', 'build'))).toBe(false);
  }, 180_000);

  it('without a prebuild, npm install builds the addon from the packed sources and loads it', () => {
    const app = path.join(work, 'app-source');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    sh('npm', ['install', '--no-audit', '--no-fund', sourceTarball], app);
    fs.writeFileSync(path.join(app, 'main.js'), `
      import { getBackend, info, Matrix } from 'blasprop';
      const c = Matrix.zeros(1, 1);
      getBackend().gemm(Matrix.from([[2, 3]]), Matrix.from([[4], [5]]), c);
      const i = info();
      console.log(JSON.stringify({ backend: getBackend().name, c: c.data[0], source: i.native.source, path: i.native.path }));
    `);
    const { BLASPROP_ADDON: _a, BLASPROP_BACKEND: _b, ...env } = process.env;
    const out = JSON.parse(execFileSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8', env })) as Record<string, unknown>;
    expect(out).toMatchObject({ backend: 'native', c: 23, source: 'local build' });
    expect(out.path).toContain(path.join('node_modules', 'blasprop', 'build', 'Release'));
  }, 300_000);

  it('when the source build fails, npm install still succeeds and the library warns and falls back', () => {
    const app = path.join(work, 'app-nobuild');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    // an OpenBLAS library that does not exist: the link fails as it would without libopenblas-dev
    const { BLASPROP_ADDON: _a, BLASPROP_BACKEND: _b, BLASPROP_REQUIRE_NATIVE: _c, ...env } = process.env;
    execFileSync('npm', ['install', '--no-audit', '--no-fund', sourceTarball], {
      cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, BLASPROP_OPENBLAS_LIB: '/nonexistent/libopenblas.a' },
    });
    expect(fs.existsSync(path.join(app, 'node_modules', 'blasprop', 'build', 'Release', 'blasprop.node'))).toBe(false);
    fs.writeFileSync(path.join(app, 'main.js'), `
      import { getBackend, Matrix } from 'blasprop';
      const c = Matrix.zeros(1, 1);
      getBackend().gemm(Matrix.from([[2, 3]]), Matrix.from([[4], [5]]), c);
      console.log(JSON.stringify({ backend: getBackend().name, c: c.data[0] }));
    `);
    const errFile = path.join(app, 'stderr.txt');
    const fd = fs.openSync(errFile, 'w');
    const out = JSON.parse(execFileSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8', env, stdio: ['ignore', 'pipe', fd] })) as Record<string, unknown>;
    fs.closeSync(fd);
    expect(out).toEqual({ backend: 'reference', c: 23 });
    const stderr = fs.readFileSync(errFile, 'utf8');
    expect(stderr.match(/BLASPROP_NATIVE_UNAVAILABLE/g)).toHaveLength(1);
    expect(stderr).toMatch(/no compiled addon for linux-/);
    expect(stderr).toMatch(/apt-get install -y libopenblas-dev/);
  }, 300_000);
});
