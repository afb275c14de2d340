/**
 * Bundles the demo helpdesk client (demo/client/main.ts) into `<outDir>/app.js` + `app.css`
 * (the CSS imported from the entry, CKEditor's included, lands in app.css).
 *
 *   npx tsx scripts/build-demo.ts
 */
import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface DemoBuildResult {
  outDir: string;
  js: { path: string; bytes: number };
  css: { path: string; bytes: number };
  ms: number;
}

/** Builds the demo client; a relative `outDir` is taken from the repository root. */
export async function buildDemo(outDir = '.output/demo'): Promise<DemoBuildResult> {
  const started = performance.now();
  const dir = isAbsolute(outDir) ? outDir : resolve(ROOT, outDir);
  await build({
    absWorkingDir: ROOT,
    entryPoints: { app: join(ROOT, 'demo/client/main.ts') },
    outdir: dir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    loader: { '.css': 'css', '.svg': 'text' },
    legalComments: 'eof',
    logLevel: 'warning',
  });
  const js = join(dir, 'app.js');
  const css = join(dir, 'app.css');
  return {
    outDir: dir,
    js: { path: js, bytes: (await stat(js)).size },
    css: { path: css, bytes: (await stat(css)).size },
    ms: Math.round(performance.now() - started),
  };
}

const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

function runDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (runDirectly()) {
  try {
    const result = await buildDemo(process.argv[2]);
    const where = relative(process.cwd(), result.outDir) || '.';
    console.log(`demo built in ${result.ms} ms: ${where}/app.js ${kB(result.js.bytes)}, ${where}/app.css ${kB(result.css.bytes)}`);
  } catch (error) {
    // esbuild has already printed its errors.
    if (!(error instanceof Error && 'errors' in error)) console.error(error);
    process.exitCode = 1;
  }
}
