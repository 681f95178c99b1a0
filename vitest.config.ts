import { defineConfig } from 'vitest/config';

/**
 * One DynamoDB Local for the whole run (test/support/global-setup.ts); each
 * integration test file gets its own table and local host on a free port.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'functions/**/*.test.ts', 'shared/**/*.test.ts', 'infra/**/*.test.ts'],
    exclude: ['node_modules/**', 'web/**', 'cdk.out/**'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    restoreMocks: true,
  },
});
