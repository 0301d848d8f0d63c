// byte buffers for data sets: in 2 MB pages through the addon when it loads (random rows of a large
// set are then cheap to reach), ordinary memory otherwise

import { loadAddon } from './addon.js';

// below this a plain buffer is as good: a few 4 KB pages cost nothing to reach
const LARGE = 4 * 1024 * 1024;

export function allocateBytes(length: number): Uint8Array {
  if (length >= LARGE) {
    const load = loadAddon();
    if (load.ok && typeof load.addon.largePageAlloc === 'function') return load.addon.largePageAlloc(length);
  }
  return new Uint8Array(length);
}
