/**
 * `npm run bench`: every benchmark, one after the other (they share two cores), each writing its
 * results under bench/results/. Pass names to run some: `npm run bench -- retrieval speed`.
 */
import { spawnSync } from 'node:child_process';

const BENCHES: Record<string, string[]> = {
  retrieval: ['bench/retrieval.ts'],
  speed: ['bench/speed.ts'],
  'llm-overhead': ['bench/llm-overhead.ts'],
  ingest: ['bench/ingest.ts'],
  sync: ['bench/sync.ts'],
  adoption: ['bench/adoption.ts'],
  overlay: ['bench/overlay.ts'],
  metrics: ['bench/metrics.ts'],
  generation: ['bench/generation.ts'],
  'kb-gaps': ['bench/kb-gaps.ts'],
};

const chosen = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(BENCHES);
let failed = 0;
for (const name of chosen) {
  const args = BENCHES[name];
  if (!args) {
    console.error(`unknown benchmark "${name}"; choose from ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n▶ bench ${name}`);
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', ...args], { stdio: 'inherit' });
  console.log(`  ${name}: ${result.status === 0 ? 'done' : 'FAILED'} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
