import { defineConfig } from '@playwright/test';

/**
 * Tests that write machine-wide browser policy (/etc/chromium/policies/managed/): every Chromium
 * started while such a file exists gets the policy, so they run in their own project, after all
 * other e2e tests, one at a time (scripts/run-tests.ts runs them as a separate invocation).
 */
const POLICY_TESTS = /policy\.spec\.ts$/;

export default defineConfig({
  testDir: 'tests/e2e',
  // One browser with the extension at a time: two cores, and some tests touch machine-wide state.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json', { outputFile: process.env.LOOPDESK_E2E_REPORT ?? '.reports/e2e.json' }]],
  use: { trace: 'retain-on-failure' },
  projects: [
    { name: 'e2e', testIgnore: POLICY_TESTS },
    // Starts only when the 'e2e' project has finished (`--no-deps` runs it alone).
    { name: 'policy', testMatch: POLICY_TESTS, dependencies: ['e2e'] },
  ],
});
