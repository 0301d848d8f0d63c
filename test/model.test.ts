// models in safetensors files: a bit-exact round trip, and every kind of damage refused with a clear error

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFromArchitecture, decodeModel, describeArchitecture, encodeModel, loadModel, loadWeightsInto, saveModel } from '../src/io/model.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { DTYPES, Matrix } from '../src/matrix.js';
import { mlp } from '../src/nn/index.js';
import { nativeBackend, randomMatrix, testRng } from './helpers.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-model-'));

function deepNet(dtype: 'float32' | 'float64', seed = 1) {
  return mlp({ sizes: [12, 8, 6, 4], activation: ['relu', 'sigmoid'], init: 'he', dtype, seed, backend: nativeBackend() });
}

// the header JSON of a safetensors buffer, and a function to rebuild the file with a changed header
function editHeader(buf: Buffer, edit: (h: Record<string, any>) => void): Buffer {
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, buf.subarray(8 + n)]);
}

describe('save and load a model', () => {
  it.each(DTYPES)('round trip is bit-exact and predicts the same (%s)', async (dtype) => {
    const net = deepNet(dtype);
    const file = path.join(tmp(), 'model.safetensors');
    await saveModel(file, net, { iterations: 123, optimizer: 'adam' });
    const { net: loaded, training, architecture } = await loadModel(file, { backend: nativeBackend() });
    expect(training).toEqual({ iterations: 123, optimizer: 'adam' });
    expect(architecture).toEqual(describeArchitecture(net));
    expect(Object.keys(loaded.params)).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3']);
    for (const [k, p] of Object.entries(net.params)) {
      expect(loaded.params[k]!.dtype).toBe(dtype);
      expect(Buffer.from(loaded.params[k]!.data.buffer)).toEqual(Buffer.from(p.data.buffer));
    }
    const x = randomMatrix(testRng(3), 5, 12, dtype);
    expect(loaded.predict(x).data).toEqual(net.predict(x).clone().data);
  });

  it('writes weights as [in, out] and biases 1-D, with the layer list in __metadata__', () => {
    const file = decodeSafetensors(encodeModel(deepNet('float32')));
    expect(file.tensors.W1!.shape).toEqual([12, 8]);
    expect(file.tensors.b1!.shape).toEqual([8]);
    expect(file.tensors.W3!.dtype).toBe('float32');
    expect(JSON.parse(file.metadata.architecture!).layers).toEqual([
      { type: 'affine', inputs: 12, outputs: 8 }, { type: 'relu' },
      { type: 'affine', inputs: 8, outputs: 6 }, { type: 'sigmoid' },
      { type: 'affine', inputs: 6, outputs: 4 },
    ]);
  });

  it('refuses a damaged header, a short data section, a wrong dtype and shapes that do not fit', async () => {
    const good = encodeModel(deepNet('float64'));
    const dir = tmp();
    const write = (name: string, buf: Buffer) => { const f = path.join(dir, name); fs.writeFileSync(f, buf); return f; };
    // header length pointing past the end
    const longHeader = Buffer.from(good);
    longHeader.writeBigUInt64LE(BigInt(good.length), 0);
    await expect(loadModel(write('long.safetensors', longHeader))).rejects.toThrow(/long\.safetensors: .*header/i);
    // header bytes that are not JSON
    const garbled = Buffer.from(good);
    garbled.write('{{{{', 8);
    await expect(loadModel(write('garbled.safetensors', garbled))).rejects.toThrow(/garbled\.safetensors: .*JSON/);
    // data section cut short
    await expect(loadModel(write('short.safetensors', good.subarray(0, good.length - 16)))).rejects.toThrow(/short\.safetensors: /);
    // a tensor relabelled with a dtype we cannot use
    const f16 = editHeader(good, (h) => { h.W1.dtype = 'F16'; });
    await expect(loadModel(write('f16.safetensors', f16))).rejects.toThrow(/f16\.safetensors: .*F16/);
    // a tensor whose dtype disagrees with the model's
    const mixed = encodeSafetensors({ ...decodeSafetensors(good).tensors, b1: { dtype: 'float32', shape: [8], data: new Float32Array(8) } }, decodeSafetensors(good).metadata);
    await expect(loadModel(write('mixed.safetensors', mixed))).rejects.toThrow(/mixed\.safetensors: tensor 'b1' is float32, but the model's dtype is float64/);
    // an architecture that says 12-8-… but a W1 of another shape
    const reshaped = encodeSafetensors({ ...decodeSafetensors(good).tensors, W1: { dtype: 'float64', shape: [8, 12], data: new Float64Array(96) } }, decodeSafetensors(good).metadata);
    await expect(loadModel(write('reshaped.safetensors', reshaped))).rejects.toThrow(/tensor 'W1' has shape \[8, 12\], the network needs \[12, 8\]/);
    // a plain safetensors file (say from PyTorch) without our metadata
    const plain = encodeSafetensors({ weight: { dtype: 'float32', shape: [2], data: new Float32Array(2) } });
    await expect(loadModel(write('plain.safetensors', plain))).rejects.toThrow(/not a blasprop model/);
    // a missing tensor: the sizes disagree before any network is built
    const { W3: _gone, ...rest } = decodeSafetensors(good).tensors;
    await expect(loadModel(write('missing.safetensors', encodeSafetensors(rest, decodeSafetensors(good).metadata)))).rejects.toThrow(/missing\.safetensors: __metadata__\.architecture needs 186 parameter values, but the file's tensors hold 162/);
    // weights into a network of another shape
    const other = mlp({ sizes: [12, 9, 6, 4], dtype: 'float64', seed: 1 });
    await expect(loadWeightsInto(other, write('good.safetensors', good))).rejects.toThrow(/'W1' has shape \[12, 8\], the network needs \[12, 9\]/);
    expect(() => decodeModel(editHeader(good, (h) => { h.__metadata__.architecture = '{"layers": [{"type": "conv"}]}'; }))).toThrow(/unknown type "conv"/);
  });

  it('a save interrupted before the rename leaves the old file intact and no temp file behind', async () => {
    const dir = tmp();
    const file = path.join(dir, 'model.safetensors');
    await saveModel(file, deepNet('float64', 1));
    const before = fs.readFileSync(file);
    await expect(saveModel(file, deepNet('float64', 2), undefined, { beforeRename: () => { throw new Error('killed'); } })).rejects.toThrow('killed');
    expect(fs.readFileSync(file)).toEqual(before);
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
    // and an uninterrupted save does replace it
    await saveModel(file, deepNet('float64', 2));
    expect(fs.readFileSync(file)).not.toEqual(before);
  });

  it('builds an empty network from a layer list', () => {
    const net = buildFromArchitecture({ layers: [{ type: 'affine', inputs: 3, outputs: 2 }], loss: 'softmax-cross-entropy' }, { dtype: 'float32' });
    expect(net.params.W1).toBeInstanceOf(Matrix);
    expect(net.params.W1!.dtype).toBe('float32');
  });
});
