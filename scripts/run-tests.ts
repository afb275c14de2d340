/**
 * `npm test`: type check, build the extension and demo, then every test tier — unit, server (PGlite,
 * plus PostgreSQL when DATABASE_URL is set) and e2e in real Chromium — and one closing count line.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
// Playwright empties test-results/ when it starts, so the reports are kept elsewhere.
mkdirSync('.reports', { recursive: true });

function step(label: string, args: string[]): boolean {
  console.log(`\n▶ ${label}`);
  const result = spawnSync(npx, args, { stdio: 'inherit' });
  return result.status === 0;
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

let ok = step('type check', ['tsc', '--noEmit']);
ok = step('build extension', ['wxt', 'build']) && ok;
ok = step('build demo helpdesk', ['tsx', 'scripts/build-demo.ts']) && ok;
const unitOk = step('unit and server tests (vitest)', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  '--outputFile=.reports/vitest.json',
]);
const e2eOk = step('end-to-end tests (Playwright, Chromium with the built extension)', ['playwright', 'test']);

const vitest = readJson<{ numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number }>(
  '.reports/vitest.json',
);
const e2e = readJson<{ stats: { expected: number; unexpected: number; skipped: number; flaky: number } }>('.reports/e2e.json');

const passed = (vitest?.numPassedTests ?? 0) + (e2e?.stats.expected ?? 0) + (e2e?.stats.flaky ?? 0);
let failed = (vitest?.numFailedTests ?? 0) + (e2e?.stats.unexpected ?? 0);
const skipped = (vitest?.numPendingTests ?? 0) + (vitest?.numTodoTests ?? 0) + (e2e?.stats.skipped ?? 0);
// A tier that crashed before reporting still fails the run.
if (!unitOk && (vitest?.numFailedTests ?? 0) === 0) failed++;
if (!e2eOk && (e2e?.stats.unexpected ?? 0) === 0) failed++;
if (!ok) failed++;

console.log(`\nvitest: ${vitest?.numPassedTests ?? 0} passed · e2e: ${(e2e?.stats.expected ?? 0) + (e2e?.stats.flaky ?? 0)} passed`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 && ok && unitOk && e2eOk ? 0 : 1);
