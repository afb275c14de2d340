import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        // Checks the built Firefox package (.output/firefox-mv2): run after `npm run build:firefox`.
        test: { name: 'firefox', include: ['tests/firefox/**/*.test.ts'], environment: 'node' },
      },
      {
        test: {
          name: 'server',
          include: ['tests/server/**/*.test.ts'],
          environment: 'node',
          // PGlite takes seconds to start; each file shares one instance across its tests.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
