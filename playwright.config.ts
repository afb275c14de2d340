import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'tests/e2e',
  // One browser with the extension at a time: two cores, and some tests touch machine-wide state.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json', { outputFile: '.reports/e2e.json' }]],
  use: { trace: 'retain-on-failure' },
});
