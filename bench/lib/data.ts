import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { KbArticleInput, TicketMessage } from '../../lib/contract';
import { PROJECT_ROOT } from '../../server/config';

/** The shared public datasets; never copied into the project. */
export const SHARED_DATA = resolve(process.env.LOOPDESK_SHARED_DATA ?? join(PROJECT_ROOT, '..', 'shared', 'data'));

export const FEEDBACKQA_DOMAINS = ['Australia', 'CDC', 'UK', 'WHO'] as const;
export type FeedbackQaDomain = (typeof FEEDBACKQA_DOMAINS)[number];

interface FqaPassage {
  passage_id: number;
  uri: string;
  reference: { page_title: string; section_headers: string[]; section_content: string };
}
interface FqaExample {
  id: number;
  question: string;
  passage_id: number;
}

export interface LabelledQuery {
  id: string;
  query: string;
  /** Article ids that answer the query. */
  gold: string[];
}

/** One KB article per passage: title is the page title and section path, body the section text. */
export function feedbackQaArticle(p: FqaPassage): KbArticleInput {
  const headers = p.reference.section_headers.filter(Boolean).join(' › ');
  return {
    id: String(p.passage_id),
    title: headers ? `${p.reference.page_title} — ${headers}` : p.reference.page_title,
    body: p.reference.section_content,
    url: p.uri,
  };
}

export function loadFeedbackQa(domain: FeedbackQaDomain, split: 'train' | 'valid') {
  const dir = join(SHARED_DATA, 'feedbackqa', domain);
  const passages = JSON.parse(readFileSync(join(dir, 'passages.json'), 'utf8')) as FqaPassage[];
  const { examples } = JSON.parse(readFileSync(join(dir, `${split}.json`), 'utf8')) as { examples: FqaExample[] };
  return {
    passages,
    articles: passages.map(feedbackQaArticle),
    queries: examples.map((e): LabelledQuery => ({ id: String(e.id), query: e.question, gold: [String(e.passage_id)] })),
  };
}

interface DstcEntity {
  name: string;
  faqs: Record<string, { question: string; answer: string }>;
  reviews: Record<string, { sentences: Record<string, string> }>;
}
interface DstcKnowledgeRef {
  domain: string;
  entity_id: number;
  doc_type: 'faq' | 'review';
  doc_id: number;
  sent_id?: number;
}
interface DstcLabel {
  target: boolean;
  knowledge?: DstcKnowledgeRef[];
  response?: string;
}

export function dstcSnippetId(ref: { domain: string; entity_id: number | string; doc_type: string; doc_id: number | string; sent_id?: number | string }) {
  return ref.doc_type === 'faq'
    ? `${ref.domain}:${ref.entity_id}:faq:${ref.doc_id}`
    : `${ref.domain}:${ref.entity_id}:review:${ref.doc_id}:${ref.sent_id}`;
}

export interface DstcTurn {
  index: number;
  messages: TicketMessage[];
  gold: string[];
  response: string;
}

/** DSTC11 track 5: FAQ entries and review sentences as articles; dev turns that need knowledge. */
export function loadDstc11() {
  const dir = join(SHARED_DATA, 'dstc11-track5');
  const kb = JSON.parse(readFileSync(join(dir, 'knowledge.json'), 'utf8')) as Record<string, Record<string, DstcEntity>>;
  const articles: KbArticleInput[] = [];
  for (const [domain, entities] of Object.entries(kb)) {
    for (const [entityId, entity] of Object.entries(entities)) {
      for (const [faqId, faq] of Object.entries(entity.faqs)) {
        articles.push({
          id: dstcSnippetId({ domain, entity_id: entityId, doc_type: 'faq', doc_id: faqId }),
          title: `${entity.name} (${domain})`,
          body: `${faq.question}\n\n${faq.answer}`,
        });
      }
      for (const [reviewId, review] of Object.entries(entity.reviews)) {
        for (const [sentId, sentence] of Object.entries(review.sentences)) {
          articles.push({
            id: dstcSnippetId({ domain, entity_id: entityId, doc_type: 'review', doc_id: reviewId, sent_id: sentId }),
            title: `${entity.name} (${domain}) review`,
            body: sentence,
          });
        }
      }
    }
  }
  const logs = JSON.parse(readFileSync(join(dir, 'dev', 'logs.json'), 'utf8')) as { speaker: 'U' | 'S'; text: string }[][];
  const labels = JSON.parse(readFileSync(join(dir, 'dev', 'labels.json'), 'utf8')) as DstcLabel[];
  const turns: DstcTurn[] = [];
  labels.forEach((label, index) => {
    if (!label.target || !label.knowledge?.length || !label.response) return;
    turns.push({
      index,
      messages: logs[index]!.map((t) => ({ author: t.speaker === 'U' ? 'customer' : 'agent', text: t.text })),
      gold: label.knowledge.map(dstcSnippetId),
      response: label.response,
    });
  });
  return { articles, turns };
}
