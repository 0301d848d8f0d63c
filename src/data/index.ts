// the data loaders: IDX files and MNIST on top of them

export * from './idx.js';
export * from './mnist.js';
export * from './png.js';
