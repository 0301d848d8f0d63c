// reading files someone else made: only regular files, never more bytes than the caller can use,
// and every failure a message that starts with the file's path

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

// the caller's error class, so each format keeps its own (IdxFormatError, SafetensorsError, …)
export type Fail = (problem: string) => never;

// what fstat says a non-regular file is, in words
function kindOf(st: import('node:fs').Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

// open for reading and make sure it is a regular file; O_NONBLOCK so a FIFO with no writer cannot
// block the open itself (fstat then refuses it)
export function openRegular(path: string, fail: Fail): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return fail(err.code === 'ENOENT' ? 'file not found' : `cannot be opened (${err.code ?? err.message})`);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    return fail(`is ${kindOf(st)}, not a regular file`);
  }
  return { fd, size: st.size };
}

// fill `into` from `position` on; returns the bytes read (fewer only if the file is shorter)
export function readInto(fd: number, into: Uint8Array, position: number): number {
  let done = 0;
  while (done < into.byteLength) {
    const n = readSync(fd, into, done, into.byteLength - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

// a whole regular file of at most maxBytes (the size fstat gives: a file that grows while read is cut
// there, and /proc's size-0 files read as empty instead of spinning)
export function readRegular(path: string, maxBytes: number, fail: Fail): Buffer {
  const { fd, size } = openRegular(path, fail);
  try {
    if (size > maxBytes) fail(`is ${size} bytes, more than the ${maxBytes} bytes such a file may have`);
    const buf = Buffer.allocUnsafe(size);
    const n = readInto(fd, buf, 0);
    return n < size ? buf.subarray(0, n) : buf;
  } finally {
    closeSync(fd);
  }
}
