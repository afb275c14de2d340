import { useEffect, useState } from 'react';
import type { SyncStatus } from '../lib/contract';
import { askBackground } from '../lib/messaging';

/** The outbox at a glance: what waits, what the server refused, and when it last synced. */
export function SyncPanel() {
  const [status, setStatus] = useState<SyncStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (type: 'status' | 'sync-now') => {
    setBusy(true);
    try {
      setStatus(await askBackground({ type }));
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void run('status');
  }, []);

  return (
    <main className="ld-page ld-popup">
      <h1>Loopdesk</h1>
      {status && (
        <dl>
          <dt>Queued</dt>
          <dd data-testid="queued">{status.queued}</dd>
          <dt>Quarantined</dt>
          <dd data-testid="quarantined">{status.quarantined}</dd>
          <dt>Last sync</dt>
          <dd>{status.lastSyncAt ? new Date(status.lastSyncAt).toLocaleString() : 'never'}</dd>
        </dl>
      )}
      {status?.lastError && <p className="ld-error">{status.lastError}</p>}
      {error && <p className="ld-error" role="alert">{error}</p>}
      <button type="button" disabled={busy} onClick={() => void run('sync-now')}>
        Sync now
      </button>
    </main>
  );
}
