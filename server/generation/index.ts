import type OpenAI from 'openai';
import type { Candidate, TicketContext } from '../../lib/contract';
import type { ArticleText } from '../retrieval';
import { composeExtractive, composeFromMemory, EXTRACTIVE_MODEL, EXTRACTIVE_PROFILES } from './extractive';
import { createLlmClient, streamCompletion, type TokenUsage } from './llm';
import type { GenerationConfig, GenerationProfile } from './profiles';
import { unbackedUrls } from './links';
import { buildMessages } from './prompt';
import type { ReplyExample } from './reply-memory';

/** Stored per candidate in `suggestions.generation`: what produced it and what it cost. */
export interface GenerationRecord {
  candidateId: string;
  arm: string;
  /** The model the profile asked for (the candidate's own `model` says extractive after a fallback). */
  model: string;
  /** Null for the extractive generator, which has no prompt. */
  promptVersion: string | null;
  temperature: number | null;
  usage: TokenUsage | null;
  latencyMs: number;
  ttftMs: number | null;
  invalidCitations: number;
  fallback?: string;
  /**
   * The tenant's promoted reply memory, when it offered past replies to this suggestion, with those
   * replies, so that an export can rebuild an `examples-v1` prompt as the model saw it.
   */
  replyMemory?: { modelId: string; version: number; examples: number; replies: string[] };
}

/** A candidate announced before its text exists, so the overlay can lay out both cards at once. */
export interface PlannedCandidate {
  id: string;
  arm: string;
  model: string;
}

export interface GenerateInput {
  suggestionId: string;
  ticket: TicketContext;
  /** The retrieval query, which the extractive generator scores sentences against. */
  query: string;
  articles: ArticleText[];
  signal?: AbortSignal;
  onDelta?: (candidateId: string, text: string) => void;
  /** Called once per candidate as soon as it is final, before the other may be. */
  onCandidate?: (candidate: Candidate) => void;
  /**
   * The profiles of this request, one candidate each, in the order they are shown (an experiment's
   * arms: one in single mode, two in pairwise). Absent: the configured default pair.
   */
  profiles?: readonly GenerationProfile[];
  /**
   * Adopted replies to similar tickets from the tenant's promoted reply memory, most similar first;
   * absent or empty without one (generation is then exactly as without a memory).
   */
  replyExamples?: readonly ReplyExample[];
  /** The memory they came from, recorded with the candidates. */
  replyMemory?: { id: string; version: number };
}

export interface Generator {
  /** The candidates `generate` will produce for these profiles (the configured pair when absent). */
  plan(suggestionId: string, profiles?: readonly GenerationProfile[]): PlannedCandidate[];
  /** One candidate per profile, generated concurrently; never rejects for a model failure (those fall back). */
  generate(input: GenerateInput): Promise<{ candidates: Candidate[]; records: GenerationRecord[] }>;
}

function candidateId(suggestionId: string, profile: GenerationProfile): string {
  return `${suggestionId}:${profile.arm}`;
}

/** The extractive reply that stands in for arm `index`, carrying that arm's name. */
function extractiveFor(input: GenerateInput, profile: GenerationProfile, index: number): Candidate {
  const id = candidateId(input.suggestionId, profile);
  // With a reply memory each arm starts from its own past reply (the second arm from the second most
  // similar, when there is one), so that a pairwise preference still compares two different replies.
  const example = input.replyExamples?.[index] ?? input.replyExamples?.[0];
  if (example) {
    const ticketText = [input.ticket.subject ?? '', ...input.ticket.messages.map((m) => m.text)].join('\n');
    const fromMemory = composeFromMemory(input.query, ticketText, input.articles, example, profile.arm, id);
    if (fromMemory) return fromMemory;
  }
  const recipe = { ...EXTRACTIVE_PROFILES[index === 0 ? 0 : 1], arm: profile.arm };
  return composeExtractive(input.query, input.articles, recipe, id);
}

/**
 * Generates the candidates of a suggestion, from the request's profiles or else the configured two:
 * with a language model when one is configured (falling back to the extractive reply, per candidate,
 * when a call fails), and with the extractive generator alone otherwise. The model settings (where,
 * key, timeout) are the server's; a profile only chooses model name, prompt and sampling.
 */
export function createGenerator(config: GenerationConfig): Generator {
  const llm = config.llm;
  const client: OpenAI | null = llm ? createLlmClient(llm) : null;

  const plan = (suggestionId: string, profiles: readonly GenerationProfile[] = config.profiles): PlannedCandidate[] =>
    profiles.map((p) => ({ id: candidateId(suggestionId, p), arm: p.arm, model: client ? p.model : EXTRACTIVE_MODEL }));

  async function one(input: GenerateInput, profile: GenerationProfile, index: number): Promise<[Candidate, GenerationRecord]> {
    const id = candidateId(input.suggestionId, profile);
    if (!client || !llm) {
      const started = performance.now();
      const candidate = extractiveFor(input, profile, index);
      const record: GenerationRecord = {
        candidateId: id,
        arm: profile.arm,
        model: EXTRACTIVE_MODEL,
        promptVersion: null,
        temperature: null,
        usage: null,
        latencyMs: Math.round(performance.now() - started),
        ttftMs: null,
        invalidCitations: 0,
      };
      return [candidate, record];
    }
    const outcome = await streamCompletion(client, llm.timeoutMs, {
      profile,
      messages: buildMessages(profile.promptVersion, input.ticket, input.articles, input.replyExamples),
      articleNumbers: new Set(input.articles.map((a) => a.n)),
      onDelta: input.onDelta && ((text) => input.onDelta!(id, text)),
      signal: input.signal,
    });
    const record: GenerationRecord = {
      candidateId: id,
      arm: profile.arm,
      model: profile.model,
      promptVersion: profile.promptVersion,
      temperature: profile.temperature,
      usage: outcome.usage,
      latencyMs: outcome.latencyMs,
      ttftMs: outcome.ttftMs,
      invalidCitations: outcome.invalidCitations,
    };
    if (outcome.text === null) {
      const failure = outcome.failure ?? 'error';
      return [{ ...extractiveFor(input, profile, index), fallback: failure }, { ...record, fallback: failure }];
    }
    return [{ id, arm: profile.arm, model: profile.model, text: outcome.text, citations: outcome.citations }, record];
  }

  return {
    plan,
    async generate(input) {
      const results = await Promise.all(
        (input.profiles ?? config.profiles).map(async (profile, index) => {
          const [generated, record] = await one(input, profile, index);
          if (input.replyMemory && input.replyExamples?.length) {
            record.replyMemory = {
              modelId: input.replyMemory.id,
              version: input.replyMemory.version,
              examples: input.replyExamples.length,
              replies: input.replyExamples.map((e) => e.reply),
            };
          }
          const unbacked = unbackedUrls(generated, input.articles);
          const candidate: Candidate = unbacked.length ? { ...generated, unbackedUrls: unbacked } : generated;
          input.onCandidate?.(candidate);
          return [candidate, record] as const;
        }),
      );
      return { candidates: results.map((r) => r[0]), records: results.map((r) => r[1]) };
    },
  };
}
