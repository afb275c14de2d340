import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createDemoApp, DEMO_CSP } from '../../demo/routes';
import { loadDemoTickets } from '../../demo/tickets';

// Only the routing and headers: the pages themselves run in Chromium in the e2e tests.
const app = new Hono().route('/demo', createDemoApp({ tickets: loadDemoTickets(), assetsDir: '.output/demo' }));

describe('demo helpdesk pages', () => {
  it.each([
    ['/demo/agent', '/demo/agent/tickets/1001'],
    ['/demo/freshdesk', '/demo/freshdesk/a/tickets/1001'],
    ['/demo/freshdesk/a/tickets', '/demo/freshdesk/a/tickets/1001'],
    ['/demo/helpscout/', '/demo/helpscout/conversation/1001/1001'],
  ])('%s redirects to the first ticket', async (path, location) => {
    const response = await app.request(path);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(location);
  });

  it.each([
    ['/demo/agent/tickets/1001', 'app'],
    ['/demo/freshdesk/a/tickets/1002', 'freshdesk'],
    ['/demo/helpscout/conversation/1003/1003', 'helpscout'],
  ])('%s is served with its own bundle under the strict CSP', async (path, entry) => {
    const response = await app.request(path);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(DEMO_CSP);
    const html = await response.text();
    expect(html).toContain(`<script type="module" src="/demo/assets/${entry}.js"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="/demo/assets/${entry}.css">`);
    expect(html).not.toMatch(/<script>|style=/);
  });
});
