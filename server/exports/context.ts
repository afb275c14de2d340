import type { Candidate, SuggestedArticle, TicketContext } from '../../lib/contract';
import type { Database } from '../db/client';
import type { GenerationRecord } from '../generation';
import { OFFLINE_GENERATION } from '../generation/profiles';
import { buildMessages, PROMPT_VERSIONS, type PromptVersion } from '../generation/prompt';
import type { ArticleText } from '../retrieval';
import { ExportInputError } from './scope';

/** A suggestion as stored (server/suggest.ts): what the agent was shown for a ticket. */
export interface StoredSuggestion {
  context: TicketContext;
  candidates: Candidate[];
  articles: SuggestedArticle[];
  generation: GenerationRecord[] | null;
}

/** The suggestion's columns, for queries that join `suggestions s`. */
export const SUGGESTION_COLUMNS = 's.id::text as suggestion_id, s.context, s.candidates, s.articles, s.generation';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A knowledge-base chunk's current text. */
export interface ChunkText {
  chunkId: string;
  articleId: string;
  title: string;
  heading: string | null;
  content: string;
}

/**
 * The current text of the given chunks, by chunk id, within the tenant. Suggestions store what was
 * shown (title, snippet, chunk id), not the chunk's whole text; a chunk of an article changed since
 * may read differently now, and one of a deleted article is missing.
 */
export async function loadChunks(database: Database, tenantId: string, chunkIds: Iterable<string>): Promise<Map<string, ChunkText>> {
  const ids = [...new Set(chunkIds)];
  const found = new Map<string, ChunkText>();
  if (ids.length === 0) return found;
  const rows = await database.query<ChunkText>(
    `select c.chunk_id as "chunkId", a.external_id as "articleId", a.title, c.heading, c.content
       from kb_chunks c join kb_articles a on a.id = c.article_id
      where c.tenant_id = $1::uuid and c.chunk_id = any($2::text[])`,
    [tenantId, ids],
  );
  for (const row of rows) found.set(row.chunkId, row);
  return found;
}

/** The chunk ids a page of suggestions showed, for loadChunks. */
export function shownChunkIds(suggestions: StoredSuggestion[]): string[] {
  return suggestions.flatMap((s) => (Array.isArray(s.articles) ? s.articles.map((a) => a.chunkId) : []));
}

/** A chunk as a passage: its article's title, its section heading and its text. */
export function passage(chunk: ChunkText): string {
  return [chunk.title, chunk.heading, chunk.content.trim()].filter(Boolean).join('\n');
}

/** Checks a requested prompt version before anything streams. */
export function promptVersionOption(value: string | undefined): PromptVersion | undefined {
  if (value === undefined) return undefined;
  if (!(PROMPT_VERSIONS as readonly string[]).includes(value)) {
    throw new ExportInputError(`promptVersion: unknown prompt version "${value}" (${PROMPT_VERSIONS.join(', ')})`);
  }
  return value as PromptVersion;
}

/**
 * The prompt version of the profile that wrote a candidate: its generation record's, or (for the
 * extractive generator, which has no prompt) the default profile of the same arm, else the first.
 */
export function promptVersionOf(suggestion: StoredSuggestion, candidateId: string | null): PromptVersion {
  const record = suggestion.generation?.find((r) => r.candidateId === candidateId);
  if (record?.promptVersion && (PROMPT_VERSIONS as readonly string[]).includes(record.promptVersion)) {
    return record.promptVersion as PromptVersion;
  }
  const arm = record?.arm ?? suggestion.candidates.find((c) => c.id === candidateId)?.arm;
  return OFFLINE_GENERATION.profiles.find((p) => p.arm === arm)?.promptVersion ?? PROMPT_VERSIONS[0];
}

/**
 * The system and user messages the generator would send for this suggestion (server/generation/
 * prompt.ts): the prompt version's rules, the numbered articles the agent was shown, the past replies
 * the reply memory offered (examples-v1) and the ticket.
 * An article's text is its chunk's current text, or the snippet shown when the chunk is gone.
 */
export function promptMessages(suggestion: StoredSuggestion, version: PromptVersion, chunks: Map<string, ChunkText>): ChatMessage[] {
  const articles: ArticleText[] = (suggestion.articles ?? []).map((a) => ({ ...a, content: chunks.get(a.chunkId)?.content ?? a.snippet }));
  // The past replies the reply memory offered (the same for every candidate of a suggestion); only
  // prompt versions that show examples use them.
  const examples = (suggestion.generation?.find((r) => r.replyMemory)?.replyMemory?.replies ?? []).map((reply) => ({ reply }));
  return buildMessages(version, suggestion.context, articles, examples).map((m) => ({
    role: m.role as ChatMessage['role'],
    content: typeof m.content === 'string' ? m.content : '',
  }));
}
