// flag parsing shared by every command: node's parseArgs, typed flag values, and the usage error
// that turns a mistake in how blasprop was called into exit code 2.

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

// a mistake in how the command was called: exit code 2, with a pointer to the usage
export class UsageError extends Error {
  readonly showUsage: boolean;
  constructor(message: string, showUsage = false) {
    super(message);
    this.showUsage = showUsage;
  }
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export type FlagValues = Record<string, string | boolean | undefined>;

// node's parseArgs, with its errors turned into one-line usage errors
export function parse(args: string[], options: OptionSpec): FlagValues {
  return parseWithFiles(args, options, false).values;
}

export function parseWithFiles(args: string[], options: OptionSpec, allowPositionals = true): { values: FlagValues; files: string[] } {
  try {
    const r = parseArgs({ args, options, strict: true, allowPositionals });
    return { values: r.values as FlagValues, files: r.positionals };
  } catch (e) {
    const err = e as Error & { code?: string };
    if (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(err.message.split('\n').map((s) => s.trim()).join(' '), true);
    }
    throw err;
  }
}

export function integerFlag(name: string, value: string | boolean | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const s = String(value).trim();
  const n = /^\+?\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

export function numberFlag(name: string, value: string | boolean | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const s = String(value).trim();
  const n = s === '' ? NaN : Number(s);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

export function choiceFlag<T extends string>(name: string, value: string | boolean | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

export function listFlag(name: string, value: string | boolean | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = String(value).split(',');
  return parts.map((p) => {
    const n = /^\s*\d+\s*$/.test(p) ? Number(p) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be positive integers separated by commas (e.g. 256,128), got ${JSON.stringify(value)}`);
    return n;
  });
}

// an output path is checked before training, not after a long run
export function outputFlag(name: string, value: string | boolean | undefined, ext: string): string | undefined {
  if (value === undefined) return undefined;
  const path = String(value);
  if (path === '') throw new UsageError(`--${name} needs a file path`);
  if (extname(path).toLowerCase() !== ext) throw new UsageError(`--${name} must name a ${ext} file, got ${JSON.stringify(path)}`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`--${name}: ${path} is a directory, not a file`);
  // the directory is made at the end if needed: its nearest existing ancestor must be a writable directory
  let dir = dirname(resolve(path));
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) throw new UsageError(`--${name}: ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`--${name}: cannot write into ${dir} (permission denied)`);
  }
  return path;
}

// a directory flag, checked before anything slow
export function dirFlag(name: string, value: string | boolean | undefined): string | undefined {
  if (value === undefined) return undefined;
  const path = String(value);
  if (path === '') throw new UsageError(`--${name} needs a directory path`);
  if (existsSync(path) && !statSync(path).isDirectory()) throw new UsageError(`--${name}: ${path} is not a directory`);
  return path;
}
