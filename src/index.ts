// blasprop's public API

export { Matrix, DTYPES, arrayFor, dtypeOf } from './matrix.js';
export type { DType, FloatArray } from './matrix.js';
export { getBackend, useBackend, backendByName, isNativeAvailable, referenceBackend } from './backend/index.js';
export type { Backend, BackendName, GemmOptions } from './backend/index.js';
export { info, setNumThreads, getNumThreads } from './info.js';
export type { BlaspropInfo } from './info.js';

export { MulLayer, AddLayer, Relu, Sigmoid, Affine, softmax, crossEntropyError, SoftmaxWithLoss,
  MeanSquaredError, SigmoidWithLoss, Sequential, mlp, TwoLayerNet, gradientCheck, DEFAULT_EVAL_CHUNK } from './nn/index.js';
export type { AffineOptions, SequentialOptions, MlpOptions, Activation, Evaluation, TwoLayerNetOptions,
  WeightInit, Labels, Layer, LayerOptions, Network, Parameter, LossLayer, Task, TaskMetrics } from './nn/index.js';

export { Random } from './random.js';
export type { RandomState } from './random.js';

export * from './optim/index.js';
export * from './data/index.js';
export * from './plot/index.js';
export { saveModel, loadModel, loadWeightsInto, encodeModel, decodeModel, describeArchitecture, buildFromArchitecture, ModelFileError } from './io/model.js';
export type { Architecture, LayerSpec, LoadedModel, DataInfo, SaveModelOptions, LossName } from './io/model.js';
export { saveSafetensors, loadSafetensors, encodeSafetensors, decodeSafetensors, matrixToTensor, tensorToMatrix, SafetensorsError } from './io/safetensors.js';
export type { Tensor, SafetensorsFile } from './io/safetensors.js';
export { writeFileAtomic } from './io/atomic.js';
export { exportOnnx, saveOnnx } from './onnx/export.js';
export type { OnnxExportOptions } from './onnx/export.js';
export { importOnnx, loadOnnx } from './onnx/import.js';
export type { ImportedOnnx } from './onnx/import.js';
export * from './train/index.js';
export { trainInWorker } from './workers/train-in-worker.js';
export type { WorkerRun, WorkerResult, WorkerTrainingOptions, WorkerBatchInfo, WorkerEpochInfo } from './workers/train-in-worker.js';
export { sweep } from './workers/sweep.js';
export type { SweepRun, SweepOptions, SweepResult } from './workers/sweep.js';
export { shareTrainingData } from './workers/share.js';
export type { SharedTrainingData } from './workers/share.js';
