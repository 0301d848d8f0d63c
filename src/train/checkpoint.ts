// checkpoints: everything a training run needs to continue exactly where it was, in one file,
// <dir>/checkpoint.safetensors:
//   model.W1, model.b1, …        the network's tensors (its layer list in __metadata__.model)
//   optimizer.m.W1, …            the optimizer's state buffers (name, hyperparameters, step in .state)
//   loss                         every iteration's loss so far (F64)
//   random                       the sampling generator's four state words (U32)
//   order                        'shuffle' sampling only: the current epoch's permutation (I32)
//   best.W1, …                   early stopping only: the best epoch's weights (its iteration, measure
//                                and the epochs since in .state's early)
//   __metadata__.state           the rest as JSON: iteration, status, settings, meta, epochs, timing, early
//   __metadata__.sha256          a checksum of the whole file (computed with these 64 characters as zeros)
//
// the file is written atomically (a temp file, synced, renamed over the old one), so a crash at any
// instant leaves the old checkpoint or the new one; reading refuses a file whose checksum differs, so
// an edited iteration count or batch size cannot resume silently into another run. <dir>/checkpoint.lock
// holds the pid of the run writing into the directory; a second run is refused while that process lives.

import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { constants as bufferConstants } from 'node:buffer';
import type { Backend } from '../backend/types.js';
import { makeDirectory, processAlive, writeFileAtomic } from '../io/atomic.js';
import { inputWidth, metadataOf, modelFromFile, tensorsOf, type LoadedModel } from '../io/model.js';
import { readRegular } from '../io/read.js';
import { decodeSafetensors, encodeSafetensors, type IntTensor, type SafetensorsFile, type Tensor } from '../io/safetensors.js';
import type { DType, FloatArray } from '../matrix.js';
import type { Sequential } from '../nn/sequential.js';
import { optimizerNames, type OptimizerStateDict } from '../optim/index.js';
import { Random, type RandomState } from '../random.js';
import type { EpochRecord, StopReason } from './history.js';

export const CHECKPOINT_FORMAT = 'blasprop-checkpoint';
export const CHECKPOINT_VERSION = 2;
export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const LOCK_FILE = 'checkpoint.lock';
// what version 1 left in a directory: a manifest naming three files
const VERSION_1_MANIFEST = 'checkpoint.json';
const ZERO_SUM = '0'.repeat(64);
// the largest batch buffer a checkpoint may ask for (2 GiB of float64)
const MAX_BATCH_VALUES = 2 ** 28;

export interface CheckpointSettings {
  // as asked: one of the two (the other absent)
  iterations?: number;
  epochs?: number;
  totalIterations: number;
  iterationsPerEpoch: number;
  batchSize: number;
  learningRate: number;
  optimizer: string;
  sampling: 'replacement' | 'shuffle';
  // the sampling seed (the trainer's, not the weights')
  seed: number;
  evaluate: 'epoch' | false;
  evalBatchSize: number;
  trainCount: number;
  testCount: number;
  features: number;
  dtype: DType;
  // the run stops early on its validation set (its state at the checkpoint: CheckpointData.early)
  earlyStopping?: { patience: number; minDelta: number };
  // examples in the validation set (absent in checkpoints from before it was recorded)
  validationCount?: number;
}

// early stopping at a checkpoint: the best epoch so far (the iteration it ended at and its watched
// measure), the epochs since, and its weights (what the run keeps if it stops early), so a resumed
// run stops where the whole run does and keeps the same weights
export interface EarlyStoppingState {
  bestIteration: number;
  bestScore: number;
  sinceBest: number;
  weights: Record<string, FloatArray>;
}

export interface CheckpointTiming {
  wallTimeMs: number;
  evalTimeMs: number;
  checkpointTimeMs: number;
}

// 'running': written mid-run; otherwise how the run ended
export type CheckpointStatus = 'running' | StopReason;

export interface CheckpointData {
  // updates done
  iteration: number;
  status: CheckpointStatus;
  // the checkpoint interval, in iterations
  every: number;
  settings: CheckpointSettings;
  // the trainer's meta (the history config's extra facts)
  meta: Record<string, unknown>;
  random: RandomState;
  // 'shuffle' only: the permutation the current epoch reads from
  order?: Int32Array;
  // one loss per iteration done
  losses: Float64Array;
  // the epoch-end records so far (never the extra record a stopped run gets at its end)
  epochs: EpochRecord[];
  optimizer: OptimizerStateDict;
  timing: CheckpointTiming;
  // a run with early stopping, once an epoch has been measured
  early?: EarlyStoppingState;
}

export interface Checkpoint extends CheckpointData {
  dir: string;
  model: LoadedModel;
  // the checkpoint file, an absolute path
  file: string;
}

export interface WriteCheckpointOptions {
  // test hook: runs when the new file is complete on disk under its temp name, before the rename
  // commits it; throwing here is a crash at the worst moment
  beforeCommit?: (files: string[]) => void | Promise<void>;
}

// a checkpoint that cannot be read or used; the message starts with the directory or file
export class CheckpointError extends Error {
  readonly dir: string;
  constructor(dir: string, message: string) {
    super(message);
    this.name = 'CheckpointError';
    this.dir = dir;
  }
}

const sha256 = (buf: Uint8Array): string => createHash('sha256').update(buf).digest('hex');

// JSON has no NaN or Infinity (a diverged loss is NaN): such a number is written as { "$number": "NaN" }
const toJson = (_key: string, v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v);
const fromJson = (_key: string, v: unknown): unknown => {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === '$number') return Number((v as { $number: unknown }).$number);
  }
  return v;
};

// the file with its checksum in place: hashed with 64 zeros where the checksum goes, then filled in
function encodeCheckpoint(net: Sequential, data: CheckpointData): Buffer {
  const tensors: Record<string, Tensor | IntTensor> = {};
  for (const [name, t] of Object.entries(tensorsOf(net))) tensors[`model.${name}`] = t;
  for (const [key, b] of Object.entries(data.optimizer.buffers)) {
    tensors[`optimizer.${key}`] = { dtype: b instanceof Float32Array ? 'float32' : 'float64', shape: [b.length], data: b };
  }
  tensors.loss = { dtype: 'float64', shape: [data.losses.length], data: data.losses instanceof Float64Array ? data.losses : Float64Array.from(data.losses) };
  tensors.random = { dtype: 'uint32', shape: [4], data: Uint32Array.from(data.random.s) };
  if (data.order !== undefined) tensors.order = { dtype: 'int32', shape: [data.order.length], data: data.order };
  for (const [key, w] of Object.entries(data.early?.weights ?? {})) {
    tensors[`best.${key}`] = { dtype: w instanceof Float32Array ? 'float32' : 'float64', shape: [w.length], data: w };
  }
  const state = {
    iteration: data.iteration,
    status: data.status,
    every: data.every,
    savedAt: new Date().toISOString(),
    settings: data.settings,
    meta: data.meta,
    spare: data.random.spare,
    optimizer: { name: data.optimizer.name, hyper: data.optimizer.hyper, step: data.optimizer.step },
    epochs: data.epochs,
    timing: data.timing,
    ...(data.early !== undefined ? { early: { bestIteration: data.early.bestIteration, bestScore: data.early.bestScore, sinceBest: data.early.sinceBest } } : {}),
  };
  const buf = encodeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    version: String(CHECKPOINT_VERSION),
    model: JSON.stringify(metadataOf(net, undefined)),
    state: JSON.stringify(state, toJson),
    sha256: ZERO_SUM,
  });
  const at = buf.indexOf(`"sha256":"${ZERO_SUM}"`) + '"sha256":"'.length;
  buf.write(sha256(buf), at, 'latin1');
  return buf;
}

// write one checkpoint into dir (made if needed), replacing the last; resolves with the file's path
export async function writeCheckpoint(dir: string, net: Sequential, data: CheckpointData, options: WriteCheckpointOptions = {}): Promise<string> {
  makeDirectory(dir);
  const path = join(dir, CHECKPOINT_FILE);
  const beforeCommit = options.beforeCommit;
  await writeFileAtomic(path, encodeCheckpoint(net, data), beforeCommit === undefined ? {} : { beforeRename: (tmp) => beforeCommit([tmp]) });
  return path;
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_FILE)) || existsSync(join(dir, VERSION_1_MANIFEST));
}

// ---------- the lock ----------

// take dir for this process: a lock file holding our pid, refused while another live process holds it;
// a lock left by a killed run (its pid gone) is taken over. returns the function that releases it
export function lockCheckpoint(dir: string): () => void {
  try {
    makeDirectory(dir);
  } catch (e) {
    throw new CheckpointError(dir, `cannot use ${dir} as a checkpoint directory: ${(e as Error).message.split(',')[0]}`);
  }
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new CheckpointError(dir, `cannot lock the checkpoint directory ${dir}: ${(e as Error).message.split(',')[0]}`);
      const owner = lockOwner(path);
      if (owner !== undefined && (owner === process.pid || processAlive(owner)) || attempt > 0) {
        const who = owner === process.pid ? 'this process' : `process ${owner ?? '(unknown)'}`;
        throw new CheckpointError(dir, `${dir} is in use by another training run (${who} holds ${path}); wait for it to end, or remove the lock file if that process is gone`);
      }
      // stale: its owner was killed
      try {
        unlinkSync(path);
      } catch {}
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return () => {
      // only our own lock is removed
      if (lockOwner(path) === process.pid) try { unlinkSync(path); } catch {}
    };
  }
}

function lockOwner(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

// ---------- reading ----------

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

// the run state, checked field by field: the checksum catches damage, this catches a file made by hand
function parseState(text: string, bad: (what: string) => never): Record<string, unknown> {
  let m: unknown;
  try {
    m = JSON.parse(text, fromJson);
  } catch (e) {
    return bad(`__metadata__.state is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(m)) return bad('__metadata__.state is not a JSON object');
  if (!isCount(m.iteration)) bad(`iteration must be a non-negative integer, got ${JSON.stringify(m.iteration)}`);
  if (!['running', 'completed', 'stopped', 'aborted', 'early-stopped'].includes(m.status as string)) bad(`status ${JSON.stringify(m.status)} is unknown`);
  if (!isCount(m.every) || m.every < 1) bad(`every must be a positive integer, got ${JSON.stringify(m.every)}`);
  const s = m.settings;
  if (!isObject(s)) return bad('has no settings');
  for (const key of ['totalIterations', 'iterationsPerEpoch', 'batchSize', 'seed', 'evalBatchSize', 'trainCount', 'testCount', 'features'] as const) {
    if (!isCount(s[key])) bad(`settings.${key} must be a non-negative integer, got ${JSON.stringify(s[key])}`);
  }
  for (const key of ['iterations', 'epochs'] as const) if (s[key] !== undefined && !isCount(s[key])) bad(`settings.${key} must be a positive integer, got ${JSON.stringify(s[key])}`);
  if ((s.iterations === undefined) === (s.epochs === undefined)) bad('settings must hold iterations or epochs (one of them)');
  // the batch buffers are allocated from these: a file must not be able to ask for gigabytes
  const batchValues = (s.batchSize as number) * (s.features as number);
  if ((s.batchSize as number) < 1 || batchValues > MAX_BATCH_VALUES) {
    bad(`settings.batchSize ${s.batchSize} with ${s.features} features needs a batch of ${batchValues} values (at most ${MAX_BATCH_VALUES})`);
  }
  if (typeof s.learningRate !== 'number') bad(`settings.learningRate must be a number, got ${JSON.stringify(s.learningRate)}`);
  if (!optimizerNames().includes(s.optimizer as string)) bad(`settings.optimizer ${JSON.stringify(s.optimizer)} is unknown`);
  if (s.sampling !== 'replacement' && s.sampling !== 'shuffle') bad(`settings.sampling ${JSON.stringify(s.sampling)} is unknown`);
  if (s.evaluate !== 'epoch' && s.evaluate !== false) bad(`settings.evaluate ${JSON.stringify(s.evaluate)} is unknown`);
  if (s.dtype !== 'float32' && s.dtype !== 'float64') bad(`settings.dtype ${JSON.stringify(s.dtype)} is unknown`);
  const e = s.earlyStopping;
  if (e !== undefined && !(isObject(e) && isCount(e.patience) && (e.patience as number) >= 1 && typeof e.minDelta === 'number' && (e.minDelta as number) >= 0)) {
    bad(`settings.earlyStopping must be { patience ≥ 1, minDelta ≥ 0 }, got ${JSON.stringify(e)}`);
  }
  if (s.validationCount !== undefined && !isCount(s.validationCount)) bad(`settings.validationCount must be a non-negative integer, got ${JSON.stringify(s.validationCount)}`);
  if ((m.iteration as number) > (s.totalIterations as number)) bad(`iteration ${m.iteration} is past the run's ${s.totalIterations}`);
  if (!isObject(m.meta)) bad('meta must be an object');
  if (m.spare !== null && typeof m.spare !== 'number') bad(`spare must be a number or null, got ${JSON.stringify(m.spare)}`);
  const o = m.optimizer;
  if (!isObject(o) || !optimizerNames().includes(o.name as string)) return bad(`optimizer ${JSON.stringify(isObject(o) ? o.name : o)} is unknown`);
  if (!isObject(o.hyper) || !Object.values(o.hyper).every((v) => typeof v === 'number')) bad('optimizer.hyper must be an object of numbers');
  if (!isCount(o.step)) bad(`optimizer.step must be a non-negative integer, got ${JSON.stringify(o.step)}`);
  if (!Array.isArray(m.epochs)) return bad('epochs must be an array');
  m.epochs.forEach((e: unknown, i) => {
    if (!isObject(e)) return bad(`epochs[${i}] is not an object`);
    for (const key of ['epoch', 'iteration', 'loss', 'elapsedMs']) if (typeof e[key] !== 'number') bad(`epochs[${i}].${key} must be a number`);
    if ((e.iteration as number) > (m as { iteration: number }).iteration) bad(`epochs[${i}] is at iteration ${e.iteration}, after the checkpoint's ${m.iteration}`);
  });
  if (!isObject(m.timing)) return bad('has no timing');
  for (const key of ['wallTimeMs', 'evalTimeMs', 'checkpointTimeMs']) if (typeof m.timing[key] !== 'number') bad(`timing.${key} must be a number`);
  const early = m.early;
  if (early !== undefined) {
    if (s.earlyStopping === undefined) bad('has an early stopping state, the settings have no earlyStopping');
    if (!isObject(early) || !isCount(early.sinceBest) || typeof early.bestScore !== 'number') return bad('early must be { bestIteration, bestScore, sinceBest }');
    // the best epoch is one of the epochs recorded
    if (!m.epochs.some((r) => isObject(r) && r.iteration === early.bestIteration)) bad(`early.bestIteration ${JSON.stringify(early.bestIteration)} is no epoch's end`);
  }
  return m;
}

// the tensors after the run state: losses, generator, permutation, optimizer buffers
function readTensors(file: SafetensorsFile, m: Record<string, unknown>, net: Sequential, bad: (what: string) => never): Pick<CheckpointData, 'losses' | 'order' | 'random' | 'optimizer' | 'early'> {
  const settings = m.settings as unknown as CheckpointSettings;
  const iteration = m.iteration as number;
  const loss = file.tensors.loss;
  if (loss === undefined || loss.dtype !== 'float64' || loss.data.length !== iteration) bad(`'loss' must hold ${iteration} float64 values`);
  const words = file.integers.random;
  if (words === undefined || words.dtype !== 'uint32' || words.data.length !== 4) bad(`'random' must hold 4 uint32 words`);
  const random: RandomState = { algorithm: 'xoshiro128**', s: Array.from(words!.data) as RandomState['s'], spare: m.spare as number | null };
  try {
    Random.fromState(random);
  } catch (e) {
    bad(`random: ${(e as Error).message}`);
  }
  let order: Int32Array | undefined;
  if (settings.sampling === 'shuffle') {
    const t = file.integers.order;
    const n = settings.trainCount;
    if (t === undefined || t.dtype !== 'int32' || t.data.length !== n) return bad(`'order' must hold ${n} int32 indices`);
    // a permutation of 0..n-1, or the next epochs would see some examples twice and others never
    const seen = new Uint8Array(n);
    for (const k of t.data as Int32Array) {
      if (!(k >= 0 && k < n) || seen[k]) bad(`'order' is not a permutation of 0..${n - 1}`);
      seen[k] = 1;
    }
    order = t.data as Int32Array;
  }
  // every optimizer buffer belongs to a parameter of the network and has its size and dtype
  const o = m.optimizer as { name: string; hyper: Record<string, number>; step: number };
  const buffers: Record<string, FloatArray> = {};
  for (const [name, t] of Object.entries(file.tensors)) {
    if (!name.startsWith('optimizer.')) continue;
    const key = name.slice('optimizer.'.length);
    const paramName = key.slice(key.indexOf('.') + 1);
    const param = net.params[paramName];
    if (key.indexOf('.') < 0 || param === undefined) bad(`buffer '${key}' names no parameter of the network (${Object.keys(net.params).join(', ')})`);
    if (t.shape.length !== 1 || t.data.length !== param!.size || t.dtype !== param!.dtype) {
      bad(`buffer '${key}' is [${t.shape.join(', ')}] ${t.dtype}, parameter '${paramName}' is ${param!.size} ${param!.dtype} values`);
    }
    buffers[key] = t.data;
  }
  // early stopping's best weights: one per parameter of the network, of its size and dtype, when the state says there is a best
  const e = m.early as Omit<EarlyStoppingState, 'weights'> | undefined;
  const weights: Record<string, FloatArray> = {};
  for (const [name, t] of Object.entries(file.tensors)) {
    if (!name.startsWith('best.')) continue;
    const key = name.slice('best.'.length);
    const param = net.params[key];
    if (e === undefined || param === undefined) bad(`'${name}' ${e === undefined ? 'without an early stopping state' : `names no parameter of the network (${Object.keys(net.params).join(', ')})`}`);
    if (t.shape.length !== 1 || t.data.length !== param!.size || t.dtype !== param!.dtype) {
      bad(`'${name}' is [${t.shape.join(', ')}] ${t.dtype}, parameter '${key}' is ${param!.size} ${param!.dtype} values`);
    }
    weights[key] = t.data;
  }
  if (e !== undefined) for (const key of Object.keys(net.params)) if (weights[key] === undefined) bad(`early stopping's weights lack 'best.${key}'`);
  return {
    losses: loss!.data as Float64Array, random, order, optimizer: { name: o.name, hyper: o.hyper, step: o.step, buffers },
    ...(e !== undefined ? { early: { bestIteration: e.bestIteration, bestScore: e.bestScore, sinceBest: e.sinceBest, weights } } : {}),
  };
}

// the checkpoint in dir, checked whole (checksum) and in every part; the network is built on `backend`
export async function readCheckpoint(dir: string, options: { backend?: Backend } = {}): Promise<Checkpoint> {
  const root = resolve(dir);
  if (!existsSync(root)) throw new CheckpointError(dir, `checkpoint directory not found: ${dir}`);
  if (!statSync(root).isDirectory()) throw new CheckpointError(dir, `checkpoint path is not a directory: ${dir}`);
  const path = join(root, CHECKPOINT_FILE);
  if (!existsSync(path)) {
    if (existsSync(join(root, VERSION_1_MANIFEST))) {
      throw new CheckpointError(dir, `${dir} holds a version 1 checkpoint (${VERSION_1_MANIFEST} and three files); this blasprop reads version ${CHECKPOINT_VERSION} (one ${CHECKPOINT_FILE}): finish that run with the blasprop that started it, or start a new one`);
    }
    throw new CheckpointError(dir, `no checkpoint in ${dir} (${CHECKPOINT_FILE} is missing)`);
  }
  const bad = (what: string): never => {
    throw new CheckpointError(dir, `${path} is corrupt: ${what}`);
  };
  const buf = readRegular(path, bufferConstants.MAX_LENGTH, (problem) => {
    throw new CheckpointError(dir, `${path}: ${problem}`);
  });
  let file: SafetensorsFile;
  try {
    file = decodeSafetensors(buf, path);
  } catch (e) {
    throw new CheckpointError(dir, `${(e as Error).message}`);
  }
  const md = file.metadata;
  if (md.format !== CHECKPOINT_FORMAT) bad(`__metadata__.format is ${JSON.stringify(md.format)}, expected "${CHECKPOINT_FORMAT}"`);
  if (md.version !== String(CHECKPOINT_VERSION)) bad(`checkpoint version ${JSON.stringify(md.version)} is not supported (this blasprop reads ${CHECKPOINT_VERSION})`);
  // the checksum: the file as written, with its own checksum zeroed
  const sum = md.sha256 ?? '';
  const at = buf.indexOf(`"sha256":"${sum}"`);
  if (!/^[0-9a-f]{64}$/.test(sum) || at < 0) bad('__metadata__.sha256 is missing or malformed');
  const zeroed = Buffer.from(buf);
  zeroed.write(ZERO_SUM, at + '"sha256":"'.length, 'latin1');
  if (sha256(zeroed) !== sum) bad('its sha256 checksum does not match its contents (the file was changed or damaged)');

  const m = parseState(md.state ?? '', bad);
  const settings = m.settings as unknown as CheckpointSettings;
  // the network, from the model.* tensors and the model's own metadata
  let modelMetadata: unknown;
  try {
    modelMetadata = JSON.parse(md.model ?? '');
  } catch {
    bad('__metadata__.model is not valid JSON');
  }
  if (!isObject(modelMetadata) || !Object.values(modelMetadata).every((v) => typeof v === 'string')) return bad('__metadata__.model must be an object of strings');
  const modelTensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(file.tensors)) if (name.startsWith('model.')) modelTensors[name.slice('model.'.length)] = t;
  let model: LoadedModel;
  try {
    // a diverged run is a run too: its NaN weights resume as they were
    model = modelFromFile(path, { tensors: modelTensors, integers: {}, metadata: modelMetadata as Record<string, string> }, { backend: options.backend, allowNonFinite: true });
  } catch (e) {
    throw new CheckpointError(dir, (e as Error).message);
  }
  if (model.net.dtype !== settings.dtype) bad(`the network is ${model.net.dtype}, the settings say ${settings.dtype}`);
  const inputs = inputWidth(model.architecture);
  if (inputs !== settings.features) bad(`the network takes ${inputs} inputs, the settings say the data has ${settings.features} features`);
  const o = m.optimizer as { name: string };
  if (o.name !== settings.optimizer) bad(`it holds ${o.name} state, the settings say the run uses ${settings.optimizer}`);

  return {
    dir: root,
    iteration: m.iteration as number,
    status: m.status as CheckpointStatus,
    every: m.every as number,
    settings,
    meta: m.meta as Record<string, unknown>,
    ...readTensors(file, m, model.net, bad),
    epochs: m.epochs as EpochRecord[],
    timing: m.timing as unknown as CheckpointTiming,
    model,
    file: path,
  };
}
