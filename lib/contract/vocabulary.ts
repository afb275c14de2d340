/**
 * The contract's plain values: enums, versions and channel names, with no schema code. Content
 * scripts run on every helpdesk page load, so they import from here (and `./bridge`), never the
 * zod schemas, which cost tens of milliseconds to build at page load. Schemas import from here too.
 */
/** Bumped when an event's shape changes incompatibly; the server accepts every version it lists. */
export const EVENT_SCHEMA_VERSION = 1;

export const PREFERENCE_CHOICES = [
  'A_much_better',
  'A_better',
  'A_slightly_better',
  'tie',
  'B_slightly_better',
  'B_better',
  'B_much_better',
] as const;

export const ADOPTION_OUTCOMES = ['verbatim', 'edited', 'partial', 'not_used'] as const;

export const RATIONALE_CODES = [
  'inaccurate',
  'missing_information',
  'wrong_tone',
  'policy',
  'not_needed',
  'other',
] as const;

export const RELEVANCE_LABELS = ['relevant', 'partly', 'irrelevant', 'outdated'] as const;

export const REDACTION_LEVELS = ['off', 'standard', 'strict'] as const;

/**
 * Suggestions stream over a port, since one-shot messages cannot carry a reply that arrives in
 * pieces. The content script opens `browser.runtime.connect({ name: SUGGEST_PORT })` per ticket
 * load and posts one `SuggestPortRequest`; the background answers with the server's stream events
 * (`SuggestStreamEvent`) as they arrive and disconnects after `done` or `error`. Problems on the
 * background's side (not set up, server unreachable, a broken stream) also arrive as `error`.
 * Disconnecting from the content script's side cancels the request.
 */
export const SUGGEST_PORT = 'loopdesk:suggest';

/**
 * Where the background keeps the agent's experiment assignment in `storage.local`; content scripts
 * watch the key to apply an experiment change to an open ticket.
 */
export const EXPERIMENT_ASSIGNMENT_KEY = 'experimentAssignment';

/** Where the background keeps the tenant's settings from the server in `storage.local`; the overlay re-reads its settings when it changes. */
export const TENANT_SETTINGS_KEY = 'tenantSettings';
