import { describe, expect, it } from 'vitest';
import { HELPDESK_MATCHES } from '../../lib/helpdesks/matches';
import { defaultSelectors, HELPDESKS, helpdeskForLocation } from '../../lib/helpdesks/registry';
import { HelpdeskSelectors } from '../../lib/contract';
import { ticketRefFromPath } from '../../lib/helpdesks/selectors';
import type { Helpdesk } from '../../lib/contract';

const HELPDESK_IDS = Object.keys(HELPDESKS) as Helpdesk[];

/** Chrome's match-pattern rules, as far as the patterns in matches.ts use them (a host without a port matches any port). */
function matchesPattern(pattern: string, url: URL): boolean {
  const [, scheme, host, path] = /^(\w+):\/\/([^/]+)(\/.*)$/.exec(pattern)!;
  const glob = (s: string) => new RegExp(`^${s.split('*').map((p) => p.replace(/[.?+^$|()[\]{}\\]/g, '\\$&')).join('.*')}$`);
  const hostOk = host!.startsWith('*.') ? url.hostname.endsWith(host!.slice(1)) : url.hostname === host;
  return url.protocol === `${scheme}:` && hostOk && glob(path!).test(url.pathname + url.search);
}

const PAGES: [string, Helpdesk | null][] = [
  ['https://acme.zendesk.com/agent/tickets/123', 'zendesk'],
  ['https://acme.zendesk.com/agent/dashboard', 'zendesk'],
  ['https://acme.freshdesk.com/a/tickets/42', 'freshdesk'],
  ['https://acme.freshdesk.com/a/dashboard/default', 'freshdesk'],
  ['https://secure.helpscout.net/conversation/2847561930/1187?folderId=7', 'helpscout'],
  ['https://secure.helpscout.net/mailbox/5521/', 'helpscout'],
  ['http://127.0.0.1:8787/demo/agent/tickets/1001', 'zendesk'],
  ['http://localhost:4000/demo/freshdesk/a/tickets/1001', 'freshdesk'],
  ['http://127.0.0.1:8787/demo/helpscout/conversation/1001/1001', 'helpscout'],
  // Not agent apps: the help centre, another product's lookalike path, a lookalike host.
  ['https://acme.zendesk.com/hc/en-us', null],
  ['https://acme.freshdesk.com/support/home', null],
  ['https://acme.zendesk.com.evil.example/agent/tickets/1', null],
  ['https://example.com/demo/freshdesk/a/tickets/1', null],
];

describe('helpdesk registry', () => {
  it.each(PAGES)('%s → %s', (href, helpdesk) => {
    const url = new URL(href);
    expect(helpdeskForLocation(url)).toBe(helpdesk);
    // Every page the registry claims is one the content scripts are injected into.
    if (helpdesk) expect(HELPDESK_MATCHES.some((pattern) => matchesPattern(pattern, url))).toBe(true);
  });

  it.each(HELPDESK_IDS)('%s selectors are valid, JSON-only data', (helpdesk) => {
    const selectors = defaultSelectors(helpdesk);
    expect(HelpdeskSelectors.safeParse(selectors).success).toBe(true);
    // What the server would ship is exactly what the extension has built in.
    expect(JSON.parse(JSON.stringify(selectors))).toEqual(selectors);
  });

  it('rejects selector sets that are not plain data or do not compile', () => {
    const zendesk = defaultSelectors('zendesk');
    expect(HelpdeskSelectors.safeParse({ ...zendesk, ticketIdFromPath: [/\/agent\/tickets\/(\d+)/] }).success).toBe(false);
    expect(HelpdeskSelectors.safeParse({ ...zendesk, ticketIdFromPath: ['/tickets/(\\d+'] }).success).toBe(false);
    expect(HelpdeskSelectors.safeParse({ ...zendesk, extra: ['x'] }).success).toBe(false);
    const { composer: _composer, ...missing } = zendesk;
    expect(HelpdeskSelectors.safeParse(missing).success).toBe(false);
  });

  it('reads the ticket id (and the displayed number) from each helpdesk’s paths', () => {
    const ref = (helpdesk: Helpdesk, path: string) => ticketRefFromPath(defaultSelectors(helpdesk).ticketIdFromPath, path);
    expect(ref('zendesk', '/agent/tickets/123')).toEqual({ id: '123', number: '123' });
    expect(ref('zendesk', '/agent/dashboard')).toBeNull();
    expect(ref('freshdesk', '/a/tickets/42')).toEqual({ id: '42', number: '42' });
    expect(ref('freshdesk', '/helpdesk/tickets/42')).toEqual({ id: '42', number: '42' });
    expect(ref('helpscout', '/conversation/2847561930/1187')).toEqual({ id: '2847561930', number: '1187' });
    expect(ref('helpscout', '/conversations/2847561930')).toEqual({ id: '2847561930', number: '2847561930' });
    expect(ref('helpscout', '/mailbox/5521/')).toBeNull();
  });
});
