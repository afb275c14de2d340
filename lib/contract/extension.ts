import { z } from 'zod';
import { Helpdesk } from './common';
import { REDACTION_LEVELS } from './vocabulary';
import { AdoptionRationale, AnnotationEvent } from './events';
import { HelpdeskIdentity, type EnrollmentView } from './identity';
import { SelectorKey, type SelectorOverrides } from './selectors';
import { SuggestStreamEvent } from './stream';
import { TicketContext } from './ticket';

export const RedactionLevel = z.enum(REDACTION_LEVELS);
export type RedactionLevel = z.infer<typeof RedactionLevel>;

/** Which ticket the overlay's per-ticket memory is about. */
export const TicketMemoryKey = z.object({ helpdesk: Helpdesk, ticketId: z.string().min(1).max(128) });
export type TicketMemoryKey = z.infer<typeof TicketMemoryKey>;

/** The user's own settings (below enterprise policy and tenant settings, which later issues add). */
export const ExtensionSettings = z.object({
  serverUrl: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8787'),
  token: z.string().trim().default(''),
  /**
   * What is replaced before ticket or reply text leaves the browser: `standard` covers e-mail
   * addresses, phone, card, IBAN and IP numbers; `strict` also URLs, long digit runs (order,
   * account and postcode numbers) and the name after a greeting; `off` sends text as written.
   */
  redaction: RedactionLevel.default('standard'),
});
export type ExtensionSettings = z.infer<typeof ExtensionSettings>;

/** The kinds of annotation the overlay asks agents for; a policy may switch each off. */
export const ANNOTATION_KINDS = ['preference', 'relevance', 'adoption', 'missingKnowledge', 'rationale'] as const;
export type AnnotationKind = (typeof ANNOTATION_KINDS)[number];
export type AnnotationSwitches = Record<AnnotationKind, boolean>;

/** Annotation kinds switched on or off; a kind left out is not decided here. */
export const AnnotationSwitchesPatch = z.object({
  preference: z.boolean().optional(),
  relevance: z.boolean().optional(),
  adoption: z.boolean().optional(),
  missingKnowledge: z.boolean().optional(),
  rationale: z.boolean().optional(),
});
export type AnnotationSwitchesPatch = z.infer<typeof AnnotationSwitchesPatch>;

/**
 * A tenant's settings for all its agents, set by its admins on the server: below enterprise policy,
 * above each agent's own options. A field left out is not decided by the tenant.
 */
export const TenantSettings = z.strictObject({
  redaction: RedactionLevel.optional(),
  annotations: AnnotationSwitchesPatch.strict().optional(),
  /** Share of baseline suggestions that ask for preference and relevance labels (experiments set their own). */
  annotationSampling: z.number().min(0).max(1).optional(),
});
export type TenantSettings = z.infer<typeof TenantSettings>;

/** `GET /v1/tenant/settings` (any token, with an ETag) and the answer to an admin's `PUT`. */
export const TenantSettingsResponse = z.object({
  settings: TenantSettings,
  updatedAt: z.iso.datetime({ offset: true }).nullable(),
});
export type TenantSettingsResponse = z.infer<typeof TenantSettingsResponse>;

/**
 * A helpdesk host pattern: a host name (`acme.zendesk.com`), a host name under a wildcard
 * (`*.zendesk.com`: its subdomains, not the name itself) or `*` (any host). No scheme, port or path.
 */
export const HostPattern = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(\*|(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)$/, 'a host name, *.host name or *');

/**
 * Enterprise policy, as an administrator sets it for the extension (`chrome.storage.managed`, fed
 * by Chrome/Edge `3rdparty` extension policy or Firefox `policies.json`). Every field is optional;
 * a field that is present wins over the agent's own options and is locked in the options page.
 * `public/managed_schema.json` is the same shape for the browser's own validation.
 */
export const ManagedPolicy = z.object({
  serverUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Which tenant the organisation is on the server; shown to agents, used by enrollment. */
  tenant: z.string().trim().min(1).max(128).optional(),
  /**
   * Lets each agent's browser enroll for its own agent token (`POST /v1/enroll`, lib/enrollment.ts)
   * once a helpdesk page shows who is signed in; a `token` set too wins over it.
   */
  enrollmentToken: z.string().trim().min(1).optional(),
  /**
   * One agent token shared by every browser the policy reaches. For small deployments and trials:
   * every event is then attributed to that one agent. Prefer enrollment where agents are told apart.
   */
  token: z.string().trim().min(1).optional(),
  /** When set, the overlay works only on helpdesks at these hosts (an empty list: nowhere). */
  allowedHelpdeskHosts: z.array(HostPattern).max(200).optional(),
  redaction: RedactionLevel.optional(),
  /** Switches off kinds of annotation; a kind left out stays on. */
  annotations: AnnotationSwitchesPatch.optional(),
  /** Diagnostic reports to the server (a helpdesk page the extension no longer recognises). */
  telemetry: z.boolean().optional(),
});
export type ManagedPolicy = z.infer<typeof ManagedPolicy>;

/** One-shot messages from content scripts, popup and options to the background worker. */
export const BackgroundRequest = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('record-event'),
    event: AnnotationEvent,
    /**
     * Queued at once but not sent for this long, so the agent can still add a rationale to an
     * adoption event (see `amend-rationale`); it goes out unchanged when the time is up.
     */
    holdMs: z.int().min(0).max(10 * 60_000).optional(),
  }),
  z.object({ type: z.literal('amend-rationale'), id: z.uuid(), rationale: AdoptionRationale }),
  z.object({ type: z.literal('ticket-memory-get'), key: TicketMemoryKey }),
  z.object({ type: z.literal('ticket-memory-set'), key: TicketMemoryKey, rationaleDone: z.boolean() }),
  z.object({ type: z.literal('selector-overrides'), helpdesk: Helpdesk }),
  z.object({ type: z.literal('overlay-config') }),
  z.object({ type: z.literal('selector-miss'), helpdesk: Helpdesk, key: SelectorKey, overridden: z.boolean() }),
  z.object({ type: z.literal('sync-now') }),
  z.object({ type: z.literal('status') }),
  z.object({ type: z.literal('storage-lost-dismiss') }),
  /** The agent the helpdesk page shows as signed in: enrolls when policy gave an enrollment token. */
  z.object({ type: z.literal('agent-identity'), helpdesk: Helpdesk, identity: HelpdeskIdentity }),
  z.object({ type: z.literal('enrollment-status') }),
  z.object({ type: z.literal('quarantine-list') }),
  z.object({ type: z.literal('quarantine-retry'), id: z.uuid() }),
  z.object({ type: z.literal('quarantine-discard'), id: z.uuid() }),
]);
export type BackgroundRequest = z.infer<typeof BackgroundRequest>;

export const SyncStatus = z.object({
  queued: z.int(),
  quarantined: z.int(),
  /** Receipts kept for delivered events (pruned after a week, or sooner when storage runs short). */
  delivered: z.int(),
  lastSyncAt: z.string().nullable(),
  lastError: z.string().nullable(),
  /** Set while the browser refuses to store new events even after pruning delivered data. */
  storageProblem: z.string().nullable(),
  /** Set once the browser deleted the outbox (queued events with it) until the agent dismisses it. */
  storageLost: z.string().nullable(),
});
export type SyncStatus = z.infer<typeof SyncStatus>;

/**
 * A quarantined event as the popup shows it. `type` and `ticketId` are plain strings because a
 * rejected event is exactly the kind that may not match the current schema; `eventJson` is the
 * whole event, for the agent to inspect before retrying or discarding it.
 */
export const QuarantineEntry = z.object({
  id: z.string(),
  type: z.string(),
  ticketId: z.string(),
  reason: z.string(),
  quarantinedAt: z.iso.datetime(),
  eventJson: z.string(),
});
export type QuarantineEntry = z.infer<typeof QuarantineEntry>;

/** Every answer from the background has this shape, so callers always see errors as text. */
export type BackgroundResponse<T> = { ok: true; value: T } | { ok: false; error: string };

export interface BackgroundReplies {
  'record-event': { queued: true };
  /** False when the event had already left (its hold ran out): the rationale was not added. */
  'amend-rationale': { amended: boolean };
  'ticket-memory-get': { rationaleDone: boolean };
  'ticket-memory-set': { saved: true };
  /** The tenant's fixes for this helpdesk's selectors; empty when the built-in ones stand. */
  'selector-overrides': SelectorOverrides;
  'selector-miss': { reported: boolean };
  /** What the overlay needs from the settings (the content script never reads them itself). */
  'overlay-config': {
    redaction: RedactionLevel;
    /** Which kinds of annotation to offer; all on unless policy switches some off. */
    annotations: AnnotationSwitches;
    /** False when policy restricts helpdesk hosts and this page's host is not among them. */
    hostAllowed: boolean;
  };
  'sync-now': SyncStatus;
  status: SyncStatus;
  'storage-lost-dismiss': SyncStatus;
  'agent-identity': EnrollmentView;
  'enrollment-status': EnrollmentView;
  'quarantine-list': QuarantineEntry[];
  /** False when the event was no longer quarantined (retried or discarded elsewhere). */
  'quarantine-retry': { retried: boolean };
  'quarantine-discard': { discarded: boolean };
}

export const SuggestPortRequest = z.object({ type: z.literal('suggest'), context: TicketContext });
/** What the content script sends: the context as read from the page, validated by the background. */
export type SuggestPortRequest = z.input<typeof SuggestPortRequest>;

export const SuggestPortMessage = SuggestStreamEvent;
export type SuggestPortMessage = SuggestStreamEvent;

