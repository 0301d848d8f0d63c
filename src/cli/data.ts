// what a command runs on and reads: the backend, the MNIST-format data, a saved model and its layers.

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { getBackend, useBackend, type Backend } from '../backend/index.js';
import { loadMnist, type Mnist } from '../data/mnist.js';
import { loadModel, type Architecture, type LoadedModel } from '../io/model.js';
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

// layer widths, input first: 784-32-10
export function sizesOf(arch: Architecture): number[] {
  const affine = affineLayers(arch);
  return [affine[0]!.inputs, ...affine.map((l) => l.outputs)];
}

export function activationsOf(arch: Architecture): string[] {
  return arch.layers.filter((l) => l.type !== 'affine').map((l) => l.type);
}
