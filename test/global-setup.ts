// printed once before the suite: which addon the tests run against, so a run shows the native
// backend really loaded (a fallback would fail the tests that need it, and this line says why)

import { loadAddon } from '../src/native/addon.js';

export default function setup(): void {
  const load = loadAddon();
  if (load.ok) {
    const i = load.addon.info();
    console.log(`blasprop tests: native addon ${load.path} (${load.source}, ${i.buildSystem ?? 'unknown build'}), ${i.config}, ${i.threads} threads`);
  } else {
    console.log(`blasprop tests: the native addon did not load: ${load.reason}. Fix: ${load.fix}`);
  }
}
