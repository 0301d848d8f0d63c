// blasprop predict: classify images with a saved model, from an IDX images file or PNG pictures.

import { extname } from 'node:path';
import { predictCsv } from './csv.js';
import { isGzip, MAX_IDX_BYTES, parseIdx } from '../data/idx.js';
import { readRegular } from '../io/read.js';
import { isPng, pngToInput, type InvertMode } from '../data/png.js';
import { setNumThreads } from '../info.js';
import type { Sequential } from '../nn/index.js';
import { choiceFlag, integerFlag, parseWithFiles, UsageError } from './args.js';
import { classify } from './classify.js';
import { loadModelFile, pickBackend, sizesOf } from './data.js';

export const PREDICT_USAGE = `Usage: blasprop predict FILE.safetensors INPUT... [options]

Classifies images with a saved model, or answers the rows of a CSV. An INPUT is
  a CSV file (.csv) with a header, for a model trained with --csv: its feature columns are picked by
  name and standardised as in training; one line per row: the label (and its probability), or the
  predicted value(s)
  an IDX images file (MNIST format, .gz too): every image is classified, one line per image
  a PNG file (grayscale, RGB or RGBA, any size up to 4096×4096): made grayscale (transparency over
    white), resized to the model's square input (28×28 for MNIST) by area averaging, inverted when it
    is dark ink on a light background, scaled to [0, 1]; the class and all probabilities are printed

Options:
  --limit N        classify only the first N images of an IDX file
  --invert MODE    PNG colours: auto (invert when the mean is light, as a scanned digit) | yes | no
                   (default auto; MNIST digits are light on dark)
  --backend NAME   native | reference
  --threads N      OpenBLAS threads
  --drop-missing   skip CSV rows with a missing value instead of refusing the file
  --json           one JSON line per INPUT, with the softmax probabilities
  -h, --help       show this help`;

// every class's probability on one line: 0:0.1005 1:0.0997 …
function probabilitiesText(p: number[]): string {
  return p.map((x, j) => `${j}:${x.toFixed(4)}`).join(' ');
}

function predictIdx(net: Sequential, inputs: number, path: string, bytes: Uint8Array, limit: number | undefined): { line: Record<string, unknown>; text: string } {
  const idx = parseIdx(bytes, path);
  if (idx.dims.length !== 2 && idx.dims.length !== 3) throw new Error(`${path}: an IDX file of ${idx.dims.length} dimension${idx.dims.length === 1 ? '' : 's'} [${idx.dims.join(', ')}] holds no images (expected [count, rows, cols])`);
  const [count, ...shape] = idx.dims as [number, ...number[]];
  const pixels = shape.reduce((a, b) => a * b, 1);
  if (pixels !== inputs) throw new Error(`${path}: its images are ${shape.join('×')} = ${pixels} pixels, the model takes ${inputs} inputs`);
  // bytes are MNIST's 0..255; floats are taken as already scaled
  const scale = idx.type === 'uint8' ? 1 / 255 : idx.type === 'float32' || idx.type === 'float64' ? 1 : 0;
  if (scale === 0) throw new Error(`${path}: images of ${idx.type} values are not supported (expected uint8, float32 or float64)`);
  const n = Math.min(count, limit ?? count);
  const src = idx.data;
  const predictions = classify(net, n, inputs, (start, x) => {
    const base = start * inputs;
    // v / 255 exactly as training's normalisation computes it
    for (let j = 0; j < x.data.length; j++) x.data[j] = scale === 1 ? src[base + j]! : src[base + j]! / 255;
  });
  const width = String(Math.max(0, n - 1)).length;
  const text =
    `${path}: ${n === count ? `${count} image${count === 1 ? '' : 's'}` : `the first ${n} of ${count} images`} of ${shape.join('×')}\n` +
    predictions.map((p, i) => `  image ${String(i).padStart(width)}: ${p.class}  (p ${p.probabilities[p.class]!.toFixed(4)})\n`).join('');
  return { line: { input: path, type: 'idx', count, predictions: predictions.map((p, i) => ({ index: i, class: p.class, probabilities: p.probabilities })) }, text };
}

function predictPng(net: Sequential, inputs: number, path: string, bytes: Uint8Array, invert: InvertMode): { line: Record<string, unknown>; text: string } {
  const side = Math.round(Math.sqrt(inputs));
  if (side * side !== inputs) throw new Error(`${path}: the model takes ${inputs} inputs, which is not a square image, so a picture cannot be fed to it`);
  const img = pngToInput(bytes, path, { width: side, height: side, invert });
  const [p] = classify(net, 1, inputs, (_, x) => x.data.set(img.pixels));
  const how = `${img.sourceWidth}×${img.sourceHeight}${img.sourceWidth !== side || img.sourceHeight !== side ? ` → ${side}×${side}` : ''}${img.inverted ? ', inverted' : ''}`;
  const text = `${path}: ${p!.class}  (p ${p!.probabilities[p!.class]!.toFixed(4)}; ${how})\n  probabilities  ${probabilitiesText(p!.probabilities)}\n`;
  return {
    line: { input: path, type: 'png', width: img.sourceWidth, height: img.sourceHeight, inverted: img.inverted, class: p!.class, probabilities: p!.probabilities },
    text,
  };
}

export async function predictCommand(args: string[]): Promise<number> {
  const { values: v, files } = parseWithFiles(args, {
    limit: { type: 'string' },
    invert: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
    'drop-missing': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(PREDICT_USAGE + '\n');
    return 0;
  }
  if (files.length < 2) throw new UsageError('predict needs a model file and at least one input: blasprop predict FILE.safetensors INPUT...');
  const [file, ...inputs] = files as [string, ...string[]];
  const limit = integerFlag('limit', v.limit, 1);
  const invert = choiceFlag<InvertMode>('invert', v.invert, ['auto', 'yes', 'no']) ?? 'auto';
  const backendName = choiceFlag('backend', v.backend, ['native', 'reference'] as const);
  const threads = integerFlag('threads', v.threads, 1);
  const backend = pickBackend(backendName);
  if (threads !== undefined) setNumThreads(threads);
  const model = await loadModelFile(file, backend);
  const features = sizesOf(model.architecture)[0]!;
  for (const input of inputs) {
    // a CSV of rows for a model trained on one: one prediction per row (streamed, and it names the
    // file when it is missing, a directory or unreadable)
    if (extname(input).toLowerCase() === '.csv') {
      const r = await predictCsv(model, file, input, v['drop-missing'] === true);
      process.stdout.write(v.json ? JSON.stringify(r.line) + '\n' : r.text);
      continue;
    }
    // a regular file of at most what one IDX file may hold (a FIFO or a device would never end)
    const bytes = readRegular(input, MAX_IDX_BYTES, (problem) => {
      throw new Error(`${input}: ${problem}`);
    });
    // what the bytes are, not what the name says: PNG's signature, gzip's, or IDX's two zero bytes
    let result: { line: Record<string, unknown>; text: string };
    if (isPng(bytes)) result = predictPng(model.net, features, input, bytes, invert);
    else if (isGzip(bytes) || (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0)) result = predictIdx(model.net, features, input, bytes, limit);
    else throw new Error(`${input}: not a PNG or an IDX images file`);
    process.stdout.write(v.json ? JSON.stringify(result.line) + '\n' : result.text);
  }
  return 0;
}
