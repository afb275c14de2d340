import { SuggestResponse, type TicketContext } from './contract';
import type { SyncTarget } from './outbox/sync';

const SUGGEST_TIMEOUT_MS = 30_000;

/** Calls the Loopdesk backend. Only the background worker imports this module. */
export async function requestSuggestion(target: SyncTarget, context: TicketContext): Promise<SuggestResponse> {
  let response: Response;
  try {
    response = await fetch(new URL('/v1/suggest', target.serverUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
      body: JSON.stringify(context),
      signal: AbortSignal.timeout(SUGGEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(`Loopdesk server unreachable at ${target.serverUrl} (${(err as Error).message})`);
  }
  const body = (await response.json().catch(() => null)) as unknown;
  if (!response.ok) {
    const message = (body as { error?: string } | null)?.error ?? response.statusText;
    throw new Error(`Loopdesk server answered ${response.status}: ${message}`);
  }
  return SuggestResponse.parse(body);
}
