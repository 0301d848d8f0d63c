#!/usr/bin/env node
// builds the prebuilt addon for one platform into prebuilds/<platform>-<arch>/blasprop.node, the file a
// platform package ships (scripts/pack.mjs). Run through npm so node-gyp is on the PATH:
//   npm run prebuild                     this machine's platform and CPU
//   npm run prebuild -- --arch arm64     linux-arm64 on a linux-x64 machine, with Debian's cross compiler
//                                        (crossbuild-essential-arm64) and libopenblas-dev:arm64
// it builds in a scratch copy of the sources, so the working tree's build/ stays as it was
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argAt = process.argv.indexOf('--arch');
const arch = argAt > 0 ? process.argv[argAt + 1] : process.arch;
const platform = process.platform;
const cross = arch !== process.arch;
if (cross && !(platform === 'linux' && process.arch === 'x64' && arch === 'arm64')) {
  console.error(`prebuild: cross-building ${platform}-${arch} on ${platform}-${process.arch} is not set up (only linux-x64 → linux-arm64)`);
  process.exit(2);
}

// the copy: what the package's own source build compiles, with the installed node_modules beside it
const work = fs.mkdtempSync(path.join(os.tmpdir(), `blasprop-prebuild-${arch}-`));
for (const entry of ['package.json', 'binding.gyp', 'native', 'scripts']) {
  fs.cpSync(path.join(root, entry), path.join(work, entry), { recursive: true });
}
fs.symlinkSync(path.join(root, 'node_modules'), path.join(work, 'node_modules'), 'junction');

const env = { ...process.env };
let strip = platform === 'darwin' ? ['strip', ['-x']] : platform === 'linux' ? ['strip', ['--strip-unneeded']] : undefined;
if (cross) {
  // the aarch64 toolchain and the arm64 OpenBLAS from Debian multiarch (scripts/openblas.cjs reads the target)
  Object.assign(env, { CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LINK: 'aarch64-linux-gnu-g++', AR: 'aarch64-linux-gnu-ar', BLASPROP_TARGET_ARCH: arch });
  strip = ['aarch64-linux-gnu-strip', ['--strip-unneeded']];
}
const started = Date.now();
execFileSync('node-gyp', ['rebuild', `--arch=${arch}`], { cwd: work, env, stdio: 'inherit', shell: platform === 'win32' });

const out = path.join(root, 'prebuilds', `${platform}-${arch}`);
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const file = path.join(out, 'blasprop.node');
fs.copyFileSync(path.join(work, 'build', 'Release', 'blasprop.node'), file);
if (strip) execFileSync(strip[0], [...strip[1], file], { stdio: 'inherit' });
// windows links OpenBLAS as a DLL: it travels beside the addon, where Windows looks for it first
if (platform === 'win32' && process.env.BLASPROP_OPENBLAS_DLL) {
  fs.copyFileSync(process.env.BLASPROP_OPENBLAS_DLL, path.join(out, path.basename(process.env.BLASPROP_OPENBLAS_DLL)));
}
fs.rmSync(work, { recursive: true, force: true });
console.log(`prebuild: ${file} (${(fs.statSync(file).size / 1e6).toFixed(1)} MB) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
