// what a command runs on and reads: the backend, the MNIST-format data, a saved model and its layers.

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { getBackend, useBackend, type Backend } from '../backend/index.js';
import { loadMnist, type Mnist } from '../data/mnist.js';
import { inputWidth, loadModel, type Architecture, type LayerSpec, type LoadedModel } from '../io/model.js';
import type { DType } from '../matrix.js';

export function loadData(dir: string | undefined, dtype: DType): Mnist {
  if (dir !== undefined) {
    const abs = resolve(dir);
    if (!existsSync(abs)) throw new Error(`data directory not found: ${abs}`);
    if (!statSync(abs).isDirectory()) throw new Error(`--data must be a directory holding the MNIST IDX files, got the file ${abs}`);
  }
  return loadMnist({ dir, dtype, normalize: true });
}

// the backend asked for (failing loudly if it cannot load), or the default with its fallback
export function pickBackend(name: 'native' | 'reference' | undefined): Backend {
  return name === undefined ? getBackend() : useBackend(name);
}

export async function loadModelFile(file: string, backend: Backend): Promise<LoadedModel> {
  if (!existsSync(file)) throw new Error(`model file not found: ${file}`);
  if (statSync(file).isDirectory()) throw new Error(`${file} is a directory, not a model file`);
  // format errors name the file already
  return loadModel(file, { backend });
}

function affineLayers(arch: Architecture): { inputs: number; outputs: number }[] {
  return arch.layers.filter((l) => l.type === 'affine') as { inputs: number; outputs: number }[];
}

// widths, input first: 784-32-10 (for a conv net: its input, its dense layers' outputs)
export function sizesOf(arch: Architecture): number[] {
  return [inputWidth(arch), ...affineLayers(arch).map((l) => l.outputs)];
}

export function activationsOf(arch: Architecture): string[] {
  return arch.layers.filter((l) => l.type === 'relu' || l.type === 'sigmoid').map((l) => l.type);
}

// one layer in train's --net form (src/nn/builder.ts parseLayers), the last dense layer included
function layerText(l: LayerSpec): string {
  const size = (k: readonly [number, number]) => (k[0] === k[1] ? `${k[0]}` : `${k[0]}x${k[1]}`);
  switch (l.type) {
    case 'convolution':
      return `conv:${l.filters}:${size(l.kernel)}${l.stride !== 1 ? `:s${l.stride}` : ''}${l.pad !== 0 ? `:p${l.pad}` : ''}`;
    case 'pooling':
      return `pool:${size(l.kernel)}${l.stride !== l.kernel[0] ? `:s${l.stride}` : ''}${l.pad !== 0 ? `:p${l.pad}` : ''}`;
    case 'affine':
      return `dense:${l.outputs}`;
    case 'dropout':
      return `dropout:${l.ratio}`;
    default:
      return l.type;
  }
}

// a conv net as its layer list, input first: 1x28x28 conv:30:5,relu,pool:2,dense:100,relu,dense:10;
// undefined for an MLP (which its sizes name)
export function convText(arch: Architecture): string | undefined {
  const first = arch.layers.find((l) => l.type === 'convolution' || l.type === 'pooling');
  if (first === undefined && !arch.layers.some((l) => l.type === 'batchnorm' || l.type === 'dropout')) return undefined;
  const input = first !== undefined && (first.type === 'convolution' || first.type === 'pooling') ? first.input.join('x') : String(inputWidth(arch));
  return `${input} ${arch.layers.map(layerText).join(',')}`;
}

// how a command names a network: its sizes (784-50-10) or its conv layer list
export function networkName(arch: Architecture): string {
  return convText(arch) ?? sizesOf(arch).join('-');
}
