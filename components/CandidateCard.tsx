import type { Candidate, SuggestedArticle } from '../lib/contract';

interface Props {
  label: string;
  candidate: Candidate;
  articles: SuggestedArticle[];
  /** The text is still arriving: shown as it grows, but not yet insertable. */
  streaming: boolean;
  onInsert: () => void;
  onCopy: () => void;
  /** The agent asked to insert this reply and must first confirm its unbacked links. */
  confirmingLinks: boolean;
  onConfirmInsert: () => void;
  onCancelInsert: () => void;
  shortcut: string;
}

/** Why the card shows the extractive reply instead of the model's, in the agent's words. */
export function fallbackNote(reason: string): string {
  const suffix = ' — showing the extractive reply.';
  if (reason === 'timeout') return `The model did not answer in time${suffix}`;
  const status = /^http_(\d{3})$/.exec(reason)?.[1];
  if (status) return `The model failed (HTTP ${status})${suffix}`;
  if (reason === 'connection') return `The model could not be reached${suffix}`;
  return `The model gave no usable answer${suffix}`;
}

/** One suggested reply. Text is rendered as text: nothing from the server or ticket becomes markup. */
export function CandidateCard({ label, candidate, articles, streaming, onInsert, onCopy, shortcut, confirmingLinks, onConfirmInsert, onCancelInsert }: Props) {
  const cited = candidate.citations
    .map((n) => articles.find((a) => a.n === n))
    .filter((a): a is SuggestedArticle => a !== undefined);
  const citationSummary = streaming ? 'writing…' : cited.length ? `cites ${cited.map((a) => `[${a.n}]`).join(' ')}` : 'no citations';
  return (
    <section
      className="ld-candidate"
      aria-label={`Suggested reply ${label}`}
      aria-busy={streaming}
      data-candidate-id={candidate.id}
      data-state={streaming ? 'streaming' : 'final'}
    >
      <header className="ld-candidate-head">
        <span className="ld-badge">{label}</span>
        <span className="ld-muted">{citationSummary}</span>
      </header>
      {candidate.fallback && (
        <p className="ld-note" role="note">
          {fallbackNote(candidate.fallback)}
        </p>
      )}
      <p className="ld-candidate-text">{candidate.text || (streaming ? '…' : '')}</p>
      {candidate.unbackedUrls?.length ? (
        <div className="ld-warning" role={confirmingLinks ? 'alert' : 'note'}>
          <p>
            {candidate.unbackedUrls.length === 1 ? 'This link is' : 'These links are'} in none of the articles the reply cites — check{' '}
            {candidate.unbackedUrls.length === 1 ? 'it' : 'them'} before sending:
          </p>
          <ul>
            {candidate.unbackedUrls.map((url) => (
              <li key={url}>
                <code>{url}</code>
              </li>
            ))}
          </ul>
          {confirmingLinks && (
            <div className="ld-row">
              <button type="button" className="ld-primary" onClick={onConfirmInsert}>
                Insert {label} anyway
              </button>
              <button type="button" onClick={onCancelInsert}>
                Cancel
              </button>
            </div>
          )}
        </div>
      ) : null}
      <div className="ld-row">
        <button
          type="button"
          className="ld-primary"
          onClick={onInsert}
          disabled={streaming}
          aria-keyshortcuts={shortcut}
          title={`Insert into the reply (${shortcut})`}
        >
          Insert {label}
        </button>
        <button type="button" onClick={onCopy} disabled={streaming}>
          Copy
        </button>
      </div>
    </section>
  );
}
