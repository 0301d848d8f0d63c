#!/usr/bin/env node
// the blasprop command (package.json's bin): the commands themselves live in src/cli/
import { run } from './cli/index.js';

process.exitCode = await run(process.argv.slice(2));
