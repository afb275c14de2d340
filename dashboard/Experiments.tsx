import { useEffect, useState } from 'react';
import { api } from './api';
import { ExperimentCard } from './ExperimentCard';
import { ExperimentDetail } from './ExperimentDetail';
import { NewExperimentForm } from './NewExperimentForm';
import { useDashboard } from './store';
import { useLoad } from './useLoad';

/** The experiment list, the new-experiment form, and the selected experiment's metrics and audit. */
export function Experiments() {
  const { experiments, setExperiments, selectedKey } = useDashboard();
  const [creating, setCreating] = useState(false);
  const list = useLoad(() => api.experiments(), []);
  useEffect(() => {
    if (list.data) setExperiments(list.data.experiments);
  }, [list.data, setExperiments]);
  // Model versions are offered as rerankers in the arms editor; without them the field is free text.
  const models = useLoad(() => api.models().catch(() => []), []);
  const rerankers = (models.data ?? []).map((m) => m.id);
  const selected = experiments?.find((e) => e.key === selectedKey) ?? null;

  return (
    <section aria-labelledby="experiments-title">
      <div className="section-head">
        <h2 id="experiments-title">Experiments</h2>
        <button type="button" onClick={() => setCreating(true)} disabled={creating}>
          New experiment
        </button>
        <button type="button" className="quiet" onClick={list.reload}>
          Refresh
        </button>
        <span className="muted small" aria-live="polite">
          {list.loading ? 'Loading…' : ''}
        </span>
      </div>
      <p role="alert" className="error" hidden={!list.error}>
        {list.error}
      </p>
      {creating && <NewExperimentForm onDone={() => setCreating(false)} rerankers={rerankers} />}
      {experiments && experiments.length === 0 && !creating && (
        <p className="empty">No experiments yet. Agents see the baseline: the two default replies side by side. Create one to compare arms.</p>
      )}
      <div className="experiments">
        {experiments?.map((e) => (
          <ExperimentCard key={e.key} experiment={e} />
        ))}
      </div>
      {selected && <ExperimentDetail key={selected.key} experiment={selected} />}
    </section>
  );
}
