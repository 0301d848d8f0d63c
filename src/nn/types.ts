// what layers and networks promise each other, the trainer and the optimizers

import type { Backend } from '../backend/types.js';
import type { DType, Matrix } from '../matrix.js';

// labels: one-hot rows (a Matrix) or one class index per row; for regression and binary losses the
// targets are a Matrix shaped like the network's output (a 0/1 index per row for one binary output)
export type Labels = Matrix | Int32Array | Uint8Array;

// what a network learns, fixed by its loss: one class of many (softmax), a yes/no per output
// (sigmoid, two-class or multi-label), or numbers (mean squared error)
export type Task = 'classify' | 'binary' | 'regress';

// what a parameter is for, so nothing decides it from a name: weight decay, initialisation and model
// files (a weight keeps its shape, a bias/gamma/beta is stored as a vector) read the role
export type ParameterRole = 'weight' | 'bias' | 'gamma' | 'beta';

// a learnable tensor and the gradient backward() leaves beside it
export interface Parameter {
  readonly name: string; // 'W' or 'b' inside a layer
  readonly role: ParameterRole;
  readonly value: Matrix;
  readonly grad: Matrix;
}

// what every layer's constructor accepts: the backend its matrix ops run on (default getBackend())
export interface LayerOptions {
  backend?: Backend;
}

// a tensor a layer must keep across runs that is not learned by gradient (BatchNormalization's running
// statistics, Dropout's generator state): model files and checkpoints save it beside the parameters
export interface StateTensor {
  readonly name: string;
  readonly value: Matrix;
}

export interface Layer {
  readonly kind: string; // 'Affine', 'Relu', ...
  // the output is a buffer the layer owns and reuses: valid until its next forward
  forward(x: Matrix): Matrix;
  // returns dx (a reused buffer too); keeps parameter gradients on the layer; never mutates dout
  backward(dout: Matrix): Matrix;
  readonly parameters: readonly Parameter[];
  // layers that act differently while training (Dropout, BatchNormalization); default: training on.
  // Sequential forwards it to every layer; the trainer turns it on for steps, off to evaluate/predict
  setTraining?(on: boolean): void;
  readonly state?: readonly StateTensor[];
}

// the network's last layer: the book's forward(x, t) → loss and backward(dout = 1) → dx, plus the
// function that turns its input (the scores) into what the model answers: softmax probabilities,
// sigmoid probabilities, or the values themselves
export interface LossLayer {
  readonly kind: string; // 'SoftmaxWithLoss', 'SigmoidWithLoss', 'MeanSquaredError'
  readonly task: Task;
  readonly backend?: Backend;
  // the last forward's loss
  readonly loss: number;
  forward(x: Matrix, t: Labels): number;
  backward(dout?: number): Matrix;
  // the model's output for scores x, into out (a new matrix when not given; may be x itself)
  output(x: Matrix, out?: Matrix): Matrix;
}

// what gradient() returns: the batch's loss at the current weights, and the gradients by parameter name
export interface LossAndGradients {
  loss: number;
  // same keys as params
  grads: Record<string, Matrix>;
}

export interface Network {
  readonly dtype: DType;
  // what it learns (a Sequential's loss layer says); absent means classification
  readonly task?: Task;
  // the backend its layers compute on, when it has one: data gathering and SGD use it too
  readonly backend?: Backend;
  // W1, b1, W2, b2, …: stable Matrix objects, updated in place by optimizers
  readonly params: Record<string, Matrix>;
  // training mode (Dropout, BatchNormalization), when the network has layers that care; see Layer
  readonly training?: boolean;
  setTraining?(on: boolean): void;
  predict(x: Matrix): Matrix;
  loss(x: Matrix, t: Labels): number;
  accuracy(x: Matrix, t: Labels): number;
  // backprop: the loss forward, then the gradients; the returned object and matrices are reused by the next call
  gradient(x: Matrix, t: Labels): LossAndGradients;
  numericalGradient(x: Matrix, t: Labels): Record<string, Matrix>;
}
