import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/index.js';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { readCheckpoint } from '../src/train/checkpoint.js';
import { runCli, spawnCli, type CliResult, type SpawnHooks } from './helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
let tmp: string;
// one model trained for 600 iterations, shared by the eval and predict tests, and its summary
let modelA: string;
let summaryA: string;


function run(args: string[], onSpawn?: SpawnHooks['onSpawn']) {
  return spawnCli(tmp, args, { onSpawn });
}

function summaryNumber(stdout: string, label: string): number {
  const m = new RegExp(`^${label}\\s+([0-9.]+)`, 'm').exec(stdout);
  if (!m) throw new Error(`no "${label}" line in:\n${stdout}`);
  return Number(m[1]);
}

// a failure: exit 1 and exactly one line on stderr, no stack trace
function expectOneLineFailure(r: Pick<CliResult, 'code' | 'stderr'>): string {
  expect(r.code).toBe(1);
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r.stderr;
}

const { test: mnistTest } = loadMnist();
// the first five test images are 7, 2, 1, 0, 4
const FIRST_LABELS = [7, 2, 1, 0, 4];

function idxImages(count: number, rows: number, cols: number, pixels: Uint8Array): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(0x0803, 0);
  head.writeUInt32BE(count, 4);
  head.writeUInt32BE(rows, 8);
  head.writeUInt32BE(cols, 12);
  return Buffer.concat([head, pixels]);
}

// test image 0 as a 28×28 grayscale PNG, and as a 56×56 RGB one, dark on light (scanned-digit style)
function writePngs(): { gray: string; rgb: string } {
  const img = mnistTest.images.subarray(0, 784);
  const gray = new PNG({ width: 28, height: 28 });
  for (let i = 0; i < 784; i++) {
    gray.data.set([img[i]!, img[i]!, img[i]!, 255], 4 * i);
  }
  const rgb = new PNG({ width: 56, height: 56 });
  for (let y = 0; y < 56; y++) {
    for (let x = 0; x < 56; x++) {
      const v = 255 - img[(y >> 1) * 28 + (x >> 1)]!;
      rgb.data.set([v, v, v, 255], 4 * (y * 56 + x));
    }
  }
  const paths = { gray: join(tmp, 'digit-gray.png'), rgb: join(tmp, 'digit-rgb.png') };
  writeFileSync(paths.gray, PNG.sync.write(gray, { colorType: 0 }));
  writeFileSync(paths.rgb, PNG.sync.write(rgb, { colorType: 2 }));
  return paths;
}

// the tensors of a safetensors file, as raw bytes by name
function tensorBytes(path: string): Record<string, Buffer> {
  const file = decodeSafetensors(readFileSync(path), path);
  const out: Record<string, Buffer> = {};
  for (const [name, t] of Object.entries(file.tensors)) out[name] = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return out;
}

const TRAIN_ARGS = ['train', '--iterations', '600', '--seed', '3', '--layers', '32', '--quiet'];

beforeAll(async () => {
  if (!existsSync(cli)) execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  tmp = mkdtempSync(join(tmpdir(), 'blasprop-model-'));
  modelA = join(tmp, 'A.safetensors');
  const r = await run([...TRAIN_ARGS, '--save', modelA]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  summaryA = r.stdout;
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('checkpoint and resume from the command line', () => {
  it('a run killed with SIGKILL and resumed ends with the same weights as the uninterrupted run', async () => {
    const dir = join(tmp, 'ckpt');
    const modelB = join(tmp, 'B.safetensors');
    const file = join(dir, 'checkpoint.safetensors');
    let poll: NodeJS.Timeout | undefined;
    // kill -9 as soon as the first checkpoint is committed
    const killed = await run([...TRAIN_ARGS, '--checkpoint', dir, '--every', '100', '--save', modelB], (child) => {
      poll = setInterval(() => {
        if (existsSync(file)) {
          clearInterval(poll);
          child.kill('SIGKILL');
        }
      }, 2);
    });
    clearInterval(poll);
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(modelB)).toBe(false);
    const saved = await readCheckpoint(dir);
    expect(saved.status).toBe('running');
    expect(saved.iteration % 100).toBe(0);
    expect(saved.iteration).toBeLessThan(600);

    const resumed = await run(['train', '--checkpoint', dir, '--resume', '--save', modelB]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resuming ${dir} at iteration ${saved.iteration} of 600`);
    expect(resumed.stdout).toMatch(/^resumed\s+from the checkpoint at iteration \d+/m);
    // the killed run's lock was stale and taken over; its temp files, if any, were removed
    expect(readdirSync(dir)).toEqual(['checkpoint.safetensors']);
    expect(summaryNumber(resumed.stdout, 'test accuracy')).toBe(summaryNumber(summaryA, 'test accuracy'));
    expect(summaryNumber(resumed.stdout, 'train accuracy')).toBe(summaryNumber(summaryA, 'train accuracy'));

    // the same tensors, byte for byte
    const a = tensorBytes(modelA);
    const b = tensorBytes(modelB);
    expect(Object.keys(b).sort()).toEqual(['W1', 'W2', 'b1', 'b2']);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const name of Object.keys(a)) expect(b[name]!.equals(a[name]!), `${name} differs`).toBe(true);
    // and the training facts that do not depend on the clock
    const facts = (p: string): Record<string, unknown> => JSON.parse(decodeSafetensors(readFileSync(p), p).metadata.training!) as Record<string, unknown>;
    const fa = facts(modelA);
    const fb = facts(modelB);
    for (const key of ['iterations', 'seed', 'samplingSeed', 'optimizer', 'learningRate', 'dtype', 'network', 'testAccuracy', 'trainAccuracy', 'finalLoss']) expect(fb[key]).toEqual(fa[key]);
    expect(fa).toMatchObject({ iterations: 600, seed: 3, optimizer: 'sgd', dtype: 'float32', network: '784-32-10', stopReason: 'completed' });
  });

  it('flags that contradict the checkpoint, an existing checkpoint, a corrupt manifest', async () => {
    const dir = join(tmp, 'ckpt-small');
    const first = await runCli(['train', '--iterations', '20', '--layers', '16', '--seed', '1', '--checkpoint', dir, '--quiet']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^checkpoint\\s+${dir} \\(iteration 20\\)`, 'm'));
    const layers = await runCli(['train', '--checkpoint', dir, '--resume', '--layers', '64']);
    expect(layers.code).toBe(2);
    expect(layers.stderr.split('\n')[0]).toBe(`blasprop: --layers 64 contradicts the checkpoint in ${dir}, which has hidden layers 16; leave the flag out to continue the saved run`);
    const dtype = await runCli(['train', '--checkpoint', dir, '--resume', '--dtype', 'float64']);
    expect(dtype.code).toBe(2);
    expect(dtype.stderr).toMatch(/^blasprop: --dtype float64 contradicts the checkpoint/);
    // the trainer's own conflict check, in the flags' words
    const batch = await runCli(['train', '--checkpoint', dir, '--resume', '--batch', '50']);
    expect(batch.code).toBe(2);
    expect(batch.stderr.split('\n')[0]).toBe(`blasprop: --batch 50 contradicts the checkpoint in ${dir}, which has batch 100; leave the flag out to continue the saved run`);
    const length = await runCli(['train', '--checkpoint', dir, '--resume', '--epochs', '2']);
    expect(length.stderr.split('\n')[0]).toMatch(/^blasprop: --epochs 2 contradicts the checkpoint in .*, which has 20 iterations;/);
    expect((await runCli(['train', '--checkpoint', dir, '--resume', '--optimizer', 'adam'])).stderr).toMatch(/^blasprop: --optimizer adam contradicts the checkpoint in .*, which has optimizer sgd;/);
    const again = await runCli(['train', '--checkpoint', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a checkpoint: continue that run with --resume/);
    writeFileSync(join(dir, 'checkpoint.safetensors'), '{"format": "blasprop-checkpoint", "vers');
    const corrupt = await runCli(['train', '--checkpoint', dir, '--resume']);
    expect(expectOneLineFailure(corrupt)).toMatch(/^blasprop: .*checkpoint\.safetensors: header length \d+ exceeds/);
  });
});

describe('blasprop eval', () => {
  it('prints the test accuracy the training summary printed', async () => {
    const r = await run(['eval', modelA]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const acc = summaryNumber(summaryA, 'test accuracy');
    expect(acc).toBeGreaterThan(0.85);
    expect(summaryNumber(r.stdout, 'test accuracy')).toBe(acc);
    expect(r.stdout).toMatch(/^model\s+.*A\.safetensors \(784-32-10, relu, float32\)/m);
    const json = await run(['eval', modelA, '--train', '--json']);
    const out = JSON.parse(json.stdout) as Record<string, number>;
    expect(json.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(out.testAccuracy!.toFixed(4)).toBe(acc.toFixed(4));
    expect(out.trainAccuracy!.toFixed(4)).toBe(summaryNumber(summaryA, 'train accuracy').toFixed(4));
    expect([out.testCount, out.trainCount]).toEqual([10000, 60000]);
  });

  it('a corrupt, truncated or missing model file: exit 1, one line naming the file', async () => {
    const garbage = join(tmp, 'garbage.safetensors');
    writeFileSync(garbage, 'this is not a model at all');
    expect(expectOneLineFailure(await runCli(['eval', garbage]))).toContain(`blasprop: ${garbage}: header length`);
    const truncated = join(tmp, 'truncated.safetensors');
    copyFileSync(modelA, truncated);
    truncateSync(truncated, readFileSync(modelA).byteLength - 64);
    expect(expectOneLineFailure(await runCli(['eval', truncated]))).toMatch(new RegExp(`^blasprop: ${truncated}: .*run past the end`));
    expect(expectOneLineFailure(await runCli(['predict', truncated, join(tmp, 'x.png')]))).toContain(truncated);
    const missing = join(tmp, 'missing.safetensors');
    expect(expectOneLineFailure(await runCli(['eval', missing]))).toBe(`blasprop: model file not found: ${missing}\n`);
  });
});

describe('blasprop predict', () => {
  it('classifies the images of an IDX file: the first five test digits, mostly right', async () => {
    const idx = join(tmp, 'five.idx');
    writeFileSync(idx, idxImages(5, 28, 28, mnistTest.images.subarray(0, 5 * 784)));
    const r = await run(['predict', modelA, idx]);
    expect(r.code).toBe(0);
    const classes = [...r.stdout.matchAll(/^ {2}image (\d): (\d) {2}\(p (0\.\d{4}|1\.0000)\)$/gm)].map((m) => Number(m[2]));
    expect(classes).toHaveLength(5);
    const right = classes.filter((c, i) => c === FIRST_LABELS[i]).length;
    expect(right).toBeGreaterThanOrEqual(4);
    const json = await run(['predict', modelA, idx, '--json', '--limit', '3']);
    const line = JSON.parse(json.stdout) as { count: number; predictions: { index: number; class: number; probabilities: number[] }[] };
    expect(line.count).toBe(5);
    expect(line.predictions.map((p) => p.class)).toEqual(classes.slice(0, 3));
  });

  it('classifies PNGs: a 28×28 grayscale digit and a 56×56 RGB dark-on-light copy agree', async () => {
    const { gray, rgb } = writePngs();
    const r = await run(['predict', modelA, gray, rgb, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { input: string; class: number; inverted: boolean; width: number; probabilities: number[] });
    expect(lines.map((l) => [l.input, l.width, l.inverted])).toEqual([[gray, 28, false], [rgb, 56, true]]);
    for (const l of lines) {
      expect(l.probabilities).toHaveLength(10);
      expect(l.probabilities.every((p) => p >= 0 && p <= 1)).toBe(true);
      expect(Math.abs(l.probabilities.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
      // the class is the most probable one
      expect(l.probabilities.indexOf(Math.max(...l.probabilities))).toBe(l.class);
    }
    expect(lines[1]!.class).toBe(lines[0]!.class);
    // the grayscale PNG holds exactly test image 0, which is a 7; the resized, inverted copy lands on the same input
    expect(lines[0]!.class).toBe(7);
    lines[0]!.probabilities.forEach((p, j) => expect(lines[1]!.probabilities[j]).toBeCloseTo(p, 9));
    // the human form: the class, then every probability
    const text = await run(['predict', modelA, rgb]);
    expect(text.stdout).toMatch(new RegExp(`^${rgb}: 7 {2}\\(p 0\\.\\d{4}; 56×56 → 28×28, inverted\\)$`, 'm'));
    expect(text.stdout).toMatch(/^ {2}probabilities {2}0:\d\.\d{4} 1:\d\.\d{4} .* 9:\d\.\d{4}$/m);
    // --invert no leaves the colours as they are
    const raw = await run(['predict', modelA, rgb, '--json', '--invert', 'no']);
    expect((JSON.parse(raw.stdout) as { inverted: boolean }).inverted).toBe(false);
  });

  it('inputs that are not images for this model: exit 1, one line', async () => {
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'hello');
    expect(expectOneLineFailure(await runCli(['predict', modelA, text]))).toBe(`blasprop: ${text}: not a PNG or an IDX images file\n`);
    const small = join(tmp, 'small.idx');
    writeFileSync(small, idxImages(2, 20, 20, new Uint8Array(800)));
    expect(expectOneLineFailure(await runCli(['predict', modelA, small]))).toBe(`blasprop: ${small}: its images are 20×20 = 400 pixels, the model takes 784 inputs\n`);
    const broken = join(tmp, 'broken.png');
    writeFileSync(broken, readFileSync(writePngs().rgb).subarray(0, 60));
    expect(expectOneLineFailure(await runCli(['predict', modelA, broken]))).toMatch(new RegExp(`^blasprop: ${broken}: not a valid PNG`));
    const usage = await runCli(['predict', modelA]);
    expect(usage.code).toBe(2);
  });
});

describe('train --json', () => {
  it('prints one JSON line on stdout with the summary fields; words go to stderr', async () => {
    const fields = ['testAccuracy', 'trainAccuracy', 'wallTimeMs', 'trainTimeMs', 'evalTimeMs', 'msPerIteration', 'iterations', 'backend', 'dtype', 'threads', 'peakRssMB'];
    const quiet = await run(['train', '--iterations', '50', '--layers', '16', '--seed', '2', '--quiet', '--json']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    const lines = quiet.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const s = JSON.parse(lines[0]!) as Record<string, unknown>;
    for (const f of fields) expect(s, f).toHaveProperty(f);
    expect(s).toMatchObject({ iterations: 50, backend: 'native', dtype: 'float32', stopReason: 'completed' });
    for (const f of ['testAccuracy', 'trainAccuracy', 'wallTimeMs', 'trainTimeMs', 'evalTimeMs', 'msPerIteration', 'threads', 'peakRssMB']) expect(typeof s[f], f).toBe('number');
    expect(s.wallTimeMs as number).toBeGreaterThanOrEqual((s.trainTimeMs as number) + (s.evalTimeMs as number) - 1e-6);
    // peak RSS: at least the 47 MB of training images this process read
    expect(s.peakRssMB as number).toBeGreaterThan(47);
    expect(s.peakRssMB as number).toBeLessThan(4096);

    const loud = await run(['train', '--iterations', '50', '--layers', '16', '--seed', '2', '--json']);
    expect(loud.stdout.trimEnd().split('\n')).toHaveLength(1);
    const t = JSON.parse(loud.stdout) as Record<string, unknown>;
    // same seed, same run
    expect([t.testAccuracy, t.finalLoss]).toEqual([s.testAccuracy, s.finalLoss]);
    expect(loud.stderr).toMatch(/^training 784-16-10/);
    expect(loud.stderr).toMatch(/^memory\s+peak RSS \d+ MB$/m);
  });

  it('--help names the new commands and flags', async () => {
    const help = await runCli(['--help']);
    for (const c of ['eval', 'predict']) expect(help.stdout).toMatch(new RegExp(`^  ${c}\\s`, 'm'));
    const train = await runCli(['train', '--help']);
    for (const f of ['--checkpoint DIR', '--every N', '--resume', '--save FILE.safetensors', '--json']) expect(train.stdout).toContain(f);
  });
});
