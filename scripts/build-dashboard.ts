/**
 * Bundles the team leads' dashboard (dashboard/main.tsx) into `<outDir>/dashboard.js` and
 * `dashboard.css`, which the server serves at `/dashboard` (server/dashboard.ts). Real React DOM,
 * not the extension's Preact alias: the page loads once per visit, not on every helpdesk page.
 *
 *   npx tsx scripts/build-dashboard.ts [outDir]
 */
import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { runDirectly } from './lib/run-directly';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * zod's namespace object re-exports its error messages in every language (`z.locales`), which no
 * bundler can drop once `z` itself is imported: 260 kB of the bundle. The dashboard shows English
 * messages only, so the locale index resolves to English alone.
 */
const englishZodOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: resolve(dirname(args.importer), '../locales'), namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: args.path,
      loader: 'js',
    }));
  },
};

export interface DashboardBuildResult {
  outDir: string;
  js: { path: string; bytes: number };
  css: { path: string; bytes: number };
  ms: number;
}

/** Builds the dashboard; a relative `outDir` is taken from the repository root. */
export async function buildDashboard(outDir = '.output/dashboard'): Promise<DashboardBuildResult> {
  const started = performance.now();
  const dir = isAbsolute(outDir) ? outDir : resolve(ROOT, outDir);
  await build({
    absWorkingDir: ROOT,
    entryPoints: { dashboard: join(ROOT, 'dashboard/main.tsx') },
    outdir: dir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    minify: true,
    sourcemap: true,
    loader: { '.css': 'css' },
    legalComments: 'eof',
    plugins: [englishZodOnly],
    logLevel: 'warning',
  });
  const file = async (name: string) => {
    const path = join(dir, name);
    return { path, bytes: (await stat(path)).size };
  };
  return { outDir: dir, js: await file('dashboard.js'), css: await file('dashboard.css'), ms: Math.round(performance.now() - started) };
}


if (runDirectly(import.meta.url)) {
  try {
    const result = await buildDashboard(process.argv[2]);
    const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
    const where = relative(process.cwd(), result.outDir) || '.';
    console.log(`dashboard built in ${result.ms} ms: dashboard.js ${kB(result.js.bytes)}, dashboard.css ${kB(result.css.bytes)} in ${where}`);
  } catch (error) {
    // esbuild has already printed its errors.
    if (!(error instanceof Error && 'errors' in error)) console.error(error);
    process.exitCode = 1;
  }
}
