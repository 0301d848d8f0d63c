import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the slow suites (packing and installing the packages, …) run in their own npm scripts
    exclude: ['test/slow/**', 'node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    // a 2-core machine: two workers, and generous timeouts for the tests that train on real MNIST
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 300_000,
  },
});
