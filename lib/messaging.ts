import { browser } from 'wxt/browser';
import type {
  BackgroundReplies,
  BackgroundRequest,
  BackgroundResponse,
  SuggestPortMessage,
  SuggestPortRequest,
  TicketContextInput,
} from './contract';
import { SUGGEST_PORT } from './contract/vocabulary';

const PORT_MESSAGE_TYPES = new Set<unknown>(['meta', 'delta', 'candidate', 'done', 'error']);

/**
 * The port's other end is our own background worker, which parsed every event with the zod contract
 * when it came from the server (lib/backend-client.ts). Here only the shape that routing relies on is
 * checked, so content scripts need not load the schemas on every helpdesk page.
 */
function isPortMessage(message: unknown): message is SuggestPortMessage {
  return typeof message === 'object' && message !== null && PORT_MESSAGE_TYPES.has((message as { type?: unknown }).type);
}

/** Sends a request to the background worker and unwraps its answer; errors arrive as thrown Errors. */
export async function askBackground<T extends BackgroundRequest>(request: T): Promise<BackgroundReplies[T['type']]> {
  const response = (await browser.runtime.sendMessage(request)) as BackgroundResponse<BackgroundReplies[T['type']]> | undefined;
  if (!response) throw new Error('the Loopdesk background worker did not answer');
  if (!response.ok) throw new Error(response.error);
  return response.value;
}

/**
 * Streams a suggestion through the background worker (see SUGGEST_PORT), which validates the ticket
 * context; the stream ends with exactly one `done` or `error`, including when the worker goes away.
 * `cancel()` stops it silently.
 */
export function streamFromBackground(context: TicketContextInput, onEvent: (event: SuggestPortMessage) => void): { cancel(): void } {
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
    if (!isPortMessage(message)) {
      finish({ type: 'error', error: 'unexpected message from the Loopdesk background worker' });
      return;
    }
    if (message.type === 'done' || message.type === 'error') finish(message);
    else onEvent(message);
  });
  port.onDisconnect.addListener(() => {
    if (finished) return;
    finished = true;
    onEvent({ type: 'error', error: 'the Loopdesk background worker stopped answering' });
  });
  port.postMessage({ type: 'suggest', context } satisfies SuggestPortRequest);
  return { cancel: () => finish(null) };
}
