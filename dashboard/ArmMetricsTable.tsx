import type { ArmMetrics, Proportion } from '../lib/contract/experiments';
import { decimal, duration, interval, pct, pp } from './format';

/** Attributes a test reads a number from: `data-metric`, `data-value` and, for rates, the interval. */
function cellData(metric: string, value: number | null, low?: number | null, high?: number | null) {
  return {
    'data-metric': metric,
    'data-value': value ?? '',
    ...(low !== undefined ? { 'data-low': low ?? '' } : {}),
    ...(high !== undefined ? { 'data-high': high ?? '' } : {}),
  };
}

function Rate({ metric, p, detail }: { metric: string; p: Proportion; detail?: string }) {
  return (
    <td {...cellData(metric, p.rate, p.low, p.high)} data-n={p.n} title={`${p.count} of ${p.n}${detail ? ` (${detail})` : ''}`}>
      <span className="num">{pct(p.rate)}</span>
      <span className="ci">{interval(p.low, p.high)}</span>
      <span className="n">n={p.n}</span>
    </td>
  );
}

/** One row per arm; the interval under each rate is its 95% interval. */
export function ArmMetricsTable({ arms, controlArm }: { arms: ArmMetrics[]; controlArm: string }) {
  return (
    <div className="table-wrap">
      <table className="grid metrics" aria-label="Metrics per arm">
        <thead>
          <tr>
            <th scope="col">Arm</th>
            <th scope="col">Exposures</th>
            <th scope="col">Adopted</th>
            <th scope="col">Lift over control</th>
            <th scope="col">Preference wins</th>
            <th scope="col">Bradley–Terry</th>
            <th scope="col">Precision@8</th>
            <th scope="col">Missing knowledge</th>
            <th scope="col">Time to send p50</th>
            <th scope="col">p90</th>
          </tr>
        </thead>
        <tbody>
          {arms.map((a) => {
            const lift = a.adoption.liftOverControl;
            return (
              <tr key={a.arm} data-testid={`arm-row-${a.arm}`}>
                <th scope="row">
                  {a.arm}
                  {a.arm === controlArm && <span className="badge">control</span>}
                </th>
                <td {...cellData('exposures', a.exposures)}>
                  <span className="num">{a.exposures.toLocaleString()}</span>
                </td>
                <Rate
                  metric="adopted"
                  p={a.adoption.adopted}
                  detail={Object.entries(a.adoption.outcomes)
                    .map(([outcome, n]) => `${outcome.replace('_', ' ')} ${n}`)
                    .join(', ')}
                />
                {lift ? (
                  <td {...cellData('lift', lift.difference, lift.low, lift.high)} className={lift.low > 0 ? 'up' : lift.high < 0 ? 'down' : undefined}>
                    <span className="num">{pp(lift.difference)}</span>
                    <span className="ci">
                      {pp(lift.low)} to {pp(lift.high)}
                    </span>
                  </td>
                ) : (
                  <td {...cellData('lift', null)} className="muted">
                    {a.arm === controlArm ? 'control' : '–'}
                  </td>
                )}
                <Rate metric="preference-wins" p={a.preferenceWins} />
                <td {...cellData('bradley-terry', a.bradleyTerry)}>
                  <span className="num">{decimal(a.bradleyTerry)}</span>
                </td>
                <Rate metric="precision-at-8" p={a.precisionAt8} />
                <Rate metric="missing-knowledge" p={a.missingKnowledge} />
                <td {...cellData('time-to-send-p50', a.timeToSend.p50)}>
                  <span className="num">{duration(a.timeToSend.p50)}</span>
                </td>
                <td {...cellData('time-to-send-p90', a.timeToSend.p90)}>
                  <span className="num">{duration(a.timeToSend.p90)}</span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
