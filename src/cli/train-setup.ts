// a training run made ready from train's flags: a fresh one with the book's defaults filled in, or
// one resumed from its checkpoint, whose settings the flags may repeat but never contradict.

import type { Backend } from '../backend/index.js';
import type { Mnist } from '../data/mnist.js';
import type { DType } from '../matrix.js';
import { describeArchitecture } from '../io/model.js';
import { buildNetwork, mlp, MLP_DEFAULTS, parseLayers, SimpleConvNet, TwoLayerNet, type Activation, type Network, type Sequential, type WeightInit } from '../nn/index.js';
import { randomSeed } from '../random.js';
import type { Checkpoint } from '../train/checkpoint.js';
import type { Sampling, TrainerOptions } from '../train/options.js';
import { findResumeConflict } from '../train/resume.js';
import { Trainer, type TrainingData } from '../train/trainer.js';
import type { DataInfo } from '../io/model.js';
import { UsageError } from './args.js';
import { activationsOf, convText, loadData, networkName, sizesOf } from './data.js';

// the flags of train that shape the network and the trajectory, as given (undefined when left out)
export interface GivenFlags {
  // a conv net: the book's SimpleConvNet, or a layer list (parseLayers' form)
  model?: 'mlp' | 'simple-conv';
  net?: string;
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

export interface PreparedRun {
  trainer: Trainer;
  data: Mnist | TrainingData;
  // a CSV run: what the saved model keeps about its data, and the file's name for titles
  dataInfo?: DataInfo;
  dataName?: string;
  sizes: number[];
  // 784-50-10, or a conv net's layer list
  name: string;
  netText: string;
  dtype: DType;
  total: number;
  header: string;
  resumedAt?: number;
  // the trainer options without the callbacks (what --worker hands to the worker): a fresh run's all,
  // a resumed run's those it may set beside its checkpoint
  options?: TrainerOptions;
}

// --hidden's default: the book's 50 units
export const DEFAULT_HIDDEN = 50;

export type RunCallbacks = Pick<ConstructorParameters<typeof Trainer>[1] & object, 'signal' | 'onBatchEnd' | 'onEpochEnd'>;

function describeNet(sizes: readonly number[], activation: Activation, init: WeightInit, dtype: DType): string {
  return `${sizes.join('-')} (${sizes.length > 2 ? `${activation}, ` : ''}init ${init}, ${dtype})`;
}

// the trainer options the flags give (undefined when left out: the trainer fills in its defaults)
function trainerOptionsOf(given: GivenFlags): TrainerOptions {
  return { iterations: given.iterations, epochs: given.epochs, batchSize: given.batch, learningRate: given.lr, optimizer: given.optimizer, sampling: given.sampling };
}

// trainer option → the flag that sets it
const FLAG_OF: Readonly<Record<string, string>> = { iterations: 'iterations', epochs: 'epochs', batchSize: 'batch', learningRate: 'lr', optimizer: 'optimizer', sampling: 'sampling' };

// --resume takes all of these from the checkpoint; one that says otherwise is a mistake, not an override.
// the trainer's own check covers its options; the network's flags and the CLI's seed are checked here
export function checkResumeFlags(given: GivenFlags, ckpt: Checkpoint, dir: string): void {
  const s = ckpt.settings;
  const meta = ckpt.meta;
  const contradicts = (flag: string, value: unknown, saved: string): never => {
    throw new UsageError(`--${flag} ${String(value)} contradicts the checkpoint in ${dir}, which has ${saved}; leave the flag out to continue the saved run`);
  };
  const savedConv = convText(ckpt.model.architecture);
  if (given.model !== undefined || given.net !== undefined) {
    const flag = given.net !== undefined ? `--net ${given.net}` : `--model ${given.model}`;
    const [c, h, w] = (ckpt.model.architecture.layers.find((l) => l.type === 'convolution' || l.type === 'pooling') as { input?: [number, number, number] } | undefined)?.input ?? [1, 1, 1];
    const outputs = sizesOf(ckpt.model.architecture).at(-1)!;
    const wanted = given.model === 'mlp' ? undefined : convText(describeArchitecture(convNet(given, [c, h, w], outputs, 'float64', 0)));
    if (wanted !== savedConv) throw new UsageError(`${flag} contradicts the checkpoint in ${dir}, which has ${networkName(ckpt.model.architecture)}; leave the flag out to continue the saved run`);
  }
  const hidden = sizesOf(ckpt.model.architecture).slice(1, -1);
  const hiddenText = `hidden layers ${hidden.join(',') || '(none)'}`;
  if (given.hidden !== undefined && !(hidden.length === 1 && hidden[0] === given.hidden)) contradicts('hidden', given.hidden, hiddenText);
  if (given.layers !== undefined && given.layers.join(',') !== hidden.join(',')) contradicts('layers', given.layers.join(','), hiddenText);
  const acts = [...new Set(activationsOf(ckpt.model.architecture))];
  if (given.activation !== undefined && acts.some((a) => a !== given.activation)) contradicts('activation', given.activation, `${acts.join(', ')} activations`);
  if (given.init !== undefined && typeof meta.init === 'string' && meta.init !== given.init) contradicts('init', given.init, `init ${meta.init}`);
  if (given.dtype !== undefined && given.dtype !== s.dtype) contradicts('dtype', given.dtype, s.dtype);
  const conflict = findResumeConflict(ckpt, trainerOptionsOf(given));
  if (conflict !== undefined) {
    const flag = FLAG_OF[conflict.option] ?? conflict.option;
    const saved = conflict.option === 'iterations' || conflict.option === 'epochs'
      ? (s.iterations !== undefined ? `${s.iterations} iterations` : `${s.epochs} epochs`)
      : `${flag} ${String(conflict.saved)}`;
    contradicts(flag, conflict.given, saved);
  }
  if (given.seed !== undefined) {
    // the CLI's --seed seeds the weights and, plus one, the batches; a library run records only the latter
    const saved = typeof meta.seed === 'number' ? meta.seed : undefined;
    if (saved !== undefined ? given.seed !== saved : given.seed + 1 !== s.seed) contradicts('seed', given.seed, saved !== undefined ? `seed ${saved}` : `sampling seed ${s.seed}`);
  }
}

// the conv net the flags ask for: SimpleConvNet (its own init, the book's 0.01·randn) or a built one
function convNet(given: GivenFlags, input: [number, number, number], outputs: number, dtype: DType, seed: number, backend?: Backend): Sequential {
  if (given.model === 'simple-conv') return new SimpleConvNet({ input, outputs, dtype, seed, backend });
  try {
    return buildNetwork({ input, layers: parseLayers(given.net!), outputs, init: given.init ?? MLP_DEFAULTS.init, dtype, seed, backend });
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new UsageError(`--net: ${e.message}`);
    throw e;
  }
}

// a conv run's flags: the net's shape comes from --model/--net only, and the book's chapter 7
// settings (Adam, lr 0.001, batch 100, 20 epochs) fill what is left out
function convFlags(given: GivenFlags): GivenFlags {
  if (given.model === 'simple-conv' && given.net !== undefined) throw new UsageError('give --model simple-conv or --net, not both');
  for (const flag of ['hidden', 'layers', 'activation'] as const) {
    if (given[flag] !== undefined) throw new UsageError(`--${flag} shapes an MLP; a conv net's layers come from --model or --net`);
  }
  if (given.model === 'simple-conv' && given.init !== undefined) throw new UsageError('--init does not apply to --model simple-conv (the book initialises it with 0.01·randn); use --net to choose');
  const length = given.iterations === undefined && given.epochs === undefined ? { epochs: 20 } : {};
  return { ...given, optimizer: given.optimizer ?? 'adam', ...length };
}

export function freshRun(given: GivenFlags, dataDir: string | undefined, backend: Backend, threadCount: number, checkpoint: { dir: string; every?: number } | undefined, callbacks: RunCallbacks): PreparedRun {
  const conv = given.model === 'simple-conv' || given.net !== undefined;
  if (given.model === 'mlp' && given.net !== undefined) throw new UsageError('--net describes a conv net; leave out --model mlp');
  if (conv) given = convFlags(given);
  // the network's defaults are mlp's; the hidden width is the CLI's own
  const hidden = given.hidden ?? DEFAULT_HIDDEN;
  const layers = given.layers ?? [hidden];
  const activation = given.activation ?? MLP_DEFAULTS.activation;
  const init = given.init ?? MLP_DEFAULTS.init;
  const dtype = given.dtype ?? MLP_DEFAULTS.dtype;
  const seed = given.seed ?? randomSeed();

  const data = loadData(dataDir, dtype);
  const inputs = data.train.rows * data.train.cols;
  const sizes = [inputs, ...layers, data.train.classes];
  // the book's class when the book's network is asked for; the general builder otherwise
  const net: Network = conv
    ? convNet(given, [1, data.train.rows, data.train.cols], data.train.classes, dtype, seed, backend)
    : given.layers === undefined && init === 'std' && activation === 'relu'
      ? new TwoLayerNet(inputs, hidden, data.train.classes, { dtype, seed, backend })
      : mlp({ sizes, activation, init, dtype, seed, backend });
  const name = conv ? networkName(describeArchitecture(net as Sequential)) : sizes.join('-');
  const netText = conv ? `${name} (init ${given.model === 'simple-conv' ? 'std' : init}, ${dtype})` : describeNet(sizes, activation, init, dtype);
  const options: TrainerOptions = {
    ...trainerOptionsOf(given),
    // a stream of its own, so the batches do not echo the weight draws
    seed: seed + 1,
    // seed: the --seed value, which reproduces the run (weights from it, batches from seed + 1)
    meta: { network: name, ...(conv ? {} : { activation }), init: given.model === 'simple-conv' ? 'std' : init, backend: backend.name, threads: threadCount, seed, samplingSeed: seed + 1 },
    checkpoint,
  };
  let trainer: Trainer;
  try {
    trainer = new Trainer(net, { ...options, ...callbacks });
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  const total = trainer.totalIterations(data.train.count);
  const what = given.epochs !== undefined ? `${given.epochs} epochs` : `${total} iterations`;
  const header =
    `training ${netText} on ${data.train.count} examples, testing on ${data.test.count}\n` +
    `${trainer.optimizer.name} lr ${trainer.learningRate}, batch ${trainer.batchSize}, ${what}, sampling ${trainer.sampling}, seed ${seed}; backend ${backend.name}, ${threadCount} thread${threadCount === 1 ? '' : 's'}\n`;
  return { trainer, data, sizes: conv ? sizesOf(describeArchitecture(net as Sequential)) : sizes, name, netText, dtype, total, header, options };
}

// an MNIST run continued from its checkpoint (train.ts has read it: a missing or damaged one is a
// failure, exit 1; a contradicting flag here a usage error, exit 2)
export async function resumedRun(
  ckpt: Checkpoint,
  given: GivenFlags,
  dataDir: string | undefined,
  backend: Backend,
  threadCount: number,
  checkpoint: { dir: string; every?: number },
  callbacks: RunCallbacks,
): Promise<PreparedRun> {
  checkResumeFlags(given, ckpt, checkpoint.dir);
  const s = ckpt.settings;
  const data = loadData(dataDir, s.dtype);
  const arch = ckpt.model.architecture;
  const sizes = sizesOf(arch);
  const acts = [...new Set(activationsOf(arch))];
  const init = typeof ckpt.meta.init === 'string' ? ckpt.meta.init : undefined;
  const name = networkName(arch);
  const netText = `${name} (${acts.length > 0 && convText(arch) === undefined ? `${acts.join(', ')}, ` : ''}${init !== undefined ? `init ${init}, ` : ''}${s.dtype})`;
  const options: TrainerOptions = {
    // the run's facts stay; where it continues may differ
    meta: { ...ckpt.meta, backend: backend.name, threads: threadCount },
    checkpoint: { dir: checkpoint.dir, every: checkpoint.every ?? ckpt.every },
  };
  const trainer = await Trainer.resume(ckpt, { ...options, ...callbacks });
  const what = s.epochs !== undefined ? `${s.epochs} epochs` : `${s.iterations} iterations`;
  const seed = typeof ckpt.meta.seed === 'number' ? `seed ${ckpt.meta.seed}` : `sampling seed ${s.seed}`;
  const header =
    `resuming ${checkpoint.dir} at iteration ${ckpt.iteration} of ${s.totalIterations}: ${netText} on ${data.train.count} examples, testing on ${data.test.count}\n` +
    `${s.optimizer} lr ${trainer.learningRate}, batch ${s.batchSize}, ${what}, sampling ${s.sampling}, ${seed}; backend ${backend.name}, ${threadCount} thread${threadCount === 1 ? '' : 's'}\n`;
  return { trainer, data, sizes, name, netText, dtype: s.dtype, total: s.totalIterations, header, resumedAt: ckpt.iteration, options };
}
