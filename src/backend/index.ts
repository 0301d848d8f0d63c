// which backend runs the maths: native by default, the reference when asked or when the addon cannot load

import { loadAddon } from '../native/addon.js';
import { createNativeBackend } from './native.js';
import { referenceBackend } from './reference.js';
import type { Backend, BackendName } from './types.js';

export type { Backend, BackendName, GemmOptions } from './types.js';
export { referenceBackend } from './reference.js';

let current: Backend | undefined;
let nativeBackend: Backend | undefined;
let warned = false;

function parseName(value: unknown, where: string): BackendName {
  if (value === 'native' || value === 'reference') return value;
  throw new TypeError(`${where} must be 'native' or 'reference', got ${JSON.stringify(value)}`);
}

// the native backend, or an Error saying why it cannot load and how to fix that
export function nativeBackendOrError(): Backend | Error {
  if (nativeBackend) return nativeBackend;
  const load = loadAddon();
  if (!load.ok) return new Error(`blasprop: the native backend cannot load on ${load.platform}: ${load.reason}. Fix: ${load.fix}.`);
  nativeBackend = createNativeBackend(load.addon);
  return nativeBackend;
}

export function isNativeAvailable(): boolean {
  return !(nativeBackendOrError() instanceof Error);
}

// an explicit choice is obeyed or fails loudly; only the default falls back, with one warning
export function useBackend(name: BackendName): Backend {
  const wanted = parseName(name, 'useBackend: backend');
  if (wanted === 'reference') {
    current = referenceBackend;
  } else {
    const native = nativeBackendOrError();
    if (native instanceof Error) throw native;
    current = native;
  }
  return current;
}

export function getBackend(): Backend {
  if (current) return current;
  const env = process.env.BLASPROP_BACKEND;
  if (env) return useBackend(parseName(env, 'BLASPROP_BACKEND'));
  const native = nativeBackendOrError();
  if (native instanceof Error) {
    if (!warned) {
      warned = true;
      process.emitWarning(`${native.message.replace(/^blasprop: /, '')} Using the reference backend (plain TypeScript, much slower).`, {
        type: 'BlaspropWarning',
        code: 'BLASPROP_NATIVE_UNAVAILABLE',
      });
    }
    current = referenceBackend;
  } else {
    current = native;
  }
  return current;
}

export function backendByName(name: BackendName): Backend {
  if (parseName(name, 'backend') === 'reference') return referenceBackend;
  const native = nativeBackendOrError();
  if (native instanceof Error) throw native;
  return native;
}
