#!/usr/bin/env node
// npm's install step: nothing to do when npm installed this platform's prebuild package and it loads;
// otherwise build from source (node-gyp-build: a local build/ or a checkout's prebuilds/ first). If that
// fails too the package still installs and blasprop runs on its reference backend (it warns at first
// use and says why); BLASPROP_REQUIRE_NATIVE=1 makes the failure fatal instead.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');

async function main() {
  // the platform rules live in the compiled library; a fresh checkout has not compiled it yet (and has
  // no prebuild package either)
  const platforms = await import('../dist/native/platform.js').catch(() => undefined);
  const platform = platforms?.currentPlatform();
  const name = platforms?.prebuildPackage(platform);
  if (name) {
    try {
      require(require.resolve(`${name}/blasprop.node`, { paths: [root] }));
      return 0;
    } catch {
      // not installed, or it does not load here (an older glibc): build from source instead
    }
  }
  const run = spawnSync(process.execPath, [require.resolve('node-gyp-build/bin.js')], { stdio: 'inherit', cwd: root });
  if (run.status === 0) return 0;
  const required = process.env.BLASPROP_REQUIRE_NATIVE === '1';
  const fix = platforms ? platforms.sourceBuildFix(platform) : 'install OpenBLAS, a C++17 compiler, make and Python 3, then npm rebuild blasprop';
  console.warn(
    `\nblasprop: the native addon could not be built on ${platforms ? platforms.describePlatform(platform) : process.platform + '-' + process.arch} (see the errors above).\n` +
    `  For native speed, ${fix}\n` +
    (required ? '  BLASPROP_REQUIRE_NATIVE=1 is set, so the install fails.\n'
              : '  Until then blasprop uses its reference backend (plain TypeScript, much slower).\n'));
  return required ? 1 : 0;
}

main().then((code) => process.exit(code));
