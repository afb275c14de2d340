import { api } from './api';
import { auditValue, when } from './format';
import { useLoad } from './useLoad';

/** Who changed the experiment, when, and each field before and after; newest as the server orders them. */
export function AuditLog({ experimentKey, revision }: { experimentKey: string; revision: number }) {
  // The revision is a dependency so that a change made on this page shows up here at once.
  const log = useLoad(() => api.audit(experimentKey), [experimentKey, revision]);
  return (
    <section aria-labelledby="audit-title" className="audit">
      <h3 id="audit-title">Audit log</h3>
      <p role="alert" className="error" hidden={!log.error}>
        {log.error}
      </p>
      {log.data && log.data.entries.length === 0 && <p className="empty">No changes recorded.</p>}
      {log.data && log.data.entries.length > 0 && (
        <div className="table-wrap">
          <table className="grid" aria-label={`Audit log of ${experimentKey}`}>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Changes</th>
              </tr>
            </thead>
            <tbody>
              {log.data.entries.map((entry) => (
                <tr key={entry.id} data-testid="audit-entry">
                  <td className="nowrap">{when(entry.at)}</td>
                  <td>
                    {entry.actor.name} <span className="badge">{entry.actor.role}</span>
                    {entry.actor.team && <span className="muted"> · {entry.actor.team}</span>}
                  </td>
                  <td className="nowrap">{entry.action === 'experiment.created' ? 'created' : 'changed'}</td>
                  <td>
                    <ul className="changes">
                      {Object.entries(entry.changes).map(([field, { before, after }]) => (
                        <li key={field} data-field={field}>
                          <code>{field}</code> {entry.action === 'experiment.created' ? '' : <del>{auditValue(field, before)}</del>}
                          {entry.action === 'experiment.created' ? '' : ' → '}
                          <ins>{auditValue(field, after)}</ins>
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
