import type { Candidate, SuggestedArticle } from '../lib/contract';

interface Props {
  label: string;
  candidate: Candidate;
  articles: SuggestedArticle[];
  onInsert: () => void;
  onCopy: () => void;
  shortcut: string;
}

/** One suggested reply. Text is rendered as text: nothing from the server or ticket becomes markup. */
export function CandidateCard({ label, candidate, articles, onInsert, onCopy, shortcut }: Props) {
  const cited = candidate.citations
    .map((n) => articles.find((a) => a.n === n))
    .filter((a): a is SuggestedArticle => a !== undefined);
  return (
    <section className="ld-candidate" aria-label={`Suggested reply ${label}`} data-candidate-id={candidate.id}>
      <header className="ld-candidate-head">
        <span className="ld-badge">{label}</span>
        <span className="ld-muted">{cited.length ? `cites ${cited.map((a) => `[${a.n}]`).join(' ')}` : 'no citations'}</span>
      </header>
      <p className="ld-candidate-text">{candidate.text}</p>
      <div className="ld-row">
        <button type="button" className="ld-primary" onClick={onInsert} aria-keyshortcuts={shortcut} title={`Insert into the reply (${shortcut})`}>
          Insert {label}
        </button>
        <button type="button" onClick={onCopy}>
          Copy
        </button>
      </div>
    </section>
  );
}
