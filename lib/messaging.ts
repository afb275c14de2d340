import { browser } from 'wxt/browser';
import {
  SUGGEST_PORT,
  SuggestPortMessage,
  describeIssues,
  type BackgroundReplies,
  type BackgroundRequest,
  type BackgroundResponse,
  type SuggestPortRequest,
  type TicketContext,
} from './contract';

/** Sends a request to the background worker and unwraps its answer; errors arrive as thrown Errors. */
export async function askBackground<T extends BackgroundRequest>(request: T): Promise<BackgroundReplies[T['type']]> {
  const response = (await browser.runtime.sendMessage(request)) as BackgroundResponse<BackgroundReplies[T['type']]> | undefined;
  if (!response) throw new Error('the Loopdesk background worker did not answer');
  if (!response.ok) throw new Error(response.error);
  return response.value;
}

/**
 * Streams a suggestion through the background worker (see SUGGEST_PORT). Every event is validated
 * before `onEvent` sees it; the stream ends with exactly one `done` or `error`, including when the
 * worker goes away. `cancel()` stops it silently.
 */
export function streamFromBackground(context: TicketContext, onEvent: (event: SuggestPortMessage) => void): { cancel(): void } {
  const port = browser.runtime.connect({ name: SUGGEST_PORT });
  let finished = false;
  const finish = (last: SuggestPortMessage | null) => {
    if (finished) return;
    finished = true;
    port.disconnect();
    if (last) onEvent(last);
  };
  port.onMessage.addListener((message: unknown) => {
    if (finished) return;
    const parsed = SuggestPortMessage.safeParse(message);
    if (!parsed.success) {
      finish({ type: 'error', error: `bad message from the background worker: ${describeIssues(parsed.error)}` });
      return;
    }
    if (parsed.data.type === 'done' || parsed.data.type === 'error') finish(parsed.data);
    else onEvent(parsed.data);
  });
  port.onDisconnect.addListener(() => {
    if (finished) return;
    finished = true;
    onEvent({ type: 'error', error: 'the Loopdesk background worker stopped answering' });
  });
  port.postMessage({ type: 'suggest', context } satisfies SuggestPortRequest);
  return { cancel: () => finish(null) };
}
