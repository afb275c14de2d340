import { useState, type FormEvent } from 'react';
import { describeIssues } from '../lib/contract/common';
import { ExperimentInput, type ExperimentMode } from '../lib/contract/experiments';
import { api, errorText } from './api';
import { armInput, ArmsEditor, newArm, type ArmDraft } from './ArmsEditor';
import { useDashboard } from './store';

/**
 * Creates an experiment as a draft. The input is checked against the contract before it is sent,
 * so most mistakes are named at once; the server's own 4xx text is shown as it comes.
 */
export function NewExperimentForm({ onDone, rerankers }: { onDone(): void; rerankers: string[] }) {
  const { upsertExperiment, select, me } = useDashboard();
  const [key, setKey] = useState('');
  const [description, setDescription] = useState('');
  const [mode, setMode] = useState<ExperimentMode>('pairwise');
  const [traffic, setTraffic] = useState('100');
  const [sampling, setSampling] = useState('100');
  // A lead may only create experiments for their own team; admins start with every team.
  const [teams, setTeams] = useState(me?.role === 'lead' ? me.team : '');
  const [arms, setArms] = useState<ArmDraft[]>([newArm('a', 'concise-v1'), newArm('b', 'warm-v1')]);
  const [controlArm, setControlArm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input: ExperimentInput = {
      key: key.trim(),
      description: description.trim(),
      mode,
      trafficShare: Number(traffic) / 100,
      annotationSampling: Number(sampling) / 100,
      teams: teams.split(/[\s,]+/).filter(Boolean),
      arms: arms.map(armInput),
      ...(controlArm ? { controlArm } : {}),
    };
    const checked = ExperimentInput.safeParse(input);
    if (!checked.success) return setError(describeIssues(checked.error));
    setBusy(true);
    setError(null);
    try {
      const created = await api.createExperiment(input);
      upsertExperiment(created);
      select(created.key);
      onDone();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  const armNames = arms.map((a) => a.name.trim()).filter(Boolean);
  return (
    <form className="card new-experiment" onSubmit={submit} aria-labelledby="new-experiment-title">
      <h3 id="new-experiment-title">New experiment</h3>
      <div className="controls">
        <div className="field">
          <label htmlFor="new-key">Key</label>
          <input id="new-key" value={key} onChange={(e) => setKey(e.target.value)} placeholder="warm-vs-concise" required pattern="[A-Za-z0-9][A-Za-z0-9._\-]*" maxLength={64} />
        </div>
        <div className="field">
          <label htmlFor="new-mode">Mode</label>
          <select id="new-mode" value={mode} onChange={(e) => setMode(e.target.value as ExperimentMode)}>
            <option value="pairwise">pairwise</option>
            <option value="single">single</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="new-traffic">Traffic share (%)</label>
          <input id="new-traffic" type="number" min={0} max={100} step={1} value={traffic} onChange={(e) => setTraffic(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="new-sampling">Annotation sampling (%)</label>
          <input id="new-sampling" type="number" min={0} max={100} step={1} value={sampling} onChange={(e) => setSampling(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="new-teams">Teams</label>
          <input id="new-teams" value={teams} onChange={(e) => setTeams(e.target.value)} placeholder="every team" />
        </div>
        <div className="field">
          <label htmlFor="new-control">Control arm</label>
          <select id="new-control" value={controlArm} onChange={(e) => setControlArm(e.target.value)}>
            <option value="">first arm</option>
            {armNames.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </div>
        <div className="field wide">
          <label htmlFor="new-description">Description</label>
          <input id="new-description" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} placeholder="What this experiment asks" />
        </div>
      </div>
      <ArmsEditor arms={arms} onChange={setArms} rerankers={rerankers} />
      <p role="alert" className="error" hidden={!error}>
        {error}
      </p>
      <div className="row">
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create draft'}
        </button>
        <button type="button" className="quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
