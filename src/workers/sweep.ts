// many trainings at once: a sweep over configurations on a pool of workers, as many as there are
// cores. small code instead of a pool library: each run wants its own progress events, its own
// thread setting and its own failure, and the pool is a handful of lanes (lane.ts) that each take the
// next run when their last one ends. the workers start before the data is put on shared memory (the
// two overlap), live for the whole sweep (a worker's start and its JIT's warm-up are paid once per
// lane, not per run) and receive the data once.

import { availableParallelism } from 'node:os';
import type { TrainingData } from '../train/trainer.js';
import { priorityOf, WorkerLane } from './lane.js';
import { shareTrainingData, type SharedTrainingData } from './share.js';
import { prepareRun, runAlone, startRun, type WorkerResult, type WorkerStart, type WorkerTrainingOptions } from './train-in-worker.js';

export interface SweepRun {
  // the starting network (or a model file's bytes, or a checkpoint directory to continue); each run
  // trains its own copy
  net: WorkerStart;
  // give each run a seed to make it reproducible alone (without one, its history records the seed it drew)
  options?: WorkerTrainingOptions;
}

export interface SweepOptions {
  // runs at a time (default: the cores, os.availableParallelism())
  workers?: number;
  // every worker's priority (see WorkerTrainingOptions.priority); a run that names its own gets a
  // worker of its own
  priority?: number;
}

// like Promise.allSettled: one failing run does not lose the others
export type SweepResult = { status: 'fulfilled'; value: WorkerResult } | { status: 'rejected'; reason: unknown };

export async function sweep(runs: readonly SweepRun[], data: TrainingData | SharedTrainingData, options: SweepOptions = {}): Promise<SweepResult[]> {
  if (!Array.isArray(runs)) throw new TypeError('sweep: runs must be an array of { net, options }');
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`sweep: workers must be an integer ≥ 1, got ${workers}`);
  const priority = priorityOf(options.priority, 'sweep');
  // the workers boot on their threads while this one shares the data
  const lanes = Array.from({ length: Math.min(workers, runs.length) }, () => new WorkerLane(undefined, priority));
  const results = new Array<SweepResult>(runs.length);
  try {
    // one shared copy of the data for every run
    const shared = shareTrainingData(data);
    let next = 0;
    // each lane takes the next run when its last one ends, so a slow run never holds a core idle
    const drain = async (k: number): Promise<void> => {
      while (next < runs.length) {
        const i = next++;
        try {
          const run = prepareRun(runs[i]!.net, runs[i]!.options);
          let result: Promise<WorkerResult>;
          if (run.resourceLimits !== undefined || run.priority !== undefined) {
            // memory limits and priority belong to a worker: such a run gets one of its own
            result = runAlone({ ...run, priority: run.priority ?? priority }, shared).result;
          } else {
            // a lane whose worker died (a failed run) is replaced
            if (!lanes[k]!.alive) lanes[k] = new WorkerLane(undefined, priority);
            result = startRun(lanes[k]!, run, shared).result;
          }
          results[i] = { status: 'fulfilled', value: await result };
        } catch (reason) {
          results[i] = { status: 'rejected', reason };
        }
        // a run that failed on this thread (a throwing callback) ends its worker's job a batch later
        await lanes[k]!.idle();
      }
    };
    await Promise.all(lanes.map((_, k) => drain(k)));
  } finally {
    for (const lane of lanes) lane.close();
  }
  return results;
}
