import { browser } from 'wxt/browser';
import { useEffect, useState, type FormEvent } from 'react';
import { describeIssues, ExtensionSettings, REDACTION_LEVELS, type RedactionLevel } from '../lib/contract';
import { readSettings, settingsItem } from '../lib/settings';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);

const REDACTION_TEXT: Record<RedactionLevel, string> = {
  off: 'Off — send text as written',
  standard: 'Standard — e-mail, phone, card, IBAN and IP numbers',
  strict: 'Strict — also links, long numbers and names in greetings',
};

/** Where the backend is and who the agent is. */
export function OptionsForm() {
  const [serverUrl, setServerUrl] = useState('');
  const [token, setToken] = useState('');
  const [redaction, setRedaction] = useState<RedactionLevel>('standard');
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  useEffect(() => {
    void readSettings().then((s) => {
      setServerUrl(s.serverUrl);
      setToken(s.token);
      setRedaction(s.redaction);
    });
  }, []);

  async function save(event: FormEvent) {
    event.preventDefault();
    const parsed = ExtensionSettings.safeParse({ serverUrl: serverUrl.trim(), token, redaction });
    if (!parsed.success) {
      setMessage({ kind: 'error', text: describeIssues(parsed.error) });
      return;
    }
    const url = new URL(parsed.data.serverUrl);
    // Only localhost is in the manifest; any other backend host needs the agent's (or policy's) grant.
    if (!LOCAL_HOSTS.has(url.hostname)) {
      const granted = await browser.permissions.request({ origins: [`${url.origin}/*`] });
      if (!granted) {
        setMessage({ kind: 'error', text: `serverUrl: Loopdesk needs permission to reach ${url.origin}` });
        return;
      }
    }
    await settingsItem.setValue(parsed.data);
    setMessage({ kind: 'ok', text: 'Saved.' });
  }

  return (
    <main className="ld-page">
      <h1>Loopdesk</h1>
      <form onSubmit={(e) => void save(e)}>
        <label>
          Server URL
          <input name="serverUrl" type="url" value={serverUrl} onChange={(e) => setServerUrl(e.target.value)} required />
        </label>
        <label>
          Token
          <input name="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
        </label>
        <label>
          Redaction
          <select name="redaction" value={redaction} onChange={(e) => setRedaction(e.target.value as RedactionLevel)} aria-describedby="ld-redaction-help">
            {REDACTION_LEVELS.map((level) => (
              <option key={level} value={level}>
                {REDACTION_TEXT[level]}
              </option>
            ))}
          </select>
        </label>
        <p id="ld-redaction-help" className="ld-muted">
          Applied in this browser before ticket or reply text is sent to the Loopdesk server.
        </p>
        <button type="submit">Save</button>
        {message && (
          <p role={message.kind === 'error' ? 'alert' : 'status'} className={message.kind === 'error' ? 'ld-error' : 'ld-ok'}>
            {message.text}
          </p>
        )}
      </form>
    </main>
  );
}
