import { browser } from 'wxt/browser';
import type { BackgroundReplies, BackgroundRequest, BackgroundResponse } from './contract';

/** Sends a request to the background worker and unwraps its answer; errors arrive as thrown Errors. */
export async function askBackground<T extends BackgroundRequest>(request: T): Promise<BackgroundReplies[T['type']]> {
  const response = (await browser.runtime.sendMessage(request)) as BackgroundResponse<BackgroundReplies[T['type']]> | undefined;
  if (!response) throw new Error('the Loopdesk background worker did not answer');
  if (!response.ok) throw new Error(response.error);
  return response.value;
}
