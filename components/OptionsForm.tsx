import { browser } from 'wxt/browser';
import { useEffect, useState, type FormEvent } from 'react';
import { describeIssues, ExtensionSettings, REDACTION_LEVELS, type RedactionLevel } from '../lib/contract';
import { mergeOwnSettings, readEffectiveSettings, readSettings, settingsItem, type LockableField, type SettingsSource } from '../lib/settings';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);

const REDACTION_TEXT: Record<RedactionLevel, string> = {
  off: 'Off — send text as written',
  standard: 'Standard — e-mail, phone, card, IBAN and IP numbers',
  strict: 'Strict — also links, long numbers and names in greetings',
};

/** Why a field cannot be changed here, by who decided it. */
const LOCKED_NOTES: Record<SettingsSource, string> = {
  policy: 'Set by your organization',
  tenant: 'Set for your whole team by your Loopdesk admin',
};

/** Whether the extension may reach `origin` (localhost always; other hosts once granted). */
async function canReach(origin: string): Promise<boolean> {
  if (LOCAL_HOSTS.has(new URL(origin).hostname)) return true;
  return browser.permissions.contains({ origins: [`${origin}/*`] });
}

/**
 * Where the backend is and who the agent is. Settings the organisation's policy fixes are shown
 * with their policy value, disabled, and are never written by a save.
 */
export function OptionsForm() {
  const [serverUrl, setServerUrl] = useState('');
  const [token, setToken] = useState('');
  const [redaction, setRedaction] = useState<RedactionLevel>('standard');
  const [locked, setLocked] = useState<LockableField[]>([]);
  const [lockedBy, setLockedBy] = useState<Partial<Record<LockableField, SettingsSource>>>({});
  const lockedNote = (field: LockableField) => LOCKED_NOTES[lockedBy[field] ?? 'policy'];
  const [policyErrors, setPolicyErrors] = useState<string[]>([]);
  /** The policy's server, when the browser has not yet granted access to it. */
  const [needsGrant, setNeedsGrant] = useState<string | null>(null);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  const isLocked = (field: LockableField) => locked.includes(field);

  useEffect(() => {
    const load = () =>
      void readEffectiveSettings().then(async ({ settings, locked: lockedNow, lockedBy: lockedByNow, policyErrors: errors }) => {
        setServerUrl(settings.serverUrl);
        // A token from policy is shared by the whole organisation: it is not put into the page.
        setToken(lockedNow.includes('token') ? '' : settings.token);
        setRedaction(settings.redaction);
        setLocked(lockedNow);
        setLockedBy(lockedByNow);
        setPolicyErrors(errors);
        const origin = new URL(settings.serverUrl).origin;
        setNeedsGrant(lockedNow.includes('serverUrl') && !(await canReach(origin)) ? origin : null);
      });
    load();
    // A policy can arrive or change while the page is open (e.g. right after a force-install).
    const onChanged = (_changes: unknown, area: string) => {
      if (area === 'managed') load();
    };
    browser.storage.onChanged.addListener(onChanged);
    return () => browser.storage.onChanged.removeListener(onChanged);
  }, []);

  async function grant() {
    if (!needsGrant) return;
    const granted = await browser.permissions.request({ origins: [`${needsGrant}/*`] });
    if (granted) setNeedsGrant(null);
    else setMessage({ kind: 'error', text: `Loopdesk needs permission to reach ${needsGrant}` });
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    const form = ExtensionSettings.safeParse({ serverUrl: serverUrl.trim(), token, redaction });
    if (!form.success) {
      setMessage({ kind: 'error', text: describeIssues(form.error) });
      return;
    }
    // Locked fields keep the agent's own earlier values: policy values are never saved as the agent's.
    const own = mergeOwnSettings(await readSettings(), form.data, locked);
    if (!isLocked('serverUrl')) {
      const url = new URL(own.serverUrl);
      // Only localhost is in the manifest; any other backend host needs the agent's grant.
      if (!LOCAL_HOSTS.has(url.hostname)) {
        const granted = await browser.permissions.request({ origins: [`${url.origin}/*`] });
        if (!granted) {
          setMessage({ kind: 'error', text: `serverUrl: Loopdesk needs permission to reach ${url.origin}` });
          return;
        }
      }
    }
    await settingsItem.setValue(own);
    setMessage({ kind: 'ok', text: 'Saved.' });
  }

  const allLocked = isLocked('serverUrl') && isLocked('token') && isLocked('redaction');

  return (
    <main className="ld-page">
      <h1>Loopdesk</h1>
      {locked.length > 0 && (
        <p className="ld-muted" data-testid="policy-notice">
          Your organization manages some of these settings.
        </p>
      )}
      {needsGrant && (
        <p role="alert">
          Loopdesk needs your permission to reach your organization's server {needsGrant}.{' '}
          <button type="button" onClick={() => void grant()}>
            Allow access
          </button>
        </p>
      )}
      <form onSubmit={(e) => void save(e)}>
        <label>
          Server URL
          <input
            name="serverUrl"
            type="url"
            value={serverUrl}
            onChange={(e) => setServerUrl(e.target.value)}
            required
            disabled={isLocked('serverUrl')}
            aria-describedby={isLocked('serverUrl') ? 'ld-serverUrl-locked' : undefined}
          />
        </label>
        {isLocked('serverUrl') && (
          <p id="ld-serverUrl-locked" className="ld-muted">
            {lockedNote('serverUrl')}
          </p>
        )}
        <label>
          Token
          <input
            name="token"
            type="password"
            autoComplete="off"
            value={token}
            placeholder={isLocked('token') ? lockedNote('token') : undefined}
            onChange={(e) => setToken(e.target.value)}
            disabled={isLocked('token')}
            aria-describedby={isLocked('token') ? 'ld-token-locked' : undefined}
          />
        </label>
        {isLocked('token') && (
          <p id="ld-token-locked" className="ld-muted">
            {lockedNote('token')}
          </p>
        )}
        <label>
          Redaction
          <select
            name="redaction"
            value={redaction}
            onChange={(e) => setRedaction(e.target.value as RedactionLevel)}
            disabled={isLocked('redaction')}
            aria-describedby={isLocked('redaction') ? 'ld-redaction-locked ld-redaction-help' : 'ld-redaction-help'}
          >
            {REDACTION_LEVELS.map((level) => (
              <option key={level} value={level}>
                {REDACTION_TEXT[level]}
              </option>
            ))}
          </select>
        </label>
        {isLocked('redaction') && (
          <p id="ld-redaction-locked" className="ld-muted">
            {lockedNote('redaction')}
          </p>
        )}
        <p id="ld-redaction-help" className="ld-muted">
          Applied in this browser before ticket or reply text is sent to the Loopdesk server.
        </p>
        <button type="submit" disabled={allLocked}>
          Save
        </button>
        {message && (
          <p role={message.kind === 'error' ? 'alert' : 'status'} className={message.kind === 'error' ? 'ld-error' : 'ld-ok'}>
            {message.text}
          </p>
        )}
        {policyErrors.length > 0 && (
          <div className="ld-muted" data-testid="policy-errors">
            Your organization's policy has settings Loopdesk ignores:
            <ul>
              {policyErrors.map((error) => (
                <li key={error}>{error}</li>
              ))}
            </ul>
          </div>
        )}
      </form>
    </main>
  );
}
