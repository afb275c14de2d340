import { storage } from 'wxt/utils/storage';
import { AgentAssignment, EXPERIMENT_ASSIGNMENT_KEY } from './contract';
import { conditionalGet, type Cached } from './conditional-get';
import type { SyncTarget } from './outbox/sync';

/**
 * The agent's experiment assignment as the server last sent it. Content scripts watch this item
 * (`storage.onChanged`) to apply a change to an open ticket without a reload.
 */
export const assignmentItem = storage.defineItem<Cached<AgentAssignment> | null>(`local:${EXPERIMENT_ASSIGNMENT_KEY}`, { fallback: null });

/** Until the server says otherwise; the promise is that changes arrive within a minute. */
export const DEFAULT_POLL_SECONDS = 30;

export interface AssignmentPoller {
  /** Asks the server now (a 304 when nothing changed) and schedules the next ask. */
  poll(): Promise<AgentAssignment | null>;
}

/**
 * Polls `GET /v1/experiments/assignment` every `pollSeconds` (the server's figure) while the worker
 * lives. Chrome stops an idle worker after 30 s, taking timers with it, so the background also
 * polls from an alarm and at start; together they keep a change under a minute old.
 */
export function createAssignmentPoller(target: () => Promise<SyncTarget | null>): AssignmentPoller {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<AgentAssignment | null> | null = null;

  async function pollOnce(): Promise<AgentAssignment | null> {
    const { value } = await conditionalGet(await target(), '/v1/experiments/assignment', AgentAssignment, assignmentItem);
    clearTimeout(timer);
    timer = setTimeout(() => void poller.poll(), (value?.pollSeconds ?? DEFAULT_POLL_SECONDS) * 1000);
    return value;
  }

  const poller: AssignmentPoller = {
    poll() {
      // Never two requests at once: an alarm and a timer firing together share one.
      running ??= pollOnce().finally(() => {
        running = null;
      });
      return running;
    },
  };
  return poller;
}
