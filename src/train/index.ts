// training: the minibatch loop, its history, checkpoints and chunked evaluation

export { Trainer, fit } from './trainer.js';
export type { TrainingData, ResumeOptions } from './trainer.js';
export { TRAINER_DEFAULTS } from './options.js';
export type { TrainerOptions, EarlyStopping, TrainingCallback, BatchInfo, EpochInfo, Sampling, CheckpointOptions } from './options.js';
export { findResumeConflict } from './resume.js';
export type { ResumeConflict } from './resume.js';
export { History } from './history.js';
export type { EpochRecord, RunConfig, HistorySummary, StopReason } from './history.js';
export { readCheckpoint, writeCheckpoint, hasCheckpoint, CheckpointError, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CHECKPOINT_FILE } from './checkpoint.js';
export type { Checkpoint, CheckpointData, CheckpointSettings, CheckpointStatus, CheckpointTiming, EarlyStoppingState, WriteCheckpointOptions } from './checkpoint.js';
export { toDataset } from './dataset.js';
export type { Dataset, DatasetLike, MatrixData, BatchTargets } from './dataset.js';
export { Evaluator, evaluateAccuracy } from './evaluate.js';
