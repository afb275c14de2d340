import { useEffect } from 'react';
import { roleAtLeast } from '../lib/contract/common';
import { AnnotationQuality } from './AnnotationQuality';
import { api, errorText } from './api';
import { Experiments } from './Experiments';
import { KbGaps } from './KbGaps';
import { Models } from './Models';
import { agentMessage, SignIn } from './SignIn';
import { useDashboard, type View } from './store';

const VIEWS: { id: View; label: string }[] = [
  { id: 'experiments', label: 'Experiments' },
  { id: 'kb-gaps', label: 'KB gaps' },
  { id: 'models', label: 'Models' },
  { id: 'annotation-quality', label: 'Annotation quality' },
];

export function App() {
  const { token, me, view, setView, signIn, signOut } = useDashboard();

  // A token kept from earlier in this tab's session is checked again before anything is shown.
  useEffect(() => {
    if (!token || me) return;
    let live = true;
    api.me(token).then(
      (who) => live && (roleAtLeast(who.role, 'lead') ? signIn(token, who) : signOut(agentMessage)),
      (error: unknown) => live && signOut(errorText(error)),
    );
    return () => {
      live = false;
    };
  }, [token, me, signIn, signOut]);

  if (token && !me) return <p className="boot">Checking your token…</p>;
  if (!token || !me) return <SignIn />;

  return (
    <div className="shell">
      <header className="top">
        <h1>
          Loopdesk <span>team leads</span>
        </h1>
        <nav aria-label="Dashboard sections">
          {VIEWS.map((v) => (
            <button key={v.id} type="button" className="tab" aria-current={view === v.id ? 'page' : undefined} onClick={() => setView(v.id)}>
              {v.label}
            </button>
          ))}
        </nav>
        <p className="who" data-testid="whoami">
          <span title="tenant">{me.tenant}</span> · <span title="team">{me.team}</span> · <span>{me.agent}</span> <span className="badge">{me.role}</span>
        </p>
        <button type="button" className="quiet" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main>
        {view === 'experiments' && <Experiments />}
        {view === 'kb-gaps' && <KbGaps />}
        {view === 'models' && <Models />}
        {view === 'annotation-quality' && <AnnotationQuality />}
      </main>
    </div>
  );
}
