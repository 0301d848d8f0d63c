// blasprop's version, read from package.json so it cannot drift from the published one.

import { createRequire } from 'node:module';

export function version(): string {
  // dist/cli/version.js and src/cli/version.ts both sit two levels below package.json
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
  return pkg.version;
}
