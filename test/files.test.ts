// issue 10, items 2-7 and 10: files that are wrong, huge, endless or not files at all. Each case failed
// (or hung, or took gigabytes) before; now each is a clear error naming the file.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { referenceBackend } from '../src/backend/index.js';
import { run } from '../src/cli/index.js';
import { IdxFormatError, loadMnist, readIdx } from '../src/data/index.js';
import { decodeModel, encodeModel, loadModel, ModelFileError } from '../src/io/model.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, SafetensorsError } from '../src/io/safetensors.js';
import { allocateBytes } from '../src/native/memory.js';
import { mlp } from '../src/nn/index.js';
import { CheckpointError, fit, readCheckpoint } from '../src/train/index.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'blasprop-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function idxBytes(code: number, dims: number[], payload: Uint8Array | number[] = []): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.set([0, 0, code, dims.length]);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(payload)]);
}

function write(name: string, bytes: Uint8Array | string): string {
  const path = join(root, name);
  writeFileSync(path, bytes);
  return path;
}

// a MNIST-format directory: 4 train and 2 test images of rows×cols, with the labels given
function fakeMnist(name: string, trainLabels: number[], opts: { testRows?: number; testCount?: number } = {}): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const n = trainLabels.length;
  const testRows = opts.testRows ?? 28;
  const testCount = opts.testCount ?? 2;
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxBytes(0x08, [n, 28, 28], new Uint8Array(n * 784)));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes(0x08, [n], trainLabels));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxBytes(0x08, [testCount, testRows, 28], new Uint8Array(testCount * testRows * 28)));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxBytes(0x08, [testCount], new Array(testCount).fill(1)));
  return dir;
}

// the peak resident memory of a node child that runs the ES module code `code` against the compiled library, in MB
function peakMB(code: string, env: Record<string, string> = {}): { mb: number; out: string } {
  const script = `${code}\nconst { readFileSync: read } = await import('node:fs');\nconsole.log('PEAK ' + /VmHWM:\\s+(\\d+)/.exec(read('/proc/self/status', 'utf8'))[1]);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  const m = /PEAK (\d+)/.exec(r.stdout);
  if (m === null) throw new Error(`child failed: ${r.stderr}`);
  return { mb: Number(m[1]) / 1024, out: r.stdout };
}

beforeAll(() => {
  // the children run the compiled library (npm test builds it first)
  if (!existsSync(join(repo, 'dist', 'index.js'))) execFileSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: repo });
});

describe('item 2: labels are checked against the classes when the data loads', () => {
  it('a label of 10 or 200 is refused, naming the file and the record in it', () => {
    const ten = fakeMnist('label-10', [3, 1, 4, 10]);
    expect(() => loadMnist({ dir: ten, backend: referenceBackend })).toThrow(
      new IdxFormatError(join(ten, 'train-labels-idx1-ubyte'), 'label 10 at record 3 is not a class (expected an integer in [0, 10))'),
    );
    const all200 = fakeMnist('label-200', [200, 200]);
    expect(() => loadMnist({ dir: all200, backend: referenceBackend })).toThrow(`${join(all200, 'train-labels-idx1-ubyte')}: label 200 at record 0`);
  });
});

describe('item 3: small inputs never take huge memory or hang', () => {
  const fifo = join(root, 'fifo');
  beforeAll(() => execFileSync('mkfifo', [fifo]));

  it('a FIFO (no writer) is refused at once as an IDX, model, safetensors or checkpoint file', async () => {
    expect(() => readIdx(fifo)).toThrow(new IdxFormatError(fifo, `is a FIFO (named pipe), not a regular file`));
    await expect(loadModel(fifo)).rejects.toThrow(new SafetensorsError(fifo, 'is a FIFO (named pipe), not a regular file'));
    const dir = join(root, 'fifo-ckpt');
    mkdirSync(dir);
    execFileSync('mkfifo', [join(dir, 'checkpoint.safetensors')]);
    await expect(readCheckpoint(dir)).rejects.toThrow(`${join(dir, 'checkpoint.safetensors')}: is a FIFO (named pipe), not a regular file`);
  });

  it('/dev/zero is refused as a device; a /proc file reads as what it is, not forever', async () => {
    expect(() => readIdx('/dev/zero')).toThrow('/dev/zero: is a character device, not a regular file');
    await expect(loadSafetensors('/dev/zero')).rejects.toThrow('/dev/zero: is a character device, not a regular file');
    // /proc's files say they are empty: read as such, they are too short to be anything
    expect(() => readIdx('/proc/self/status')).toThrow('/proc/self/status: too short for an IDX header');
    await expect(loadModel('/proc/self/status')).rejects.toThrow('/proc/self/status: file is 0 bytes');
  });

  it('a 1 MB gzip that expands to 1 GiB stops at the size its header promises', () => {
    // one member with a header promising 16 bytes, then 1024 members of 1 MiB of zeros each
    const zeros = gzipSync(Buffer.alloc(1 << 20));
    const bomb = Buffer.concat([gzipSync(idxBytes(0x08, [16], new Uint8Array(16))), ...new Array(1024).fill(zeros)]);
    expect(bomb.length).toBeLessThan(1.2e6);
    const path = write('bomb-idx1-ubyte.gz', bomb);
    expect(() => readIdx(path)).toThrow(`${path}: trailing bytes after the data for dims [16] of uint8 (the gzip data holds more than the 16 bytes of data the header promises)`);
    // and in a fresh process, the peak memory stays far below the 1 GiB it would have taken
    const { mb, out } = peakMB(`const { readIdx } = await import('./dist/data/idx.js');
      try { readIdx(${JSON.stringify(path)}); } catch (e) { console.log(e.message); }`);
    expect(out).toContain('trailing bytes');
    expect(mb).toBeLessThan(200);
  });

  it('a header promising more than the gzip can hold is refused before anything is inflated', () => {
    const path = write('liar-idx3-ubyte.gz', gzipSync(idxBytes(0x08, [60000, 28, 28], new Uint8Array(100))));
    expect(() => readIdx(path)).toThrow(/liar-idx3-ubyte\.gz: dims \[60000, 28, 28\] of uint8 need 47040000 bytes, more than \d+ bytes of gzip can hold/);
  });
});

describe('item 4: every failure caused by a file names the file and the fault', () => {
  it('a 600-byte model whose layer list claims huge layers is refused before a network is allocated', () => {
    const net = mlp({ sizes: [4, 3, 2], seed: 1, dtype: 'float32' });
    const file = decodeSafetensors(encodeModel(net));
    const arch = JSON.parse(file.metadata.architecture!);
    arch.layers[0].inputs = 2 ** 31 - 1;
    arch.layers[0].outputs = 2 ** 31 - 1;
    arch.layers[2].inputs = 2 ** 31 - 1;
    const bytes = encodeSafetensors(file.tensors, { ...file.metadata, architecture: JSON.stringify(arch) });
    expect(bytes.length).toBeLessThan(700);
    expect(() => decodeModel(bytes, 'huge.safetensors')).toThrow(ModelFileError);
    expect(() => decodeModel(bytes, 'huge.safetensors')).toThrow(/^huge\.safetensors: __metadata__\.architecture needs 46\d{17} parameter values, but the file's tensors hold 23$/);
  });

  it('an IDX file over 2 GiB, a directory, a missing file', () => {
    // sparse: a valid header promising 2^31 + 16 bytes of data, and a file of that size taking no disk
    const path = join(root, 'big-idx1-ubyte');
    const fd = openSync(path, 'w');
    writeSync(fd, idxBytes(0x08, [2 ** 31 + 16]));
    closeSync(fd);
    execFileSync('truncate', ['-s', String(8 + 2 ** 31 + 16), path]);
    expect(() => readIdx(path)).toThrow(`${path}: dims [2147483664] of uint8 need 2147483664 bytes of data, more than the 2147483647 bytes one IDX file may hold`);
    rmSync(path);
    expect(() => readIdx(root)).toThrow(new IdxFormatError(root, `is a directory, not a regular file`));
    expect(() => readIdx(join(root, 'nope'))).toThrow(`${join(root, 'nope')}: file not found`);
  });

  it('an empty test split and test images of another size', () => {
    const empty = fakeMnist('empty-test', [1, 2], { testCount: 0 });
    expect(() => loadMnist({ dir: empty, backend: referenceBackend })).toThrow(`${join(empty, 't10k-images-idx3-ubyte')}: holds no images (the MNIST test split is empty)`);
    const other = fakeMnist('other-size', [1, 2], { testRows: 20 });
    expect(() => loadMnist({ dir: other, backend: referenceBackend })).toThrow(
      `${join(other, 't10k-images-idx3-ubyte')}: test images are 20×28 pixels, but the training images in ${join(other, 'train-images-idx3-ubyte')} are 28×28`,
    );
  });

  it('a checkpoint whose run state claims a batch of 3 000 000 is refused, even with a valid checksum', async () => {
    const mnist = loadMnist({ dtype: 'float64' });
    const data = { train: { ...mnist.train, count: 200 }, test: { ...mnist.test, count: 100 } };
    const dir = join(root, 'ckpt-batch');
    await fit(mlp({ sizes: [784, 8, 10], seed: 1, dtype: 'float64' }), data, { iterations: 3, batchSize: 50, evaluate: false, checkpoint: { dir } });
    const path = join(dir, 'checkpoint.safetensors');
    // rewritten as a careful forger would: new state, new checksum
    const file = decodeSafetensors(await import('node:fs').then((fs) => fs.readFileSync(path)));
    const state = JSON.parse(file.metadata.state!);
    state.settings.batchSize = 3_000_000;
    const zero = '0'.repeat(64);
    const buf = encodeSafetensors({ ...file.tensors, ...file.integers }, { ...file.metadata, state: JSON.stringify(state), sha256: zero });
    const at = buf.indexOf(`"sha256":"${zero}"`) + 10;
    buf.write(createHash('sha256').update(buf).digest('hex'), at, 'latin1');
    writeFileSync(path, buf);
    await expect(readCheckpoint(dir)).rejects.toThrow(new CheckpointError(dir, `${path} is corrupt: settings.batchSize 3000000 with 784 features needs a batch of 2352000000 values (at most 268435456)`));
  });
});

describe('item 6: large pages are V8 memory of the right size, freed without a turn of the event loop', () => {
  it('allocateBytes views the aligned part of a buffer V8 counts in full; small sizes are plain buffers', () => {
    const before = process.memoryUsage().arrayBuffers;
    const advised: number[] = [];
    const bytes = allocateBytes(6 << 20, (whole) => {
      advised.push(whole.length);
      return 12345;
    });
    expect(bytes.length).toBe(6 << 20);
    expect(bytes.byteOffset).toBe(12345);
    expect(advised).toEqual([8 << 20]);
    expect(bytes.every((v) => v === 0)).toBe(true);
    // the real size, as V8 sees it (an external buffer of the addon was invisible here)
    expect(process.memoryUsage().arrayBuffers - before).toBeGreaterThanOrEqual(8 << 20);
    // small, or no advice to be had: ordinary memory of exactly the size asked
    const small = allocateBytes(1 << 20, () => 0);
    expect([small.byteOffset, small.buffer.byteLength]).toEqual([0, 1 << 20]);
    const none = allocateBytes(6 << 20, () => -1);
    expect([none.byteOffset, none.buffer.byteLength]).toEqual([0, 6 << 20]);
  });

  it('reading a 12 MB IDX file 40 times in a synchronous loop stays at a few of them, not 40', () => {
    const path = write('twelve-idx1-ubyte', idxBytes(0x08, [12 << 20], new Uint8Array(12 << 20).fill(9)));
    const { mb } = peakMB(`const { readIdx } = await import('./dist/data/idx.js');
      const { getBackend } = await import('./dist/backend/index.js');
      const backend = getBackend();
      let sum = 0;
      for (let i = 0; i < 40; i++) sum += readIdx(${JSON.stringify(path)}, { allocate: (n) => backend.allocateBytes(n) }).data[5];
      if (sum !== 360 || backend.name !== 'native') throw new Error('wrong ' + sum + backend.name);`);
    // 40 × 14 MB would be 560 MB held until the event loop turned
    expect(mb).toBeLessThan(250);
  });

  it('the data layer never loads the addon on the reference backend', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
      const { loadMnist } = await import('./dist/index.js');
      const m = loadMnist();
      const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
      console.log(m.train.count, maps.includes('blasprop.node') ? 'addon loaded' : 'no addon');`], { cwd: repo, encoding: 'utf8', env: { ...process.env, BLASPROP_BACKEND: 'reference' } });
    expect(r.stdout.trim()).toBe('60000 no addon');
  });
});

describe('item 10: a model full of NaN weights is refused unless asked for', () => {
  it('names the file, the tensor and the count; allowNonFinite loads it', async () => {
    const net = mlp({ sizes: [4, 3, 2], seed: 1, dtype: 'float64' });
    net.params.W1!.data.fill(NaN);
    net.params.b2!.data[1] = Infinity;
    const path = write('nan.safetensors', encodeModel(net));
    await expect(loadModel(path)).rejects.toThrow(
      `${path}: tensor 'W1' holds 12 NaN or infinite values of 12 (a diverged training run?); load it with { allowNonFinite: true } to inspect it anyway`,
    );
    const loaded = await loadModel(path, { allowNonFinite: true });
    expect(Number.isNaN(loaded.net.params.W1!.data[0])).toBe(true);
  });
});

// a command line run in this process: its exit code and what it printed on stderr
async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await run(args), stderr };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

describe('item 7: output paths are checked before training starts', () => {
  const train = (args: string[]) => cli(['train', '--iterations', '1000000', '--quiet', ...args]);

  it('--save, --plot or --log onto a directory or under a file: exit 2 at once, naming the path', async () => {
    const dir = join(root, 'out.safetensors');
    mkdirSync(dir);
    const save = await train(['--save', dir]);
    expect([save.code, save.stderr.split('\n')[0]]).toEqual([2, `blasprop: --save: ${dir} is a directory, not a file`]);
    const file = write('plain-file', 'x');
    const plot = await train(['--plot', join(file, 'curves.svg')]);
    expect([plot.code, plot.stderr.split('\n')[0]]).toEqual([2, `blasprop: --plot: ${file} is not a directory`]);
    const log = await train(['--log', join(file, 'deeper', 'run.jsonl')]);
    expect([log.code, log.stderr.split('\n')[0]]).toEqual([2, `blasprop: --log: ${file} is not a directory`]);
  });

  it('a checkpoint directory that cannot be made (under /proc) fails at once with one line', async () => {
    const r = await train(['--checkpoint', '/proc/ck']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^blasprop: cannot use \/proc\/ck as a checkpoint directory: ENOENT/);
  });
});

describe('item 3: predict reads its inputs as bounded regular files', () => {
  it('a FIFO or a directory as an input: exit 1 at once, one line naming it', async () => {
    const model = write('tiny.safetensors', encodeModel(mlp({ sizes: [784, 4, 10], seed: 1, dtype: 'float32' })));
    const fifo = join(root, 'predict-fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [input, fault] of [[fifo, 'is a FIFO (named pipe), not a regular file'], [root, 'is a directory, not a regular file'], [join(root, 'gone.png'), 'file not found']] as const) {
      const r = await cli(['predict', model, input]);
      expect([r.code, r.stderr.trim()]).toEqual([1, `blasprop: ${input}: ${fault}`]);
    }
  });
});
