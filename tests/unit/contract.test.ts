import { describe, expect, it } from 'vitest';
import { AnnotationEvent, BRIDGE_MAX_TEXT, checkBridgeRequest, checkBridgeResponse, describeIssues, EVENT_TYPES, EventBatchRequest, RetrieveRequest, TicketContext } from '../../lib/contract';
import { sampleEvent } from '../support/events';

const SUGGESTION = '0195f1a2-0000-4000-8000-000000000000';

describe('annotation event contract', () => {
  it.each(EVENT_TYPES)('accepts a well-formed %s event', (type) => {
    expect(AnnotationEvent.safeParse(sampleEvent(type, SUGGESTION)).success).toBe(true);
  });

  it('requires a UUIDv7 id, the idempotency key', () => {
    const result = AnnotationEvent.safeParse(sampleEvent('adoption', SUGGESTION, { id: '4f9c1d7e-1c2b-4d3a-9e8f-0a1b2c3d4e5f' }));
    expect(result.success).toBe(false);
    expect(describeIssues(result.error!)).toMatch(/^id: /);
  });

  it('names the path of a bad field inside a batch', () => {
    const result = AnnotationEvent.safeParse(sampleEvent('knowledge.relevance', SUGGESTION, { label: 'meh' }));
    expect(describeIssues(result.error!, ['events', 7])).toMatch(/^events\[7\]\.label: /);
  });

  it('rejects an unknown event type and a preference with neither a side nor "both unusable"', () => {
    expect(AnnotationEvent.safeParse({ ...sampleEvent('preference', SUGGESTION), type: 'like' }).success).toBe(false);
    const undecided = AnnotationEvent.safeParse(sampleEvent('preference', SUGGESTION, { choice: null, bothUnusable: false }));
    expect(describeIssues(undecided.error!)).toMatch(/^choice: choose a side/);
    expect(AnnotationEvent.safeParse(sampleEvent('preference', SUGGESTION, { choice: null, bothUnusable: true })).success).toBe(true);
  });

  it('bounds similarity to [0, 1] and requires an adoption outcome from the fixed set', () => {
    expect(AnnotationEvent.safeParse(sampleEvent('adoption', SUGGESTION, { similarity: 1.2 })).success).toBe(false);
    expect(AnnotationEvent.safeParse(sampleEvent('adoption', SUGGESTION, { outcome: 'mostly' })).success).toBe(false);
  });
});

describe('request contract', () => {
  it('caps a batch at 1,000 events and k at 100', () => {
    expect(EventBatchRequest.safeParse({ events: Array(1000).fill({}) }).success).toBe(true);
    expect(EventBatchRequest.safeParse({ events: Array(1001).fill({}) }).success).toBe(false);
    expect(RetrieveRequest.parse({ query: 'wifi' }).k).toBe(8);
    expect(RetrieveRequest.safeParse({ query: 'wifi', k: 101 }).success).toBe(false);
  });

  it('fills defaults into a minimal ticket context', () => {
    expect(TicketContext.parse({ helpdesk: 'zendesk', ticketId: '1' })).toEqual({ helpdesk: 'zendesk', ticketId: '1', subject: '', messages: [], tags: [] });
  });
});

describe('page bridge messages', () => {
  it('accepts the three requests and nothing else, naming what is wrong', () => {
    expect(checkBridgeRequest({ op: 'getData' })).toEqual({ ok: true, value: { op: 'getData' } });
    expect(checkBridgeRequest({ op: 'setData', text: 'Hi', extra: 1 })).toEqual({ ok: true, value: { op: 'setData', text: 'Hi' } });
    expect(checkBridgeRequest({ op: 'insertText' })).toEqual({ ok: false, error: 'text: expected a string' });
    expect(checkBridgeRequest({ op: 'insertText', text: 'x'.repeat(BRIDGE_MAX_TEXT + 1) }).ok).toBe(false);
    expect(checkBridgeRequest({ op: 'eval', text: 'alert(1)' })).toMatchObject({ ok: false, error: expect.stringContaining('op:') });
    expect(checkBridgeRequest(null).ok).toBe(false);
    expect(checkBridgeRequest(['getData']).ok).toBe(false);
  });

  it('accepts only well-formed answers from the main world', () => {
    expect(checkBridgeResponse({ ok: true, data: '<p>x</p>' })).toEqual({ ok: true, value: { ok: true, data: '<p>x</p>' } });
    expect(checkBridgeResponse({ ok: false, error: 'no editor' })).toEqual({ ok: true, value: { ok: false, error: 'no editor' } });
    expect(checkBridgeResponse({ ok: true, data: 3 }).ok).toBe(false);
    expect(checkBridgeResponse({ ok: 'yes' }).ok).toBe(false);
  });
});
