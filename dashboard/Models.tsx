import { api, ModelEvaluation, type HeldOut } from './api';
import { decimal, when } from './format';
import { useLoad } from './useLoad';

const MEASURES = ['recall@75', 'precision@8', 'MRR@8', 'nDCG@8'] as const satisfies readonly (keyof HeldOut)[];

/** A measure of the version and how it compares with what was promoted when it was evaluated. */
function Measure({ name, evaluation }: { name: (typeof MEASURES)[number]; evaluation: ModelEvaluation | null }) {
  if (!evaluation) return <td className="muted">–</td>;
  const value = evaluation.heldOut.candidate[name];
  const delta = value - evaluation.heldOut.current[name];
  return (
    <td data-metric={name} data-value={value}>
      <span className="num">{decimal(value)}</span>
      <span className={`ci ${delta > 0 ? 'up' : delta < 0 ? 'down' : ''}`}>
        {delta >= 0 ? '+' : '−'}
        {Math.abs(delta).toFixed(3)}
      </span>
    </td>
  );
}

/**
 * The tenant's retrieval model versions from the flywheel, newest first, with their held-out
 * evaluation against the version promoted at the time (the small number under each measure).
 */
export function Models() {
  const models = useLoad(() => api.models(), []);
  return (
    <section aria-labelledby="models-title">
      <div className="section-head">
        <h2 id="models-title">Model versions</h2>
        <button type="button" className="quiet" onClick={models.reload}>
          Refresh
        </button>
        <span className="muted small" aria-live="polite">
          {models.loading ? 'Loading…' : ''}
        </span>
      </div>
      <p role="alert" className="error" hidden={!models.error}>
        {models.error}
      </p>
      {models.data && models.data.length === 0 && (
        <p className="empty">No model versions yet: the flywheel stores one once agents have labelled enough suggestions (loopdesk flywheel run).</p>
      )}
      {models.data && models.data.length > 0 && (
        <div className="table-wrap">
          <table className="grid" aria-label="Model versions">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Status</th>
                <th scope="col">Gate</th>
                {MEASURES.map((m) => (
                  <th key={m} scope="col" title="held out; change against the version promoted then">
                    {m}
                  </th>
                ))}
                <th scope="col">Held-out queries</th>
                <th scope="col">Trained on</th>
                <th scope="col">Created</th>
                <th scope="col">Promoted</th>
              </tr>
            </thead>
            <tbody>
              {models.data.map((m) => {
                const parsed = ModelEvaluation.safeParse(m.metrics);
                const evaluation = parsed.success ? parsed.data : null;
                const trained = m.trainedOn as { queries?: number; labels?: number } | null;
                return (
                  <tr key={m.id} data-testid={`model-${m.version}`}>
                    <th scope="row" title={m.id}>
                      v{m.version} <span className="muted small">{m.kind}</span>
                    </th>
                    <td>
                      <span className={`status status-${m.status}`}>{m.status}</span>
                    </td>
                    <td>{evaluation ? <span className={evaluation.gate === 'passed' ? 'up' : 'down'}>{evaluation.gate}</span> : '–'}</td>
                    {MEASURES.map((name) => (
                      <Measure key={name} name={name} evaluation={evaluation} />
                    ))}
                    <td className="num">{evaluation?.heldOut.candidate.queries ?? '–'}</td>
                    <td className="nowrap">
                      {typeof trained?.queries === 'number' ? `${trained.queries} queries` : '–'}
                      {typeof trained?.labels === 'number' ? `, ${trained.labels} labels` : ''}
                    </td>
                    <td className="nowrap">{when(m.createdAt)}</td>
                    <td className="nowrap">{when(m.promotedAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
