#!/usr/bin/env node
// where OpenBLAS lives on this machine, for both build files (binding.gyp and CMakeLists.txt):
//   node scripts/openblas.cjs include   -> the directory holding OpenBLAS's cblas.h
//   node scripts/openblas.cjs libs      -> linker arguments (the static library when there is one)
//   node scripts/openblas.cjs link      -> "static", "shared" or "accelerate"
// on macOS the BLAS is Apple's Accelerate (in every macOS, nothing to install): native/accelerate/cblas.h
// stands in for OpenBLAS's header. On Windows set BLASPROP_OPENBLAS_INCLUDE and BLASPROP_OPENBLAS_LIB
// (an OpenBLAS release's include folder and lib/libopenblas.lib; its DLL ships beside the addon).
// BLASPROP_OPENBLAS_INCLUDE and BLASPROP_OPENBLAS_LIB override the search (a cross build sets both).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

// debian keeps each OpenBLAS flavour in its own multiarch folder; the pthread one is libopenblas-dev's default
// (BLASPROP_TARGET_ARCH names the target of a cross build, scripts/prebuild.mjs --arch)
const targetArch = process.env.BLASPROP_TARGET_ARCH || process.arch;
const multiarch = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu', ppc64: 'powerpc64le-linux-gnu', s390x: 's390x-linux-gnu' }[targetArch] || '';
const libDirs = [
  `/usr/lib/${multiarch}/openblas-pthread`,
  `/usr/lib/${multiarch}/openblas-openmp`,
  `/usr/lib/${multiarch}/openblas-serial`,
  `/usr/lib/${multiarch}`,
  '/usr/lib64/openblas-pthread',
  '/usr/lib64',
  '/usr/lib',
  '/usr/local/lib',
  '/opt/OpenBLAS/lib',
];
const includeDirs = [
  `/usr/include/${multiarch}/openblas-pthread`,
  `/usr/include/${multiarch}/openblas-openmp`,
  `/usr/include/${multiarch}/openblas-serial`,
  `/usr/include/${multiarch}`,
  '/usr/include/openblas',
  '/usr/include',
  '/usr/local/include',
  '/opt/OpenBLAS/include',
];

// openblas's own cblas.h declares openblas_set_num_threads; the reference cblas.h does not
function findInclude() {
  if (process.env.BLASPROP_OPENBLAS_INCLUDE) return existing(process.env.BLASPROP_OPENBLAS_INCLUDE, 'BLASPROP_OPENBLAS_INCLUDE');
  for (const dir of includeDirs) {
    const file = path.join(dir, 'cblas.h');
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('openblas_set_num_threads')) return dir;
  }
  fail('no OpenBLAS cblas.h found');
}

function findLib() {
  if (process.env.BLASPROP_OPENBLAS_LIB) return existing(process.env.BLASPROP_OPENBLAS_LIB, 'BLASPROP_OPENBLAS_LIB');
  for (const dir of libDirs) {
    const file = path.join(dir, 'libopenblas.a');
    if (fs.existsSync(file)) return file;
  }
  for (const dir of libDirs) {
    if (fs.existsSync(path.join(dir, 'libopenblas.so'))) return path.join(dir, 'libopenblas.so');
  }
  fail('no libopenblas.a or libopenblas.so found');
}

// a wrong override fails here, when the build is configured, not after every file has compiled
function existing(file, name) {
  if (!fs.existsSync(file)) fail(`${name}=${file} does not exist`);
  return file;
}

// on glibc linux the addon carries its own libstdc++/libgcc and calls the old versions of the few libc
// functions whose default version is newer than glibc 2.28 (native/glibc_compat.cc says why and how), so a
// binary linked here loads on every glibc linux Node 20 runs on
// (--gc-sections drops the parts of libstdc++ nothing calls, such as random_device's use of arc4random, 2.36)
const GLIBC_WRAPPED = ['pthread_create', 'pthread_join', 'pthread_detach', 'pthread_once', 'pthread_setaffinity_np', 'pthread_getaffinity_np', 'exp', '__libc_single_threaded'];
function glibcFlags() {
  const glibc = process.platform === 'linux' && process.report.getReport().header.glibcVersionRuntime;
  const exportsMap = path.join(__dirname, '..', 'native', 'exports.map');
  return glibc ? ['-static-libstdc++', '-Wl,--gc-sections', `-Wl,--version-script=${exportsMap}`, ...GLIBC_WRAPPED.map((name) => `-Wl,--wrap=${name}`)] : [];
}

function fail(what) {
  console.error(`blasprop: ${what}. Install OpenBLAS: apt-get install -y libopenblas-dev (Debian/Ubuntu), ` +
    'or set BLASPROP_OPENBLAS_INCLUDE and BLASPROP_OPENBLAS_LIB.');
  process.exit(1);
}

const what = process.argv[2];
const accelerate = process.platform === 'darwin' && !process.env.BLASPROP_OPENBLAS_LIB;
if (accelerate && ['include', 'libs', 'link'].includes(what)) {
  // one token each, so binding.gyp's <!@ and CMake's separate_arguments keep the flag whole
  console.log({ include: path.join(__dirname, '..', 'native', 'accelerate'), libs: '-Wl,-framework,Accelerate', link: 'accelerate' }[what]);
} else if (what === 'include') {
  console.log(findInclude());
} else if (what === 'libs' || what === 'link') {
  const lib = findLib();
  const isStatic = lib.endsWith('.a');
  if (what === 'link') {
    console.log(isStatic ? 'static' : 'shared');
  } else if (lib.endsWith('.lib')) {
    // msvc: the import library by its path; the DLL is found beside the addon at run time
    console.log(lib);
  } else if (isStatic) {
    // link the archive in and keep its symbols out of our export table, so no other BLAS in the process clashes
    console.log([lib, '-lpthread', '-lm', `-Wl,--exclude-libs,${path.basename(lib)}`, ...glibcFlags()].join(' '));
  } else {
    console.log([`-L${path.dirname(lib)}`, '-lopenblas', `-Wl,-rpath,${path.dirname(lib)}`, ...glibcFlags()].join(' '));
  }
} else {
  console.error('usage: node scripts/openblas.cjs include|libs|link');
  process.exit(2);
}
