// CSV files of examples: a header row, then one example per line. Streamed through csv-parse, so a large
// file is never held as text (only the chosen columns' numbers are kept, in a growing Float64Array, and
// the target's cells); every refusal names the file, and a bad cell its line and column:
// `data.csv: line 12, column 3 ("age"): "abc" is not a number`

import { createReadStream, statSync } from 'node:fs';
import { SourceError } from '../errors.js';
import { Matrix } from '../matrix.js';
import { describe } from '../describe.js';
import type { Task } from '../nn/types.js';
import { toTable, type Table } from './table.js';

export interface CsvOptions {
  // the column(s) to predict; several make a multi-output regression or a multi-label binary task
  target: string | readonly string[];
  // the feature columns, in this order (default: every column but the target)
  columns?: readonly string[];
  // inferred from the target column when not given (see toTable)
  task?: Task;
  // skip the rows with a missing value in a used column, instead of refusing the file
  dropMissing?: boolean;
  delimiter?: string;
}

export interface CsvTable extends Table {
  readonly file: string;
  // rows skipped for missing values (dropMissing)
  readonly dropped: number;
}

export class CsvError extends SourceError {}

// what a spreadsheet or pandas writes for "no value"
const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?', '-']);

// a decimal number and nothing else: no hex, no "Infinity", no blank that Number() would read as 0
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function isMissing(cell: string): boolean {
  return MISSING.has(cell.trim().toLowerCase());
}

export function parseNumber(cell: string): number | undefined {
  const s = cell.trim();
  return NUMBER.test(s) ? Number(s) : undefined;
}

export interface CsvReadOptions {
  // columns read as numbers, each must be in the header (default: every column not in text)
  columns?: readonly string[];
  // columns kept as text (the target: numbers or class names are told apart later); absent ones are an
  // error unless optional
  text?: readonly string[];
  textOptional?: boolean;
  // skip rows with a missing value in a used column, instead of refusing the file
  dropMissing?: boolean;
  delimiter?: string;
}

export interface CsvRows {
  header: string[];
  columns: string[];
  // row-major numbers of the chosen columns
  x: Matrix;
  // the text columns' cells, per column, when present in the file
  text: string[][] | undefined;
  // the file line of each kept row
  lines: number[];
  dropped: number;
}

// stream the file once: pick the numeric columns and the text columns of every row
export async function readCsvRows(file: string, options: CsvReadOptions): Promise<CsvRows> {
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new CsvError(file, 'is a directory, not a CSV file');
    size = st.size;
  } catch (e) {
    if (e instanceof CsvError) throw e;
    throw new CsvError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (size === 0) throw new CsvError(file, 'is empty (expected a header row and at least one row of data)');
  // the parser loads with the first CSV read, not with every command that might read one
  const { parse } = await import('csv-parse');
  const input = createReadStream(file);
  const parser = parse({ delimiter: options.delimiter ?? ',', skip_empty_lines: true, trim: true, bom: true });
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);

  let header: string[] | undefined;
  let numeric: number[] = [];
  let textAt: number[] | undefined;
  let columns: string[] = [];
  let text: string[][] | undefined;
  let data = new Float64Array(1024);
  let used = 0;
  const lines: number[] = [];
  let dropped = 0;
  // one record at a time as the parser emits it: synchronously, so the parser's line count is the
  // record's last line (csv-parse's per-record info copies cost more than the parsing, an await per
  // row more still); the first error stops the stream
  const onRecord = (record: string[], line: number): void => {
    if (header === undefined) {
      header = record;
      ({ numeric, textAt, columns } = pickColumns(file, header, options));
      text = textAt === undefined ? undefined : textAt.map(() => []);
      return;
    }
    // a missing cell in a used column: skip the row, or refuse the file
    const missingAt = numeric.find((j) => isMissing(record[j]!)) ?? textAt?.find((j) => isMissing(record[j]!));
    if (missingAt !== undefined) {
      if (options.dropMissing) {
        dropped++;
        return;
      }
      throw new CsvError(file, `line ${line}, column ${missingAt + 1} ("${header[missingAt]}"): missing value ${JSON.stringify(record[missingAt])} (drop such rows with dropMissing / --drop-missing, or fill them in)`);
    }
    if (used + numeric.length > data.length) {
      const grown = new Float64Array(data.length * 2 + numeric.length);
      grown.set(data.subarray(0, used));
      data = grown;
    }
    for (const j of numeric) {
      const v = parseNumber(record[j]!);
      if (v === undefined || !Number.isFinite(v)) throw new CsvError(file, `line ${line}, column ${j + 1} ("${header[j]}"): ${JSON.stringify(record[j])} is not a number`);
      data[used++] = v;
    }
    if (textAt !== undefined) textAt.forEach((j, k) => text![k]!.push(record[j]!));
    lines.push(line);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      parser.on('data', (record: string[]) => {
        try {
          onRecord(record, parser.info.lines);
        } catch (e) {
          parser.destroy(e as Error);
        }
      });
      parser.on('error', reject);
      parser.on('end', resolve);
    });
  } catch (e) {
    if (e instanceof CsvError) throw e;
    const err = e as Error & { code?: string };
    // csv-parse's own words say the line: "Invalid Record Length: expect 5, got 4 on line 3"
    if (typeof err.code === 'string' && err.code.startsWith('CSV_')) throw new CsvError(file, err.message);
    throw new CsvError(file, `cannot be read (${err.code ?? err.message})`);
  } finally {
    input.destroy();
  }
  if (header === undefined) throw new CsvError(file, 'has no header row (the file holds only empty lines)');
  if (lines.length === 0) throw new CsvError(file, dropped > 0 ? `every one of its ${dropped} rows has a missing value` : 'has a header but no rows of data');
  const x = new Matrix(lines.length, numeric.length, data.slice(0, used));
  return { header, columns, x, text, lines, dropped };
}

function pickColumns(file: string, header: string[], options: CsvReadOptions): { numeric: number[]; textAt: number[] | undefined; columns: string[] } {
  const seen = new Map<string, number>();
  header.forEach((name, j) => {
    if (name === '') throw new CsvError(file, `the header's column ${j + 1} has no name`);
    if (seen.has(name)) throw new CsvError(file, `the header names column "${name}" twice (columns ${seen.get(name)! + 1} and ${j + 1})`);
    seen.set(name, j);
  });
  const where = (name: string, what: string): number => {
    const j = seen.get(name);
    if (j === undefined) throw new CsvError(file, `has no ${what} column "${name}" (its header has ${header.map((h) => JSON.stringify(h)).join(', ')})`);
    return j;
  };
  const textNames = options.text ?? [];
  // optional text columns (a target when predicting) are read only when the file has them
  const absent = options.textOptional === true && textNames.every((n) => !seen.has(n));
  const textAt = textNames.length === 0 || absent ? undefined : textNames.map((n) => where(n, 'target'));
  const columns = options.columns !== undefined ? [...options.columns] : header.filter((h) => !textNames.includes(h));
  if (columns.length === 0) throw new CsvError(file, 'leaves no feature column (the header has only the target)');
  for (const c of columns) if (textNames.includes(c)) throw new CsvError(file, `column "${c}" is both the target and a feature`);
  if (new Set(columns).size !== columns.length) throw new CsvError(file, `a feature column is named twice in ${columns.join(',')}`);
  return { numeric: columns.map((c) => where(c, 'feature')), textAt, columns };
}

// a CSV with a header into a table: the features as numbers, the target column(s) as labels or values
export async function loadCsv(file: string, options: CsvOptions): Promise<CsvTable> {
  if (typeof file !== 'string' || file === '') throw new TypeError(`loadCsv: file must be a path, got ${describe(file)}`);
  if (options === null || typeof options !== 'object') throw new TypeError('loadCsv: options must be { target, columns?, task?, dropMissing?, delimiter? }');
  const targets = typeof options.target === 'string' ? [options.target] : options.target;
  if (!Array.isArray(targets) || targets.length === 0 || targets.some((t) => typeof t !== 'string' || t === '')) throw new TypeError(`loadCsv: target must be a column name (or several), got ${describe(options.target)}`);
  const rows = await readCsvRows(file, { columns: options.columns, text: targets, dropMissing: options.dropMissing, delimiter: options.delimiter });
  const cells = rows.text!;
  const y = targetValues(file, targets, cells, rows.lines, options.task);
  let table: Table;
  try {
    table = toTable({ x: rows.x, y, task: options.task, features: rows.columns, target: targets });
  } catch (e) {
    throw new CsvError(file, (e as Error).message.replace(/^data(\.[xy])?: /, ''));
  }
  return { ...table, file, dropped: rows.dropped };
}

// one target column: numbers if every cell is one, else class names; several: rows of numbers
function targetValues(file: string, names: readonly string[], cells: string[][], lines: number[], task: Task | undefined): (number | string)[] | number[][] {
  const numbers = cells.map((col) => col.map((c) => parseNumber(c)));
  if (names.length === 1) {
    const col = numbers[0]!;
    const allNumbers = col.every((v) => v !== undefined);
    if (task === 'regress' && !allNumbers) {
      const i = col.findIndex((v) => v === undefined);
      throw new CsvError(file, `line ${lines[i]}: the target "${names[0]}" is ${JSON.stringify(cells[0]![i])}, not a number, but the task is regress`);
    }
    return allNumbers ? (col as number[]) : cells[0]!;
  }
  return lines.map((line, i) =>
    names.map((name, k) => {
      const v = numbers[k]![i];
      if (v === undefined) throw new CsvError(file, `line ${line}: target column "${name}" is ${JSON.stringify(cells[k]![i])}, not a number (several target columns must all be numbers)`);
      return v;
    }),
  );
}
