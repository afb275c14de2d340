import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import type { EffectiveSettings } from '../../lib/settings';

// lib/enrollment defines its storage items at import: give it the fake browser first.
Object.assign(globalThis, { chrome: fakeBrowser, browser: fakeBrowser });
type Enrollment = typeof import('../../lib/enrollment');
type AgentIdentity = typeof import('../../lib/helpdesks/agent-identity');
let e: Enrollment;
let ai: AgentIdentity;
beforeAll(async () => {
  e = await import('../../lib/enrollment');
  ai = await import('../../lib/helpdesks/agent-identity');
});
beforeEach(() => {
  fakeBrowser.reset();
  vi.unstubAllGlobals();
});

const settings = (overrides: Partial<EffectiveSettings> = {}): EffectiveSettings => ({
  serverUrl: 'http://127.0.0.1:8787',
  token: '',
  redaction: 'standard',
  annotations: { preference: true, relevance: true, adoption: true, missingKnowledge: true, rationale: true },
  telemetry: true,
  allowedHelpdeskHosts: null,
  tenant: 'acme',
  enrollmentToken: 'lde_team',
  ...overrides,
});
const ANN = { agentId: '4242', email: 'ann@acme.example', name: 'Ann Agent' };
const enrolledAnswer = { token: 'ld_ann', tenant: 'acme', team: 'support', agent: 'zendesk:4242', role: 'agent' };

function stubFetch(answer: () => Response) {
  const calls: { url: string; body: any }[] = [];
  vi.stubGlobal('fetch', async (url: URL | string, init?: RequestInit) => {
    calls.push({ url: String(url), body: init?.body ? JSON.parse(String(init.body)) : undefined });
    return answer();
  });
  return calls;
}

describe('enrollment in the background', () => {
  it('enrolls once with the identity and a stable device id, stores the agent token in storage.local and uses it', async () => {
    const calls = stubFetch(() => Response.json(enrolledAnswer));
    expect(await e.effectiveToken(settings())).toBeNull();
    expect(await e.enrollmentView(settings())).toEqual({ state: 'waiting' });
    const state = await e.enrollIfNeeded(settings(), 'zendesk', ANN);
    expect(state).toMatchObject({ status: 'enrolled', token: 'ld_ann', agent: 'zendesk:4242', displayName: 'Ann Agent' });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('http://127.0.0.1:8787/v1/enroll');
    expect(calls[0]!.body).toMatchObject({ enrollmentToken: 'lde_team', helpdesk: 'zendesk', helpdeskIdentity: ANN, deviceId: expect.any(String) });
    expect(await e.effectiveToken(settings())).toBe('ld_ann');
    // Stored in storage.local, with the enrollment token only as its hash.
    const stored = (await fakeBrowser.storage.local.get('enrollment')).enrollment as Record<string, unknown>;
    expect(stored.token).toBe('ld_ann');
    expect(JSON.stringify(stored)).not.toContain('lde_team');
    expect(await e.enrollmentView(settings())).toMatchObject({ state: 'enrolled', agent: 'zendesk:4242', team: 'support', tenant: 'acme' });
    // Enrolled: no second request.
    await e.enrollIfNeeded(settings(), 'zendesk', ANN);
    expect(calls).toHaveLength(1);
  });

  it('lets a shared token (policy or options) win, and enrolls again for another server or enrollment token', async () => {
    const calls = stubFetch(() => Response.json(enrolledAnswer));
    expect(await e.enrollIfNeeded(settings({ token: 'ld_shared' }), 'zendesk', ANN)).toBeNull();
    expect(calls).toHaveLength(0);
    expect(await e.enrollmentView(settings({ token: 'ld_shared' }))).toEqual({ state: 'shared-token' });
    await e.enrollIfNeeded(settings(), 'zendesk', ANN);
    expect(await e.effectiveToken(settings({ token: 'ld_shared' }))).toBe('ld_shared');
    expect(await e.effectiveToken(settings({ enrollmentToken: 'lde_other' }))).toBeNull();
    expect(await e.effectiveToken(settings({ serverUrl: 'https://loopdesk.example.com' }))).toBeNull();
    expect(await e.effectiveToken(settings({ enrollmentToken: null }))).toBeNull();
    expect(await e.enrollmentView(settings({ enrollmentToken: null }))).toEqual({ state: 'not-used' });
    await e.enrollIfNeeded(settings({ enrollmentToken: 'lde_other' }), 'zendesk', ANN);
    expect(calls).toHaveLength(2);
  });

  it('records a refusal with the server’s reason and waits before trying again', async () => {
    const calls = stubFetch(() => Response.json({ error: 'enrollmentToken: this enrollment token has expired' }, { status: 401 }));
    const now = Date.now();
    const failed = await e.enrollIfNeeded(settings(), 'zendesk', ANN, now);
    expect(failed).toMatchObject({ status: 'failed', error: 'the server refused enrollment (401): enrollmentToken: this enrollment token has expired' });
    expect(await e.effectiveToken(settings())).toBeNull();
    expect(await e.enrollmentView(settings())).toMatchObject({ state: 'failed' });
    await e.enrollIfNeeded(settings(), 'zendesk', ANN, now + 1_000);
    expect(calls).toHaveLength(1);
    await e.enrollIfNeeded(settings(), 'zendesk', ANN, now + e.ENROLL_RETRY_MS + 1);
    expect(calls).toHaveLength(2);
  });

  it('drops a revoked enrolled token and does not enroll again with the same enrollment token', async () => {
    const calls = stubFetch(() => Response.json(enrolledAnswer));
    await e.enrollIfNeeded(settings(), 'zendesk', ANN);
    expect(await e.markRevokedIfEnrolled(settings(), 'ld_someone_else')).toBe(false);
    expect(await e.markRevokedIfEnrolled(settings(), 'ld_ann')).toBe(true);
    expect(await e.effectiveToken(settings())).toBeNull();
    expect(await e.enrollmentView(settings())).toMatchObject({ state: 'revoked', agent: 'zendesk:4242' });
    await e.enrollIfNeeded(settings(), 'zendesk', ANN);
    expect(calls).toHaveLength(1);
    // A new enrollment token from the policy starts over.
    await e.enrollIfNeeded(settings({ enrollmentToken: 'lde_new' }), 'zendesk', ANN);
    expect(calls).toHaveLength(2);
    expect(await e.effectiveToken(settings({ enrollmentToken: 'lde_new' }))).toBe('ld_ann');
  });

  it('shares one request between concurrent pages', async () => {
    const calls = stubFetch(() => Response.json(enrolledAnswer));
    await Promise.all([e.enrollIfNeeded(settings(), 'zendesk', ANN), e.enrollIfNeeded(settings(), 'zendesk', ANN)]);
    expect(calls).toHaveLength(1);
  });
});

describe('reading the signed-in agent', () => {
  const element = (attrs: Record<string, string>, text = '') =>
    ({
      getAttribute: (name: string) => attrs[name] ?? null,
      closest: () => null,
      querySelector: () => null,
      textContent: text,
    }) as unknown as Element;

  it('takes the id, email and name from the hook element', () => {
    expect(ai.identityFromElement(element({ 'data-agent-id': '7', 'data-agent-email': 'Ann@Acme.example', title: 'Ann Agent' }, 'AA'))).toEqual({
      agentId: '7',
      email: 'ann@acme.example',
      name: 'Ann Agent',
    });
    expect(ai.identityFromElement(element({ title: 'Bea (bea@acme.example)' }, 'BB'))).toEqual({ email: 'bea@acme.example', name: 'Bea (bea@acme.example)' });
    // A name alone cannot tell agents apart.
    expect(ai.identityFromElement(element({ title: 'Cy' }, 'Cy'))).toBeNull();
  });

  it("asks Zendesk's own /api/v2/users/me.json on the page's origin", async () => {
    const doc = { location: { origin: 'https://acme.zendesk.com' } } as unknown as Document;
    const seen: string[] = [];
    const answer = (body: unknown, status = 200) => async (url: URL | string) => {
      seen.push(String(url));
      return Response.json(body, { status });
    };
    expect(await ai.zendeskSelf(doc, answer({ user: { id: 123, name: 'Ann Agent', email: 'Ann@acme.example' } }) as typeof fetch)).toEqual({
      agentId: '123',
      email: 'ann@acme.example',
      name: 'Ann Agent',
    });
    expect(seen).toEqual(['https://acme.zendesk.com/api/v2/users/me.json']);
    expect(await ai.zendeskSelf(doc, answer({ user: { id: null, name: 'Anonymous user' } }) as typeof fetch)).toBeNull();
    expect(await ai.zendeskSelf(doc, answer({}, 401) as typeof fetch)).toBeNull();
  });
});
