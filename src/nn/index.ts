// layers, losses and networks

export { MulLayer, AddLayer } from './graph.js';
export { Relu } from './relu.js';
export { Sigmoid } from './sigmoid.js';
export { Affine, type AffineOptions } from './affine.js';
export { softmax, crossEntropyError, SoftmaxWithLoss, checkLabels, assertLabelKind } from './softmax.js';
export { MeanSquaredError } from './mean-squared-error.js';
export { SigmoidWithLoss } from './sigmoid-with-loss.js';
export { MetricSums, type TaskMetrics } from './task-metrics.js';
export { ensure } from './buffers.js';
export { initStd, initWeights, DEFAULT_WEIGHT_INIT_STD, type WeightInit } from './init.js';
export { Sequential, mlp, MLP_DEFAULTS, DEFAULT_EVAL_CHUNK, type SequentialOptions, type MlpOptions, type Activation, type Evaluation } from './sequential.js';
export { TwoLayerNet, type TwoLayerNetOptions } from './two-layer-net.js';
export { gradientCheck } from './gradcheck.js';
export type { Labels, Layer, LayerOptions, LossAndGradients, LossLayer, Network, Parameter, ParameterRole, Task } from './types.js';
export { Convolution, type ConvolutionOptions, type ImageShape } from './convolution.js';
export { Pooling, type PoolingOptions } from './pooling.js';
export { Dropout, type DropoutOptions } from './dropout.js';
export { BatchNormalization, type BatchNormalizationOptions } from './batch-norm.js';
export { buildNetwork, parseLayers, SimpleConvNet, type LayerConfig, type NetworkOptions, type SimpleConvNetOptions, type Size2 } from './builder.js';
export type { StateTensor } from './types.js';
