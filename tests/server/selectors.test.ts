import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SelectorOverridesResponse } from '../../lib/contract';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

describe.each(DATABASE_KINDS)('selector overrides and misses on %s', (kind) => {
  let server: TestServer;
  let agent: string;
  let admin: string;

  beforeAll(async () => {
    server = await startTestServer(kind);
    agent = await server.token('agent');
    admin = await server.token('admin');
  });
  afterAll(async () => server?.close());

  const fix = { selectors: { activePane: ['[data-next-pane-id="{ticketId}"]'], composer: ['[data-test-id="composer-v2"]'] } };

  it('serves nothing until an admin overrides, then the same set to every agent of the tenant, with a 304 when unchanged', async () => {
    const before = await server.call('/v1/helpdesks/zendesk/selectors', { token: agent });
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ helpdesk: 'zendesk', selectors: {}, updatedAt: null });

    const put = await server.call('/v1/admin/helpdesks/zendesk/selectors', { method: 'PUT', token: admin, body: fix });
    expect(put.status).toBe(200);
    expect(SelectorOverridesResponse.parse(put.body).selectors).toEqual(fix.selectors);

    const other = await server.token('agent', { team: 'billing', name: 'bea' });
    const res = await fetch(`${server.url}/v1/helpdesks/zendesk/selectors`, { headers: { authorization: `Bearer ${other}` } });
    expect(res.status).toBe(200);
    expect((await res.json()).selectors).toEqual(fix.selectors);
    const again = await fetch(`${server.url}/v1/helpdesks/zendesk/selectors`, {
      headers: { authorization: `Bearer ${other}`, 'if-none-match': res.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    // Other helpdesks and other tenants are untouched.
    expect((await server.call('/v1/helpdesks/freshdesk/selectors', { token: agent })).body.selectors).toEqual({});
    const outsider = await server.token('agent', { tenant: 'globex' });
    expect((await server.call('/v1/helpdesks/zendesk/selectors', { token: outsider })).body.selectors).toEqual({});
  });

  it('lets only admins change overrides, and names the field of a bad one', async () => {
    expect((await server.call('/v1/admin/helpdesks/zendesk/selectors', { method: 'PUT', token: agent, body: fix })).status).toBe(403);
    const unknownKey = await server.call('/v1/admin/helpdesks/zendesk/selectors', { method: 'PUT', token: admin, body: { selectors: { sendButtn: ['button'] } } });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.error).toMatch(/selectors/);
    expect(unknownKey.body.error).toMatch(/sendButtn/);
    const badRegex = await server.call('/v1/admin/helpdesks/zendesk/selectors', { method: 'PUT', token: admin, body: { selectors: { ticketIdFromPath: ['(unclosed'] } } });
    expect(badRegex.status).toBe(400);
    expect(badRegex.body.error).toMatch(/^selectors\.ticketIdFromPath\[0\]: not a valid regular expression/);
    const badHelpdesk = await server.call('/v1/admin/helpdesks/intercom/selectors', { method: 'PUT', token: admin, body: fix });
    expect(badHelpdesk.status).toBe(400);
    expect(badHelpdesk.body.error).toMatch(/^helpdesk:/);
    // The stored fix survived the bad attempts.
    expect((await server.call('/v1/helpdesks/zendesk/selectors', { token: agent })).body.selectors).toEqual(fix.selectors);
  });

  it('clears an override back to the built-in selectors', async () => {
    expect((await server.call('/v1/admin/helpdesks/zendesk/selectors', { method: 'DELETE', token: admin })).status).toBe(204);
    expect((await server.call('/v1/helpdesks/zendesk/selectors', { token: agent })).body.selectors).toEqual({});
    expect((await server.call('/v1/admin/helpdesks/zendesk/selectors', { method: 'DELETE', token: admin })).status).toBe(404);
  });

  it('counts selector misses per helpdesk, hook and version for leads to see', async () => {
    const report = { helpdesk: 'zendesk', key: 'activePane', clientVersion: '0.1.0', overridden: false };
    for (let i = 0; i < 3; i++) expect((await server.call('/v1/diagnostics/selector-misses', { token: agent, body: report })).status).toBe(204);
    await server.call('/v1/diagnostics/selector-misses', { token: agent, body: { ...report, key: 'composer' } });
    const bad = await server.call('/v1/diagnostics/selector-misses', { token: agent, body: { ...report, key: 'nope' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^key:/);
    expect((await server.call('/v1/admin/selector-misses', { token: agent })).status).toBe(403);
    const lead = await server.token('lead');
    const list = await server.call('/v1/admin/selector-misses', { token: lead });
    expect(list.status).toBe(200);
    expect(list.body.misses.map((m: { key: string; count: number }) => [m.key, m.count]).sort()).toEqual([
      ['activePane', 3],
      ['composer', 1],
    ]);
  });
});
