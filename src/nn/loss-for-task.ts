// the loss layer that fits a task: softmax cross-entropy for classes, sigmoid cross-entropy for yes/no
// outputs, mean squared error for numbers

import { MeanSquaredError } from './mean-squared-error.js';
import { SigmoidWithLoss } from './sigmoid-with-loss.js';
import { SoftmaxWithLoss } from './softmax.js';
import type { LayerOptions, LossLayer, Task } from './types.js';

export function lossLayerFor(task: Task, options: LayerOptions = {}): LossLayer {
  if (task === 'binary') return new SigmoidWithLoss(options);
  if (task === 'regress') return new MeanSquaredError(options);
  if (task === 'classify') return new SoftmaxWithLoss(options);
  throw new TypeError(`lossLayerFor: task must be 'classify', 'binary' or 'regress', got ${JSON.stringify(task)}`);
}
