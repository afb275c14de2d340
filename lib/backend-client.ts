import { SUGGEST_STREAM_CONTENT_TYPE, SuggestStreamEvent, describeIssues, type TicketContext } from './contract';
import type { SyncTarget } from './outbox/sync';
import { readSse } from './sse';

/** Longer than the server's own model timeout, so that its fallback reply still arrives. */
const SUGGEST_TIMEOUT_MS = 45_000;

/**
 * Asks the Loopdesk backend for a suggestion as a stream and hands each validated event to
 * `onEvent` the moment it arrives. Resolves after `done`; a server-side `error` event, a broken or
 * invalid stream, or a failed request rejects with a message for the agent. Only the background
 * worker imports this module.
 */
export async function streamSuggestion(
  target: SyncTarget,
  context: TicketContext,
  onEvent: (event: SuggestStreamEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const timeout = AbortSignal.timeout(SUGGEST_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(new URL('/v1/suggest', target.serverUrl), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: SUGGEST_STREAM_CONTENT_TYPE,
        authorization: `Bearer ${target.token}`,
      },
      body: JSON.stringify(context),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (err) {
    throw new Error(`Loopdesk server unreachable at ${target.serverUrl} (${(err as Error).message})`);
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: string } | null;
    throw new Error(`Loopdesk server answered ${response.status}: ${body?.error ?? response.statusText}`);
  }
  if (!response.body || !response.headers.get('content-type')?.startsWith(SUGGEST_STREAM_CONTENT_TYPE)) {
    throw new Error('Loopdesk server did not answer with a suggestion stream');
  }
  try {
    for await (const message of readSse(response.body)) {
      let json: unknown;
      try {
        json = JSON.parse(message.data);
      } catch {
        throw new Error(`Loopdesk server sent a broken "${message.event}" event`);
      }
      const parsed = SuggestStreamEvent.safeParse(json);
      if (!parsed.success) throw new Error(`Loopdesk server sent a bad "${message.event}" event: ${describeIssues(parsed.error)}`);
      if (parsed.data.type === 'error') throw new Error(`Loopdesk server failed: ${parsed.data.error}`);
      onEvent(parsed.data);
      if (parsed.data.type === 'done') return;
    }
  } catch (err) {
    if (timeout.aborted) throw new Error('Loopdesk server took too long to answer');
    throw err;
  }
  throw new Error('the suggestion stream ended before it was complete');
}
