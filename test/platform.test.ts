// when no binary fits, the diagnosis names the platform, why nothing fit and that platform's exact fix;
// fed the errors Node really raises on each platform (this machine can only produce its own)

import { describe, expect, it } from 'vitest';
import { diagnose } from '../src/native/addon.js';
import { currentPlatform, describePlatform, glibcOlderThan, prebuildPackage, type Platform } from '../src/native/platform.js';
import { version } from '../src/cli/version.js';

const notFound = new Error('No native build was found for platform=linux arch=x64 runtime=node abi=115 uv=1 libc=musl node=20.20.2');
const debian: Platform = { os: 'linux', arch: 'x64', libc: 'glibc', glibcVersion: '2.36', distro: ['debian'] };

describe('the platform and its prebuild package', () => {
  it('this machine: linux glibc, named with its glibc version, with a prebuild package', () => {
    const here = currentPlatform();
    expect(here.libc).toBe('glibc');
    expect(describePlatform(here)).toBe(`linux-${process.arch} (glibc ${here.glibcVersion})`);
    expect(prebuildPackage(here)).toBe(`@blasprop/linux-${process.arch}`);
  });

  it('only glibc linux, macOS and windows on x64/arm64 have packages', () => {
    expect(prebuildPackage(debian)).toBe('@blasprop/linux-x64');
    expect(prebuildPackage({ ...debian, arch: 'arm64' })).toBe('@blasprop/linux-arm64');
    expect(prebuildPackage({ os: 'darwin', arch: 'arm64' })).toBe('@blasprop/darwin-arm64');
    expect(prebuildPackage({ os: 'win32', arch: 'x64' })).toBe('@blasprop/win32-x64');
    expect(prebuildPackage({ os: 'linux', arch: 'x64', libc: 'musl' })).toBeUndefined();
    expect(prebuildPackage({ ...debian, arch: 'ppc64' })).toBeUndefined();
    expect(prebuildPackage({ os: 'win32', arch: 'arm64' })).toBeUndefined();
  });

  it('compares glibc versions part by part', () => {
    expect(glibcOlderThan('2.17', '2.28')).toBe(true);
    expect(glibcOlderThan('2.9', '2.28')).toBe(true);
    expect(glibcOlderThan('2.28', '2.28')).toBe(false);
    expect(glibcOlderThan('2.31', '2.28')).toBe(false);
  });
});

describe('why nothing fit, and the fix', () => {
  it('Alpine (musl): no musl prebuild; build with apk', () => {
    const d = diagnose(notFound, undefined, { os: 'linux', arch: 'x64', libc: 'musl', distro: ['alpine'] });
    expect(d.reason).toMatch(/musl linux \(Alpine\).*glibc ≥ 2\.28/);
    expect(d.fix).toBe('build it from source: apk add build-base python3 openblas-dev && npm rebuild blasprop');
  });

  it('an old glibc (CentOS 7, 2.17): says the prebuild needs 2.28 and gives the dnf build', () => {
    const err = new Error("/lib64/libc.so.6: version `GLIBC_2.28' not found (required by /app/node_modules/@blasprop/linux-x64/blasprop.node)");
    const d = diagnose(err, '/app/node_modules/@blasprop/linux-x64/blasprop.node', { os: 'linux', arch: 'x64', libc: 'glibc', glibcVersion: '2.17', distro: ['centos', 'rhel', 'fedora'] });
    expect(d.reason).toMatch(/glibc 2\.17 is older than the 2\.28 the prebuilt binaries need/);
    expect(d.fix).toBe('build it from source: dnf install -y openblas-devel gcc-c++ make python3 && npm rebuild blasprop');
  });

  it('a 32-bit CPU or an exotic architecture: says so and names the prebuilt platforms', () => {
    expect(diagnose(notFound, undefined, { ...debian, arch: 'arm' }).reason).toMatch(/32-bit ARM CPUs \(linux-arm\)/);
    const riscv = diagnose(notFound, undefined, { ...debian, arch: 'riscv64', distro: ['ubuntu', 'debian'] });
    expect(riscv.reason).toMatch(/linux-riscv64 \(prebuilds: linux-x64, linux-arm64, darwin-arm64, darwin-x64, win32-x64\)/);
    expect(riscv.fix).toBe('build it from source: apt-get install -y libopenblas-dev g++ make python3 && npm rebuild blasprop');
  });

  it('a supported platform whose optional package npm skipped: install that exact package', () => {
    const d = diagnose(notFound, undefined, debian);
    expect(d.reason).toMatch(/the prebuild package @blasprop\/linux-x64 is not installed/);
    expect(d.fix).toMatch(new RegExp(`^npm install @blasprop/linux-x64@${version().replace(/\./g, '\\.')}, or build it from source: apt-get`));
  });

  it('macOS and Windows get their own build instructions', () => {
    expect(diagnose(new Error('dlopen failed: Library not loaded: libopenblas.0.dylib'), undefined, { os: 'darwin', arch: 'x64' }).fix).toMatch(/xcode-select --install && npm rebuild blasprop/);
    expect(diagnose(notFound, undefined, { os: 'win32', arch: 'ia32' }).fix).toMatch(/Visual Studio Build Tools.*BLASPROP_OPENBLAS_LIB/);
  });

  it('a damaged package binary: reinstall that package', () => {
    const file = '/app/node_modules/@blasprop/linux-x64/blasprop.node';
    const d = diagnose(new Error(`${file}: invalid ELF header`), file, debian);
    expect(d.reason).toMatch(/damaged or for another platform/);
    expect(d.fix).toBe(`reinstall it: npm install @blasprop/linux-x64@${version()}`);
  });
});
