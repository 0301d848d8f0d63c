// train, eval and predict on CSV files: the flags of a CSV run, the run itself (data, task, split,
// standardisation, network, trainer), and a saved model's measures and answers for the rows of a CSV.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Backend } from '../backend/index.js';
import { loadCsv, readCsvRows, type CsvTable } from '../data/csv.js';
import { predictRows } from '../data/predict.js';
import { fitStandardization } from '../data/standardize.js';
import { dataInfoOf, splitTable, standardizeTable, TASKS, type Table } from '../data/table.js';
import type { LoadedModel } from '../io/model.js';
import { MLP_DEFAULTS, mlp, type Task } from '../nn/index.js';
import type { TaskMetrics } from '../nn/task-metrics.js';
import { randomSeed } from '../random.js';
import { fromTable } from '../train/dataset.js';
import { Evaluator } from '../train/evaluate.js';
import type { TrainerOptions } from '../train/options.js';
import type { TrainingData } from '../train/trainer.js';
import { Trainer } from '../train/trainer.js';
import { choiceFlag, integerFlag, numberFlag, UsageError, type FlagValues, type OptionSpec } from './args.js';
import { sizesOf } from './data.js';
import type { Checkpoint } from '../train/checkpoint.js';
import { checkResumeFlags, type GivenFlags, type PreparedRun, type RunCallbacks } from './train-setup.js';

// train's flags for a CSV run
export const CSV_TRAIN_OPTIONS: OptionSpec = {
  csv: { type: 'string' },
  target: { type: 'string' },
  'test-csv': { type: 'string' },
  'test-fraction': { type: 'string' },
  'validation-fraction': { type: 'string' },
  patience: { type: 'string' },
  task: { type: 'string' },
  columns: { type: 'string' },
  standardize: { type: 'boolean' },
  'drop-missing': { type: 'boolean' },
};

export const CSV_TRAIN_USAGE = `Your own data (a CSV file with a header row):
  --csv FILE             train on FILE's rows instead of MNIST
  --target COLUMN        the column to predict (several, comma-separated: multi-output or multi-label)
  --columns A,B,...      the feature columns (default: every other column)
  --task NAME            classify | binary | regress (default: inferred from the target and printed:
                         strings or at most 20 distinct whole numbers → classify, else regress)
  --test-csv FILE        test on FILE's rows, or
  --test-fraction F      hold out a share F of the rows for testing (seeded by --seed)
  --validation-fraction F  hold out a share F for validation, measured after every epoch
  --patience N           early stopping: stop when the validation measure has not improved for N
                         epochs, keeping the best epoch's weights (needs --validation-fraction)
  --standardize          scale every feature to mean 0, std 1 on the training rows; the model file
                         keeps the means and stds, so eval and predict take raw rows
  --drop-missing         skip rows with a missing value (empty, NA, NaN, ?) instead of refusing the file
  A CSV run defaults to one hidden layer of 32, init he, adam lr 0.01, batch 32, 100 epochs, shuffle.`;

export interface CsvFlags {
  csv: string;
  target: string[];
  testCsv?: string;
  testFraction?: number;
  validationFraction?: number;
  patience?: number;
  task?: Task;
  columns?: string[];
  standardize: boolean;
  dropMissing: boolean;
}

function namesFlag(name: string, value: string | boolean | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = String(value).split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new UsageError(`--${name} must be column names separated by commas, got ${JSON.stringify(value)}`);
  return names;
}

function shareFlag(name: string, value: string | boolean | undefined): number | undefined {
  const f = numberFlag(name, value, 0);
  if (f !== undefined && !(f > 0 && f < 1)) throw new UsageError(`--${name} must be a share between 0 and 1, got ${JSON.stringify(value)}`);
  return f;
}

// the CSV flags, checked; undefined for an MNIST run (where none of them may appear)
export function csvFlagsOf(v: FlagValues): CsvFlags | undefined {
  if (v.csv === undefined) {
    const stray = Object.keys(CSV_TRAIN_OPTIONS).find((k) => v[k] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} needs --csv FILE`);
    return undefined;
  }
  const target = namesFlag('target', v.target);
  if (target === undefined) throw new UsageError('--csv needs --target COLUMN, the column to predict');
  const testFraction = shareFlag('test-fraction', v['test-fraction']);
  if (testFraction !== undefined && v['test-csv'] !== undefined) throw new UsageError('give --test-csv or --test-fraction, not both');
  const validationFraction = shareFlag('validation-fraction', v['validation-fraction']);
  const patience = integerFlag('patience', v.patience, 1);
  if (patience !== undefined && validationFraction === undefined) throw new UsageError('--patience watches the validation rows: give --validation-fraction too');
  if (v.data !== undefined) throw new UsageError('give --csv or --data, not both');
  return {
    csv: String(v.csv),
    target,
    testCsv: v['test-csv'] === undefined ? undefined : String(v['test-csv']),
    testFraction,
    validationFraction,
    patience,
    task: choiceFlag('task', v.task, TASKS),
    columns: namesFlag('columns', v.columns),
    standardize: v.standardize === true,
    dropMissing: v['drop-missing'] === true,
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// what a checkpoint of a CSV run keeps to build its data again on --resume: the flags, with the files'
// absolute paths (the run may be resumed from another directory)
function recorded(flags: CsvFlags): CsvFlags {
  return { ...flags, csv: resolve(flags.csv), ...(flags.testCsv !== undefined ? { testCsv: resolve(flags.testCsv) } : {}) };
}

// the sha256 of the run's files, by absolute path: a resume checks its data did not change meanwhile
async function fileHashes(flags: CsvFlags): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of [flags.csv, flags.testCsv]) {
    if (file === undefined) continue;
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    out[resolve(file)] = hash.digest('hex');
  }
  return out;
}

// the rows a CSV run trains, validates and tests on: read, split (seeded apart from the weights, seed,
// and the batches, seed + 1) and standardised, the same every time for the same flags and seed
async function csvData(flags: CsvFlags, seed: number) {
  const options = { target: flags.target, columns: flags.columns, task: flags.task, dropMissing: flags.dropMissing };
  const all = await loadCsv(flags.csv, options);
  // a test file must describe its rows as the training file does (its own classes are mapped by name)
  let testFile: CsvTable | undefined;
  if (flags.testCsv !== undefined) testFile = await loadCsv(flags.testCsv, { ...options, columns: all.features, task: all.task });
  // the split is seeded apart from the weights (seed) and the batches (seed + 1)
  const parts = splitTable(all, { test: flags.testFraction ?? 0, validation: flags.validationFraction ?? 0, seed: seed + 2 });
  let { train, validation, test } = parts;
  if (testFile !== undefined) test = relabel(testFile, all);
  if (flags.standardize) {
    const s = fitStandardization(train.x);
    train = standardizeTable(train, s);
    if (validation !== undefined) validation = standardizeTable(validation, s);
    if (test !== undefined) test = standardizeTable(test, s);
  }
  const data: TrainingData = { train, ...(validation ? { validation } : {}), ...(test ? { test } : {}) };
  const splitText = [`${train.x.rows} train`, validation && `${validation.x.rows} validation`, test && `${test.x.rows} test${testFile ? ` (${flags.testCsv})` : ''}`].filter(Boolean).join(', ');
  return { all, train, data, splitText };
}

export async function csvRun(flags: CsvFlags, given: GivenFlags, backend: Backend, threadCount: number, checkpoint: { dir: string; every?: number } | undefined, callbacks: RunCallbacks): Promise<PreparedRun> {
  const seed = given.seed ?? randomSeed();
  const { all, train, data, splitText } = await csvData(flags, seed);
  const csvSha256 = await fileHashes(flags);
  const layers = given.layers ?? [given.hidden ?? 32];
  const sizes = [all.x.cols, ...layers, all.outputs];
  const activation = given.activation ?? MLP_DEFAULTS.activation;
  const init = given.init ?? 'he';
  const dtype = given.dtype ?? MLP_DEFAULTS.dtype;
  const net = mlp({ sizes, activation, init, dtype, seed, backend, task: all.task });
  const optimizer = given.optimizer ?? 'adam';
  const batchSize = given.batch ?? 32;
  const sampling = given.sampling ?? 'shuffle';
  const length = given.iterations !== undefined ? { iterations: given.iterations } : { epochs: given.epochs ?? 100 };
  const trainerOptions: TrainerOptions = {
    ...length,
    batchSize,
    optimizer,
    learningRate: given.lr ?? (optimizer === 'adam' ? 0.01 : undefined),
    sampling,
    seed: seed + 1,
    meta: { network: sizes.join('-'), activation, init, backend: backend.name, threads: threadCount, seed, samplingSeed: seed + 1, task: all.task, csv: flags.csv, csvFlags: recorded(flags), csvSha256 },
    ...(flags.patience !== undefined ? { earlyStopping: { patience: flags.patience } } : {}),
    checkpoint,
  };
  let trainer: Trainer;
  try {
    trainer = new Trainer(net, { ...trainerOptions, ...callbacks });
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  const netText = `${sizes.join('-')} (${sizes.length > 2 ? `${activation}, ` : ''}init ${init}, ${dtype})`;
  const features = all.features!;
  const shown = features.length > 6 ? `${features.slice(0, 6).join(', ')}, …` : features.join(', ');
  const what = 'epochs' in length ? `${length.epochs} epochs` : `${length.iterations} iterations`;
  const header =
    `data      ${flags.csv}: ${plural(all.x.rows, 'row')}${all.dropped > 0 ? ` (${all.dropped} with missing values dropped)` : ''}, ${plural(features.length, 'feature')} (${shown}), target ${flags.target.join(',')}\n` +
    `task      ${all.task} (${all.taskReason}${all.labels !== undefined ? `; classes ${all.labels.join(', ')}` : ''})\n` +
    `split     ${splitText}, seed ${seed}${flags.standardize ? '; standardised on the training rows' : ''}\n` +
    `training  ${netText}, ${trainer.optimizer.name} lr ${trainer.learningRate}, batch ${batchSize}, ${what}, sampling ${sampling}, seed ${seed}; backend ${backend.name}, ${plural(threadCount, 'thread')}\n`;
  const total = trainer.totalIterations(train.x.rows);
  return { trainer, data, sizes, name: sizes.join('-'), netText, dtype, total, header, dataInfo: dataInfoOf(train), dataName: basename(flags.csv), options: trainerOptions };
}

// the CSV flags a checkpoint was written with, or undefined for an MNIST run's
export function csvFlagsOfCheckpoint(ckpt: Checkpoint): CsvFlags | undefined {
  const f = ckpt.meta.csvFlags;
  if (f === undefined) return undefined;
  if (f === null || typeof f !== 'object' || typeof (f as CsvFlags).csv !== 'string' || !Array.isArray((f as CsvFlags).target)) {
    throw new Error(`the checkpoint in ${ckpt.dir} has malformed CSV settings (meta.csvFlags)`);
  }
  return f as CsvFlags;
}

const FLAG_NAMES: Record<keyof CsvFlags, string> = {
  csv: 'csv', target: 'target', testCsv: 'test-csv', testFraction: 'test-fraction', validationFraction: 'validation-fraction',
  patience: 'patience', task: 'task', columns: 'columns', standardize: 'standardize', dropMissing: 'drop-missing',
};

// a CSV run continued from its checkpoint: the same file, split and scaling, built again from the flags
// it recorded (CSV flags given again must agree with them)
export async function resumedCsvRun(ckpt: Checkpoint, flags: CsvFlags, given: CsvFlags | undefined, givenFlags: GivenFlags, backend: Backend, threadCount: number, checkpoint: { dir: string; every?: number }, callbacks: RunCallbacks): Promise<PreparedRun> {
  checkResumeFlags(givenFlags, ckpt, checkpoint.dir);
  if (given !== undefined) {
    const g = recorded(given);
    // a flag absent on either side is the default: false for the switches
    const norm = (v: unknown): string => JSON.stringify(v === undefined ? false : v);
    for (const key of Object.keys(FLAG_NAMES) as (keyof CsvFlags)[]) {
      if (norm(g[key]) !== norm(flags[key])) {
        throw new UsageError(`--${FLAG_NAMES[key]} ${String(g[key] ?? '(not given)')} contradicts the checkpoint in ${checkpoint.dir}, which has ${String(flags[key] ?? '(not given)')}; leave the flag out to continue the saved run`);
      }
    }
  }
  // the same rows or none: an edited file with as many rows would resume on other data unnoticed
  const saved = ckpt.meta.csvSha256 as Record<string, string> | undefined;
  if (saved !== undefined) {
    for (const [file, sum] of Object.entries(await fileHashes(flags))) {
      if (saved[file] !== sum) throw new Error(`${file} has changed since the checkpoint in ${checkpoint.dir} was written (its sha256 differs): a resumed run must train on the data it started with`);
    }
  }
  const seed = ckpt.meta.seed as number;
  const { all, train, data, splitText } = await csvData(flags, seed);
  const options: TrainerOptions = {
    // the run's facts stay; where it continues may differ
    meta: { ...ckpt.meta, backend: backend.name, threads: threadCount },
    checkpoint: { dir: checkpoint.dir, every: checkpoint.every ?? ckpt.every },
  };
  const trainer = await Trainer.resume(ckpt, { ...options, ...callbacks });
  const s = ckpt.settings;
  const sizes = sizesOf(ckpt.model.architecture);
  const netText = `${sizes.join('-')} (${s.dtype})`;
  const header =
    `resuming ${checkpoint.dir} at iteration ${ckpt.iteration} of ${s.totalIterations}\n` +
    `data      ${flags.csv}: ${plural(all.x.rows, 'row')}, target ${flags.target.join(',')}; split ${splitText}, seed ${seed}${flags.standardize ? '; standardised on the training rows' : ''}\n` +
    `training  ${netText}, ${s.optimizer} lr ${trainer.learningRate}, batch ${s.batchSize}, sampling ${s.sampling}; backend ${backend.name}, ${plural(threadCount, 'thread')}\n`;
  return { trainer, data, sizes, name: sizes.join('-'), netText, dtype: s.dtype, total: s.totalIterations, header, resumedAt: ckpt.iteration, dataInfo: dataInfoOf(train), dataName: basename(flags.csv), options };
}

// a second file's class indices in the first file's numbering (its labels by name)
function relabel(t: CsvTable, like: Table): Table {
  if (like.labels === undefined || !(t.y instanceof Int32Array) || t.labels === undefined) return t;
  const index = new Map(like.labels.map((l, k) => [l, k]));
  const y = Int32Array.from(t.y, (k) => {
    const name = t.labels![k]!;
    const to = index.get(name);
    if (to === undefined) throw new Error(`${t.file}: class ${JSON.stringify(name)} does not occur in the training data (its classes are ${like.labels!.join(', ')})`);
    return to;
  });
  return { ...t, y, labels: like.labels };
}

// a model trained from a CSV knows its feature columns; one trained otherwise cannot read a CSV
function featuresOf(model: LoadedModel, file: string): string[] {
  const features = model.data.features;
  if (features === undefined) throw new Error(`${file} has no feature column names (it was not trained from a CSV), so it cannot pick a CSV's columns`);
  return features;
}

// the model's task measures on the rows of a CSV that has its target column
export async function evalCsv(model: LoadedModel, file: string, csv: string, dropMissing: boolean): Promise<{ metrics: TaskMetrics; count: number; dropped: number }> {
  const target = model.data.target;
  if (target === undefined) throw new Error(`${file} does not name its target column, so it cannot measure a CSV`);
  const task = model.net.task;
  const table = await loadCsv(csv, { target, columns: featuresOf(model, file), task, dropMissing });
  let rows: Table = table;
  if (model.data.labels !== undefined && table.labels !== undefined && task !== 'regress') rows = relabel(table, { ...table, labels: model.data.labels });
  if (model.data.standardization !== undefined) rows = standardizeTable(rows, model.data.standardization);
  const metrics = new Evaluator(model.net).metrics(fromTable(rows, csv));
  return { metrics, count: table.x.rows, dropped: table.dropped };
}

// one line per row: the label by name (with its probability), or the predicted value(s)
export async function predictCsv(model: LoadedModel, file: string, csv: string, dropMissing: boolean): Promise<{ text: string; line: Record<string, unknown> }> {
  const rows = await readCsvRows(csv, { columns: featuresOf(model, file), text: model.data.target, textOptional: true, dropMissing });
  const answers = predictRows(model.net, model.data, rows.x);
  const text = answers
    .map((a) => {
      // the answer's probability: its class's, or for one sigmoid output σ for "yes" and 1 − σ for "no"
      if (a.label !== undefined) {
        const p = a.output.length === 1 ? (a.class === 1 ? a.output[0]! : 1 - a.output[0]!) : a.output[a.class!]!;
        return `${a.label}  (p ${p.toFixed(4)})`;
      }
      if (a.labels !== undefined) return a.labels.join(',') || '(none)';
      return a.output.map((v) => String(Number(v.toPrecision(6)))).join(',');
    })
    .join('\n');
  return { text: text + '\n', line: { input: csv, type: 'csv', count: answers.length, dropped: rows.dropped, predictions: answers.map((a, i) => ({ line: rows.lines[i], ...a })) } };
}
