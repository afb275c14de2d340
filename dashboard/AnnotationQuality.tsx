import { api, type AnnotationQuality as Quality } from './api';
import { decimal, pct, when } from './format';
import { useLoad } from './useLoad';

/** An agent this far (or more) below the team's estimated accuracy is flagged for a lead to look at. */
export const FLAG_BELOW_TEAM = 0.1;

type Agent = Quality['agents'][number];

/** Least trusted first (the server sends them so; kept here so the page never depends on it). */
function leastTrustedFirst(agents: Agent[]): Agent[] {
  return [...agents].sort((a, b) => a.accuracy - b.accuracy || (a.name ?? a.agentId).localeCompare(b.name ?? b.agentId));
}

/** A share with the count it is a share of: "83.3%" over "n=12"; a dash without any. */
function Share({ metric, value, n }: { metric: string; value: number | null; n: number }) {
  return (
    <td data-metric={metric} data-value={value ?? ''} className="nowrap">
      <span className="num">{pct(value)}</span>
      <span className="n">n={n}</span>
    </td>
  );
}

/**
 * How far the flywheel trusts each agent's relevance labels (GET /v1/admin/flywheel/annotators):
 * the latest retrieval cycle's estimate, least trusted first, agents far below the team flagged.
 */
export function AnnotationQuality() {
  const quality = useLoad(() => api.annotators(), []);
  const data = quality.data;
  const team = data?.teamAccuracy ?? null;
  return (
    <section aria-labelledby="annotation-title">
      <div className="section-head">
        <h2 id="annotation-title">Annotation quality</h2>
        <button type="button" className="quiet" onClick={quality.reload}>
          Refresh
        </button>
        <span className="muted small" aria-live="polite">
          {quality.loading ? 'Loading…' : ''}
        </span>
      </div>
      <p role="alert" className="error" hidden={!quality.error}>
        {quality.error}
      </p>
      <p className="muted explain">
        Each flywheel cycle checks every agent&apos;s relevance labels two ways: against the other agents&apos; labels on the same question and article
        (<em>agreement with others</em>, over the labels another agent also gave), and against the articles cited by replies the agent adopted (
        <em>agreement with own adoptions</em>: the share of those the agent labelled relevant). From both it estimates how often a label of the agent is
        right (<em>estimated accuracy</em>) and how much each of their labels counts when the flywheel learns (<em>weight</em>: 1 counts as much as a
        typical label of the team, below 1 less). An agent with few labels to compare is kept close to the team&apos;s accuracy, so one disagreement is not a
        verdict. A low number is a prompt for a conversation about the labelling guidelines, not a performance score.
      </p>
      {data && (data.modelVersion === null || data.agents.length === 0) && (
        <p className="empty">
          No flywheel cycle has estimated annotation quality yet: it is estimated when the flywheel learns a retrieval version from agents&apos; labels
          (loopdesk flywheel run).
        </p>
      )}
      {data && data.modelVersion !== null && data.agents.length > 0 && (
        <>
          <p data-testid="annotation-estimate">
            Estimated by the flywheel cycle that produced retrieval version <strong>v{data.modelVersion}</strong> on {when(data.estimatedAt)}. Team accuracy:{' '}
            <strong className="num">{pct(team)}</strong>. Agents more than {Math.round(FLAG_BELOW_TEAM * 100)} points below it are flagged.
          </p>
          <div className="table-wrap">
            <table className="grid" aria-label="Annotation quality by agent">
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col" title="relevance labels the cycle learned from">
                    Labels
                  </th>
                  <th scope="col" title="labels on a question and article another agent labelled too">
                    Overlapping
                  </th>
                  <th scope="col" title="share of the overlapping labels where the other agents (their majority) said the same">
                    Agreement with others
                  </th>
                  <th scope="col" title="share of the articles cited by the agent's own adopted replies that the agent labelled relevant">
                    Agreement with own adoptions
                  </th>
                  <th scope="col" title="estimated probability that one label of the agent is right">
                    Estimated accuracy
                  </th>
                  <th scope="col" title="how much one label of the agent counts when learning; 1 = as much as the team's">
                    Weight
                  </th>
                </tr>
              </thead>
              <tbody>
                {leastTrustedFirst(data.agents).map((a) => {
                  const flagged = team !== null && a.accuracy < team - FLAG_BELOW_TEAM;
                  const label = a.name ?? 'removed agent';
                  return (
                    <tr key={a.agentId} data-testid={`annotator-${a.name ?? a.agentId}`} data-flagged={flagged} className={flagged ? 'flagged' : undefined}>
                      <th scope="row" title={a.agentId}>
                        {label}
                        {flagged && (
                          <span className="flag" title={`estimated accuracy more than ${Math.round(FLAG_BELOW_TEAM * 100)} points below the team's`}>
                            far below the team
                          </span>
                        )}
                      </th>
                      <td className="num">{a.labels}</td>
                      <td className="num">{a.overlapping}</td>
                      <Share metric="agreement-with-others" value={a.agreementWithOthers} n={a.overlapping} />
                      <Share metric="agreement-with-adoption" value={a.agreementWithAdoption} n={a.adoptionChecks} />
                      <td data-metric="accuracy" data-value={a.accuracy} className={flagged ? 'down' : undefined}>
                        <span className="num">{pct(a.accuracy)}</span>
                      </td>
                      <td data-metric="weight" data-value={a.weight} className="num">
                        {decimal(a.weight, 2)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
