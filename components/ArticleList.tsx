import type { RelevanceLabel, SuggestedArticle } from '../lib/contract';
import { RELEVANCE_LABELS } from '../lib/contract/vocabulary';

const LABEL_TEXT: Record<RelevanceLabel, string> = {
  relevant: 'Relevant',
  partly: 'Partly',
  irrelevant: 'Irrelevant',
  outdated: 'Outdated',
};

interface Props {
  articles: SuggestedArticle[];
  ratings: Record<string, RelevanceLabel>;
  /** Absent when relevance feedback is switched off: the articles are listed without the chips. */
  onRate?: (articleId: string, label: RelevanceLabel) => void;
}

/** The articles behind the replies, each with one-click relevance labels. */
export function ArticleList({ articles, ratings, onRate }: Props) {
  if (articles.length === 0) return <p className="ld-muted">No knowledge-base article matched this ticket.</p>;
  return (
    <ol className="ld-articles" aria-label="Knowledge articles">
      {articles.map((article) => (
        <li key={article.articleId} className="ld-article" data-article-id={article.articleId}>
          <div className="ld-article-title">
            <span className="ld-muted">[{article.n}]</span>{' '}
            {article.url ? (
              <a href={article.url} target="_blank" rel="noreferrer noopener">
                {article.title}
              </a>
            ) : (
              article.title
            )}
          </div>
          <p className="ld-snippet">{article.snippet}</p>
          {onRate && (
          <div className="ld-chips" role="group" aria-label={`Is “${article.title}” relevant?`}>
            {RELEVANCE_LABELS.map((label) => (
              <button
                key={label}
                type="button"
                className="ld-chip"
                aria-pressed={ratings[article.articleId] === label}
                onClick={() => onRate(article.articleId, label)}
              >
                {LABEL_TEXT[label]}
              </button>
            ))}
          </div>
          )}
        </li>
      ))}
    </ol>
  );
}
