import { v7 as uuidv7 } from 'uuid';
import type { AnnotationEvent, Helpdesk, SuggestResponse } from '../contract';
import { EVENT_SCHEMA_VERSION } from '../contract/vocabulary';

export interface EventBase {
  helpdesk: Helpdesk;
  ticketId: string;
  suggestion: SuggestResponse;
  clientVersion: string;
}

type Payload<T extends AnnotationEvent['type']> = Omit<
  Extract<AnnotationEvent, { type: T }>,
  'id' | 'schemaVersion' | 'helpdesk' | 'ticketId' | 'suggestionId' | 'experiment' | 'createdAt' | 'clientVersion' | 'tenantId' | 'agentId'
>;

/** Fills in the common fields of an annotation event: a fresh UUIDv7 id, the time, the suggestion. */
export function buildEvent<T extends AnnotationEvent['type']>(base: EventBase, payload: Payload<T> & { type: T }): AnnotationEvent {
  return {
    id: uuidv7(),
    schemaVersion: EVENT_SCHEMA_VERSION,
    helpdesk: base.helpdesk,
    ticketId: base.ticketId,
    suggestionId: base.suggestion.suggestionId,
    experiment: base.suggestion.experiment,
    createdAt: new Date().toISOString(),
    clientVersion: base.clientVersion,
    ...payload,
  } as unknown as AnnotationEvent;
}
