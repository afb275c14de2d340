import { SFT_OUTCOMES, type AdoptionOutcome } from '../../lib/contract';
import type { Database } from '../db/client';
import type { PromptVersion } from '../generation/prompt';
import { loadChunks, promptMessages, promptVersionOf, shownChunkIds, SUGGESTION_COLUMNS, type StoredSuggestion } from './context';
import { eventPages, type ExportScope } from './scope';
import { hasText, jsonLine } from './text';

export interface SftOptions {
  /** The weakest outcome kept: `verbatim` keeps only verbatim replies, `partial` (default) every adopted one. */
  minOutcome?: (typeof SFT_OUTCOMES)[number];
  /** Forces one prompt version; by default the one that wrote the adopted candidate. */
  promptVersion?: PromptVersion;
}

interface AdoptionRow extends StoredSuggestion {
  payload: { candidateId: string | null; outcome: AdoptionOutcome; finalText: string };
}

/**
 * OpenAI chat fine-tuning JSONL: one `{messages}` line per adoption event whose outcome is at least
 * `minOutcome`, joined to its suggestion. The messages are the generator's own prompt for the ticket
 * (system rules, then the articles shown and the conversation) and the reply the agent sent as the
 * assistant's answer: the agent's final text for edited and partial replies, the candidate's text
 * for verbatim ones. Replies with nothing left after redaction are skipped.
 */
export async function* sftLines(database: Database, scope: ExportScope, options: SftOptions = {}): AsyncGenerator<string> {
  const outcomes = SFT_OUTCOMES.slice(0, SFT_OUTCOMES.indexOf(options.minOutcome ?? 'partial') + 1);
  const pages = eventPages<AdoptionRow>(database, scope, {
    select: `e.payload, ${SUGGESTION_COLUMNS}`,
    joins: 'join suggestions s on s.id = e.suggestion_id and s.tenant_id = e.tenant_id',
    where: (params) => [`e.type = 'adoption'`, `e.payload->>'outcome' = any(${params.add(outcomes)}::text[])`],
  });
  for await (const page of pages) {
    const chunks = await loadChunks(database, scope.tenantId, shownChunkIds(page));
    let out = '';
    for (const row of page) {
      const { candidateId, outcome, finalText } = row.payload;
      const candidate = row.candidates.find((c) => c.id === candidateId);
      const target = outcome === 'verbatim' && candidate ? candidate.text : finalText;
      if (!hasText(target)) continue;
      const version = options.promptVersion ?? promptVersionOf(row, candidateId);
      out += jsonLine({ messages: [...promptMessages(row, version, chunks), { role: 'assistant', content: target.trim() }] });
    }
    if (out) yield out;
  }
}
