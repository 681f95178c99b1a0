import { defineConfig } from 'vitest/config';

/**
 * Each integration test file gets its own DynamoDB Local (started on first
 * use, test/support/file-dynamo.ts), table and local host on a free port.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'functions/**/*.test.ts', 'shared/**/*.test.ts', 'infra/**/*.test.ts'],
    exclude: ['node_modules/**', 'web/**', 'cdk.out/**'],
    setupFiles: ['test/support/file-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    restoreMocks: true,
  },
});
