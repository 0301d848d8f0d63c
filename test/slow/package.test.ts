// the packages as npm would publish them (scripts/pack.mjs): the linux prebuilds need nothing newer than
// glibc 2.28 and no system libstdc++; the packed tarballs install into an empty project with no registry
// at all (every dependency is a local tarball, npm runs --offline against an unreachable registry and an
// empty cache), npm picks the one prebuild package for the CPU, and it loads and computes.
// Run by `npm run test:package` (after `npm run prebuild` and `npm run prebuild -- --arch arm64`).

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/native/addon.js';
import { glibcOlderThan, GLIBC_BASELINE } from '../../src/native/platform.js';

const LINUX = ['linux-x64', 'linux-arm64'] as const;
// what readelf calls each CPU
const MACHINE = { 'linux-x64': /Machine:\s+Advanced Micro Devices X86-64/, 'linux-arm64': /Machine:\s+AArch64/ } as const;
const prebuild = (platform: string) => path.join(packageRoot, 'prebuilds', platform, 'blasprop.node');
const { version } = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };

let work: string;
let packed: { name: string; file: string; size: number }[];
let deps: Record<string, string>;

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env });
}

// the library's environment minus anything that would pick the addon or backend for it
function cleanEnv(): NodeJS.ProcessEnv {
  const { BLASPROP_ADDON: _a, BLASPROP_BACKEND: _b, BLASPROP_REQUIRE_NATIVE: _c, ...env } = process.env;
  return env;
}

// npm with no way to reach a registry: offline, an empty cache of its own, and a registry nobody serves
function npmInstall(app: string, args: string[], env = cleanEnv()): void {
  sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--registry=http://127.0.0.1:9/', `--cache=${path.join(work, 'npm-cache')}`, ...args], app, env);
}

// an empty project depending on the packed blasprop; its dependencies resolve to the local tarballs
function makeApp(name: string): string {
  const app = path.join(work, name);
  fs.mkdirSync(app);
  const main = packed.find((p) => p.name === 'blasprop')!;
  const overrides = { ...deps, ...Object.fromEntries(packed.filter((p) => p.name !== 'blasprop').map((p) => [p.name, `file:${p.file}`])) };
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module', dependencies: { blasprop: `file:${main.file}` }, overrides }));
  return app;
}

// one product through the installed library, and where its addon came from
function runGemm(app: string): { backend: string; c: number[]; source?: string; path?: string; stderr: string } {
  fs.writeFileSync(path.join(app, 'main.js'), `
    import { getBackend, info, Matrix } from 'blasprop';
    const c = Matrix.zeros(2, 2, 'float32');
    getBackend().gemm(Matrix.from([[1, 2, 3], [4, 5, 6]], 'float32'), Matrix.from([[7, 8], [9, 10], [11, 12]], 'float32'), c);
    const i = info();
    console.log(JSON.stringify({ backend: getBackend().name, c: Array.from(c.data), source: i.native.source, path: i.native.path }));
  `);
  const run = spawnSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8', env: cleanEnv() });
  if (run.status !== 0) throw new Error(`main.js failed:\n${run.stderr}`);
  return { ...JSON.parse(run.stdout), stderr: run.stderr };
}

// the versions a shared object needs from each library, from its .gnu.version_r section
function versionNeeds(file: string): Record<string, string[]> {
  const needs: Record<string, string[]> = {};
  let lib = '';
  for (const line of sh('readelf', ['-V', '-W', file], packageRoot).split('\n')) {
    const f = /File: (\S+)/.exec(line);
    if (f) needs[(lib = f[1]!)] = [];
    const n = /Name: (\S+)/.exec(line);
    if (n && lib) needs[lib]!.push(n[1]!);
  }
  return needs;
}

describe('the npm packages', () => {
  beforeAll(() => {
    // the prebuilds come from `npm run prebuild` (and `-- --arch arm64`); a stale one would test old code
    const sources = ['binding.gyp', 'scripts/openblas.cjs', 'native/exports.map', ...fs.readdirSync(path.join(packageRoot, 'native')).map((f) => `native/${f}`)];
    const newest = Math.max(...sources.map((f) => fs.statSync(path.join(packageRoot, f)).mtimeMs));
    for (const platform of LINUX) {
      const hint = `run npm run prebuild${platform === 'linux-arm64' ? ' -- --arch arm64' : ''} first`;
      if (!fs.existsSync(prebuild(platform))) throw new Error(`${prebuild(platform)} is missing: ${hint}`);
      if (fs.statSync(prebuild(platform)).mtimeMs < newest) throw new Error(`${prebuild(platform)} is older than the native sources: ${hint}`);
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-packages-'));
    packed = JSON.parse(sh(process.execPath, [path.join(packageRoot, 'scripts', 'pack.mjs'), '--out', path.join(work, 'packed')], packageRoot)) as typeof packed;
    // blasprop's runtime dependencies as tarballs, packed from this checkout's node_modules
    const lock = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; version: string }> };
    const runtime = Object.entries(lock.packages).filter(([key, p]) => key.startsWith('node_modules/') && !p.dev);
    // one version of each name, so a name maps to one tarball
    expect(runtime.filter(([key]) => key.split('node_modules/').length > 2)).toEqual([]);
    const tarballs = JSON.parse(sh('npm', ['pack', '--json', '--ignore-scripts', '--offline', '--pack-destination', path.join(work, 'packed'), ...runtime.map(([key]) => `./${key}`)], packageRoot)) as { name: string; filename: string }[];
    deps = Object.fromEntries(tarballs.map((t) => [t.name, `file:${path.join(work, 'packed', t.filename)}`]));
  }, 300_000);

  it.each(LINUX)('the %s prebuild needs glibc ≤ 2.28 and no system libstdc++, and exports only the Node-API entry points and operator new/delete', (platform) => {
    const file = prebuild(platform);
    expect(sh('readelf', ['-h', file], packageRoot)).toMatch(MACHINE[platform]);
    const needs = versionNeeds(file);
    // libstdc++ is linked in, so neither it nor its GLIBCXX_/CXXABI_ versions are needed from the system
    for (const lib of Object.keys(needs)) expect(lib).toMatch(/^(libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|ld-linux-(x86-64|aarch64)\.so\.[12])$/);
    const all = Object.values(needs).flat();
    expect(all.filter((v) => /^(GLIBCXX|CXXABI)_/.test(v))).toEqual([]);
    const glibc = all.filter((v) => v.startsWith('GLIBC_')).map((v) => v.slice('GLIBC_'.length));
    expect(glibc.length).toBeGreaterThan(0);
    expect(glibc.filter((v) => glibcOlderThan(GLIBC_BASELINE, v))).toEqual([]);
    // libgcc_s's unwinder interface: GCC 8's (RHEL 8) goes up to GCC_7.0.0
    expect(all.filter((v) => v.startsWith('GCC_') && glibcOlderThan('7.0.0', v.slice('GCC_'.length)))).toEqual([]);
    // exported: Node-API's entry points and C++'s replaceable operator new/delete (native/exports.map), no
    // OpenBLAS or libstdc++ internals another library could bind to
    const exported = sh('nm', ['-D', '--defined-only', file], packageRoot).trim().split('\n').map((l) => l.split(' ').pop()!);
    expect(exported).toContain('napi_register_module_v1');
    expect(exported.filter((name) => !/^(napi_register_module_v1|node_api_module_get_api_version_v1|_Z(nw|na|dl|da)\w+)$/.test(name))).toEqual([]);
  });

  it('the main package has sources and no binaries; each platform package has only its binary and says where it runs', () => {
    const main = packed.find((p) => p.name === 'blasprop')!;
    const files = sh('tar', ['-tzf', main.file], work).split('\n').filter(Boolean);
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/dist/cli.js');
    expect(files).toContain('package/binding.gyp');
    expect(files).toContain('package/CMakeLists.txt');
    expect(files).toContain('package/native/gemm.cc');
    expect(files).toContain('package/native/glibc_compat.cc');
    expect(files).toContain('package/native/exports.map');
    // what a source build on the user's machine runs: the install step and the OpenBLAS finder
    expect(files).toContain('package/scripts/install.cjs');
    expect(files).toContain('package/scripts/openblas.cjs');
    expect(files.filter((f) => f.endsWith('.node') || /\/(test|build|build-cmake|node_modules|prebuilds)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    const manifest = JSON.parse(sh('tar', ['-xzOf', main.file, 'package/package.json'], work)) as { optionalDependencies: Record<string, string> };
    expect(manifest.optionalDependencies).toEqual({
      '@blasprop/linux-x64': version, '@blasprop/linux-arm64': version, '@blasprop/darwin-arm64': version,
      '@blasprop/darwin-x64': version, '@blasprop/win32-x64': version,
    });
    expect(main.size).toBeLessThan(1e6);
    for (const platform of LINUX) {
      const pkg = packed.find((p) => p.name === `@blasprop/${platform}`)!;
      expect(sh('tar', ['-tzf', pkg.file], work).split('\n').filter(Boolean).sort()).toEqual(['package/blasprop.node', 'package/package.json']);
      const m = JSON.parse(sh('tar', ['-xzOf', pkg.file, 'package/package.json'], work)) as Record<string, unknown>;
      expect(m).toMatchObject({ name: `@blasprop/${platform}`, version, os: ['linux'], cpu: [platform.split('-')[1]], libc: ['glibc'] });
    }
  });

  it('installs offline with scripts disabled; npm picks @blasprop/linux-x64, whose binary loads and computes; ≤ 30 MB downloaded', () => {
    const app = makeApp('app');
    npmInstall(app, ['--ignore-scripts']);
    const installed = fs.readdirSync(path.join(app, 'node_modules', '@blasprop'));
    expect(installed).toEqual([`linux-${process.arch}`]);
    const out = runGemm(app);
    expect(out).toMatchObject({ backend: 'native', source: 'prebuild', c: [58, 64, 139, 154] });
    expect(out.path).toBe(path.join(app, 'node_modules', '@blasprop', `linux-${process.arch}`, 'blasprop.node'));
    // no local build happened: scripts were off
    expect(fs.existsSync(path.join(app, 'node_modules', 'blasprop', 'build'))).toBe(false);
    // what this user downloaded: every tarball npm installed (blasprop, the one prebuild, the dependencies)
    const lock = JSON.parse(fs.readFileSync(path.join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> };
    const bytes = Object.values(lock.packages).flatMap((p) => (p.resolved?.startsWith('file:') ? [fs.statSync(path.resolve(app, p.resolved.slice(5))).size] : []));
    const total = bytes.reduce((a, b) => a + b, 0);
    console.log(`package test: a linux-${process.arch} install downloads ${(total / 1e6).toFixed(1)} MB in ${bytes.length} tarballs`);
    expect(total).toBeLessThan(30e6);
  }, 120_000);

  it('an install for the other CPU (--cpu=arm64) picks @blasprop/linux-arm64, an AArch64 binary, and not the x64 one', () => {
    const app = makeApp('app-arm64');
    npmInstall(app, ['--ignore-scripts', '--os=linux', '--cpu=arm64', '--libc=glibc']);
    expect(fs.readdirSync(path.join(app, 'node_modules', '@blasprop'))).toEqual(['linux-arm64']);
    const binary = path.join(app, 'node_modules', '@blasprop', 'linux-arm64', 'blasprop.node');
    expect(sh('readelf', ['-h', binary], app)).toMatch(MACHINE['linux-arm64']);
    expect(fs.readFileSync(binary).equals(fs.readFileSync(prebuild('linux-arm64')))).toBe(true);
  }, 120_000);

  it('without the prebuild package, npm install builds the addon from the packed sources and loads it', () => {
    const app = makeApp('app-source');
    npmInstall(app, ['--omit=optional']);
    expect(fs.existsSync(path.join(app, 'node_modules', '@blasprop'))).toBe(false);
    const out = runGemm(app);
    expect(out).toMatchObject({ backend: 'native', source: 'local build', c: [58, 64, 139, 154] });
    expect(out.path).toContain(path.join('node_modules', 'blasprop', 'build', 'Release'));
  }, 300_000);

  it('when neither fits (no package, a failed source build) npm install succeeds, and the one warning names the platform, the cause and the fix', () => {
    const app = makeApp('app-nobuild');
    // an OpenBLAS that does not exist: the build stops while configuring, as it would without libopenblas-dev
    npmInstall(app, ['--omit=optional'], { ...cleanEnv(), BLASPROP_OPENBLAS_LIB: '/nonexistent/libopenblas.a' });
    expect(fs.existsSync(path.join(app, 'node_modules', 'blasprop', 'build', 'Release', 'blasprop.node'))).toBe(false);
    const out = runGemm(app);
    expect(out).toMatchObject({ backend: 'reference', c: [58, 64, 139, 154] });
    expect(out.stderr.match(/BLASPROP_NATIVE_UNAVAILABLE/g)).toHaveLength(1);
    expect(out.stderr).toMatch(new RegExp(`cannot load on linux-${process.arch} \\(glibc [\\d.]+\\): the prebuild package @blasprop/linux-${process.arch} is not installed`));
    expect(out.stderr).toContain(`Fix: npm install @blasprop/linux-${process.arch}@${version}, or build it from source: apt-get install -y libopenblas-dev`);
  }, 300_000);
});
