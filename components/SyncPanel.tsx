import { useEffect, useState } from 'react';
import type { EnrollmentView, QuarantineEntry, SyncStatus } from '../lib/contract';
import { askBackground } from '../lib/messaging';

/** The outbox at a glance: what waits, what the server refused, and when it last synced. */
export function SyncPanel() {
  const [status, setStatus] = useState<SyncStatus | null>(null);
  const [enrollment, setEnrollment] = useState<EnrollmentView | null>(null);
  const [quarantine, setQuarantine] = useState<QuarantineEntry[]>([]);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  /** Runs one request, then reloads status and quarantine so the counts and the list agree. */
  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await action();
      const [nextStatus, nextQuarantine] = await Promise.all([askBackground({ type: 'status' }), askBackground({ type: 'quarantine-list' })]);
      setStatus(nextStatus);
      setQuarantine(nextQuarantine);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void act(async () => {});
    askBackground({ type: 'enrollment-status' }).then(setEnrollment, () => setEnrollment(null));
  }, []);

  const toggle = (id: string) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <main className="ld-page ld-popup">
      <h1>Loopdesk</h1>
      {enrollment && <EnrollmentLine view={enrollment} />}
      {status && (
        <dl>
          <dt>Queued</dt>
          <dd data-testid="queued">{status.queued}</dd>
          <dt>Quarantined</dt>
          <dd data-testid="quarantined">{status.quarantined}</dd>
          <dt>Delivered (last 7 days)</dt>
          <dd data-testid="delivered">{status.delivered}</dd>
          <dt>Last sync</dt>
          <dd>{status.lastSyncAt ? new Date(status.lastSyncAt).toLocaleString() : 'never'}</dd>
        </dl>
      )}
      {status && status.quarantined > 0 && quarantine.length > 0 && (
        <section aria-labelledby="ld-quarantine-heading">
          <h2 id="ld-quarantine-heading">Quarantined events</h2>
          <ul>
            {quarantine.map((entry) => {
              const what = `${entry.type} event for ticket ${entry.ticketId}`;
              const detailsId = `ld-quarantine-${entry.id}`;
              const open = expanded.has(entry.id);
              return (
                <li key={entry.id}>
                  <div>
                    <strong>{entry.type}</strong>, ticket {entry.ticketId}
                  </div>
                  <div className="ld-error">{entry.reason}</div>
                  <div>
                    <time dateTime={entry.quarantinedAt}>{new Date(entry.quarantinedAt).toLocaleString()}</time>
                  </div>
                  <button type="button" aria-expanded={open} aria-controls={detailsId} aria-label={`Details of ${what}`} onClick={() => toggle(entry.id)}>
                    Details
                  </button>{' '}
                  <button
                    type="button"
                    disabled={busy}
                    aria-label={`Retry ${what}`}
                    onClick={() => void act(() => askBackground({ type: 'quarantine-retry', id: entry.id }))}
                  >
                    Retry
                  </button>{' '}
                  <button
                    type="button"
                    disabled={busy}
                    aria-label={`Discard ${what}`}
                    onClick={() => void act(() => askBackground({ type: 'quarantine-discard', id: entry.id }))}
                  >
                    Discard
                  </button>
                  {/* React renders the JSON as text, so nothing in a rejected event can become markup. */}
                  <pre id={detailsId} hidden={!open} style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', maxHeight: '12em', overflow: 'auto' }}>
                    {entry.eventJson}
                  </pre>
                </li>
              );
            })}
          </ul>
        </section>
      )}
      {status?.storageLost && (
        <div className="ld-error" role="alert">
          <p>{status.storageLost}</p>
          <button type="button" disabled={busy} onClick={() => void act(() => askBackground({ type: 'storage-lost-dismiss' }))}>
            Dismiss
          </button>
        </div>
      )}
      {status?.storageProblem && (
        <p className="ld-error" role="alert">
          {status.storageProblem}
        </p>
      )}
      {status?.lastError && <p className="ld-error">{status.lastError}</p>}
      {error && <p className="ld-error" role="alert">{error}</p>}
      <button type="button" disabled={busy} onClick={() => void act(() => askBackground({ type: 'sync-now' }))}>
        Sync now
      </button>
    </main>
  );
}

/** Whose token this browser uses, when the organisation enrolls agents (see lib/enrollment.ts). */
function EnrollmentLine({ view }: { view: EnrollmentView }) {
  switch (view.state) {
    case 'not-used':
      return null;
    case 'shared-token':
      return <p data-testid="enrollment">Using the token set for this browser (enrollment not needed).</p>;
    case 'waiting':
      return <p data-testid="enrollment">Enrolling: open your helpdesk so that Loopdesk can see who is signed in.</p>;
    case 'enrolled':
      return (
        <p data-testid="enrollment">
          Enrolled as <strong>{view.displayName ?? view.agent}</strong> ({view.agent}), team {view.team} of {view.tenant}.
        </p>
      );
    case 'revoked':
      return (
        <p data-testid="enrollment" role="alert">
          This browser's Loopdesk token ({view.agent}) was revoked. Ask your administrator for a new enrollment.
        </p>
      );
    case 'failed':
      return (
        <p data-testid="enrollment" role="alert">
          Enrollment failed: {view.error}. It is tried again on the next helpdesk page.
        </p>
      );
  }
}
