// write a file so that readers see either the old contents or the new, never half of either

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AtomicWriteOptions {
  // test hook: runs after the temp file is complete and synced, just before the rename;
  // throwing here simulates a crash at the worst moment
  beforeRename?: (tmpPath: string) => void | Promise<void>;
}

// same directory as the target, so the rename never crosses a filesystem
export function tempPathFor(path: string): string {
  return `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

export async function writeFileAtomic(
  path: string,
  data: Buffer | Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const tmpPath = tempPathFor(path);
  let handle: FileHandle | undefined;
  try {
    // 'wx' refuses to reuse a stale file that happens to have our name
    handle = await open(tmpPath, 'wx');
    await handle.writeFile(data);
    // the data must be on disk before the rename makes it visible
    await handle.sync();
    await handle.close();
    handle = undefined;
    await options.beforeRename?.(tmpPath);
    await rename(tmpPath, path);
  } catch (err) {
    await handle?.close().catch(() => {});
    await unlink(tmpPath).catch(() => {});
    throw err;
  }
  await syncDirectory(dirname(path));
}

// the same steps without awaiting, for exit handlers and other places that cannot wait
export function writeFileAtomicSync(
  path: string,
  data: Buffer | Uint8Array | string,
  options: { beforeRename?: (tmpPath: string) => void } = {},
): void {
  const tmpPath = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmpPath, 'wx');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    // writeSync may write less than asked, so loop until everything is out
    for (let done = 0; done < bytes.byteLength; ) done += writeSync(fd, bytes, done, bytes.byteLength - done);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    options.beforeRename?.(tmpPath);
    renameSync(tmpPath, path);
  } catch (err) {
    if (fd !== undefined) try { closeSync(fd); } catch {}
    try { unlinkSync(tmpPath); } catch {}
    throw err;
  }
  syncDirectorySync(dirname(path));
}

// persist the rename itself; best effort because some platforms cannot fsync a directory
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // ignored: the file is already in place, only its durability across power loss is weaker
  } finally {
    await handle?.close().catch(() => {});
  }
}

function syncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // ignored, as above
  } finally {
    if (fd !== undefined) try { closeSync(fd); } catch {}
  }
}
