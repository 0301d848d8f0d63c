// what is running: the active backend, where its binary came from, and OpenBLAS's own facts

import { getBackend, nativeBackendOrError } from './backend/index.js';
import { loadAddon, type NativeInfo } from './native/addon.js';

export interface BlaspropInfo {
  backend: 'native' | 'reference';
  native:
    | ({ available: true; path: string; source: string } & NativeInfo)
    | { available: false; reason: string; fix: string };
}

export function info(): BlaspropInfo {
  const backend = getBackend().name;
  const load = loadAddon();
  if (!load.ok) return { backend, native: { available: false, reason: load.reason, fix: load.fix } };
  return { backend, native: { available: true, path: load.path, source: load.source, ...load.addon.info() } };
}

// the most OpenBLAS threads a product of this JavaScript thread may use (each worker has its own
// setting; workers start at 1); returns what OpenBLAS accepted (it clamps to its maximum). the reference
// backend is single-threaded, so these only touch the addon
export function setNumThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`setNumThreads: threads must be a positive integer, got ${threads}`);
  }
  const load = loadAddon();
  return load.ok ? load.addon.setNumThreads(threads) : 1;
}

export function getNumThreads(): number {
  const load = loadAddon();
  return load.ok && !(nativeBackendOrError() instanceof Error) ? load.addon.getNumThreads() : 1;
}
