// training: the minibatch loop, its history, checkpoints, chunked evaluation and the progress display

export { Trainer, fit, DEFAULT_ITERATIONS, DEFAULT_BATCH_SIZE, DEFAULT_LEARNING_RATE, DEFAULT_YIELD_MS } from './trainer.js';
export type { TrainerOptions, TrainingData, TrainingCallback, BatchInfo, EpochInfo, OptimizerLike, Sampling, CheckpointOptions, ResumeOptions } from './trainer.js';
export { History } from './history.js';
export type { EpochRecord, RunConfig, HistorySummary, StopReason } from './history.js';
export { readCheckpoint, writeCheckpoint, hasCheckpoint, CheckpointError, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CHECKPOINT_FILE } from './checkpoint.js';
export type { Checkpoint, CheckpointData, CheckpointSettings, CheckpointStatus, CheckpointTiming, WriteCheckpointOptions } from './checkpoint.js';
export { toDataset } from './dataset.js';
export type { Dataset, DatasetLike, MatrixData } from './dataset.js';
export { Evaluator, evaluateAccuracy } from './evaluate.js';
export { Progress, formatEpochLine } from './progress.js';
export type { ProgressOptions } from './progress.js';
