import { useState } from 'react';
import { api, errorText } from './api';
import { csvRecords } from './csv';
import { useLoad } from './useLoad';
import { DateRange } from './DateRange';

/** `2025-03-01` of the chosen last day → the next day, since the export's `to` is exclusive. */
function dayAfter(date: string): string | undefined {
  if (!date) return undefined;
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

const list = (cell: string | undefined) => (cell ? cell.split('; ').filter(Boolean) : []);

/**
 * The knowledge-gap report (`GET /v1/admin/exports/kb-gaps`): clusters of missing-knowledge flags
 * and tickets where nothing shown was relevant, to write articles for (with the closest existing
 * articles, whether a newer article covers them, and whether similar tickets were answered, i.e. a
 * likely retrieval miss), and articles agents flagged as outdated. Read as CSV for the tables; either format
 * can be downloaded for the knowledge team.
 */
export function KbGaps() {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const range = { from: from || undefined, to: dayAfter(to) };
  const report = useLoad(async () => csvRecords(await api.kbGaps('csv', range)), [from, to]);
  const missing = report.data?.filter((r) => r.section === 'missing') ?? [];
  const outdated = report.data?.filter((r) => r.section === 'outdated') ?? [];

  async function download(format: 'csv' | 'markdown') {
    setDownloadError(null);
    try {
      const text = await api.kbGaps(format, range);
      const url = URL.createObjectURL(new Blob([text], { type: format === 'csv' ? 'text/csv' : 'text/markdown' }));
      const link = Object.assign(document.createElement('a'), { href: url, download: `kb-gaps.${format === 'csv' ? 'csv' : 'md'}` });
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 1_000);
    } catch (err) {
      setDownloadError(errorText(err));
    }
  }

  return (
    <section aria-labelledby="kb-gaps-title">
      <div className="section-head">
        <h2 id="kb-gaps-title">Knowledge-base gaps</h2>
        <DateRange idPrefix="gaps" from={from} to={to} onFrom={setFrom} onTo={setTo} />
        <button type="button" className="quiet" onClick={() => download('markdown')}>
          Download Markdown
        </button>
        <button type="button" className="quiet" onClick={() => download('csv')}>
          Download CSV
        </button>
        <span className="muted small" aria-live="polite">
          {report.loading ? 'Loading…' : ''}
        </span>
      </div>
      <p role="alert" className="error" hidden={!(report.error || downloadError)}>
        {report.error ?? downloadError}
      </p>
      {report.data && (
        <>
          <h3>
            Missing knowledge{' '}
            <span className="muted">
              · {missing.length} clusters, {missing.reduce((n, r) => n + Number(r.flags || 0), 0)} flags,{' '}
              {missing.filter((r) => r.retrieval_miss === 'yes').length} likely retrieval misses, {missing.filter((r) => r.covered === 'yes').length} covered
            </span>
          </h3>
          {missing.length === 0 ? (
            <p className="empty">No missing knowledge was flagged in this window.</p>
          ) : (
            <div className="table-wrap">
              <table className="grid" aria-label="Missing knowledge">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Cluster</th>
                    <th scope="col">Flags</th>
                    <th scope="col" title="Tickets where every shown article was labelled irrelevant or outdated">
                      Nothing relevant
                    </th>
                    <th scope="col">Tickets</th>
                    <th scope="col" title="A newer article answers these tickets">
                      Covered
                    </th>
                    <th scope="col">Closest articles</th>
                    <th scope="col" title="Similar tickets where an agent found an article relevant">
                      Similar tickets answered
                    </th>
                    <th scope="col">Categories</th>
                    <th scope="col">Example tickets</th>
                    <th scope="col">What agents wrote</th>
                  </tr>
                </thead>
                <tbody>
                  {missing.map((r) => (
                    <tr key={r.key} data-testid="kb-gap-missing">
                      <td className="num">{r.key}</td>
                      <td>{r.title}</td>
                      <td className="num">{r.flags}</td>
                      <td className="num">{r.no_relevant_tickets}</td>
                      <td className="num">{r.tickets}</td>
                      <td data-testid="kb-gap-covered">{r.covered === 'yes' ? `yes: ${list(r.covered_by).join(', ')}` : 'no'}</td>
                      <td>
                        <ul className="quotes">
                          {list(r.closest_titles).map((t, i) => (
                            <li key={i}>
                              {t} <code className="muted">{list(r.closest_articles)[i]}</code>
                            </li>
                          ))}
                        </ul>
                      </td>
                      <td>
                        {r.retrieval_miss === 'yes' && <strong>likely retrieval miss: </strong>}
                        {r.similar_answered_tickets}
                        {list(r.answered_by).length > 0 && <span className="muted"> · {list(r.answered_by).join(', ')}</span>}
                      </td>
                      <td>{list(r.categories).join(', ')}</td>
                      <td>{list(r.example_tickets).join(', ')}</td>
                      <td>
                        <ul className="quotes">
                          {list(r.example_descriptions).map((d, i) => (
                            <li key={i}>{d}</li>
                          ))}
                        </ul>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <h3>
            Outdated articles <span className="muted">· {outdated.length}</span>
          </h3>
          {outdated.length === 0 ? (
            <p className="empty">No article was labelled outdated in this window.</p>
          ) : (
            <div className="table-wrap">
              <table className="grid" aria-label="Outdated articles">
                <thead>
                  <tr>
                    <th scope="col">Article</th>
                    <th scope="col">Title</th>
                    <th scope="col">Flags</th>
                    <th scope="col">Tickets</th>
                    <th scope="col">Example tickets</th>
                  </tr>
                </thead>
                <tbody>
                  {outdated.map((r) => (
                    <tr key={r.key} data-testid="kb-gap-outdated">
                      <td>
                        <code>{r.key}</code>
                      </td>
                      <td>{r.title || <span className="muted">no longer in the knowledge base</span>}</td>
                      <td className="num">{r.flags}</td>
                      <td className="num">{r.tickets}</td>
                      <td>{list(r.example_tickets).join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
