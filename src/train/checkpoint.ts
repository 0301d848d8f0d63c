// checkpoints: everything a training run needs to continue exactly where it was, in one directory.
//
// one checkpoint is a manifest and the three files it names:
//   checkpoint.json                            the manifest: the iteration reached, the run's settings and meta,
//                                              the sampling RNG state, the epoch records, the timings, and each
//                                              file's name, size and sha256
//   model-<iteration>-<tag>.safetensors        the network, in saveModel's format (blasprop eval reads it as is)
//   optimizer-<iteration>-<tag>.safetensors    the optimizer's state buffers as tensors ('m.W1', …);
//                                              its name, hyperparameters and step count in __metadata__
//   progress-<iteration>-<tag>.safetensors     'loss': every iteration's loss so far (F64); 'order': for
//                                              'shuffle' sampling, the current epoch's permutation (F64, exact)
//
// the commit: the three files are written, each atomically, under names no earlier checkpoint used; then
// the manifest is written atomically, and only after that are files it does not name removed. a crash at
// any instant therefore leaves checkpoint.json naming a complete set of files: the old set or the new one.
// reading goes through the manifest, and a file whose size or hash differs from it is refused.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Backend } from '../backend/types.js';
import { writeFileAtomic } from '../io/atomic.js';
import { decodeModel, encodeModel, type LoadedModel } from '../io/model.js';
import { decodeSafetensors, encodeSafetensors, type Tensor } from '../io/safetensors.js';
import type { DType, FloatArray } from '../matrix.js';
import type { Sequential } from '../nn/sequential.js';
import { optimizerNames, type OptimizerStateDict } from '../optim/index.js';
import { Random, type RandomState } from '../random.js';
import type { EpochRecord, StopReason } from './history.js';

export const CHECKPOINT_FORMAT = 'blasprop-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const MANIFEST_NAME = 'checkpoint.json';
const OPTIMIZER_FORMAT = 'blasprop-optimizer-state';

// what fixes a run's trajectory (and its history's shape); a resumed run must use the same
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
}

export interface Checkpoint extends CheckpointData {
  dir: string;
  model: LoadedModel;
  // the files of this checkpoint, absolute paths
  files: { manifest: string; model: string; optimizer: string; progress: string };
}

export interface WriteCheckpointOptions {
  // test hook: runs after the data files are in place, before the manifest commits them;
  // throwing here is a crash at the worst moment
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

interface FileEntry {
  name: string;
  bytes: number;
  sha256: string;
}

type FileKind = 'model' | 'optimizer' | 'progress';
const KINDS: readonly FileKind[] = ['model', 'optimizer', 'progress'];
// our data files (and the temp files of their atomic writes); nothing else in the directory is touched
const OURS = /^(model|optimizer|progress)-\d+-[0-9a-f]+\.safetensors(\.\d+\.[0-9a-f]+\.tmp)?$/;
const MANIFEST_TMP = /^checkpoint\.json\.\d+\.[0-9a-f]+\.tmp$/;

function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

// JSON has no NaN or Infinity (a diverged loss is NaN): they are written as strings and read back
function jsonNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

function readNumber(v: unknown): unknown {
  return v === 'NaN' || v === 'Infinity' || v === '-Infinity' ? Number(v) : v;
}

function encodeEpoch(e: EpochRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) out[k] = typeof v === 'number' ? jsonNumber(v) : v;
  return out;
}

function float64(data: ArrayLike<number>): Float64Array {
  return data instanceof Float64Array ? data : Float64Array.from(data);
}

function optimizerFile(state: OptimizerStateDict): Buffer {
  const tensors: Record<string, Tensor> = {};
  for (const [key, b] of Object.entries(state.buffers)) tensors[key] = { dtype: b instanceof Float32Array ? 'float32' : 'float64', shape: [b.length], data: b };
  return encodeSafetensors(tensors, {
    format: OPTIMIZER_FORMAT,
    name: state.name,
    hyper: JSON.stringify(state.hyper),
    step: String(state.step),
  });
}

function progressFile(data: CheckpointData): Buffer {
  const tensors: Record<string, Tensor> = { loss: { dtype: 'float64', shape: [data.losses.length], data: float64(data.losses) } };
  if (data.order !== undefined) tensors.order = { dtype: 'float64', shape: [data.order.length], data: Float64Array.from(data.order) };
  return encodeSafetensors(tensors, { format: 'blasprop-progress', iteration: String(data.iteration) });
}

// write one checkpoint into dir (made if needed); resolves with the manifest's path once it is committed
export async function writeCheckpoint(dir: string, net: Sequential, data: CheckpointData, options: WriteCheckpointOptions = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  // a fresh tag: no file of the current checkpoint is ever overwritten, even at the same iteration
  const tag = `${String(data.iteration).padStart(9, '0')}-${randomBytes(4).toString('hex')}`;
  const training = { checkpoint: true, iteration: data.iteration, status: data.status, ...data.settings, meta: data.meta };
  const buffers: Record<FileKind, Buffer> = {
    model: encodeModel(net, training),
    optimizer: optimizerFile(data.optimizer),
    progress: progressFile(data),
  };
  const files = {} as Record<FileKind, FileEntry>;
  for (const kind of KINDS) {
    const name = `${kind}-${tag}.safetensors`;
    await writeFileAtomic(join(dir, name), buffers[kind]);
    files[kind] = { name, bytes: buffers[kind].byteLength, sha256: sha256(buffers[kind]) };
  }
  await options.beforeCommit?.(KINDS.map((k) => join(dir, files[k].name)));
  const manifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    iteration: data.iteration,
    status: data.status,
    every: data.every,
    savedAt: new Date().toISOString(),
    files,
    settings: { ...data.settings, learningRate: jsonNumber(data.settings.learningRate) },
    meta: data.meta,
    random: data.random,
    epochs: data.epochs.map(encodeEpoch),
    timing: {
      wallTimeMs: jsonNumber(data.timing.wallTimeMs),
      evalTimeMs: jsonNumber(data.timing.evalTimeMs),
      checkpointTimeMs: jsonNumber(data.timing.checkpointTimeMs),
    },
  };
  const path = join(dir, MANIFEST_NAME);
  // the commit: from here on the new files are the checkpoint
  await writeFileAtomic(path, JSON.stringify(manifest, null, 1) + '\n');
  await removeStale(dir, new Set(KINDS.map((k) => files[k].name)));
  return path;
}

// files of superseded (or half-written) checkpoints; best effort, a leftover file harms nothing
async function removeStale(dir: string, keep: Set<string>): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (keep.has(name) || !(OURS.test(name) || MANIFEST_TMP.test(name))) continue;
    await unlink(join(dir, name)).catch(() => {});
  }
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, MANIFEST_NAME));
}

// ---------- reading ----------

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseManifest(path: string, text: string): Record<string, unknown> {
  const bad = (what: string): never => {
    throw new CheckpointError(path, `${path} is corrupt: ${what}`);
  };
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    return bad(`not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(m)) return bad('not a JSON object');
  if (m.format !== CHECKPOINT_FORMAT) return bad(`format is ${JSON.stringify(m.format)}, expected "${CHECKPOINT_FORMAT}"`);
  if (m.version !== CHECKPOINT_VERSION) bad(`version ${JSON.stringify(m.version)} is not supported (this blasprop reads ${CHECKPOINT_VERSION})`);
  if (!isCount(m.iteration)) bad(`iteration must be a non-negative integer, got ${JSON.stringify(m.iteration)}`);
  if (!['running', 'completed', 'stopped', 'aborted'].includes(m.status as string)) bad(`status ${JSON.stringify(m.status)} is unknown`);
  if (!isCount(m.every) || m.every < 1) bad(`every must be a positive integer, got ${JSON.stringify(m.every)}`);
  if (!isObject(m.files)) return bad('has no files');
  for (const kind of KINDS) {
    const f = m.files[kind];
    if (!isObject(f) || typeof f.name !== 'string' || !/^[\w.-]+$/.test(f.name) || !isCount(f.bytes) || typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) {
      bad(`files.${kind} must be { name, bytes, sha256 }, got ${JSON.stringify(f)}`);
    }
  }
  const s = m.settings;
  if (!isObject(s)) return bad('has no settings');
  s.learningRate = readNumber(s.learningRate);
  for (const key of ['totalIterations', 'iterationsPerEpoch', 'batchSize', 'seed', 'evalBatchSize', 'trainCount', 'testCount', 'features'] as const) {
    if (!isCount(s[key])) bad(`settings.${key} must be a non-negative integer, got ${JSON.stringify(s[key])}`);
  }
  for (const key of ['iterations', 'epochs'] as const) if (s[key] !== undefined && !isCount(s[key])) bad(`settings.${key} must be a positive integer, got ${JSON.stringify(s[key])}`);
  if ((s.iterations === undefined) === (s.epochs === undefined)) bad('settings must hold iterations or epochs (one of them)');
  if (typeof s.learningRate !== 'number') bad(`settings.learningRate must be a number, got ${JSON.stringify(s.learningRate)}`);
  if (!optimizerNames().includes(s.optimizer as string)) bad(`settings.optimizer ${JSON.stringify(s.optimizer)} is unknown`);
  if (s.sampling !== 'replacement' && s.sampling !== 'shuffle') bad(`settings.sampling ${JSON.stringify(s.sampling)} is unknown`);
  if (s.evaluate !== 'epoch' && s.evaluate !== false) bad(`settings.evaluate ${JSON.stringify(s.evaluate)} is unknown`);
  if (s.dtype !== 'float32' && s.dtype !== 'float64') bad(`settings.dtype ${JSON.stringify(s.dtype)} is unknown`);
  if ((m.iteration as number) > (s.totalIterations as number)) bad(`iteration ${m.iteration} is past the run's ${s.totalIterations}`);
  if (!isObject(m.meta)) bad('meta must be an object');
  try {
    Random.fromState(m.random as RandomState);
  } catch (e) {
    bad(`random: ${(e as Error).message}`);
  }
  if (!Array.isArray(m.epochs)) return bad('epochs must be an array');
  m.epochs = m.epochs.map((e: unknown, i) => {
    if (!isObject(e)) return bad(`epochs[${i}] is not an object`);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(e)) out[k] = readNumber(v);
    for (const key of ['epoch', 'iteration', 'loss', 'elapsedMs']) if (typeof out[key] !== 'number') bad(`epochs[${i}].${key} must be a number`);
    if ((out.iteration as number) > (m as { iteration: number }).iteration) bad(`epochs[${i}] is at iteration ${out.iteration}, after the checkpoint's ${m.iteration}`);
    return out;
  });
  if (!isObject(m.timing)) return bad('has no timing');
  for (const key of ['wallTimeMs', 'evalTimeMs', 'checkpointTimeMs']) {
    m.timing[key] = readNumber(m.timing[key]);
    if (typeof m.timing[key] !== 'number') bad(`timing.${key} must be a number`);
  }
  return m;
}

// a data file, checked against the manifest before it is decoded
async function readChecked(dir: string, kind: FileKind, entry: FileEntry): Promise<{ path: string; buf: Buffer }> {
  const path = join(dir, entry.name);
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(dir, `${path} (the checkpoint's ${kind} file) ${code === 'ENOENT' ? 'is missing' : `cannot be read: ${(e as Error).message}`}`);
  }
  if (buf.byteLength !== entry.bytes) {
    throw new CheckpointError(dir, `${path} is corrupt: ${buf.byteLength} bytes, the manifest says ${entry.bytes}${buf.byteLength < entry.bytes ? ' (truncated)' : ''}`);
  }
  if (sha256(buf) !== entry.sha256) throw new CheckpointError(dir, `${path} is corrupt: its sha256 differs from the manifest's`);
  return { path, buf };
}

// a decoding error from the safetensors or model reader, as a checkpoint error (its message names the file)
function decoding<T>(dir: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(dir, (e as Error).message);
  }
}

function readOptimizer(dir: string, path: string, buf: Buffer, net: Sequential): OptimizerStateDict {
  const file = decoding(dir, () => decodeSafetensors(buf, path));
  const bad = (what: string): never => {
    throw new CheckpointError(dir, `${path} is corrupt: ${what}`);
  };
  const md = file.metadata;
  if (md.format !== OPTIMIZER_FORMAT) bad(`__metadata__.format is ${JSON.stringify(md.format)}, expected "${OPTIMIZER_FORMAT}"`);
  if (!optimizerNames().includes(md.name as string)) bad(`unknown optimizer ${JSON.stringify(md.name)}`);
  let hyper: unknown;
  try {
    hyper = JSON.parse(md.hyper ?? '');
  } catch {
    bad('__metadata__.hyper is not valid JSON');
  }
  if (!isObject(hyper) || !Object.values(hyper).every((v) => typeof v === 'number')) bad('__metadata__.hyper must be an object of numbers');
  const step = Number(md.step);
  if (!/^\d+$/.test(md.step ?? '') || !Number.isSafeInteger(step)) bad(`__metadata__.step must be an integer, got ${JSON.stringify(md.step)}`);
  // every buffer belongs to a parameter of the network and has its size and dtype
  const buffers: Record<string, FloatArray> = {};
  for (const [key, t] of Object.entries(file.tensors)) {
    const param = net.params[key.slice(key.indexOf('.') + 1)];
    if (key.indexOf('.') < 0 || param === undefined) bad(`buffer '${key}' names no parameter of the network (${Object.keys(net.params).join(', ')})`);
    if (t.shape.length !== 1 || t.data.length !== param!.size || t.dtype !== param!.dtype) {
      bad(`buffer '${key}' is [${t.shape.join(', ')}] ${t.dtype}, parameter '${key.slice(key.indexOf('.') + 1)}' is ${param!.size} ${param!.dtype} values`);
    }
    buffers[key] = t.data;
  }
  return { name: md.name as string, hyper: hyper as Record<string, number>, step, buffers };
}

function readProgress(dir: string, path: string, buf: Buffer, iteration: number, settings: CheckpointSettings): { losses: Float64Array; order?: Int32Array } {
  const file = decoding(dir, () => decodeSafetensors(buf, path));
  const bad = (what: string): never => {
    throw new CheckpointError(dir, `${path} is corrupt: ${what}`);
  };
  const loss = file.tensors.loss;
  if (loss === undefined || loss.dtype !== 'float64' || loss.data.length !== iteration) bad(`'loss' must hold ${iteration} float64 values`);
  const out: { losses: Float64Array; order?: Int32Array } = { losses: loss!.data as Float64Array };
  if (settings.sampling === 'shuffle') {
    const t = file.tensors.order;
    const n = settings.trainCount;
    if (t === undefined || t.data.length !== n) return bad(`'order' must hold ${n} indices`);
    // a permutation of 0..n-1, or the next epochs would see some examples twice and others never
    const order = new Int32Array(n);
    const seen = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const k = t.data[i]!;
      if (!(Number.isInteger(k) && k >= 0 && k < n) || seen[k]) bad(`'order' is not a permutation of 0..${n - 1}`);
      seen[k] = 1;
      order[i] = k;
    }
    out.order = order;
  }
  return out;
}

// the checkpoint dir's manifest names, loaded and checked; the network is built on `backend`
export async function readCheckpoint(dir: string, options: { backend?: Backend } = {}): Promise<Checkpoint> {
  const root = resolve(dir);
  if (!existsSync(root)) throw new CheckpointError(dir, `checkpoint directory not found: ${dir}`);
  if (!statSync(root).isDirectory()) throw new CheckpointError(dir, `checkpoint path is not a directory: ${dir}`);
  const manifestPath = join(root, MANIFEST_NAME);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CheckpointError(dir, `no checkpoint in ${dir} (${MANIFEST_NAME} is missing)`);
    throw new CheckpointError(dir, `${manifestPath} cannot be read: ${(e as Error).message}`);
  }
  const m = parseManifest(manifestPath, text);
  const files = m.files as Record<FileKind, FileEntry>;
  const settings = m.settings as unknown as CheckpointSettings;
  const iteration = m.iteration as number;

  const model = await readChecked(root, 'model', files.model);
  const loaded = decoding(dir, () => decodeModel(model.buf, model.path, { backend: options.backend }));
  if (loaded.net.dtype !== settings.dtype) throw new CheckpointError(dir, `${model.path} is ${loaded.net.dtype}, the manifest says ${settings.dtype}`);
  const inputs = (loaded.architecture.layers.find((l) => l.type === 'affine') as { inputs: number }).inputs;
  if (inputs !== settings.features) throw new CheckpointError(dir, `${model.path} takes ${inputs} inputs, the manifest says the data has ${settings.features} features`);
  const opt = await readChecked(root, 'optimizer', files.optimizer);
  const optimizer = readOptimizer(dir, opt.path, opt.buf, loaded.net);
  if (optimizer.name !== settings.optimizer) throw new CheckpointError(dir, `${opt.path} holds ${optimizer.name} state, the manifest says the run uses ${settings.optimizer}`);
  const prog = await readChecked(root, 'progress', files.progress);
  const progress = readProgress(dir, prog.path, prog.buf, iteration, settings);

  return {
    dir: root,
    iteration,
    status: m.status as CheckpointStatus,
    every: m.every as number,
    settings,
    meta: m.meta as Record<string, unknown>,
    random: m.random as RandomState,
    ...progress,
    epochs: m.epochs as EpochRecord[],
    optimizer,
    timing: m.timing as unknown as CheckpointTiming,
    model: loaded,
    files: { manifest: manifestPath, model: model.path, optimizer: opt.path, progress: prog.path },
  };
}
