// the slow suites, each run by its own npm script (npm run test:package, …) and by .ci/run, not npm test
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  test: { ...base.test, include: ['test/slow/**/*.test.ts'], exclude: ['node_modules/**'], testTimeout: 300_000 },
});
