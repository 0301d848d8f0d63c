// continuing a checkpointed run: the options that fix its trajectory come from the checkpoint, an
// option given again must agree with it (one check, used by Trainer.resume and the CLI's --resume),
// and the data must be the data it was trained on.

import type { Checkpoint } from './checkpoint.js';
import type { Dataset } from './dataset.js';
import type { TrainerOptions } from './options.js';

// the options that fix the trajectory, as the checkpoint has them
export type SavedOptions = Required<Pick<TrainerOptions, 'batchSize' | 'learningRate' | 'optimizerOptions' | 'seed' | 'sampling'>> &
  Pick<TrainerOptions, 'iterations' | 'epochs'> & { optimizer: string; earlyStopping?: { patience: number; minDelta: number } };

export function savedOptions(ckpt: Checkpoint): SavedOptions {
  const s = ckpt.settings;
  const { lr, ...optimizerOptions } = ckpt.optimizer.hyper;
  return {
    ...(s.epochs !== undefined ? { epochs: s.epochs } : { iterations: s.iterations }),
    batchSize: s.batchSize,
    learningRate: lr!,
    optimizer: s.optimizer,
    optimizerOptions,
    seed: s.seed,
    sampling: s.sampling,
    ...(s.earlyStopping !== undefined ? { earlyStopping: s.earlyStopping } : {}),
  };
}

// an option given for a resumed run that says otherwise than its checkpoint
export interface ResumeConflict {
  // the option's name ('batchSize', 'optimizerOptions.momentum', …)
  option: string;
  given: unknown;
  saved: unknown;
}

// the first option in `given` that contradicts the checkpoint, or undefined when all agree
export function findResumeConflict(ckpt: Checkpoint, given: TrainerOptions): ResumeConflict | undefined {
  const saved = savedOptions(ckpt);
  const pairs: [string, unknown, unknown][] = [
    ['iterations', given.iterations, saved.iterations],
    ['epochs', given.epochs, saved.epochs],
    ['batchSize', given.batchSize, saved.batchSize],
    ['learningRate', given.learningRate, saved.learningRate],
    ['seed', given.seed, saved.seed],
    ['sampling', given.sampling, saved.sampling],
    ['optimizer', typeof given.optimizer === 'object' && given.optimizer !== null ? given.optimizer.name : given.optimizer, saved.optimizer],
    ...Object.entries(given.optimizerOptions ?? {}).map(([k, v]): [string, unknown, unknown] => [`optimizerOptions.${k}`, v, saved.optimizerOptions[k]]),
    // a run saved without early stopping has none to agree with
    ['earlyStopping.patience', given.earlyStopping?.patience, saved.earlyStopping?.patience ?? 'no early stopping'],
    ['earlyStopping.minDelta', given.earlyStopping?.minDelta, saved.earlyStopping?.minDelta ?? 'no early stopping'],
  ];
  for (const [option, g, s] of pairs) if (g !== undefined && g !== s) return { option, given: g, saved: s };
  return undefined;
}

// a resumed run must see the data it was trained on: the same counts make the same epochs and batches
export function checkResumeData(ckpt: Checkpoint, train: Dataset, validation: Dataset | undefined, test: Dataset | undefined): void {
  const s = ckpt.settings;
  const testCount = test?.count ?? 0;
  const fail = (what: string): never => {
    throw new RangeError(`Trainer.fit: the checkpoint in ${ckpt.dir} ${what}`);
  };
  if (train.count !== s.trainCount) fail(`was trained on ${s.trainCount} examples, this training set has ${train.count}`);
  if (train.features !== s.features) fail(`has ${s.features} features per example, this training set has ${train.features}`);
  if (testCount !== s.testCount) fail(`was tested on ${s.testCount} examples, this test set has ${testCount}`);
  // early stopping watches the validation set: another one would stop elsewhere (older checkpoints did not record it)
  const validationCount = validation?.count ?? 0;
  if (s.validationCount !== undefined && validationCount !== s.validationCount) fail(`was validated on ${s.validationCount} examples, this validation set has ${validationCount}`);
}
