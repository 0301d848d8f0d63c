// byte buffers for data sets: in 2 MB pages when the addon can advise it (random rows of a large set
// are then cheap to reach), ordinary memory otherwise. The memory is always a plain JavaScript buffer,
// a little larger than asked so a 2 MB-aligned part of it can be viewed: V8 counts all of it and frees
// it at garbage collection; pages never touched cost nothing.

import { readFileSync } from 'node:fs';

const HUGE_PAGE = 2 * 1024 * 1024;
// below this a plain buffer is as good: a few 4 KB pages cost nothing to reach
const LARGE = 4 * 1024 * 1024;

let hugePagesOn: boolean | undefined;

// transparent huge pages switched off ("[never]") or absent (not Linux): no point in aligning
function transparentHugePages(): boolean {
  if (hugePagesOn === undefined) {
    try {
      hugePagesOn = !readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').includes('[never]');
    } catch {
      hugePagesOn = false;
    }
  }
  return hugePagesOn;
}

// zeroed bytes (on a SharedArrayBuffer when shared); advise(whole) asks for huge pages and returns where
// the aligned part starts (or -1)
export function allocateBytes(length: number, advise?: (bytes: Uint8Array) => number, shared = false): Uint8Array {
  const bytes = (n: number): Uint8Array => (shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n));
  if (advise === undefined || length < LARGE || !transparentHugePages()) return bytes(length);
  // room to start on a 2 MB boundary and end on one, so every page of the data can be a huge page
  const whole = bytes(Math.ceil(length / HUGE_PAGE) * HUGE_PAGE + HUGE_PAGE);
  const offset = advise(whole);
  if (offset < 0) return bytes(length);
  return whole.subarray(offset, offset + length);
}
