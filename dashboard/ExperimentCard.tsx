import { useEffect, useRef, useState } from 'react';
import type { Experiment, ExperimentPatch, ExperimentStatus } from '../lib/contract/experiments';
import { api, errorText } from './api';
import { RangeField } from './RangeField';
import { useDashboard } from './store';

/** The status changes a lead may make from each status (`draft` → `running` ⇄ `paused` → `stopped`). */
const NEXT: Record<ExperimentStatus, { to: ExperimentStatus; label: string }[]> = {
  draft: [{ to: 'running', label: 'Start' }],
  running: [{ to: 'paused', label: 'Pause' }],
  paused: [{ to: 'running', label: 'Resume' }],
  stopped: [],
};

/** Team slugs from "billing, vip support": commas or spaces separate them. */
function parseTeams(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/** One experiment: its settings, each control saving a PATCH of just what it changes. */
export function ExperimentCard({ experiment }: { experiment: Experiment }) {
  const { upsertExperiment, select, selectedKey } = useDashboard();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirmStop, setConfirmStop] = useState(false);
  const [teams, setTeams] = useState(experiment.teams.join(', '));
  /** The teams last sent, so that Enter and then leaving the field send one PATCH, not two. */
  const sentTeams = useRef(experiment.teams.join(','));
  useEffect(() => {
    setTeams(experiment.teams.join(', '));
    sentTeams.current = experiment.teams.join(',');
  }, [experiment.teams]);

  const { key, status } = experiment;
  const stopped = status === 'stopped';
  const titleId = `experiment-${key}-title`;

  async function change(patch: ExperimentPatch): Promise<boolean> {
    setSaving(true);
    setError(null);
    try {
      upsertExperiment(await api.patchExperiment(key, patch));
      return true;
    } catch (err) {
      setError(errorText(err));
      return false;
    } finally {
      setSaving(false);
    }
  }

  function commitTeams() {
    const next = parseTeams(teams);
    if (next.join(',') === experiment.teams.join(',') || next.join(',') === sentTeams.current) return;
    sentTeams.current = next.join(',');
    void change({ teams: next }).then((ok) => ok || (sentTeams.current = experiment.teams.join(',')));
  }

  return (
    <article className="card experiment" aria-labelledby={titleId} data-testid={`experiment-${key}`} data-status={status}>
      <header>
        <h3 id={titleId}>{key}</h3>
        <span className={`status status-${status}`}>{status}</span>
        <span className="muted small">rev {experiment.revision}</span>
        <span className="saving small" aria-live="polite">
          {saving ? 'Saving…' : ''}
        </span>
        <span className="actions">
          {NEXT[status].map(({ to, label }) => (
            <button key={to} type="button" disabled={saving} onClick={() => change({ status: to })}>
              {label}
            </button>
          ))}
          {(status === 'running' || status === 'paused') && (
            <button type="button" className="danger" disabled={saving} onClick={() => setConfirmStop(true)}>
              Stop…
            </button>
          )}
          <button type="button" className="quiet" aria-pressed={selectedKey === key} onClick={() => select(selectedKey === key ? null : key)}>
            {selectedKey === key ? 'Hide metrics' : 'Metrics & audit'}
          </button>
        </span>
      </header>
      {confirmStop && (
        <div className="confirm" role="alertdialog" aria-label={`Stop ${key}?`}>
          <p>
            Stop <strong>{key}</strong>? Agents go back to the baseline and a stopped experiment cannot be started again; its metrics stay.
          </p>
          <button
            type="button"
            className="danger"
            autoFocus
            onClick={() => {
              setConfirmStop(false);
              void change({ status: 'stopped' });
            }}
          >
            Stop experiment
          </button>
          <button type="button" className="quiet" onClick={() => setConfirmStop(false)}>
            Keep it {status}
          </button>
        </div>
      )}
      {experiment.description && <p className="description">{experiment.description}</p>}
      <div className="controls">
        <div className="field">
          <label htmlFor={`${key}-mode`}>Mode</label>
          <select id={`${key}-mode`} value={experiment.mode} disabled={stopped} onChange={(e) => change({ mode: e.target.value as Experiment['mode'] })}>
            <option value="pairwise" title="two arms side by side; agents may say which is better">
              pairwise
            </option>
            <option value="single" title="each agent is assigned one arm, sticky">
              single
            </option>
          </select>
        </div>
        <RangeField label="Traffic share" value={experiment.trafficShare} disabled={stopped} onCommit={(trafficShare) => change({ trafficShare })} />
        <RangeField
          label="Annotation sampling"
          value={experiment.annotationSampling}
          disabled={stopped}
          onCommit={(annotationSampling) => change({ annotationSampling })}
        />
        <div className="field">
          <label htmlFor={`${key}-teams`}>Teams</label>
          <input
            id={`${key}-teams`}
            value={teams}
            disabled={stopped}
            placeholder="every team"
            onChange={(e) => setTeams(e.target.value)}
            onBlur={commitTeams}
            onKeyDown={(e) => e.key === 'Enter' && commitTeams()}
          />
        </div>
      </div>
      <ul className="arms" aria-label="Arms">
        {experiment.arms.map((arm) => (
          <li key={arm.name}>
            <strong>{arm.name}</strong>
            {arm.name === experiment.controlArm && <span className="badge">control</span>} {arm.generation.model} · {arm.generation.promptVersion} · t=
            {arm.generation.temperature} · reranker {arm.reranker} · k={arm.retrieval.k}
          </li>
        ))}
      </ul>
      <p role="alert" className="error" hidden={!error}>
        {error}
      </p>
    </article>
  );
}
