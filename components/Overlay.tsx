import { useStore } from 'zustand';
import { asksForLabels, type OverlayController } from '../lib/overlay/controller';
import { overlayStore } from '../lib/overlay/store';
import { ArticleList } from './ArticleList';
import { CandidateCard } from './CandidateCard';
import { MissingKnowledge } from './MissingKnowledge';
import { PreferenceScale } from './PreferenceScale';
import { RationalePrompt } from './RationalePrompt';
import { usePageScheme } from './usePageScheme';

const SIDE_LABELS = ['A', 'B'] as const;

/** The Loopdesk panel docked over the helpdesk: replies, their articles, and the annotations. */
export function Overlay({ controller }: { controller: OverlayController }) {
  const activeTicketId = useStore(overlayStore, (s) => s.activeTicketId);
  const ticket = useStore(overlayStore, (s) => (s.activeTicketId ? s.tickets[s.activeTicketId] : undefined));
  const collapsed = useStore(overlayStore, (s) => s.collapsed);
  const pageProblem = useStore(overlayStore, (s) => s.pageProblem);
  const notice = useStore(overlayStore, (s) => s.notice);
  const missingFormOpen = useStore(overlayStore, (s) => s.missingFormOpen);
  const annotations = useStore(overlayStore, (s) => s.annotations);
  const scheme = usePageScheme();

  if (!activeTicketId && !pageProblem) return null;
  if (collapsed) {
    return (
      <button
        type="button"
        className="ld-tab"
        data-theme={scheme}
        onClick={() => overlayStore.setState({ collapsed: false })}
        aria-label="Open Loopdesk"
        aria-keyshortcuts="Alt+Shift+L"
      >
        Loopdesk
      </button>
    );
  }
  const suggestion = ticket?.suggestion;
  const labels = ticket ? asksForLabels(ticket) : false;
  return (
    <aside className="ld-panel" aria-label="Loopdesk suggestions" data-ticket-id={activeTicketId ?? ''} data-theme={scheme}>
      <header className="ld-head">
        <strong>Loopdesk</strong>
        {activeTicketId && <span className="ld-muted">#{activeTicketId}</span>}
        <button
          type="button"
          className="ld-icon"
          onClick={() => overlayStore.setState({ collapsed: true })}
          aria-label="Collapse Loopdesk"
          aria-keyshortcuts="Alt+Shift+L"
        >
          –
        </button>
      </header>
      {pageProblem && <p className="ld-error" role="alert">{pageProblem}</p>}
      {notice && (
        <p className="ld-error" role="alert">
          {notice}
        </p>
      )}
      {ticket?.status === 'loading' && <p className="ld-muted" role="status">Finding replies…</p>}
      {ticket?.error && (
        <div className="ld-error" role="alert">
          {ticket.error}{' '}
          {ticket.status === 'error' && (
            <button type="button" onClick={() => controller.retry()}>
              Retry
            </button>
          )}
        </div>
      )}
      {suggestion && ticket && (
        <>
          <div className="ld-candidates">
            {ticket.order.map((id, i) => {
              const candidate = suggestion.candidates.find((c) => c.id === id)!;
              const label = SIDE_LABELS[i] ?? String(i + 1);
              return (
                <CandidateCard
                  key={id}
                  label={label}
                  candidate={candidate}
                  articles={suggestion.articles}
                  streaming={ticket.pending.includes(id)}
                  shortcut={`Alt+Shift+${i + 1}`}
                  onInsert={() => controller.insert(id)}
                  onCopy={() => void controller.copy(id)}
                  confirmingLinks={ticket.linkCheck === id}
                  onConfirmInsert={() => controller.insert(id, { confirmed: true })}
                  onCancelInsert={() => controller.cancelInsert()}
                />
              );
            })}
          </div>
          {annotations.preference && labels && ticket.status === 'ready' && ticket.order.length === 2 && <PreferenceScale value={ticket.preference} onChoose={(c) => controller.prefer(c)} />}
          {ticket.lastSent && (
            <p className="ld-muted" role="status">
              Reply sent — recorded as {ticket.lastSent.outcome.replace('_', ' ')}.
            </p>
          )}
          {ticket.rationalePrompt && (
            <RationalePrompt key={ticket.rationalePrompt.eventId} outcome={ticket.rationalePrompt.outcome} onAnswer={(r) => void controller.explainAdoption(r)} />
          )}
          {ticket.rationaleThanks && !ticket.rationalePrompt && (
            <p className="ld-muted" role="status">
              {ticket.rationaleThanks}
            </p>
          )}
          <h2 className="ld-h2">Articles</h2>
          <ArticleList
            articles={suggestion.articles}
            ratings={ticket.relevance}
            onRate={annotations.relevance && labels ? (id, label) => controller.rateArticle(id, label) : undefined}
          />
          {annotations.missingKnowledge && (
          <MissingKnowledge
            reported={ticket.missingReported}
            open={missingFormOpen}
            onOpenChange={(open) => overlayStore.setState({ missingFormOpen: open })}
            onReport={(description, title) => controller.reportMissing(description, title)}
          />
          )}
        </>
      )}
    </aside>
  );
}
