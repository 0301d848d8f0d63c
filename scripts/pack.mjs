#!/usr/bin/env node
// packs what gets published: the main package (JavaScript, declarations, native sources for a source
// build, no binaries) and one package per prebuild in prebuilds/<platform>-<arch>/, named
// @blasprop/<platform>-<arch>, whose os/cpu/libc fields let npm install only the matching one.
// Why per-platform packages and not one bundle: an OpenBLAS prebuild is 13–26 MB unpacked (kernels for
// every CPU generation), and a bundle would make every user download every platform's binary to run one;
// this way a user downloads one, and a new platform adds a package, not weight for everyone.
// The main package's optionalDependencies on them are written here, at pack time, not in package.json:
// a checkout's npm ci must not look for unpublished packages.
//   node scripts/pack.mjs --out DIR   (needs dist/: npm run build:ts)   prints the tarballs as JSON
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outAt = process.argv.indexOf('--out');
const out = path.resolve(outAt > 0 ? process.argv[outAt + 1] : root);
const { PREBUILT_PLATFORMS } = await import(path.join(root, 'dist', 'native', 'platform.js'));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
fs.mkdirSync(out, { recursive: true });

// npm pack in a scratch folder holding only the package's files (scripts off: dist/ is already built)
function pack(manifest, copy) {
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-pack-'));
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  copy(stage);
  const [result] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], { cwd: stage, encoding: 'utf8' }));
  fs.rmSync(stage, { recursive: true, force: true });
  const file = path.join(out, result.filename);
  return { name: manifest.name, file, size: fs.statSync(file).size, unpackedSize: result.unpackedSize };
}

const packed = [];
for (const platform of PREBUILT_PLATFORMS) {
  const dir = path.join(root, 'prebuilds', platform);
  if (!fs.existsSync(path.join(dir, 'blasprop.node'))) continue;
  const [osName, cpu] = platform.split('-');
  const files = fs.readdirSync(dir);
  packed.push(pack({
    name: `@blasprop/${platform}`,
    version: pkg.version,
    description: `blasprop's prebuilt native addon for ${platform}${osName === 'linux' ? ' (glibc ≥ 2.28)' : ''}`,
    license: pkg.license,
    os: [osName],
    cpu: [cpu],
    ...(osName === 'linux' ? { libc: ['glibc'] } : {}),
    files,
  }, (stage) => files.forEach((f) => fs.copyFileSync(path.join(dir, f), path.join(stage, f)))));
}

const main = { ...pkg };
main.optionalDependencies = Object.fromEntries(PREBUILT_PLATFORMS.map((p) => [`@blasprop/${p}`, pkg.version]));
packed.unshift(pack(main, (stage) => {
  for (const entry of [...pkg.files, 'README.md']) {
    if (fs.existsSync(path.join(root, entry))) fs.cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true });
  }
}));
console.log(JSON.stringify(packed, null, 2));
