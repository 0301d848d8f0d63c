import { describe, expect, it } from 'vitest';
import * as root from '../src/index.js';

// the root's runtime names, pinned: adding or dropping one is a decision about the public API
// (types are not here: they vanish at runtime and are checked by the typecheck)
const PUBLIC = [
  'AdaGrad', 'Adam', 'AddLayer', 'Affine', 'CheckpointError', 'DEFAULT_DTYPE', 'DEFAULT_EVAL_CHUNK', 'DTYPES', 'History',
  'IdxFormatError', 'MLP_DEFAULTS', 'Matrix', 'ModelFileError', 'Momentum', 'MulLayer', 'Nesterov', 'Optimizer', 'PngError',
  'RMSprop', 'Random', 'Relu', 'SGD', 'SafetensorsError', 'Sequential', 'Sigmoid', 'SoftmaxWithLoss', 'TRAINER_DEFAULTS',
  'Trainer', 'TwoLayerNet', 'backendByName', 'createOptimizer', 'crossEntropyError', 'decodeSafetensors', 'encodeSafetensors',
  'evaluateAccuracy', 'fit', 'gatherBatch', 'getBackend', 'getNumThreads', 'gradientCheck', 'hasCheckpoint', 'info',
  'isNativeAvailable', 'loadMnist', 'loadModel', 'loadSafetensors', 'loadWeightsInto', 'lrSpec', 'mlp', 'oneHot',
  'optimizerNames', 'pngToInput', 'readCheckpoint', 'readIdx', 'referenceBackend', 'registerOptimizer', 'saveModel',
  'saveSafetensors', 'setNumThreads', 'softmax', 'toMatrix', 'useBackend', 'weightDecaySpec',
  // conv nets, Dropout, BatchNormalization (issue 13)
  'Convolution', 'Pooling', 'Dropout', 'BatchNormalization', 'SimpleConvNet', 'buildNetwork', 'parseLayers',
  // ONNX
  'exportOnnx', 'saveOnnx', 'importOnnx', 'loadOnnx',
  // worker threads
  'trainInWorker', 'sweep', 'shareTrainingData',
  // your own data: the regression and binary losses, tables, CSV, splits, standardisation, answers by name
  'MeanSquaredError', 'SigmoidWithLoss', 'toTable', 'loadCsv', 'CsvError', 'splitTable', 'standardizeTable',
  'fitStandardization', 'standardize', 'dataInfoOf', 'predictRows',
];

describe('the public API', () => {
  it('the root exports exactly the documented list', () => {
    expect(Object.keys(root).sort()).toEqual([...PUBLIC].sort());
  });

  it('internals stay out of it', () => {
    for (const name of ['escapeXml', 'scaleX', 'chartBox', 'readHyper', 'sgdStepImpl', 'Progress', 'Evaluator', 'writeFileAtomic', 'writeCheckpoint']) {
      expect(Object.keys(root)).not.toContain(name);
    }
  });
});
