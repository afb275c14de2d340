#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly so `npx loopdesk` works right after `npm ci`.
import { spawnSync } from 'node:child_process';
import { register } from 'tsx/esm/api';

// A flywheel run on PGlite runs PGlite's WebAssembly on V8's baseline compiler (Liftoff) alone: the
// optimizing tier's compilation of PostgreSQL alone peaks at ~1 GB of memory, and a run is mostly
// JavaScript (bench/results/flywheel-cycle.md). The flag only works on the command line, hence a
// child process; LOOPDESK_WASM_OPTIMIZE=1 keeps the optimizing tier.
const pgliteFlywheel = process.argv[2] === 'flywheel' && process.argv[3] === 'run' && !process.env.DATABASE_URL;
if (pgliteFlywheel && !process.execArgv.includes('--liftoff-only') && process.env.LOOPDESK_WASM_OPTIMIZE !== '1') {
  const child = spawnSync(process.execPath, ['--liftoff-only', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

register();
await import('../server/cli/main.ts');
