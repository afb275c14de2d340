import { v7 as uuidv7 } from 'uuid';
import type { AnnotationEventInput } from '../../lib/contract';

/** A valid event of each type, for tests to vary. */
export function sampleEvent(type: AnnotationEventInput['type'], suggestionId: string, extra: Record<string, unknown> = {}): AnnotationEventInput {
  const common = {
    id: uuidv7(),
    schemaVersion: 1 as const,
    helpdesk: 'zendesk' as const,
    ticketId: '1001',
    suggestionId,
    experiment: { key: 'baseline', arm: 'pairwise' },
    createdAt: new Date().toISOString(),
    clientVersion: '0.1.0',
  };
  const payloads = {
    'suggestion.shown': {
      candidates: [
        { id: `${suggestionId}:A`, arm: 'A', model: 'extractive-v1', side: 'left' },
        { id: `${suggestionId}:B`, arm: 'B', model: 'extractive-v1', side: 'right' },
      ],
      articles: [{ articleId: 'bn-wifi-pairing', chunkId: 'bn-wifi-pairing#0', rank: 1, score: 0.5 }],
      latencyMs: 42,
    },
    preference: { candidateA: `${suggestionId}:A`, candidateB: `${suggestionId}:B`, choice: 'A_better', bothUnusable: false },
    adoption: {
      candidateId: `${suggestionId}:A`,
      insertMethod: 'insert',
      outcome: 'edited',
      similarity: 0.8,
      editDistance: 4,
      timeToSendMs: 12_000,
      sendPath: 'button',
      finalText: 'Hi there, try restarting the hub.',
    },
    'knowledge.relevance': { articleId: 'bn-wifi-pairing', chunkId: 'bn-wifi-pairing#0', rank: 1, label: 'relevant' },
    'knowledge.missing': { description: 'No article on volume pricing', proposedTitle: 'Volume pricing for landlords' },
  } as const;
  return { ...common, type, ...payloads[type], ...extra } as AnnotationEventInput;
}
