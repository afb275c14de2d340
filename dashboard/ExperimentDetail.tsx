import { useEffect, useRef, useState } from 'react';
import type { Experiment, MetricsBucket } from '../lib/contract/experiments';
import { api } from './api';
import { ArmChart } from './ArmChart';
import { ArmMetricsTable } from './ArmMetricsTable';
import { AuditLog } from './AuditLog';
import { useLoad } from './useLoad';
import { DateRange } from './DateRange';

/** A `<input type="date">` value as the start of that day in UTC, as the metrics query wants it. */
const dayStart = (date: string) => (date ? `${date}T00:00:00Z` : undefined);
/** The end of the window is exclusive: the day after the chosen last day. */
function dayAfter(date: string): string | undefined {
  if (!date) return undefined;
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString();
}

/** How often the metrics of a running experiment are fetched again while the tab is visible. */
const REFRESH_MS = 60_000;

/** The selected experiment: per-arm metrics for a window, charts over time, and its audit log. */
export function ExperimentDetail({ experiment }: { experiment: Experiment }) {
  const section = useRef<HTMLElement>(null);
  // The detail sits under the whole list: bring it into view when an experiment is chosen.
  // (Block body: newer browsers return a promise from scrollIntoView, which React would take for a cleanup.)
  useEffect(() => {
    section.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }, []);
  const [bucket, setBucket] = useState<MetricsBucket>('day');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const metrics = useLoad(
    () => api.metrics(experiment.key, { bucket, from: dayStart(from), to: dayAfter(to) }),
    [experiment.key, bucket, from, to, experiment.revision],
  );
  const { reload } = metrics;
  useEffect(() => {
    if (experiment.status !== 'running') return;
    const timer = setInterval(() => document.visibilityState === 'visible' && reload(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [experiment.status, reload]);
  const data = metrics.data;
  const arms = data?.arms.map((a) => a.arm) ?? experiment.arms.map((a) => a.name);

  return (
    <section ref={section} className="card detail" aria-labelledby="detail-title" data-testid={`experiment-detail-${experiment.key}`}>
      <div className="section-head">
        <h3 id="detail-title">
          Metrics · <code>{experiment.key}</code>
        </h3>
        <div className="field inline">
          <label htmlFor="metrics-bucket">Bucket</label>
          <select id="metrics-bucket" value={bucket} onChange={(e) => setBucket(e.target.value as MetricsBucket)}>
            <option value="hour">hour</option>
            <option value="day">day</option>
            <option value="week">week</option>
          </select>
        </div>
        <DateRange idPrefix="metrics" from={from} to={to} onFrom={setFrom} onTo={setTo} />
        <button type="button" className="quiet" onClick={metrics.reload}>
          Refresh
        </button>
        <span className="muted small" aria-live="polite">
          {metrics.loading ? 'Loading…' : ''}
        </span>
      </div>
      <p role="alert" className="error" hidden={!metrics.error}>
        {metrics.error}
      </p>
      {data && (
        <>
          <ArmMetricsTable arms={data.arms} controlArm={data.controlArm} />
          <div className="charts">
            <ArmChart title="Adopted rate" metric="adopted" series={data.series} arms={arms} bucket={data.bucket} />
            <ArmChart title="Preference win rate" metric="preferenceWins" series={data.series} arms={arms} bucket={data.bucket} />
          </div>
          <p className="muted small">
            Intervals are 95%. Computed in {Math.round(data.computedMs)} ms.
          </p>
        </>
      )}
      <AuditLog experimentKey={experiment.key} revision={experiment.revision} />
    </section>
  );
}
