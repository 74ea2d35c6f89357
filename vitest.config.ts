import { defineConfig } from 'vitest/config';

// Test tiers live in the file name: *.unit.spec.ts (no servers), *.int.spec.ts (real Kafka and
// PostgreSQL), *.e2e.spec.ts (whole processes). The global setup provides the servers (see
// test/support/global-setup.ts). The integration and end-to-end projects run their files one at a
// time; vitest runs such files in one sequential group after the rest, so `npm test`
// (scripts/test-lanes.ts) runs the kill -9 and broker-failure files of test/fault/ (project
// `fault`) in a second vitest process beside everything else, to fit CI's half hour on two cores.
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.unit.spec.ts', 'tools/**/*.unit.spec.ts', 'test/**/*.unit.spec.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['src/**/*.int.spec.ts', 'tools/**/*.int.spec.ts', 'test/**/*.int.spec.ts', 'examples/**/*.int.spec.ts'],
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/**/*.e2e.spec.ts'], exclude: ['test/fault/**', 'node_modules/**'], fileParallelism: false },
      },
      { extends: true, test: { name: 'fault', include: ['test/fault/**/*.e2e.spec.ts'], fileParallelism: false } },
    ],
  },
});
