// which prebuilt binary fits this machine, and when none does, why and the exact fix for this platform.
// The prebuilds ship as one small optional package per platform (as sharp does): npm installs only the
// one whose os/cpu/libc match, so a user downloads one 25 MB binary, not all of them (scripts/pack.mjs).

import * as fs from 'node:fs';

// the platforms with a prebuild package, named @blasprop/<platform>; linux ones need glibc ≥ 2.28
export const PREBUILT_PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64', 'win32-x64'] as const;
export const GLIBC_BASELINE = '2.28';

export interface Platform {
  os: NodeJS.Platform;
  arch: string;
  // linux only: which C library, and glibc's version when it is glibc
  libc?: 'glibc' | 'musl';
  glibcVersion?: string;
  // linux only: /etc/os-release's ID and ID_LIKE, to name the right package manager
  distro?: string[];
}

export function currentPlatform(): Platform {
  const p: Platform = { os: process.platform, arch: process.arch };
  if (p.os !== 'linux') return p;
  // node reports the glibc it runs on; no version means another C library, which on linux is musl
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  if (header?.glibcVersionRuntime) Object.assign(p, { libc: 'glibc', glibcVersion: header.glibcVersionRuntime });
  else p.libc = 'musl';
  try {
    const release = fs.readFileSync('/etc/os-release', 'utf8');
    p.distro = [...release.matchAll(/^(?:ID|ID_LIKE)=["']?([^"'\n]*)/gm)].flatMap((m) => m[1]!.split(/\s+/)).filter(Boolean);
  } catch {
    // no os-release: the generic instructions below
  }
  return p;
}

// "linux-x64 (glibc 2.36)", "linux-arm64 (musl)", "darwin-arm64"
export function describePlatform(p: Platform): string {
  const libc = p.libc === 'glibc' ? ` (glibc ${p.glibcVersion})` : p.libc === 'musl' ? ' (musl)' : '';
  return `${p.os}-${p.arch}${libc}`;
}

// the optional package that carries this platform's prebuild, or undefined when none is published
export function prebuildPackage(p: Platform): string | undefined {
  const name = `${p.os}-${p.arch}`;
  if (p.os === 'linux' && p.libc !== 'glibc') return undefined;
  return (PREBUILT_PLATFORMS as readonly string[]).includes(name) ? `@blasprop/${name}` : undefined;
}

// why this platform has no prebuild at all (undefined when it has one)
export function whyNoPrebuild(p: Platform): string | undefined {
  if (prebuildPackage(p)) return undefined;
  if (p.os === 'linux' && p.libc === 'musl') return `no prebuilt binary is published for musl linux (Alpine); the prebuilds need glibc ≥ ${GLIBC_BASELINE}`;
  if (p.arch === 'ia32' || p.arch === 'arm') return `no prebuilt binary is published for 32-bit ${p.arch === 'arm' ? 'ARM' : 'x86'} CPUs (${p.os}-${p.arch})`;
  return `no prebuilt binary is published for ${p.os}-${p.arch} (prebuilds: ${PREBUILT_PLATFORMS.join(', ')})`;
}

// the command that builds the addon from the package's sources on this platform
export function sourceBuildFix(p: Platform): string {
  const rebuild = 'npm rebuild blasprop';
  if (p.os === 'darwin') return `build it from source against Apple's Accelerate: xcode-select --install && ${rebuild}`;
  if (p.os === 'win32') {
    return 'build it from source: install Visual Studio Build Tools (C++) and Python 3, unpack an OpenBLAS release ' +
      `(github.com/OpenMathLib/OpenBLAS/releases), set BLASPROP_OPENBLAS_INCLUDE and BLASPROP_OPENBLAS_LIB to its include\\ folder and lib\\libopenblas.lib, then ${rebuild}`;
  }
  if (p.os !== 'linux') return `build it from source: install OpenBLAS, a C++17 compiler, make and Python 3, then ${rebuild}`;
  const like = (...ids: string[]) => ids.some((id) => p.distro?.includes(id));
  if (p.libc === 'musl' || like('alpine')) return `build it from source: apk add build-base python3 openblas-dev && ${rebuild}`;
  if (like('debian', 'ubuntu')) return `build it from source: apt-get install -y libopenblas-dev g++ make python3 && ${rebuild}`;
  if (like('rhel', 'fedora', 'centos', 'amzn', 'suse')) {
    const manager = like('suse') ? 'zypper install -y openblas-devel gcc-c++ make python3' : 'dnf install -y openblas-devel gcc-c++ make python3';
    return `build it from source: ${manager} && ${rebuild}`;
  }
  return `build it from source: install OpenBLAS with its headers, a C++17 compiler, make and Python 3 ` +
    `(Debian/Ubuntu: apt-get install -y libopenblas-dev g++ make python3), then ${rebuild}`;
}

// glibc versions compare as numbers, part by part ("2.9" < "2.28")
export function glibcOlderThan(version: string, than: string): boolean {
  const a = version.split('.').map(Number);
  const b = than.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}
