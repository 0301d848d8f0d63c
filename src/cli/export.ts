// blasprop export: a saved model as an ONNX file, for ONNX Runtime in browsers, Python, C# or Node.

import { statSync } from 'node:fs';
import { extname } from 'node:path';
import { referenceBackend } from '../backend/index.js';
import { saveOnnx } from '../onnx/export.js';
import { choiceFlag, parseWithFiles, UsageError } from './args.js';
import { loadModelFile } from './data.js';

export const EXPORT_USAGE = `Usage: blasprop export FILE.safetensors OUT.onnx [options]

Writes a saved model as an ONNX inference graph (opset 13): input 'input' of [batch, features],
output 'probabilities' (the softmax) or, with --logits, 'logits'. ONNX Runtime runs it in Node,
browsers, Python, C# and on phones. The file is replaced atomically.

Options:
  --logits         output the last layer's scores instead of probabilities
  --dtype TYPE     float32 | float64: the file's tensor type (default: the model's)
  -h, --help       show this help`;

export async function exportCommand(args: string[]): Promise<number> {
  const { values: v, files } = parseWithFiles(args, {
    logits: { type: 'boolean' },
    dtype: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(EXPORT_USAGE + '\n');
    return 0;
  }
  if (files.length !== 2) throw new UsageError(`export needs a model file and an output file: blasprop export FILE.safetensors OUT.onnx (got ${files.length} file${files.length === 1 ? '' : 's'})`);
  const [file, out] = files as [string, string];
  // a swapped pair of arguments must not overwrite the model
  if (extname(out).toLowerCase() !== '.onnx') throw new UsageError(`the output file must end in .onnx, got ${JSON.stringify(out)}`);
  const dtype = choiceFlag('dtype', v.dtype, ['float32', 'float64'] as const);
  // exporting runs no maths: the reference backend needs no addon
  const model = await loadModelFile(file, referenceBackend);
  await saveOnnx(out, model.net, { output: v.logits ? 'logits' : 'probabilities', dtype });
  process.stdout.write(`${out}: ${model.net.layers.map((l) => l.kind).join(' → ')} → ${v.logits ? 'logits' : 'softmax'}, ${dtype ?? model.net.dtype}, ${statSync(out).size} bytes\n`);
  return 0;
}
