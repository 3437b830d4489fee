import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites share one Kafka broker and real databases; files run in parallel
    // but each uses its own topics, tables and temp folders.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
