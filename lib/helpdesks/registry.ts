import type { Helpdesk } from '../contract';
import { createFreshdeskAdapter } from './freshdesk/adapter';
import { freshdeskSelectors } from './freshdesk/selectors';
import { createHelpscoutAdapter } from './helpscout/adapter';
import { helpscoutSelectors } from './helpscout/selectors';
import type { HelpdeskSelectors } from './selectors';
import type { HelpdeskAdapter } from './types';
import { createZendeskAdapter } from './zendesk/adapter';
import { zendeskSelectors } from './zendesk/selectors';

export interface HelpdeskDefinition {
  helpdesk: Helpdesk;
  /** The built-in selector set; a server-side override replaces it as a whole. */
  defaultSelectors: HelpdeskSelectors;
  createAdapter(doc?: Document, selectors?: HelpdeskSelectors): HelpdeskAdapter;
}

export const HELPDESKS: Readonly<Record<Helpdesk, HelpdeskDefinition>> = {
  zendesk: { helpdesk: 'zendesk', defaultSelectors: zendeskSelectors, createAdapter: createZendeskAdapter },
  freshdesk: { helpdesk: 'freshdesk', defaultSelectors: freshdeskSelectors, createAdapter: createFreshdeskAdapter },
  helpscout: { helpdesk: 'helpscout', defaultSelectors: helpscoutSelectors, createAdapter: createHelpscoutAdapter },
};

/**
 * Which helpdesk a page belongs to, as data (regular-expression sources for the hostname and the
 * path, first match wins). The paths cover the whole agent app, not only ticket pages, for the
 * reason given in matches.ts; the adapter itself answers "no ticket" elsewhere.
 */
export const HELPDESK_LOCATIONS: readonly { helpdesk: Helpdesk; host: string; path: string }[] = [
  { helpdesk: 'zendesk', host: '^[a-z0-9][a-z0-9-]*\\.zendesk\\.com$', path: '^/agent(?:/|$)' },
  { helpdesk: 'freshdesk', host: '^[a-z0-9][a-z0-9-]*\\.freshdesk\\.com$', path: '^/a(?:/|$)' },
  { helpdesk: 'helpscout', host: '^secure\\.helpscout\\.net$', path: '^/' },
  // The demo helpdesk, one page per helpdesk style, on any port of this machine.
  { helpdesk: 'zendesk', host: '^(?:127\\.0\\.0\\.1|localhost)$', path: '^/demo/agent(?:/|$)' },
  { helpdesk: 'freshdesk', host: '^(?:127\\.0\\.0\\.1|localhost)$', path: '^/demo/freshdesk(?:/|$)' },
  { helpdesk: 'helpscout', host: '^(?:127\\.0\\.0\\.1|localhost)$', path: '^/demo/helpscout(?:/|$)' },
];

export function helpdeskForLocation(location: { hostname: string; pathname: string }): Helpdesk | null {
  const host = location.hostname.toLowerCase();
  const rule = HELPDESK_LOCATIONS.find((r) => new RegExp(r.host).test(host) && new RegExp(r.path).test(location.pathname));
  return rule?.helpdesk ?? null;
}

export function defaultSelectors(helpdesk: Helpdesk): HelpdeskSelectors {
  return HELPDESKS[helpdesk].defaultSelectors;
}
