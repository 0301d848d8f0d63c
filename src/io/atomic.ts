// write a file so that readers see either the old contents or the new, never half of either

import { randomBytes } from 'node:crypto';
import { open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface AtomicWriteOptions {
  // test hook: runs after the temp file is complete and synced, just before the rename;
  // throwing here simulates a crash at the worst moment
  beforeRename?: (tmpPath: string) => void | Promise<void>;
}

// our temp files: short and fixed-length whatever the target's name (a 255-byte name must still
// work), with the writer's pid so an orphan can be told from a save in progress
const TEMP = /^\.blasprop-(\d+)-[0-9a-f]{12}\.tmp$/;

// same directory as the target, so the rename never crosses a filesystem
export function tempPathFor(path: string): string {
  return join(dirname(path), `.blasprop-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

// the failure, saying which file could not be written (never only the temp file's name)
function writeError(path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  // node's own message ends with the temp file's path, which means nothing to the reader
  const why = e.code === 'EISDIR' ? 'it is a directory' : e.code === 'ENOENT' ? 'its directory does not exist' : e.message.split(',')[0];
  return Object.assign(new Error(`cannot write ${path}: ${why}`), { code: e.code, cause: err });
}

export async function writeFileAtomic(path: string, data: Buffer | Uint8Array | string, options: AtomicWriteOptions = {}): Promise<void> {
  // renaming a file onto a directory fails only after the whole write: say so first
  if (await stat(path).then((s) => s.isDirectory(), () => false)) throw writeError(path, Object.assign(new Error('EISDIR'), { code: 'EISDIR' }));
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
    // a test hook's own error goes through as it is
    throw (err as NodeJS.ErrnoException).syscall === undefined ? err : writeError(path, err);
  }
  await syncDirectory(dirname(path));
  await removeOrphans(dirname(path));
}

// mkdir -p, one level at a time: node's recursive mkdir spins forever where a parent refuses with ENOENT
// (under /proc, say); this fails at once with that error
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

// is a process with this pid running (on this machine)?
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// temp files left by a writer that was killed mid-save: only our own names, only when their process is gone
export async function removeOrphans(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = TEMP.exec(name);
    if (m === null || processAlive(Number(m[1]))) continue;
    await unlink(join(dir, name)).catch(() => {});
  }
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
