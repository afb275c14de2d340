import { useState, type FormEvent } from 'react';
import { roleAtLeast } from '../lib/contract/common';
import { api, errorText } from './api';
import { useDashboard } from './store';

/** The lead pastes a token; `/v1/me` says whose it is, and only lead and admin tokens get in. */
export function SignIn() {
  const { signIn, signedOutReason } = useDashboard();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(signedOutReason);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const value = token.trim();
    if (!value) return setError('Paste a token first.');
    setBusy(true);
    setError(null);
    try {
      const me = await api.me(value);
      if (roleAtLeast(me.role, 'lead')) signIn(value, me);
      else setError(agentMessage);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <form onSubmit={submit} className="card">
        <h1>Loopdesk · team leads' dashboard</h1>
        <p className="muted">Experiments, per-arm metrics, the knowledge-gap report and model versions for your tenant.</p>
        <label htmlFor="token">Lead or admin token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="ld_…"
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        <p className="hint">Kept in this tab only (sessionStorage); closing the tab signs you out.</p>
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p role="alert" className="error" hidden={!error}>
          {error}
        </p>
      </form>
    </main>
  );
}

export const agentMessage =
  'This token belongs to an agent. The dashboard is for team leads and admins: ask an admin for a lead token (loopdesk token create --role lead).';
