/**
 * The team leads' dashboard: one HTML shell and its bundle (scripts/build-dashboard.ts), served by
 * every server at `/dashboard`. Leads may not have the extension installed, the page is
 * same-origin with the API (no CORS), and admins deploy one server.
 * Mount with `mountDashboard(app)`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { Hono, type Context } from 'hono';
import { PROJECT_ROOT } from './config';

export const DASHBOARD_ASSETS_DIR = join(PROJECT_ROOT, '.output', 'dashboard');

/**
 * Only the page's own script and stylesheet run, and it talks only to its own origin. Chart.js and
 * React set styles through the CSSOM, which `style-src` does not restrict, so no 'unsafe-inline'.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Loopdesk – team leads' dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
<script type="module" src="/dashboard/assets/dashboard.js"></script>
</head>
<body>
<div id="root" aria-busy="true"><p class="boot">Loading the dashboard…</p></div>
<noscript>The Loopdesk dashboard needs JavaScript.</noscript>
</body>
</html>
`;

export interface DashboardAppOptions {
  /** Folder holding `dashboard.js` and `dashboard.css`, normally `.output/dashboard`. */
  assetsDir?: string;
}

export function createDashboardApp(options: DashboardAppOptions = {}): Hono {
  const app = new Hono();
  const assetsRoot = resolve(options.assetsDir ?? DASHBOARD_ASSETS_DIR);

  const pageHeaders = (c: Context) => {
    c.header('Content-Security-Policy', DASHBOARD_CSP);
    c.header('X-Frame-Options', 'DENY');
    c.header('Cache-Control', 'no-cache');
  };

  app.get('/', (c) => {
    pageHeaders(c);
    // A server started from a checkout that was never built: say so rather than serve a blank page.
    if (!existsSync(join(assetsRoot, 'dashboard.js'))) {
      return c.html('<!doctype html><title>Loopdesk dashboard</title><p>The dashboard is not built: run <code>npm run build</code> and reload.</p>', 503);
    }
    return c.html(SHELL);
  });
  app.get('/index.html', (c) => c.redirect('/dashboard', 301));

  app.get('/assets/:file{.+}', async (c) => {
    const rel = c.req.param('file');
    const file = resolve(assetsRoot, rel);
    const type = CONTENT_TYPES[extname(file).toLowerCase()];
    if (!type || rel.includes('\0') || !file.startsWith(assetsRoot + sep)) return c.text('not found', 404);
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch {
      return c.text('not found', 404);
    }
    c.header('Content-Type', type);
    c.header('Cache-Control', 'no-cache');
    return c.body(new Uint8Array(data));
  });

  return app;
}

/** Serves the dashboard at `/dashboard` of `root`; `/dashboard/` redirects there (one address for bookmarks). */
export function mountDashboard(root: Hono, options: DashboardAppOptions = {}): void {
  root.get('/dashboard/', (c) => c.redirect('/dashboard', 301));
  root.route('/dashboard', createDashboardApp(options));
}
