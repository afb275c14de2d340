import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../scripts/build-dashboard';
import { DASHBOARD_CSP } from '../../server/dashboard';
import { API_CSP } from '../../server/http/security-headers';
import { startTestServer, type TestServer } from '../support/server';

// The page itself runs in Chromium; here: that every server (not only --demo) serves it and its
// bundle with the right types and headers. Nothing here touches the database, so PGlite alone.
describe('dashboard page', () => {
  let server: TestServer;

  beforeAll(async () => {
    await buildDashboard();
    server = await startTestServer('pglite');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves the HTML shell at /dashboard under its own strict CSP', async () => {
    const response = await fetch(`${server.url}/dashboard`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/i);
    expect(response.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await response.text();
    expect(html).toContain('<script type="module" src="/dashboard/assets/dashboard.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/dashboard/assets/dashboard.css">');
    // Nothing inline: the CSP allows only the page's own files.
    expect(html).not.toMatch(/<script>|<style|style=/);
  });

  it.each(['/dashboard/', '/dashboard/index.html'])('%s redirects to /dashboard', async (path) => {
    const response = await fetch(`${server.url}${path}`, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/dashboard');
  });

  it.each([
    ['dashboard.js', 'text/javascript; charset=utf-8'],
    ['dashboard.css', 'text/css; charset=utf-8'],
    ['dashboard.js.map', 'application/json; charset=utf-8'],
  ])('serves assets/%s as %s', async (file, type) => {
    const response = await fetch(`${server.url}/dashboard/assets/${file}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(100);
  });

  it.each(['missing.js', '..%2Fdemo%2Fapp.js', '..%2F..%2Fpackage.json', 'dashboard.exe'])('answers 404 for assets/%s', async (file) => {
    const response = await fetch(`${server.url}/dashboard/assets/${file}`);
    expect(response.status).toBe(404);
  });

  it('leaves the API as it was: JSON errors under the API CSP', async () => {
    const response = await fetch(`${server.url}/v1/me`);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-security-policy')).toBe(API_CSP);
    expect(await response.json()).toEqual({ error: expect.any(String) });
  });
});
