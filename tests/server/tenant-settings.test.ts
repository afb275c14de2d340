import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantSettingsResponse } from '../../lib/contract';
import { importThermostatKb } from '../support/kb-fixture';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

const TICKET = { helpdesk: 'zendesk', ticketId: '77', subject: 'Refund', messages: [{ author: 'customer', text: 'How long does a refund take?' }], tags: [] };

describe.each(DATABASE_KINDS)('tenant settings on %s', (kind) => {
  let server: TestServer;
  let admin: string;
  let lead: string;
  let agent: string;
  let otherAgent: string;

  beforeAll(async () => {
    server = await startTestServer(kind);
    await importThermostatKb(server.database, 'acme');
    admin = await server.token('admin', { name: 'ada' });
    lead = await server.token('lead');
    agent = await server.token('agent');
    otherAgent = await server.token('agent', { tenant: 'globex' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('start empty, and only an admin may set them', async () => {
    const empty = await server.call('/v1/tenant/settings', { token: agent });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ settings: {}, updatedAt: null });
    for (const token of [agent, lead]) {
      const denied = await server.call('/v1/admin/tenant/settings', { method: 'PUT', token, body: { redaction: 'strict' } });
      expect(denied.status).toBe(403);
    }
  });

  it('refuses bad settings naming the field, and keeps what was stored', async () => {
    const bad = await server.call('/v1/admin/tenant/settings', { method: 'PUT', token: admin, body: { redaction: 'paranoid', annotationSampling: 2 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/redaction: /);
    expect(bad.body.error).toMatch(/annotationSampling: /);
    const unknown = await server.call('/v1/admin/tenant/settings', { method: 'PUT', token: admin, body: { colour: 'blue' } });
    expect(unknown.status).toBe(400);
    expect((await server.call('/v1/tenant/settings', { token: agent })).body.settings).toEqual({});
  });

  it('apply to every agent of the tenant, versioned by ETag, audited, and nowhere else', async () => {
    const put = await server.call('/v1/admin/tenant/settings', {
      method: 'PUT',
      token: admin,
      body: { redaction: 'strict', annotations: { relevance: false }, annotationSampling: 0 },
    });
    expect(put.status).toBe(200);
    expect(TenantSettingsResponse.parse(put.body).settings).toEqual({ redaction: 'strict', annotations: { relevance: false }, annotationSampling: 0 });

    const got = await fetch(`${server.url}/v1/tenant/settings`, { headers: { authorization: `Bearer ${agent}` } });
    const etag = got.headers.get('etag')!;
    expect((await got.json()).settings.redaction).toBe('strict');
    const again = await fetch(`${server.url}/v1/tenant/settings`, { headers: { authorization: `Bearer ${agent}`, 'if-none-match': etag } });
    expect(again.status).toBe(304);

    // Another tenant's agents see none of it.
    expect((await server.call('/v1/tenant/settings', { token: otherAgent })).body).toEqual({ settings: {}, updatedAt: null });

    const audit = await server.call('/v1/admin/audit?limit=5', { token: admin });
    expect(audit.body.entries[0]).toMatchObject({
      action: 'tenant.settings.updated',
      actor: { name: 'ada', role: 'admin' },
      changes: { redaction: { before: null, after: 'strict' }, annotationSampling: { before: null, after: 0 } },
    });
  });

  it('sampling 0 makes baseline suggestions ask for no labels', async () => {
    for (let i = 0; i < 3; i++) {
      const { status, body } = await server.call('/v1/suggest', { token: agent, body: TICKET });
      expect(status).toBe(200);
      expect(body.annotate).toBe(false);
    }
    const other = await server.call('/v1/suggest', { token: otherAgent, body: TICKET });
    expect(other.body.annotate).toBe(true);
  });
});
