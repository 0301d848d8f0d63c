#!/usr/bin/env node
// npm's install step: use a matching prebuild, or build from source; if neither works the package
// still installs and blasprop runs on its reference backend (it warns at first use and says why)
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const bin = require.resolve('node-gyp-build/bin.js');
const run = spawnSync(process.execPath, [bin], { stdio: 'inherit', cwd: path.join(__dirname, '..') });
if (run.status !== 0) {
  const required = process.env.BLASPROP_REQUIRE_NATIVE === '1';
  console.warn(
    '\nblasprop: the native addon could not be built (see the errors above).\n' +
    '  For native speed install a compiler and OpenBLAS, then rebuild:\n' +
    '    apt-get install -y libopenblas-dev cmake g++ && npm rebuild blasprop\n' +
    (required ? '  BLASPROP_REQUIRE_NATIVE=1 is set, so the install fails.\n'
              : '  Until then blasprop uses its reference backend (plain TypeScript, much slower).\n'));
  process.exit(required ? 1 : 0);
}
