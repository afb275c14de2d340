/** Number formats shared by the tables and charts. */

const DASH = '–';

/** 0.4231 → "42.3%"; null → "–". */
export function pct(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? DASH : `${(value * 100).toFixed(digits)}%`;
}

/** A difference of proportions in percentage points, signed: 0.031 → "+3.1 pp". */
export function pp(value: number): string {
  const points = value * 100;
  return `${points > 0 ? '+' : points < 0 ? '−' : '±'}${Math.abs(points).toFixed(1)} pp`;
}

/** A 95% interval: "38.1–45.9%". */
export function interval(low: number | null, high: number | null): string {
  return low === null || high === null ? '' : `${(low * 100).toFixed(1)}–${pct(high)}`;
}

/** Milliseconds as a short duration: 850 → "850 ms", 42_000 → "42 s", 300_000 → "5.0 min". */
export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return DASH;
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export function decimal(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? DASH : value.toFixed(digits);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function when(iso: string | null): string {
  if (!iso) return DASH;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

/** A value from an audit entry, short enough for a table cell: shares as percentages, arms as recipes. */
export function auditValue(field: string, value: unknown): string {
  if (value === null || value === undefined) return DASH;
  if ((field === 'trafficShare' || field === 'annotationSampling') && typeof value === 'number') return pct(value, 0);
  if (field === 'arms' && Array.isArray(value)) return value.map(armText).join('; ');
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.length ? value.join(', ') : '(none)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function armText(arm: unknown): string {
  const a = arm as { name?: string; generation?: { model?: string; promptVersion?: string; temperature?: number }; reranker?: string; retrieval?: { k?: number } };
  if (!a || typeof a !== 'object' || !a.generation) return JSON.stringify(arm);
  const { model, promptVersion, temperature } = a.generation;
  return `${a.name}: ${model}, ${promptVersion}, t=${temperature}${a.reranker ? `, reranker ${a.reranker}` : ''}${a.retrieval?.k ? `, k=${a.retrieval.k}` : ''}`;
}
