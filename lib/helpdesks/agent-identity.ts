import type { HelpdeskIdentity } from '../contract';
import { queryFirst, type SelectorList } from './types';

const EMAIL = /[^\s@<>()"',;:]+@[^\s@<>()"',;:]+\.[^\s@<>()"',;:]+/;

const clean = (value: string | null | undefined): string | undefined => {
  const text = value?.replace(/\s+/g, ' ').trim();
  return text ? text.slice(0, 200) : undefined;
};

/**
 * The signed-in agent as an element shows them (see `agentIdentity` in lib/contract/selectors.ts);
 * null when the element names neither an id nor an email, which is what tells agents apart.
 */
export function identityFromElement(element: Element): HelpdeskIdentity | null {
  const attr = (...names: string[]) => names.map((name) => clean(element.getAttribute(name))).find(Boolean);
  const agentId = attr('data-agent-id', 'data-user-id');
  const mailto = element.closest('a[href^="mailto:"]')?.getAttribute('href') ?? element.querySelector('a[href^="mailto:"]')?.getAttribute('href');
  const email =
    attr('data-agent-email', 'data-email') ??
    clean(mailto?.slice('mailto:'.length)) ??
    EMAIL.exec(element.getAttribute('title') ?? '')?.[0] ??
    EMAIL.exec(element.textContent ?? '')?.[0];
  const name = attr('data-agent-name', 'title', 'aria-label') ?? clean(element.textContent) ?? email ?? agentId;
  if (!name || (agentId === undefined && email === undefined)) return null;
  return { ...(agentId !== undefined && { agentId }), ...(email !== undefined && { email: email.toLowerCase() }), name };
}

export function identityFromPage(doc: Document, selectors: SelectorList | undefined): HelpdeskIdentity | null {
  const element = selectors?.length ? queryFirst(doc, selectors) : null;
  return element ? identityFromElement(element) : null;
}

/**
 * Zendesk's own answer: `GET /api/v2/users/me.json` ("Show Self"), same-origin from the agent's
 * page, so the agent's signed-in session authenticates it (shared/docs/helpdesk-dom.md section 3).
 * Null when it fails or answers an anonymous user (id null).
 */
export async function zendeskSelf(doc: Document, fetchImpl: typeof fetch = fetch): Promise<HelpdeskIdentity | null> {
  try {
    const response = await fetchImpl(new URL('/api/v2/users/me.json', doc.location.origin), {
      headers: { accept: 'application/json' },
      credentials: 'same-origin',
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) return null;
    const body = (await response.json()) as { user?: { id?: unknown; email?: unknown; name?: unknown } };
    const user = body.user;
    if (!user || (typeof user.id !== 'number' && typeof user.id !== 'string')) return null;
    const email = typeof user.email === 'string' && EMAIL.test(user.email) ? user.email.trim().toLowerCase() : undefined;
    const name = (typeof user.name === 'string' && clean(user.name)) || email || String(user.id);
    return { agentId: String(user.id), ...(email && { email }), name };
  } catch {
    return null;
  }
}
