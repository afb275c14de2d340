import { PREFERENCE_CHOICES, type PreferenceChoice, type PreferenceSource } from '../../lib/contract';
import type { Database } from '../db/client';
import { PROMPT_VERSIONS, type PromptVersion } from '../generation/prompt';
import { loadChunks, promptMessages, shownChunkIds, SUGGESTION_COLUMNS, type ChatMessage, type StoredSuggestion } from './context';
import { eventPages, notSuperseded, type ExportScope } from './scope';
import { hasText, jsonLine } from './text';

export type PreferenceFormat = 'openai' | 'trl' | 'trl-text';

export interface PreferenceOptions {
  format: PreferenceFormat;
  /** Keeps explicit choices at least this strong (1 slightly, 2 better, 3 much better); drops adoption pairs. */
  minStrength?: number;
  source?: PreferenceSource;
  /** The prompt version whose rules and rendering the prompt uses; the first arm's by default. */
  promptVersion?: PromptVersion;
}

/** The 7-point choice as a side and a strength; a tie has neither. */
export const CHOICE_STRENGTH: Record<PreferenceChoice, { side: 'A' | 'B'; strength: 1 | 2 | 3 } | null> = {
  A_much_better: { side: 'A', strength: 3 },
  A_better: { side: 'A', strength: 2 },
  A_slightly_better: { side: 'A', strength: 1 },
  tie: null,
  B_slightly_better: { side: 'B', strength: 1 },
  B_better: { side: 'B', strength: 2 },
  B_much_better: { side: 'B', strength: 3 },
};

/** One preference pair, before it is written in a format. */
interface Pair {
  prompt: ChatMessage[];
  chosen: string;
  rejected: string;
  source: 'preference' | 'adoption';
  /** 1..3 for explicit choices; null for adoption pairs, which carry no strength. */
  strength: number | null;
  choice: PreferenceChoice | null;
  suggestionId: string;
  eventId: string;
}

interface PreferenceRow extends StoredSuggestion {
  suggestion_id: string;
  event_id: string;
  payload: { candidateA: string; candidateB: string; choice: PreferenceChoice | null; bothUnusable?: boolean };
}

interface AdoptionRow extends StoredSuggestion {
  suggestion_id: string;
  event_id: string;
  payload: { candidateId: string };
  /** Candidate ids the same agent was shown for this suggestion (suggestion.shown events). */
  shown_ids: string[] | null;
}

/**
 * Preference pairs as OpenAI preference fine-tuning JSONL or TRL `prompt/chosen/rejected` rows.
 *
 * - From `preference` events: the side chosen over the other, with the 7-point choice kept as
 *   `strength` 1..3 (TRL columns) and filterable by `minStrength`. Ties, "both unusable" and choices
 *   an agent later replaced on the same suggestion make no pair.
 * - From `adoption` events: a candidate sent verbatim over each other candidate of the suggestion
 *   that the same agent was shown and did not use; only the agent's latest adoption on the
 *   suggestion counts, and only when the agent gave no explicit preference there (that label wins).
 *
 * The prompt is the generator's prompt for the ticket under one prompt version for every pair, so
 * that nothing in it reveals which reply won.
 */
export async function* preferenceLines(database: Database, scope: ExportScope, options: PreferenceOptions): AsyncGenerator<string> {
  const version = options.promptVersion ?? PROMPT_VERSIONS[0];
  const source = options.source ?? 'all';
  const write = WRITERS[options.format];
  if (source !== 'adoption') {
    for await (const pairs of choicePairs(database, scope, version, options.minStrength ?? 1)) {
      const out = pairs.map(write).join('');
      if (out) yield out;
    }
  }
  if (source !== 'preference' && options.minStrength === undefined) {
    for await (const pairs of adoptionPairs(database, scope, version)) {
      const out = pairs.map(write).join('');
      if (out) yield out;
    }
  }
}

async function* choicePairs(database: Database, scope: ExportScope, version: PromptVersion, minStrength: number): AsyncGenerator<Pair[]> {
  const choices = PREFERENCE_CHOICES.filter((c) => (CHOICE_STRENGTH[c]?.strength ?? 0) >= minStrength);
  const pages = eventPages<PreferenceRow>(database, scope, {
    select: `e.id::text as event_id, e.payload, ${SUGGESTION_COLUMNS}`,
    joins: 'join suggestions s on s.id = e.suggestion_id and s.tenant_id = e.tenant_id',
    where: (params) => [
      `e.type = 'preference'`,
      `e.payload->>'choice' = any(${params.add(choices)}::text[])`,
      `coalesce((e.payload->>'bothUnusable')::boolean, false) = false`,
      notSuperseded('preference', params),
    ],
  });
  for await (const page of pages) {
    const chunks = await loadChunks(database, scope.tenantId, shownChunkIds(page));
    const pairs: Pair[] = [];
    for (const row of page) {
      const decided = row.payload.choice ? CHOICE_STRENGTH[row.payload.choice] : null;
      if (!decided) continue;
      const [winnerId, loserId] = decided.side === 'A' ? [row.payload.candidateA, row.payload.candidateB] : [row.payload.candidateB, row.payload.candidateA];
      const texts = distinctTexts(row.candidates.find((c) => c.id === winnerId)?.text, row.candidates.find((c) => c.id === loserId)?.text);
      if (!texts) continue;
      pairs.push({
        prompt: promptMessages(row, version, chunks),
        chosen: texts[0],
        rejected: texts[1],
        source: 'preference',
        strength: decided.strength,
        choice: row.payload.choice,
        suggestionId: row.suggestion_id,
        eventId: row.event_id,
      });
    }
    yield pairs;
  }
}

async function* adoptionPairs(database: Database, scope: ExportScope, version: PromptVersion): AsyncGenerator<Pair[]> {
  const pages = eventPages<AdoptionRow>(database, scope, {
    select: `e.id::text as event_id, e.payload, ${SUGGESTION_COLUMNS},
             (select jsonb_agg(distinct shown.candidate->>'id')
                from events sh cross join lateral jsonb_array_elements(sh.payload->'candidates') as shown(candidate)
               where sh.tenant_id = e.tenant_id and sh.suggestion_id = e.suggestion_id
                 and sh.agent_id = e.agent_id and sh.type = 'suggestion.shown') as shown_ids`,
    joins: 'join suggestions s on s.id = e.suggestion_id and s.tenant_id = e.tenant_id',
    where: (params) => [
      `e.type = 'adoption'`,
      `e.payload->>'outcome' = 'verbatim'`,
      `e.payload->>'candidateId' is not null`,
      notSuperseded('adoption', params),
      `not exists (select 1 from events p
                    where p.tenant_id = e.tenant_id and p.suggestion_id = e.suggestion_id
                      and p.agent_id = e.agent_id and p.type = 'preference')`,
    ],
  });
  for await (const page of pages) {
    const chunks = await loadChunks(database, scope.tenantId, shownChunkIds(page));
    const pairs: Pair[] = [];
    for (const row of page) {
      const chosen = row.candidates.find((c) => c.id === row.payload.candidateId);
      if (!chosen) continue;
      const shown = new Set(row.shown_ids ?? []);
      for (const other of row.candidates) {
        const texts = other.id !== chosen.id && shown.has(other.id) ? distinctTexts(chosen.text, other.text) : null;
        if (!texts) continue;
        pairs.push({
          prompt: promptMessages(row, version, chunks),
          chosen: texts[0],
          rejected: texts[1],
          source: 'adoption',
          strength: null,
          choice: null,
          suggestionId: row.suggestion_id,
          eventId: row.event_id,
        });
      }
    }
    yield pairs;
  }
}

/** Both texts, trimmed, when both are usable and they are not the same reply. */
function distinctTexts(a: string | undefined, b: string | undefined): [string, string] | null {
  return hasText(a) && hasText(b) && a.trim() !== b.trim() ? [a.trim(), b.trim()] : null;
}

const assistant = (content: string): ChatMessage[] => [{ role: 'assistant', content }];

/** Columns TRL ignores but a trainer or analyst can use (e.g. as a reward margin or a filter). */
function metadata(pair: Pair) {
  return { strength: pair.strength, choice: pair.choice, source: pair.source, suggestion_id: pair.suggestionId, event_id: pair.eventId };
}

const WRITERS: Record<PreferenceFormat, (pair: Pair) => string> = {
  // Exactly the fields OpenAI's preference (DPO) format defines; nothing extra.
  openai: (pair) =>
    jsonLine({ input: { messages: pair.prompt }, preferred_output: assistant(pair.chosen), non_preferred_output: assistant(pair.rejected) }),
  // TRL's conversational preference format: the prompt as messages, each reply as one assistant message.
  trl: (pair) => jsonLine({ prompt: pair.prompt, chosen: assistant(pair.chosen), rejected: assistant(pair.rejected), ...metadata(pair) }),
  // TRL's standard (plain text) preference format: system rules and user message joined.
  'trl-text': (pair) =>
    jsonLine({ prompt: pair.prompt.map((m) => m.content).join('\n\n'), chosen: pair.chosen, rejected: pair.rejected, ...metadata(pair) }),
};
