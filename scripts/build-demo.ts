/**
 * Bundles the demo helpdesk's pages into `<outDir>`: the Zendesk-style page (demo/client/main.ts)
 * into `app.js` + `app.css` (CKEditor's CSS included), the Freshdesk- and Help Scout-style pages into
 * `freshdesk.*` and `helpscout.*`. Each page's CSS is what its entry imports.
 *
 *   npx tsx scripts/build-demo.ts
 */
import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { runDirectly } from './lib/run-directly';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const ENTRIES = {
  app: 'demo/client/main.ts',
  freshdesk: 'demo/client/freshdesk/main.ts',
  helpscout: 'demo/client/helpscout/main.ts',
} as const;

interface BuiltFile {
  path: string;
  bytes: number;
}

export interface DemoBuildResult {
  outDir: string;
  /** The Zendesk-style page's bundle. */
  js: BuiltFile;
  css: BuiltFile;
  /** Every page's bundle, by entry name. */
  pages: Record<keyof typeof ENTRIES, { js: BuiltFile; css: BuiltFile }>;
  ms: number;
}

/** Builds the demo client; a relative `outDir` is taken from the repository root. */
export async function buildDemo(outDir = '.output/demo'): Promise<DemoBuildResult> {
  const started = performance.now();
  const dir = isAbsolute(outDir) ? outDir : resolve(ROOT, outDir);
  await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(ROOT, file)])),
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
  const file = async (name: string): Promise<BuiltFile> => {
    const path = join(dir, name);
    return { path, bytes: (await stat(path)).size };
  };
  const pages = {} as DemoBuildResult['pages'];
  for (const name of Object.keys(ENTRIES) as (keyof typeof ENTRIES)[]) {
    pages[name] = { js: await file(`${name}.js`), css: await file(`${name}.css`) };
  }
  return { outDir: dir, js: pages.app.js, css: pages.app.css, pages, ms: Math.round(performance.now() - started) };
}

const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;


if (runDirectly(import.meta.url)) {
  try {
    const result = await buildDemo(process.argv[2]);
    const where = relative(process.cwd(), result.outDir) || '.';
    const files = Object.values(result.pages).flatMap((page) => [page.js, page.css]);
    console.log(`demo built in ${result.ms} ms: ${files.map((f) => `${relative(result.outDir, f.path)} ${kB(f.bytes)}`).join(', ')} in ${where}`);
  } catch (error) {
    // esbuild has already printed its errors.
    if (!(error instanceof Error && 'errors' in error)) console.error(error);
    process.exitCode = 1;
  }
}
