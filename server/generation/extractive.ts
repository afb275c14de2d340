import type { Candidate } from '../../lib/contract';
import type { ArticleText } from '../retrieval';
import { tokenize } from '../retrieval/query';

/** A generation profile; experiments choose between them as arms. */
export interface ExtractiveProfile {
  arm: string;
  /** How many articles the reply draws on. */
  articles: number;
  /** Sentences taken from the best article; the others contribute one each. */
  leadSentences: number;
}

export const EXTRACTIVE_PROFILES: readonly [ExtractiveProfile, ExtractiveProfile] = [
  { arm: 'A', articles: 2, leadSentences: 2 },
  { arm: 'B', articles: 3, leadSentences: 1 },
];

export const EXTRACTIVE_MODEL = 'extractive-v1';


/** Words too common to say anything about relevance when scoring sentences. */
const STOPWORDS = new Set(
  'a an and are as at be but by can do does for from have how i if in is it me my of on or our so that the this to was we what when where which who why will with you your'.split(
    ' ',
  ),
);

function stem(token: string): string {
  return token.length > 4 ? token.replace(/(ing|ed|es|s)$/, '') : token;
}

function contentTerms(text: string): Set<string> {
  return new Set(tokenize(text).filter((t) => !STOPWORDS.has(t)).map(stem));
}

/** Splits article text into sentences, dropping Markdown list markers and very short fragments. */
export function sentences(text: string): string[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n+|(?<=[.!?])\s+(?=[A-Z0-9"(])/)
    .map((s) =>
      s
        .replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '')
        // Markdown emphasis and code marks would show up literally in a plain-text reply.
        .replace(/(\*\*|__|`)/g, '')
        .trim(),
    )
    .filter((s) => s.split(/\s+/).length >= 4);
}

function rankSentences(content: string, queryTerms: Set<string>): string[] {
  const scored = sentences(content).map((sentence, position) => {
    const terms = contentTerms(sentence);
    let overlap = 0;
    for (const t of terms) if (queryTerms.has(t)) overlap++;
    return { sentence, position, score: overlap / Math.sqrt(terms.size + 1) };
  });
  // Best first; ties keep the article's own order so replies read naturally.
  return scored.sort((a, b) => b.score - a.score || a.position - b.position).map((s) => s.sentence);
}

function ensurePeriod(sentence: string): string {
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/**
 * Composes a cited reply from the top articles, deterministically and without any model, so that
 * Loopdesk works offline. Each sentence is followed by the `[n]` of the article it came from.
 */
export function composeExtractive(
  query: string,
  articles: ArticleText[],
  profile: ExtractiveProfile,
  candidateId: string,
): Candidate {
  const queryTerms = contentTerms(query);
  const used = articles.slice(0, profile.articles);
  const lines: string[] = [];
  const citations: number[] = [];
  used.forEach((article, i) => {
    const picked = rankSentences(article.content, queryTerms).slice(0, i === 0 ? profile.leadSentences : 1);
    if (picked.length === 0) return;
    lines.push(`${picked.map(ensurePeriod).join(' ')} [${article.n}]`);
    citations.push(article.n);
  });
  const body = lines.length
    ? lines.join('\n\n')
    : "I'm looking into this for you and will get back to you shortly with the details.";
  return {
    id: candidateId,
    arm: profile.arm,
    model: EXTRACTIVE_MODEL,
    text: `Hi there,\n\n${body}\n\nLet me know if there is anything else I can help with.`,
    citations,
  };
}

/** The sentences of a sent reply (agents write prose, not Markdown lists). */
function replySentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The extractive reply when the tenant's reply memory (server/generation/reply-memory.ts) holds an
 * adopted reply to a similar ticket: that reply's sentences, minus any naming something (a product,
 * a place, a business) the past ticket mentioned and this one does not, since those are about the
 * other customer's case; then the best sentence of the top article, cited. The past reply brings how
 * the tenant's agents answer such a question (measured on DSTC11: bench/results/generation.md); the
 * article sentence keeps the reply grounded. Null when nothing of the past reply is left, so that the
 * caller composes as without a memory.
 */
export function composeFromMemory(
  query: string,
  ticketText: string,
  articles: ArticleText[],
  example: { reply: string; names: string[] },
  arm: string,
  candidateId: string,
): Candidate | null {
  const foreign = example.names.filter((name) => name.length > 2 && !ticketText.includes(name));
  const kept = replySentences(example.reply).filter((s) => !foreign.some((name) => s.includes(name)));
  if (!kept.length) return null;
  const top = articles[0];
  const lead = top ? rankSentences(top.content, contentTerms(query))[0] : undefined;
  const parts = [kept.join(' ')];
  const citations: number[] = [];
  if (top && lead) {
    parts.push(`${ensurePeriod(lead)} [${top.n}]`);
    citations.push(top.n);
  }
  return { id: candidateId, arm, model: EXTRACTIVE_MODEL, text: parts.join('\n\n'), citations };
}
