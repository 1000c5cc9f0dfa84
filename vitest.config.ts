import { defineConfig } from 'vitest/config';

// Three tiers plus the fuzz tier (architecture.md "Testing tiers"). e2e needs root and runs one file at a time because
// its tests share the host's loop devices and network namespaces.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      // Property-based tests (fast-check): fixed seeds by default, FUZZ_SEED / FUZZ_RUNS override (test/fuzz/support/fuzz.ts).
      {
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
