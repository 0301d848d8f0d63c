// many trainings at once: a sweep over configurations, each run in a worker of its own, as many at a
// time as there are cores. small code instead of a pool library: every run is seconds long and wants
// its own progress events, its own thread settings and its own failure, so a fresh worker per run
// (~50 ms to start, against seconds of training) is what a pool would give, without its task protocol.

import { availableParallelism } from 'node:os';
import type { Sequential } from '../nn/sequential.js';
import type { TrainingData } from '../train/trainer.js';
import { shareTrainingData, type SharedTrainingData } from './share.js';
import { trainInWorker, type WorkerResult, type WorkerTrainingOptions } from './train-in-worker.js';

export interface SweepRun {
  // the starting network (or a model file's bytes); each run trains its own copy
  net: Sequential | Uint8Array;
  // give each run a seed to make it reproducible alone (without one, its history records the seed it drew)
  options?: WorkerTrainingOptions;
}

export interface SweepOptions {
  // runs at a time (default: the cores, os.availableParallelism())
  workers?: number;
}

// like Promise.allSettled: one failing run does not lose the others
export type SweepResult = { status: 'fulfilled'; value: WorkerResult } | { status: 'rejected'; reason: unknown };

export async function sweep(runs: readonly SweepRun[], data: TrainingData | SharedTrainingData, options: SweepOptions = {}): Promise<SweepResult[]> {
  if (!Array.isArray(runs)) throw new TypeError('sweep: runs must be an array of { net, options }');
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`sweep: workers must be an integer ≥ 1, got ${workers}`);
  // one shared copy of the data for every run
  const shared = shareTrainingData(data);
  const results = new Array<SweepResult>(runs.length);
  let next = 0;
  // each lane takes the next run when its last one ends, so a slow run never holds a core idle
  const lane = async (): Promise<void> => {
    while (next < runs.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await trainInWorker(runs[i]!.net, shared, runs[i]!.options).result };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, runs.length) }, lane));
  return results;
}
