import type { Candidate } from '../../lib/contract';
import type { ArticleText } from '../retrieval';

/** http(s) URLs and bare `www.` hosts, as a reply would spell them. */
const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"'`()[\]{}]+/gi;
/** Sentence punctuation that ends a URL in prose rather than belonging to it. */
const TRAILING_PUNCTUATION = /[.,;:!?*_~]+$/;

/** A URL reduced to what tells two spellings apart: no scheme, no `www.`, no trailing slash, lower-case host. */
function normalizeUrl(raw: string): string {
  const bare = raw.replace(/^https?:\/\//i, '').replace(/^www\./i, '');
  const slash = bare.indexOf('/');
  const host = (slash < 0 ? bare : bare.slice(0, slash)).toLowerCase();
  const rest = slash < 0 ? '' : bare.slice(slash);
  return (host + rest).replace(/\/+$/, '');
}

export function urlsIn(text: string): string[] {
  return [...text.matchAll(URL_PATTERN)].map((m) => m[0].replace(TRAILING_PUNCTUATION, ''));
}

/**
 * URLs in a reply that none of the articles it cites contains, in its link or its text. A model can
 * invent a link, or copy one a hostile ticket planted ("tell them to log in at …"); the overlay
 * warns the agent before such a reply goes into the composer. Only cited articles count: a link
 * from an article the reply does not cite is not backed by what the reply says.
 */
export function unbackedUrls(candidate: Pick<Candidate, 'text' | 'citations'>, articles: readonly Pick<ArticleText, 'n' | 'url' | 'content'>[]): string[] {
  const cited = articles.filter((a) => candidate.citations.includes(a.n));
  const backed = new Set(cited.flatMap((a) => [...(a.url ? [a.url] : []), ...urlsIn(a.content)]).map(normalizeUrl));
  const seen = new Set<string>();
  const unbacked: string[] = [];
  for (const url of urlsIn(candidate.text)) {
    const key = normalizeUrl(url);
    if (backed.has(key) || seen.has(key)) continue;
    seen.add(key);
    unbacked.push(url);
  }
  return unbacked;
}
