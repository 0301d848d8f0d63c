import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/index.js';
import { idx, runCli, spawnCli, type SpawnHooks } from './helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
let tmp: string;


// the built command, as a user runs it, from the project root
function run(args: string[], onStdout?: SpawnHooks['onStdout']) {
  return spawnCli(root, args, { onStdout });
}

function summaryNumber(stdout: string, label: string): number {
  const m = new RegExp(`^${label}\\s+([0-9.]+)`, 'm').exec(stdout);
  if (!m) throw new Error(`no "${label}" line in:\n${stdout}`);
  return Number(m[1]);
}

function jsonLines(path: string): Record<string, unknown>[] {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

function looksLikeTrainingSvg(path: string): void {
  const svg = readFileSync(path, 'utf8');
  expect(svg.startsWith('<svg') || svg.startsWith('<?xml')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  // the axis labels of the two panels
  for (const label of ['iteration', 'loss', 'epoch', 'accuracy']) expect(svg).toContain(`>${label}<`);
}

beforeAll(() => {
  // npm test builds first; a bare vitest run builds here if it has to
  if (!existsSync(cli)) execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  tmp = mkdtempSync(join(tmpdir(), 'blasprop-cli-'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('blasprop train', () => {
  it('trains, prints the summary, writes an svg plot and a JSON-lines log', async () => {
    const plot = join(tmp, 'run.svg');
    const log = join(tmp, 'run.jsonl');
    const r = await run(['train', '--iterations', '300', '--seed', '1', '--plot', plot, '--log', log, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const acc = summaryNumber(r.stdout, 'test accuracy');
    // 300 steps of the book's net already classify most digits
    expect(acc).toBeGreaterThan(0.8);
    expect(acc).toBeLessThanOrEqual(1);
    expect(r.stdout).toMatch(/^per iteration\s+[0-9.]+ ms/m);
    expect(r.stdout).toMatch(/^backend\s+native, \d+ threads?/m);
    // quiet: no progress lines before the summary
    expect(r.stdout).not.toMatch(/^iteration\s+\d+\/300/m);

    looksLikeTrainingSvg(plot);
    const lines = jsonLines(log);
    expect(lines[0]).toMatchObject({ type: 'run', iterations: 300, batchSize: 100, learningRate: 0.1, optimizer: 'sgd', seed: 1, dtype: 'float32', network: '784-50-10' });
    const iterations = lines.filter((l) => l.type === 'iteration');
    expect(iterations.map((l) => l.iteration)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(iterations.every((l) => typeof l.loss === 'number' && (l.loss as number) > 0)).toBe(true);
    const summary = lines.at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', iterations: 300, stopReason: 'completed' });
    expect((summary.testAccuracy as number).toFixed(4)).toBe(acc.toFixed(4));
  });

  it('reads any directory of MNIST-format files, gzipped too, and prints epoch lines', async () => {
    const { train, test } = loadMnist();
    const dir = join(tmp, 'tiny');
    mkdirSync(dir);
    const write = (name: string, dims: number[], bytes: Uint8Array): void => writeFileSync(join(dir, `${name}.gz`), gzipSync(idx(dims, bytes)));
    write('train-images-idx3-ubyte', [1000, 28, 28], train.images.subarray(0, 1000 * 784));
    write('train-labels-idx1-ubyte', [1000], train.labels.subarray(0, 1000));
    write('t10k-images-idx3-ubyte', [200, 28, 28], test.images.subarray(0, 200 * 784));
    write('t10k-labels-idx1-ubyte', [200], test.labels.subarray(0, 200));
    const r = await run(['train', '--data', dir, '--epochs', '2', '--batch', '50', '--seed', '2', '--sampling', 'shuffle', '--dtype', 'float32']);
    expect(r.code).toBe(0);
    // 1000 examples / batch 50 = 20 iterations per epoch
    expect(r.stdout).toMatch(/on 1000 examples, testing on 200/);
    expect(r.stdout).toMatch(/^epoch 1\s+iteration 20\s+loss [0-9.]+\s+train acc 0\.\d{4}\s+test acc 0\.\d{4}$/m);
    expect(r.stdout).toMatch(/^epoch 2\s+iteration 40\s/m);
    // not a terminal: plain progress lines, a tenth of the run apart
    expect(r.stdout).toMatch(/^iteration\s+4\/40\s+loss \d\.\d{4}\s+[0-9.]+k? it\/s\s+[0-9.]+k? samples\/s/m);
    expect(r.stdout).toMatch(/^iteration 40\/40\s/m);
    expect(r.stdout).toMatch(/^iterations\s+40 \(2 epochs of 20, batch 50\)/m);
    expect(r.stdout).toMatch(/^network\s+784-50-10 \(relu, init std, float32\)/m);
  });

  it('--layers builds a deeper net', async () => {
    const r = await run(['train', '--layers', '64,32', '--init', 'he', '--iterations', '20', '--seed', '3', '--quiet', '--backend', 'native']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^network\s+784-64-32-10 \(relu, init he, float32\)/m);
  });

  it('an unknown flag exits 2 with the usage', async () => {
    const r = await runCli(['train', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^blasprop: Unknown option '--bogus'\n/);
    expect(r.stderr).toContain('Usage: blasprop train [options]');
  });

  it.each([
    [['--lr', 'abc'], /--lr must be a number ≥ 0, got "abc"/],
    [['--batch', '0'], /--batch must be an integer ≥ 1, got "0"/],
    [['--optimizer', 'sgdd'], /--optimizer must be one of sgd, momentum/],
    [['--hidden', '10', '--layers', '5'], /--hidden or --layers, not both/],
    [['--plot', 'out.png'], /--plot must name a \.svg file/],
  ])('bad value %j exits 2 with one clear line', async (args, message) => {
    const r = await runCli(['train', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing data directory exits 1 with a clear message and no stack trace', async () => {
    const r = await runCli(['train', '--data', '/nonexistent/mnist']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('blasprop: data directory not found: /nonexistent/mnist\n');
  });

  it('Ctrl-C stops after the current batch, still writes log, plot and summary, exits 130', async () => {
    const plot = join(tmp, 'int.svg');
    const log = join(tmp, 'int.jsonl');
    let sent = false;
    const r = await run(['train', '--iterations', '1000000', '--seed', '4', '--plot', plot, '--log', log], (out, child) => {
      if (!sent && /^epoch 1 /m.test(out)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(r.signal).toBe(null);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('stopping after the current batch');
    expect(r.stdout).toMatch(/^stopped early at iteration \d+ of 1000000/m);
    const acc = summaryNumber(r.stdout, 'test accuracy');
    expect(acc).toBeGreaterThan(0.85);
    looksLikeTrainingSvg(plot);
    const lines = jsonLines(log);
    const summary = lines.at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', stopReason: 'aborted' });
    const done = summary.iterations as number;
    expect(done).toBeGreaterThanOrEqual(600);
    expect(done).toBeLessThan(1_000_000);
    expect(lines.filter((l) => l.type === 'iteration').length).toBe(done);
  });
});

describe('blasprop gradcheck, info, help', () => {
  it('gradcheck prints the four mean differences, all below 1e-6', async () => {
    const r = await run(['gradcheck']);
    expect(r.code).toBe(0);
    const found = [...r.stdout.matchAll(/^(W1|b1|W2|b2): (\d\.\de[-+]\d\d)$/gm)];
    expect(found.map((m) => m[1])).toEqual(['W1', 'b1', 'W2', 'b2']);
    for (const m of found) expect(Number(m[2])).toBeLessThan(1e-6);
    // backprop and central differences agree far beyond chance: not all zero either
    expect(found.some((m) => Number(m[2]) > 0)).toBe(true);
  });

  it('info names the backend and OpenBLAS', async () => {
    const r = await run(['info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^backend\s+native$/m);
    expect(r.stdout).toContain('OpenBLAS');
    expect(r.stdout).toMatch(/^threads\s+\d+/m);
    const json = await run(['info', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ backend: 'native', native: { available: true, blas: 'OpenBLAS' } });
  });

  it('--help lists the commands; no command or an unknown one exits 2', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['train', 'gradcheck', 'info']) expect(help.stdout).toMatch(new RegExp(`^  ${c}\\s`, 'm'));
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: blasprop <command>');
    const unknown = await runCli(['fly']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toBe('blasprop: unknown command "fly" (expected train, gradcheck, eval, predict, export or info)');
  });
});
