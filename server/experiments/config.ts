/** How often extensions ask for their assignment unless LOOPDESK_EXPERIMENT_POLL_SECONDS says otherwise. */
export const DEFAULT_EXPERIMENT_POLL_SECONDS = 30;

/** Reads `LOOPDESK_EXPERIMENT_POLL_SECONDS`; a bad value throws naming the variable. */
export function experimentPollSecondsFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.LOOPDESK_EXPERIMENT_POLL_SECONDS?.trim();
  if (!raw) return DEFAULT_EXPERIMENT_POLL_SECONDS;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3_600) {
    throw new Error(`LOOPDESK_EXPERIMENT_POLL_SECONDS: expected whole seconds from 1 to 3600, got "${raw}"`);
  }
  return seconds;
}
