// blasprop info: the backend, where its compiled addon came from, the OpenBLAS build and its threads.

import { info } from '../info.js';
import { currentPlatform, describePlatform } from '../native/platform.js';
import { parse } from './args.js';
import { version } from './version.js';

export const INFO_USAGE = `Usage: blasprop info [options]

Shows the active backend, where its compiled addon came from, the OpenBLAS build and its threads.

Options:
  --json       print the same facts as JSON
  -h, --help   show this help`;

export function infoCommand(args: string[]): number {
  const v = parse(args, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (v.help) {
    process.stdout.write(INFO_USAGE + '\n');
    return 0;
  }
  const facts = info();
  const platform = describePlatform(currentPlatform());
  if (v.json) {
    process.stdout.write(JSON.stringify({ version: version(), node: process.version, platform, ...facts }, null, 2) + '\n');
    return 0;
  }
  const rows: [string, string][] = [
    ['blasprop', `${version()} (node ${process.version}, ${platform})`],
    ['backend', facts.backend],
  ];
  const n = facts.native;
  if (n.available) {
    rows.push(
      ['binary', n.path],
      ['source', `${n.source}${n.buildSystem ? ` (${n.buildSystem})` : ''}`],
      ['BLAS', n.blas + (n.openblasLink ? `, linked ${n.openblasLink}` : '')],
      ['config', n.config],
      ['core', n.corename],
      ['threads', `${n.threads} (${n.parallel})`],
      ['N-API', String(n.napiVersion)],
    );
  } else {
    rows.push(['native', `unavailable: ${n.reason}`], ['fix', n.fix]);
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  process.stdout.write(rows.map(([k, val]) => `${k.padEnd(width)}${val}`).join('\n') + '\n');
  return 0;
}
