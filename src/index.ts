// blasprop's public API: an explicit list. Everything not named here is internal and may change
// (test/exports.test.ts pins the runtime names, so an addition is a decision, not an accident).

// ---- matrices, backends and threads ----
// Matrix: the dense row-major float32/float64 matrix every layer, backend and optimizer shares
export { Matrix, DTYPES, DEFAULT_DTYPE } from './matrix.js';
export type { DType, FloatArray } from './matrix.js';
// which backend runs the maths: native (OpenBLAS) by default, the pure-TypeScript reference on request
export { getBackend, useBackend, backendByName, isNativeAvailable, referenceBackend } from './backend/index.js';
export type { Backend, BackendName, GemmOptions } from './backend/index.js';
// the build and OpenBLAS facts; OpenBLAS's thread count
export { info, setNumThreads, getNumThreads } from './info.js';
export type { BlaspropInfo } from './info.js';

// ---- layers, losses and networks (the book's chapter 5) ----
export { MulLayer, AddLayer, Relu, Sigmoid, Affine, softmax, crossEntropyError, SoftmaxWithLoss } from './nn/index.js';
// the regression and binary losses: each a last layer with the book's forward(x, t) / backward()
export { MeanSquaredError, SigmoidWithLoss } from './nn/index.js';
// Sequential: layers then a loss layer; mlp builds one; TwoLayerNet is the book's
export { Sequential, mlp, MLP_DEFAULTS, TwoLayerNet, gradientCheck, DEFAULT_EVAL_CHUNK } from './nn/index.js';
export type {
  AffineOptions, SequentialOptions, MlpOptions, Activation, Evaluation, TwoLayerNetOptions, WeightInit,
  Labels, Layer, LayerOptions, LossAndGradients, Network, Parameter, ParameterRole, LossLayer, Task, TaskMetrics,
} from './nn/index.js';
// the book's chapter 7 and 6: conv nets (NCHW rows: a 784-value MNIST row is a 1×28×28 image),
// Dropout and BatchNormalization; SimpleConvNet is the book's; buildNetwork composes any; parseLayers
// reads the CLI's --net form
export { Convolution, Pooling, Dropout, BatchNormalization, SimpleConvNet, buildNetwork, parseLayers } from './nn/index.js';
export type {
  ConvolutionOptions, PoolingOptions, DropoutOptions, BatchNormalizationOptions, ImageShape, LayerConfig, NetworkOptions,
  SimpleConvNetOptions, Size2, StateTensor,
} from './nn/index.js';

// ---- optimizers (torch.optim's update rules; registerOptimizer makes your own subclass checkpointable) ----
export { Optimizer, SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, createOptimizer, registerOptimizer, optimizerNames, lrSpec, weightDecaySpec } from './optim/index.js';
export type {
  OptimizerFactory, OptimizerStateDict, HyperSpec, BaseHyper, Params, SGDOptions, MomentumOptions, NesterovOptions,
  AdaGradOptions, RMSpropOptions, AdamOptions,
} from './optim/index.js';

// ---- training ----
export { fit, Trainer, TRAINER_DEFAULTS, History, evaluateAccuracy, readCheckpoint, hasCheckpoint, CheckpointError } from './train/index.js';
export type {
  TrainerOptions, TrainingData, TrainingCallback, BatchInfo, EpochInfo, Sampling, CheckpointOptions, ResumeOptions,
  EpochRecord, RunConfig, HistorySummary, StopReason, Checkpoint, Dataset, DatasetLike, MatrixData, EarlyStopping, BatchTargets,
} from './train/index.js';

// ---- data ----
// MNIST-format IDX files (gzip too), batches and labels; PNG pictures as network input
export { loadMnist, readIdx, toMatrix, oneHot, gatherBatch, pngToInput, IdxFormatError, PngError } from './data/index.js';
export type { Mnist, MnistSet, LoadMnistOptions, ToMatrixOptions, IdxFile, PngInput, InvertMode } from './data/index.js';
// your own data: tables from arrays or CSV files (streamed), seeded splits, standardisation, answers by label name
export { toTable, loadCsv, CsvError, splitTable, standardizeTable, fitStandardization, standardize, dataInfoOf, predictRows } from './data/index.js';
export type { Table, TableSource, TableSplit, SplitOptions, ClassLabel, CsvOptions, CsvTable, Standardization, Prediction } from './data/index.js';

// ---- files ----
// a trained network as one safetensors file (weights, layer list and training facts), written atomically
export { saveModel, loadModel, loadWeightsInto, ModelFileError } from './io/model.js';
export type { Architecture, LayerSpec, LoadedModel, LoadModelOptions, DataInfo, SaveModelOptions } from './io/model.js';
// the safetensors format itself, for tensors of your own
export { saveSafetensors, loadSafetensors, encodeSafetensors, decodeSafetensors, SafetensorsError } from './io/safetensors.js';
export type { Tensor, IntTensor, SafetensorsFile } from './io/safetensors.js';

// ---- randomness ----
// xoshiro128**: seeded, the same stream on every platform, state saved and restored exactly
export { Random } from './random.js';
export type { RandomState } from './random.js';

// ---- ONNX: export a trained network, import one ----
export { exportOnnx, saveOnnx } from './onnx/export.js';
export type { OnnxExportOptions } from './onnx/export.js';
export { importOnnx, loadOnnx } from './onnx/import.js';
export type { ImportedOnnx } from './onnx/import.js';

// ---- worker threads: train off the main thread, sweep configurations, share data between workers ----
export { trainInWorker } from './workers/train-in-worker.js';
export type { WorkerRun, WorkerResult, WorkerStart, WorkerTrainingOptions, WorkerBatchInfo, WorkerEpochInfo } from './workers/train-in-worker.js';
export { sweep } from './workers/sweep.js';
export type { SweepRun, SweepOptions, SweepResult } from './workers/sweep.js';
export { shareTrainingData } from './workers/share.js';
export type { SharedTrainingData } from './workers/share.js';
