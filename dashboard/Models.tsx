import type { ReactNode } from 'react';
import { api, ModelEvaluation, ReplyMemoryEvaluation, type HeldOut, type ModelKind, type ModelSummary, type ReplyHeldOut } from './api';
import { decimal, pct, when } from './format';
import { useLoad, type Loaded } from './useLoad';

const MEASURES = ['recall@75', 'precision@8', 'MRR@8', 'nDCG@8'] as const satisfies readonly (keyof HeldOut)[];

/** A retrieval measure of the version, or a blank when its evaluation is not readable. */
function Measure({ name, evaluation }: { name: (typeof MEASURES)[number]; evaluation: ModelEvaluation | null }) {
  if (!evaluation) return <td className="muted">–</td>;
  return <Change metric={name} value={evaluation.heldOut.candidate[name]} current={evaluation.heldOut.current[name]} />;
}

/** A number and, under it, its change against the version promoted when this one was evaluated. */
function Change({ metric, value, current, digits = 3 }: { metric: string; value: number; current: number; digits?: number }) {
  const delta = value - current;
  return (
    <td data-metric={metric} data-value={value}>
      <span className="num">{decimal(value, digits)}</span>
      <span className={`ci ${delta > 0 ? 'up' : delta < 0 ? 'down' : ''}`}>
        {delta >= 0 ? '+' : '−'}
        {Math.abs(delta).toFixed(digits)}
      </span>
    </td>
  );
}

function Gate({ gate }: { gate: 'passed' | 'failed' | undefined }) {
  return <td>{gate ? <span className={gate === 'passed' ? 'up' : 'down'}>{gate}</span> : '–'}</td>;
}

function VersionCells({ m }: { m: ModelSummary }) {
  return (
    <>
      <th scope="row" title={m.id}>
        v{m.version} <span className="muted small">{m.kind}</span>
      </th>
      <td>
        <span className={`status status-${m.status}`}>{m.status}</span>
      </td>
    </>
  );
}

/** One kind's versions: a heading, the error or empty state, and the table. */
function KindSection({ kind, title, explanation, loaded, empty, children }: { kind: ModelKind; title: string; explanation: string; loaded: Loaded<ModelSummary[]>; empty: string; children: (list: ModelSummary[]) => ReactNode }) {
  return (
    <section aria-labelledby={`models-${kind}-title`} data-testid={`models-${kind}`}>
      <h3 id={`models-${kind}-title`}>{title}</h3>
      <p className="muted small">{explanation}</p>
      <p role="alert" className="error" hidden={!loaded.error}>
        {loaded.error}
      </p>
      {loaded.data && loaded.data.length === 0 && <p className="empty">{empty}</p>}
      {loaded.data && loaded.data.length > 0 && <div className="table-wrap">{children(loaded.data)}</div>}
    </section>
  );
}

function RetrievalTable({ list }: { list: ModelSummary[] }) {
  return (
    <table className="grid" aria-label="Retrieval model versions">
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
        {list.map((m) => {
          const parsed = ModelEvaluation.safeParse(m.metrics);
          const evaluation = parsed.success ? parsed.data : null;
          const trained = m.trainedOn as { queries?: number; labels?: number } | null;
          return (
            <tr key={m.id} data-testid={`model-${m.version}`}>
              <VersionCells m={m} />
              <Gate gate={evaluation?.gate} />
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
  );
}

const REPLY_MEASURES = [
  { key: 'tokenF1', label: 'Token F1', title: 'mean token F1 of the composed reply against the reply the agent sent (held out); change against the memory promoted then' },
  { key: 'usedMemory', label: 'Used memory', title: 'share of held-out replies composed from a remembered reply; change against the memory promoted then' },
] as const satisfies readonly { key: keyof ReplyHeldOut; label: string; title: string }[];

function ReplyMemoryTable({ list }: { list: ModelSummary[] }) {
  return (
    <table className="grid" aria-label="Reply memory versions">
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">Status</th>
          <th scope="col">Gate</th>
          {REPLY_MEASURES.map((m) => (
            <th key={m.key} scope="col" title={m.title}>
              {m.label}
            </th>
          ))}
          <th scope="col" title="the share of a new ticket's terms a remembered ticket must share for its adopted reply to be reused">
            Min overlap
          </th>
          <th scope="col">Held-out replies</th>
          <th scope="col">Trained on</th>
          <th scope="col">Created</th>
          <th scope="col">Promoted</th>
        </tr>
      </thead>
      <tbody>
        {list.map((m) => {
          const parsed = ReplyMemoryEvaluation.safeParse(m.metrics);
          const evaluation = parsed.success ? parsed.data : null;
          const trained = m.trainedOn as { adoptedReplies?: number } | null;
          return (
            <tr key={m.id} data-testid={`reply-memory-${m.version}`}>
              <VersionCells m={m} />
              <Gate gate={evaluation?.gate} />
              {REPLY_MEASURES.map(({ key }) =>
                evaluation ? (
                  <Change key={key} metric={key} value={evaluation.heldOut.candidate[key]} current={evaluation.heldOut.current[key]} />
                ) : (
                  <td key={key} className="muted">
                    –
                  </td>
                ),
              )}
              <td className="num">{pct(evaluation?.minOverlap, 0)}</td>
              <td className="num">{evaluation?.heldOut.candidate.replies ?? '–'}</td>
              <td className="nowrap">{typeof trained?.adoptedReplies === 'number' ? `${trained.adoptedReplies} adopted replies` : '–'}</td>
              <td className="nowrap">{when(m.createdAt)}</td>
              <td className="nowrap">{when(m.promotedAt)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * The tenant's model versions from the flywheel, of both kinds, newest first: retrieval (the
 * learned expansion and reranker) and the reply memory (adopted replies reused by the extractive
 * generator), each with its held-out evaluation against the version promoted at the time (the
 * small number under each measure).
 */
export function Models() {
  const retrieval = useLoad(() => api.models('retrieval'), []);
  const replyMemory = useLoad(() => api.models('reply-memory'), []);
  const refresh = () => {
    retrieval.reload();
    replyMemory.reload();
  };
  return (
    <section aria-labelledby="models-title">
      <div className="section-head">
        <h2 id="models-title">Model versions</h2>
        <button type="button" className="quiet" onClick={refresh}>
          Refresh
        </button>
        <span className="muted small" aria-live="polite">
          {retrieval.loading || replyMemory.loading ? 'Loading…' : ''}
        </span>
      </div>
      <KindSection
        kind="retrieval"
        title="Retrieval"
        explanation="Learned from agents' relevance labels and cited articles; promoted only if it ranks held-out queries better (MRR@8) without losing recall@75."
        loaded={retrieval}
        empty="No retrieval versions yet: the flywheel stores one once agents have labelled enough suggestions (loopdesk flywheel run)."
      >
        {(list) => <RetrievalTable list={list} />}
      </KindSection>
      <KindSection
        kind="reply-memory"
        title="Reply memory"
        explanation="Replies agents adopted, reused when a new ticket shares enough of its terms; promoted only if the replies it composes for held-out tickets are closer (token F1) to what the agents sent."
        loaded={replyMemory}
        empty="No reply-memory versions yet: the flywheel stores one once agents have adopted enough replies."
      >
        {(list) => <ReplyMemoryTable list={list} />}
      </KindSection>
    </section>
  );
}
