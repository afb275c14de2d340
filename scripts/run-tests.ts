/**
 * `npm test`: type check, build the extension (Chrome, and Firefox with web-ext lint), demo and dashboard,
 * then every test tier — unit, Firefox package, server (PGlite,
 * plus PostgreSQL when DATABASE_URL is set) and e2e in real Chromium — and one closing count line.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
// Playwright empties test-results/ when it starts, so the reports are kept elsewhere.
mkdirSync('.reports', { recursive: true });
// A browser tier that crashes before reporting must not be counted from an earlier run's report.
for (const report of ['.reports/e2e.json', '.reports/e2e-policy.json']) rmSync(report, { force: true });

function step(label: string, args: string[], env: Record<string, string> = {}): boolean {
  console.log(`\n▶ ${label}`);
  const result = spawnSync(npx, args, { stdio: 'inherit', env: { ...process.env, ...env } });
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
// The Firefox package: built, then checked against Mozilla's rules (errors fail the run; the known
// warnings are listed in the README) and by the 'firefox' vitest project below.
ok = step('build Firefox extension', ['wxt', 'build', '-b', 'firefox']) && ok;
ok = step('lint Firefox extension (web-ext lint)', ['web-ext', 'lint', '--source-dir', '.output/firefox-mv2']) && ok;
ok = step('build demo helpdesk', ['tsx', 'scripts/build-demo.ts']) && ok;
ok = step("build team leads' dashboard", ['tsx', 'scripts/build-dashboard.ts']) && ok;
const unitOk = step('unit and server tests (vitest)', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  '--outputFile=.reports/vitest.json',
]);
const e2eOk = step('end-to-end tests (Playwright, Chromium with the built extension)', ['playwright', 'test', '--project=e2e']);
// Enterprise-policy tests write a machine-wide Chromium policy file that every browser started
// meanwhile would pick up: they run last, alone, once every other browser test has finished.
const policyOk = step(
  'enterprise policy tests (Playwright, alone: they write /etc/chromium/policies/managed)',
  ['playwright', 'test', '--project=policy', '--no-deps'],
  { LOOPDESK_E2E_REPORT: '.reports/e2e-policy.json' },
);

const vitest = readJson<{ numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number }>(
  '.reports/vitest.json',
);
type PlaywrightReport = { stats: { expected: number; unexpected: number; skipped: number; flaky: number } };
const e2eRuns = [readJson<PlaywrightReport>('.reports/e2e.json'), readJson<PlaywrightReport>('.reports/e2e-policy.json')];
const e2e: PlaywrightReport | null = e2eRuns.some(Boolean)
  ? {
      stats: {
        expected: e2eRuns.reduce((n, r) => n + (r?.stats.expected ?? 0), 0),
        unexpected: e2eRuns.reduce((n, r) => n + (r?.stats.unexpected ?? 0), 0),
        skipped: e2eRuns.reduce((n, r) => n + (r?.stats.skipped ?? 0), 0),
        flaky: e2eRuns.reduce((n, r) => n + (r?.stats.flaky ?? 0), 0),
      },
    }
  : null;

const passed = (vitest?.numPassedTests ?? 0) + (e2e?.stats.expected ?? 0) + (e2e?.stats.flaky ?? 0);
let failed = (vitest?.numFailedTests ?? 0) + (e2e?.stats.unexpected ?? 0);
const skipped = (vitest?.numPendingTests ?? 0) + (vitest?.numTodoTests ?? 0) + (e2e?.stats.skipped ?? 0);
// A tier that crashed before reporting still fails the run.
if (!unitOk && (vitest?.numFailedTests ?? 0) === 0) failed++;
if (!e2eOk && (e2eRuns[0]?.stats.unexpected ?? 0) === 0) failed++;
if (!policyOk && (e2eRuns[1]?.stats.unexpected ?? 0) === 0) failed++;
if (!ok) failed++;

console.log(`\nvitest: ${vitest?.numPassedTests ?? 0} passed · e2e: ${(e2e?.stats.expected ?? 0) + (e2e?.stats.flaky ?? 0)} passed`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 && ok && unitOk && e2eOk && policyOk ? 0 : 1);
